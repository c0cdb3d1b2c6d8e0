"""The fault soak: readers and writers under a random fault schedule (``nox -s soak``)."""

"""Repository-wide pytest setup: the targets plugin (``--target``, ``target``/``bucket`` fixtures)."""

pytest_plugins = ("emulators.pytest_plugin",)

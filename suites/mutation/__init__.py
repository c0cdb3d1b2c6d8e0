"""Mutation testing of the core (nox -s mutation)."""

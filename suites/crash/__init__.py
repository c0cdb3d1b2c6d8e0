"""Crash recovery of the recoverable writer: writer processes SIGKILLed at seeded points, then recovered.

``python -m suites.crash --target moto --points 50`` (``nox -s crash_recovery``) runs the loop and prints
per target the kill points, the bytes verified and the bytes lost, duplicated or wrong (all must be 0).
The plan of one kill point (what the writer writes, when it persists, at which step it dies) comes
from one seed, printed with every failure: ``--seed N --points 1`` replays it.
"""

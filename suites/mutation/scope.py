"""What ``nox -s mutation`` mutates: the pure core and the correctness-critical I/O of issue 16.

One entry per reported unit, one module each; ``[tool.mutmut] only_mutate`` in ``pyproject.toml``
lists the same files (a test checks that the two agree). The conformance exit logic is its own module,
:mod:`suites.conformance.exit_code`, so the CLI's argument plumbing stays out of scope.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Unit:
    """One reported unit: a module (or one function of it) and the mutant names that belong to it."""

    name: str
    path: str
    glob: str


SCOPE: tuple[Unit, ...] = (
    Unit("s3conf.uri", "s3conf/uri.py", "s3conf.uri.*"),
    Unit("s3conf.paths", "s3conf/paths.py", "s3conf.paths.*"),
    Unit("s3conf.values", "s3conf/values.py", "s3conf.values.*"),
    Unit("s3conf.config", "s3conf/config.py", "s3conf.config.*"),
    Unit("s3conf.entropy", "s3conf/entropy.py", "s3conf.entropy.*"),
    Unit("s3conf.ranged_get", "s3conf/ranged_get.py", "s3conf.ranged_get.*"),
    Unit("s3conf.readpolicy", "s3conf/readpolicy.py", "s3conf.readpolicy.*"),
    Unit("suites.conformance.exit_code", "suites/conformance/exit_code.py", "suites.conformance.exit_code.*"),
)

#: The goal of issue 16: at least this share of the mutants that are not equivalent is killed.
GOAL_PERCENT = 90.0

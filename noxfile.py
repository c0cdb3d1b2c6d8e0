"""Automation entry points: ``nox -s tests``, ``conformance``, ``bench``, ``report``, ``lint``, ``typecheck``.

Every session installs what it needs itself, so the README's two commands work on a machine that has
only Python and pip. Long jobs (full conformance sweep, benchmark matrices, long hypothesis profiles) are
their own sessions; ``tests`` runs a quick slice of each.
"""

from __future__ import annotations

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "uv|virtualenv"

PYTHON = "3.11"
# s3fs (a peer in the benchmarks) needs aiobotocore, which pins botocore below the newest boto3.
# Capping boto3 here keeps pip from backtracking for minutes or resolving s3fs to an ancient release.
PEER_CONSTRAINTS = ["boto3<1.44", "s3fs>=2024.2"]


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite: unit tests, property suites (ci profile), targets, file access, quick slices."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "--junitxml=reports/junit-tests.xml",
        *session.posargs,
        env={"HYPOTHESIS_PROFILE": "ci"},
    )


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """Run the conformance catalog on every locally available target and write the reports."""
    session.install("-e", ".[test]")
    session.run("s3conf", "conformance", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Fragment size x number sweeps beside the raw-GET limit and peer readers."""
    session.install("-e", ".[test,peers]", *PEER_CONSTRAINTS)
    session.run("s3conf", "bench", *session.posargs)


@nox.session(python=PYTHON)
def report(session: nox.Session) -> None:
    """Rebuild reports from saved results: ``nox -s report -- bench RESULTS.json``."""
    session.install("-e", ".[data]")
    session.run("s3conf", "report", *session.posargs)


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff check and ruff format --check."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """mypy --strict on the library and the launchers."""
    session.install("-e", ".[dev]")
    session.run("mypy")


@nox.session(python=PYTHON)
def thorough(session: nox.Session) -> None:
    """The property suites with the long hypothesis profile."""
    session.install("-e", ".[test]")
    session.run("pytest", "suites/paths", "tests", *session.posargs, env={"HYPOTHESIS_PROFILE": "thorough"})

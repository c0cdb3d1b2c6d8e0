"""Automation entry points: ``nox -s tests``, ``conformance``, ``bench``, ``report``, ``lint``, ``typecheck``.

Every session installs what it needs itself, so the README's two commands work on a machine that has
only Python (with its ``venv`` module). Sessions run on the interpreter that runs nox (any Python the
project supports): the README creates ``.venv`` with the system's ``python3`` and runs nox from it, so
a Debian/Ubuntu system Python (PEP 668, no ``pip install`` outside a venv), a pyenv one and CI all take
the same path. Long jobs (full conformance sweep, benchmark matrices, long hypothesis profiles) are
their own sessions; ``tests`` runs a quick slice of each.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True
nox.options.default_venv_backend = "uv|virtualenv"

# None: the interpreter running nox. A pinned "3.11" would make nox skip every session (exit 0, nothing
# run) on a machine whose only Python is another supported version, e.g. Ubuntu 24.04's 3.12.
PYTHON = None
nox.options.error_on_missing_interpreters = True


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """The test suite: unit tests, property suites (ci profile), targets, file access, quick slices."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "--junitxml=reports/junit-tests.xml",
        # Two workers at most (pytest-xdist), each starting the targets it needs; tests that drive the
        # Docker engine are grouped on one worker (conftest.py). More workers than cores only add
        # server start-ups: the servers share the same cores.
        "--numprocesses=auto",
        "--maxprocesses=2",
        "--dist=loadgroup",
        *session.posargs,
        # Bytecode is cached (PYTHONDONTWRITEBYTECODE removed for this run, if the machine sets it): the
        # suite starts dozens of Python processes (CLI runs, pytest children, Dask workers, crash and
        # mutation children) that import boto3, moto, pandas and dask; without .pyc files each one
        # compiles them from source again (~5 s of CPU per process here) and pytest re-rewrites every
        # test module. The files go to the venv and to git-ignored __pycache__ directories.
        env={"HYPOTHESIS_PROFILE": "ci", "PYTHONDONTWRITEBYTECODE": None},
    )


@nox.session(python=PYTHON)
def fsspec_abstract(session: nox.Session) -> None:
    """fsspec's own abstract test suites, the whole matrix, against s3x:// on moto and SeaweedFS."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "suites/fileaccess/test_fsspec_abstract.py",
        "--target",
        "moto",
        "--target",
        "seaweedfs",
        *session.posargs,
        env={"S3CONF_FSSPEC_ABSTRACT": "full"},
    )


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """Run the conformance catalog on every locally available target and write the reports."""
    session.install("-e", ".[conformance,servers,containers]")
    session.run("s3conf", "conformance", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Fragment size x number sweeps beside the raw-GET limit and peer readers."""
    session.install("-e", ".[bench,peers]")
    session.run("s3conf", "bench", *session.posargs)


@nox.session(python=PYTHON)
def bench_bulk(session: nox.Session) -> None:
    """Bulk transfer (FLIP-444): s5cmd vs built-in vs s3fs vs boto3, wall time and CPU per GiB."""
    session.install("-e", ".[bench,peers]")
    session.run("python", "-m", "suites.bench.bulk", *session.posargs)


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


# Every extra the README documents; `nox -s extras` resolves each with plain pip 23 (see below).
DOCUMENTED_EXTRAS = (
    "conformance",
    "servers",
    "containers",
    "localstack",
    "data",
    "peers",
    "bench",
    "test",
    "dev",
)


@nox.session(python=PYTHON, venv_backend="venv")
def extras(session: nox.Session) -> None:
    """Each documented extra resolves with plain pip 23.2.1 (no uv): ``pip install --dry-run .[EXTRA]``.

    Opt-in (a few minutes: pip 23 backtracks), run after changing any requirement in pyproject.toml.
    """
    session.install("pip==23.2.1")
    for extra in session.posargs or DOCUMENTED_EXTRAS:
        session.run("python", "-m", "pip", "install", "--dry-run", "--quiet", f".[{extra}]")


@nox.session(python=PYTHON)
def soak(session: nox.Session) -> None:
    """Readers and writers under a random fault schedule: ``nox -s soak -- --seconds 60 --target moto``."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "suites.soak", *session.posargs)


def extra_requirements(extra: str) -> list[str]:
    """The requirements of ``s3conf[extra]`` (nested extras expanded) without s3conf itself.

    For sessions that must import the project from a copy of the tree (mutmut's ``mutants/``), where
    an installed s3conf would shadow the copy.
    """
    project = tomllib.loads(Path("pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    wanted, seen, requirements = [extra], set(), list(project["dependencies"])
    while wanted:
        name = wanted.pop()
        seen.add(name)
        for requirement in extras[name]:
            if nested := re.fullmatch(r"s3conf\[([\w,-]+)\]", requirement):
                wanted += [n for n in nested.group(1).split(",") if n not in seen]
            elif requirement not in requirements:
                requirements.append(requirement)
    return requirements


@nox.session(python=PYTHON)
def mutation(session: nox.Session) -> None:
    """Mutation testing (mutmut) of the pure core, the ranged GET, the read policies and the exit code.

    Opt-in (minutes): ``nox -s mutation`` writes ``reports/mutation/summary.md`` and ``summary.json``;
    ``-- --report-only`` rebuilds them from ``mutants/``; ``-- 's3conf.uri.*'`` runs one module's mutants.
    Runs under ``nice`` on at most two workers, against moto only (started by the tests themselves).
    """
    session.install(*extra_requirements("mutation"))
    session.run(
        "nice", "-n", "10", "python", "-m", "suites.mutation", *session.posargs,
        env={"HYPOTHESIS_PROFILE": "mutation"}, external=True,
    )  # fmt: skip


@nox.session(python=PYTHON)
def crash_recovery(session: nox.Session) -> None:
    """Recoverable writer: 50 SIGKILLed writer processes per target, recovered and checked byte for byte.

    ``nox -s crash_recovery -- --points 5 --seed 123`` for fewer points or to replay seeds.
    """
    session.install("-e", ".[test]")
    _crash_loop(session, session.posargs or ["--points", "50"])


def _crash_loop(session: nox.Session, args: list[str]) -> None:
    targets = ["--target", "moto", "--target", "seaweedfs", "--target", "rclone"]
    session.run("python", "-m", "suites.crash", *targets, "--json", "reports/crash-recovery.json", *args)


@nox.session(python=PYTHON)
def thorough(session: nox.Session) -> None:
    """The long opt-in checks: property suites with the long hypothesis profile, then the crash loop.

    The crash loop is the recoverable writer's: 50 randomized kill points per local target
    (``nox -s crash_recovery`` runs it alone).
    """
    session.install("-e", ".[test]")
    session.run("pytest", "suites/paths", "tests", *session.posargs, env={"HYPOTHESIS_PROFILE": "thorough"})
    _crash_loop(session, ["--points", "50"])

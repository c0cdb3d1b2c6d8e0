"""The README's promises hold: its Python examples run, and its commands name real sessions and options."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

from s3conf.cli import build_parser

README = Path(__file__).resolve().parents[1] / "README.md"
NOXFILE = README.parent / "noxfile.py"
CODE_BLOCK = re.compile(r"```(\w*)\n(.*?)```", re.DOTALL)


def _blocks(language: str) -> list[str]:
    return [body for lang, body in CODE_BLOCK.findall(README.read_text(encoding="utf-8")) if lang == language]


def _doctest_blocks() -> list[str]:
    return [block for block in _blocks("python") if ">>>" in block]


def test_readme_has_doctest_examples() -> None:
    assert len(_doctest_blocks()) >= 2


@pytest.mark.parametrize("index", range(len(_doctest_blocks())), ids=lambda i: f"block-{i}")
def test_readme_python_examples_run(index: int) -> None:
    block = _doctest_blocks()[index]
    parser = doctest.DocTestParser()
    test = parser.get_doctest(block, {}, f"README.md block {index}", str(README), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def _setup_commands() -> list[str]:
    return _blocks("bash")[0].strip().splitlines()


def test_first_commands_are_the_two_setup_commands() -> None:
    """Two lines that make their own venv: a bare `python3 -m pip install` fails under PEP 668."""
    setup = 'python3 -m venv .venv && .venv/bin/python -m pip install "nox[uv]" && '
    assert _setup_commands() == [f"{setup}.venv/bin/nox -s conformance", f"{setup}.venv/bin/nox -s tests"]
    for line in _setup_commands():
        assert " pip install" not in line.replace(".venv/bin/python -m pip install", "")


def test_ci_runs_the_readme_test_command() -> None:
    """.ci/run reads the command from the README (so they cannot drift) and also runs it on Debian's
    system Python in a fresh clone."""
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "README.md" in ci
    assert "TEST_COMMAND=$(readme_command 2)" in ci
    assert 'bash -c "$TEST_COMMAND"' in ci
    assert "PATH=/usr/bin:/bin" in ci
    assert "git clone" in ci
    assert "python3 -m pip install" not in ci


def test_noxfile_sessions_run_on_the_python_that_runs_nox() -> None:
    """A pinned version would make nox skip every session, exit 0, on a system with another Python."""
    noxfile = NOXFILE.read_text(encoding="utf-8")
    assert "PYTHON = None" in noxfile
    assert "error_on_missing_interpreters = True" in noxfile


@pytest.mark.parametrize(
    "session",
    ["tests", "conformance", "bench", "report", "lint", "typecheck", "thorough", "extras", "mutation"],
)
def test_readme_sessions_exist_in_the_noxfile(session: str) -> None:
    readme = README.read_text(encoding="utf-8")
    assert f"nox -s {session}" in readme or f"{session}`" in readme
    assert f"def {session}(session: nox.Session)" in NOXFILE.read_text(encoding="utf-8")


def _s3conf_commands() -> list[str]:
    """Every shell line of the README that runs `s3conf`, with continuations joined and comments cut."""
    commands = []
    for block in _blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            command = line.split("#", 1)[0].strip()
            if command.startswith("s3conf "):
                commands.append(command.removeprefix("s3conf "))
    return commands


def test_readme_shows_every_subcommand() -> None:
    assert {command.split()[0] for command in _s3conf_commands()} >= {
        "conformance",
        "bench",
        "report",
        "targets",
    }


@pytest.mark.parametrize("command", _s3conf_commands(), ids=lambda command: command.split()[0])
def test_readme_s3conf_commands_parse(command: str) -> None:
    """Every `s3conf ...` line in the README is accepted by the real argument parser."""
    argv = [word.strip("'\"") for word in command.replace("<timestamp>", "ts").split()]
    build_parser().parse_args(argv)

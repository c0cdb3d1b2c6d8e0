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


def test_first_commands_are_the_two_setup_commands() -> None:
    first_block = _blocks("bash")[0].strip().splitlines()
    assert first_block == [
        'python3 -m pip install "nox[uv]" && python3 -m nox -s conformance',
        'python3 -m pip install "nox[uv]" && python3 -m nox -s tests',
    ]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert 'pip install --quiet --upgrade "nox[uv]"' in ci
    assert "python3 -m nox -s tests" in ci


@pytest.mark.parametrize(
    "session", ["tests", "conformance", "bench", "report", "lint", "typecheck", "thorough"]
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

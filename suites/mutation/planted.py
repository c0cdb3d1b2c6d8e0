"""Known bugs, planted one at a time, that named tests must catch: the quick slice of ``nox -s mutation``.

The full mutation run takes most of an hour on a shared 2-core machine, so ``nox -s tests`` runs this
slice instead (``tests/test_mutation_slice.py``): each entry is a one-line change to a copy of the
package, and the listed tests, run against the copy, must fail. :func:`run_planted` runs them all in
one child process (``python -P -m suites.mutation.planted WORK_DIR``), importing pytest once and the
project afresh for each entry, with the copy first on ``sys.path``. They are the bugs issue 16's audit
planted and the survivors of the mutation run that new tests now kill, so a test that stops guarding
its bug is noticed in seconds.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Planted:
    """One planted bug: replace ``before`` (occurring exactly once in ``path``) by ``after``."""

    id: str
    path: str
    before: str
    after: str
    tests: tuple[str, ...]
    why: str


PLANTED: tuple[Planted, ...] = (
    Planted(
        id="entropy-alphabet-without-lowercase",
        path="s3conf/entropy.py",
        before="ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase",
        after="ALPHABET = string.digits + string.ascii_uppercase",
        tests=("tests/test_entropy.py::test_the_characters_are_exactly_the_documented_alphanumerics",),
        why="issue 16 item 2: the documented [0-9A-Za-z], checked against a literal, not ALPHABET",
    ),
    Planted(
        id="exit-code-ignores-stale-expectations",
        path="suites/conformance/exit_code.py",
        before='if stale := ids("xpass"):',
        after='if stale := ids("xpass-never"):',
        tests=("tests/conformance/test_conformance_cli.py::test_exit_status",),
        why="issue 16 item 3: an unexpected pass (stale expectation) must exit 1",
    ),
    Planted(
        id="exit-code-always-1",
        path="suites/conformance/exit_code.py",
        before="return (1 if problems else 0), problems",
        after="return 1, problems",
        tests=("tests/conformance/test_conformance_cli.py::test_exit_status",),
        why="issue 16 item 3: a clean run exits 0",
    ),
    Planted(
        id="exit-code-lists-11-failures",
        path="suites/conformance/exit_code.py",
        before='", ".join(failed[:10])',
        after='", ".join(failed[:11])',
        tests=("tests/conformance/test_conformance_cli.py::test_exit_status_reasons_word_for_word",),
        why="mutation survivor: at most 10 failures are named, then '...'",
    ),
    Planted(
        id="ranged-get-refuses-a-whole-body",
        path="s3conf/ranged_get.py",
        before="elif status == 200 and not header:",
        after="elif status == 200 and not header and False:",
        tests=("tests/test_ranged_get.py",),
        why="issue 16 item 4: a range answered with a whole 200 body keeps only the range",
    ),
    Planted(
        id="readpolicy-drops-the-nearest-first",
        path="s3conf/readpolicy.py",
        before="if to_right >= to_left:",
        after="if to_right < to_left:",
        tests=("tests/test_readpolicy.py::test_a_seeking_read_drops_the_farthest_spans_down_to_the_cap",),
        why="mutation survivor: over the cap, the spans farthest from the read go first",
    ),
)

#: Top-level names whose modules are dropped between two planted runs, so each run imports its copy.
PROJECT_PACKAGES = frozenset({"s3conf", "suites", "emulators", "tests", "conftest"})


def plant(planted: Planted, root: Path, overlay: Path) -> None:
    """Copy the package holding ``planted.path`` from ``root`` into ``overlay``; change it there.

    Compiled files come along (their sources keep their times), so only the changed module recompiles.
    """
    package = planted.path.split("/")[0]
    shutil.copytree(root / package, overlay / package)
    target = overlay / planted.path
    text = target.read_text(encoding="utf-8")
    if text.count(planted.before) != 1:
        raise ValueError(f"{planted.id}: {planted.before!r} does not occur exactly once in {planted.path}")
    target.write_text(text.replace(planted.before, planted.after), encoding="utf-8")


def _forget_project_modules(root: Path) -> None:
    """Drop the project's modules (and test modules imported by file) so the next run imports afresh."""
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None) or ""
        if name.split(".")[0] in PROJECT_PACKAGES or file.startswith(str(root)) or "/planted-" in file:
            del sys.modules[name]


class _Failures:
    """pytest plugin: the node ids of the tests that failed."""

    def __init__(self) -> None:
        self.nodes: list[str] = []

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed:
            self.nodes.append(report.nodeid)


def run_planted(root: Path, work: Path, entries: Sequence[Planted] = PLANTED) -> dict[str, dict[str, Any]]:
    """Run each entry's tests against its planted copy, in this process (pytest imported once).

    Returns ``{id: {"exit_code": pytest's, "failed": [node ids]}}``.
    """
    import pytest

    outcomes: dict[str, dict[str, Any]] = {}
    for planted in entries:
        overlay = work / f"planted-{planted.id}"
        plant(planted, root, overlay)
        failures = _Failures()
        sys.path.insert(0, str(overlay))
        _forget_project_modules(root)
        try:
            args = ["-q", "-p", "no:cacheprovider", "--import-mode=append", "-o", "addopts=", *planted.tests]
            with contextlib.redirect_stdout(io.StringIO()):
                code = int(pytest.main(args, plugins=[failures]))
        finally:
            sys.path.remove(str(overlay))
            _forget_project_modules(root)
        outcomes[planted.id] = {"exit_code": code, "failed": sorted(set(failures.nodes))}
    return outcomes


if __name__ == "__main__":  # python -P -m suites.mutation.planted WORK_DIR (run from the checkout)
    work_dir = Path(sys.argv[1])
    result = run_planted(Path.cwd(), work_dir)
    (work_dir / "outcomes.json").write_text(json.dumps(result, indent=2), encoding="utf-8")

"""The quick slice of ``nox -s mutation``: each bug of :data:`suites.mutation.planted.PLANTED`, planted in a
copy of its package, makes the tests that guard it fail.

One child process (``python -P``: the checkout is not put first on ``sys.path``) runs every entry's
tests with its copy first on ``sys.path`` (:func:`suites.mutation.planted.run_planted`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from suites.mutation.planted import PLANTED, Planted

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    work = tmp_path_factory.mktemp("planted")
    child = subprocess.run(
        [sys.executable, "-P", "-m", "suites.mutation.planted", str(work)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), "HYPOTHESIS_PROFILE": "ci"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    result: dict[str, dict[str, Any]] = json.loads((work / "outcomes.json").read_text(encoding="utf-8"))
    return result


@pytest.mark.parametrize("planted", PLANTED, ids=[p.id for p in PLANTED])
def test_the_guarding_tests_fail_on_the_planted_bug(
    planted: Planted, outcomes: dict[str, dict[str, Any]]
) -> None:
    outcome = outcomes[planted.id]
    assert outcome["exit_code"] == 1, f"{planted.id} ({planted.why}) was not caught: {outcome}"
    assert outcome["failed"], outcome
    assert all(node.startswith(planted.tests) for node in outcome["failed"]), outcome["failed"]

"""A short slice of the recoverable writer's crash loop (the full one: ``nox -s crash_recovery``).

A writer process is SIGKILLed at a seeded step and this process recovers, commits, commits again and
cleans up (:mod:`suites.crash.loop`). ``S3CONF_CRASH_POINTS`` (default 1) kill points per target;
the seed is random unless ``S3CONF_CRASH_SEED`` is set, and every failure names it, so
``python -m suites.crash --target NAME --seed SEED --points 1`` replays the kill point.
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest

from suites.crash.__main__ import skip_reason
from suites.crash.loop import render, run_loop

POINTS = int(os.environ.get("S3CONF_CRASH_POINTS", "1"))
FIRST_SEED = int(os.environ.get("S3CONF_CRASH_SEED", random.SystemRandom().randrange(1, 2**31)))


def test_killed_writers_recover_without_losing_or_repeating_a_byte(target: Any, bucket: str) -> None:
    if not target.capabilities.multipart:
        pytest.skip(f"{target.name} has no multipart uploads (capabilities.multipart is false)")
    reason = skip_reason(target.name)
    if reason is not None:
        pytest.skip(reason)
    seeds = list(range(FIRST_SEED, FIRST_SEED + POINTS))
    row = run_loop(target.name, target.endpoint, bucket, seeds).row()
    summary = f"seeds {seeds[0]}..{seeds[-1]}\n{render([row])}"
    assert row["failures"] == [], summary
    assert (row["lost"], row["duplicated"], row["wrong"]) == (0, 0, 0), summary
    assert row["kill_points"] == POINTS, summary

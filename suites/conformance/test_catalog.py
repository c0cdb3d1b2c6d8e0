"""The catalog as tests: one test per (target, check), ids ``<target>-<check id>``.

Selection, the expectations table (strict xfails) and the shared bucket live in ``conftest.py``. A bucket
a check leaves behind is a failure of ``s3conf conformance`` (exit 1, listed in the results); in a plain
``pytest`` run (``nox -s tests``), which writes no results, it fails the check's test instead.
"""

from __future__ import annotations

from typing import Any

import pytest

from suites.conformance.catalog import Check, all_checks
from suites.conformance.conftest import ConformanceSession
from suites.conformance.plugin import LEFTOVERS_KEY, collecting_results

CHECKS = all_checks()


@pytest.mark.conformance
@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_check(
    check: Check, target: Any, conformance_session: ConformanceSession, request: pytest.FixtureRequest
) -> None:
    if check.requires is not None and getattr(target.capabilities, check.requires, True) is False:
        pytest.skip(f"{target.name} declares no {check.requires} capability")
    context = conformance_session.context(check)
    try:
        check.run(context)
    finally:
        leftovers = context.cleanup()
        request.config.stash.setdefault(LEFTOVERS_KEY, []).extend(f"{target.name}:{b}" for b in leftovers)
    if leftovers and not collecting_results(request.config):
        pytest.fail(f"bucket(s) left behind on {target.name}: {', '.join(leftovers)}")

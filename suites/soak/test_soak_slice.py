"""A few seconds of the soak on every target: exact bytes or documented errors, nothing left behind."""

from __future__ import annotations

from emulators.pytest_plugin import RunningTarget
from suites.soak.runner import run_soak


def test_a_short_soak_finds_no_wrong_bytes_no_undocumented_error_and_no_leak(target: RunningTarget) -> None:
    summary = run_soak(target.endpoint, seconds=3, seed=7, readers=4, writers=2)
    assert summary.ok, summary.render()
    assert summary.faults_injected > 0, summary.render()
    assert summary.bytes_verified > 0, summary.render()
    assert summary.operations["read"] > 0, summary.render()
    assert summary.operations["write"] > 0, summary.render()

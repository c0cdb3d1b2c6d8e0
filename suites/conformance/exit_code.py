"""The exit code of a finished ``s3conf conformance`` run, decided from its results document alone.

Kept apart from :mod:`suites.conformance.cli` (which re-exports it) so the decision is one small pure
function: the conformance tests drive it with literal documents and ``nox -s mutation`` mutates it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from suites.conformance.report import in_headline

__all__ = ["EXECUTED", "exit_status"]

#: Outcomes that mean a check really ran against the store.
EXECUTED = ("pass", "fail", "xfail", "xpass", "error")


def exit_status(document: Mapping[str, Any], named_targets: Sequence[str]) -> tuple[int, list[str]]:
    """The exit code of a finished run and the reasons for it (printed one per line).

    2 when a target named on the command line executed no check, or no check executed at all; else 1
    when any headline check (see :func:`suites.conformance.report.in_headline`) failed or errored, a
    listed expectation passed (stale: the entry must go) or a bucket was left behind; else 0. Computed
    from the results themselves, not the summary counts.
    """
    results: list[Mapping[str, Any]] = list(document.get("results", []))
    ran: dict[str, int] = {}
    skip_reasons: dict[str, str] = {}
    for result in results:
        target = str(result["target"])
        ran[target] = ran.get(target, 0) + (result["outcome"] in EXECUTED)
        if result["outcome"] == "skip" and result.get("reason"):
            skip_reasons.setdefault(target, str(result["reason"]))
    usage = [
        f"target {name!r} was named but ran no check: {skip_reasons.get(name, 'none was selected')}"
        for name in named_targets
        if not ran.get(name)
    ]
    if usage:
        return 2, usage
    if not any(ran.values()):
        reasons = "; ".join(f"{t}: {r}" for t, r in sorted(skip_reasons.items()))
        return 2, ["no check was executed" + (f" ({reasons})" if reasons else "")]

    checks: Mapping[str, Any] = document.get("checks", {})

    def ids(outcome: str) -> list[str]:
        """Headline results only: a check whose answer AWS neither documents nor showed never fails a run."""
        return sorted(
            f"{r['target']}:{r['check']}"
            for r in results
            if r["outcome"] == outcome and in_headline(checks.get(str(r["check"]), {}))
        )

    problems = []
    if failed := ids("fail"):
        shown = ", ".join(failed[:10]) + (", ..." if len(failed) > 10 else "")
        problems.append(f"{len(failed)} check(s) failed that expectations.toml does not list: {shown}")
    if errors := ids("error"):
        problems.append(f"{len(errors)} check(s) errored: {', '.join(errors)}")
    if stale := ids("xpass"):
        problems.append(
            f"{len(stale)} stale expectation(s), listed in expectations.toml but passed: {', '.join(stale)}"
        )
    if leftovers := list(document.get("leftover_buckets") or []):
        problems.append(f"bucket(s) left behind on the store: {', '.join(leftovers)}")
    return (1 if problems else 0), problems

"""pytest plugin of the conformance run: options, and the collector that writes ``results.json``.

Loaded with ``-p suites.conformance.plugin`` (``s3conf conformance`` does this). Without it, a plain
``pytest`` run executes the whole catalog on the local process targets only (see ``conftest.py``).

Options:
    ``--conformance``: run the whole catalog on every selected target (env ``S3CONF_CONFORMANCE=1``).
    ``--check PATTERN``: only checks whose id matches the glob (repeatable), e.g. ``range.*``.
    ``--exclude PATTERN``: leave out checks whose id matches the glob (repeatable).
    ``--not-offered FILE``: a declaration of what the store does not offer (see ``not_offered.py``);
    those checks are reported as ``n/a`` (not applicable) with the declared reason instead of running.
    ``--conformance-results PATH``: write the results JSON (schema: ``results.schema.json``).
    ``--conformance-command TEXT``: the command line to record in the results (already redacted).
"""

from __future__ import annotations

import fnmatch
import json
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from s3conf import __version__
from suites.conformance.catalog import Check, all_checks
from suites.conformance.not_offered import NotOffered, load_not_offered
from suites.conformance.report import summarize

SCHEMA_VERSION = 1
TARGETS_KEY = pytest.StashKey[dict[str, dict[str, Any]]]()
LEFTOVERS_KEY = pytest.StashKey[list[str]]()
RESULTS_PLUGIN = "s3conf-conformance-results"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("s3conf-conformance", "s3conf conformance catalog")
    group.addoption(
        "--conformance", action="store_true", help="run the full catalog on every selected target"
    )
    group.addoption(
        "--check", action="append", default=[], metavar="PATTERN", help="only checks matching this glob"
    )
    group.addoption(
        "--exclude", action="append", default=[], metavar="PATTERN", help="leave out checks matching glob"
    )
    group.addoption(
        "--not-offered",
        metavar="FILE",
        help="TOML declaring what the store does not offer; those checks are reported not applicable",
    )
    group.addoption("--conformance-results", metavar="PATH", help="write results JSON here")
    group.addoption("--conformance-command", metavar="TEXT", help="command line recorded in the results")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "conformance: the conformance catalog (the tests run it on moto, seaweedfs and rclone)",
    )
    path = config.getoption("--conformance-results", default=None)
    if path:
        command = config.getoption("--conformance-command", default=None) or "pytest"
        config.pluginmanager.register(ResultsCollector(config, Path(path), command), RESULTS_PLUGIN)


def collecting_results(config: pytest.Config) -> bool:
    """Whether this run writes the results JSON (``s3conf conformance``): its leftovers set the exit code."""
    return config.pluginmanager.has_plugin(RESULTS_PLUGIN)


NOT_OFFERED_KEY = pytest.StashKey[NotOffered]()


def _not_offered(config: pytest.Config) -> NotOffered:
    if NOT_OFFERED_KEY not in config.stash:
        path = config.getoption("--not-offered", default=None)
        try:
            table = load_not_offered(Path(path), [c.id for c in all_checks()]) if path else NotOffered()
        except (OSError, ValueError) as error:
            raise pytest.UsageError(f"--not-offered: {error}") from None
        config.stash[NOT_OFFERED_KEY] = table
    return config.stash[NOT_OFFERED_KEY]


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """After the catalog's own selection (``conftest.py``): ``--exclude``, then ``--not-offered``."""
    excludes: list[str] = list(config.getoption("--exclude", default=None) or [])
    declared = _not_offered(config)
    kept, deselected = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        check = callspec.params.get("check") if callspec is not None else None
        if not isinstance(check, Check):
            kept.append(item)
            continue
        if any(fnmatch.fnmatchcase(check.id, pattern) for pattern in excludes):
            deselected.append(item)
            continue
        reason = declared.reason(check.id, check.requires)
        if reason is not None:
            item.user_properties.append(("s3conf_not_applicable", reason))
            item.add_marker(pytest.mark.skip(reason=f"not applicable: {reason}"))
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def _property(report: pytest.TestReport, name: str) -> str | None:
    for key, value in report.user_properties:
        if key == name:
            return str(value)
    return None


def _message(report: pytest.TestReport) -> str:
    """One line saying why a test did not pass: the exception message, not the traceback."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).strip()
    return str(longrepr).strip().splitlines()[-1] if longrepr else ""


class ResultsCollector:
    """Turns test reports into one result per (target, check) and writes the results JSON."""

    def __init__(self, config: pytest.Config, path: Path, command: str) -> None:
        self.config = config
        self.path = path
        self.command = command
        self.results: dict[str, dict[str, Any]] = {}
        self.started = datetime.now(UTC)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        check_id = _property(report, "s3conf_check")
        target = _property(report, "s3conf_target")
        if check_id is None or target is None:
            return
        result = self.results.setdefault(
            report.nodeid,
            {
                "target": target,
                "check": check_id,
                "outcome": "pass",
                "reason": None,
                "expected_failure": None,
                "duration": 0.0,
            },
        )
        result["duration"] = round(result["duration"] + report.duration, 4)
        xfail_reason = _property(report, "s3conf_expected_failure")
        result["expected_failure"] = xfail_reason
        not_applicable = _property(report, "s3conf_not_applicable")
        if not_applicable is not None and report.skipped:
            result["outcome"], result["reason"] = "n/a", f"not applicable: {not_applicable}"
        elif report.when == "call":
            if hasattr(report, "wasxfail") and report.skipped:
                result["outcome"], result["reason"] = "xfail", _message(report)
            elif report.failed and str(report.longrepr).startswith("[XPASS(strict)]"):
                result["outcome"], result["reason"] = (
                    "xpass",
                    "passed, but the expectations table says it fails",
                )
            elif report.failed:
                result["outcome"], result["reason"] = "fail", _message(report)
            elif report.skipped:
                result["outcome"], result["reason"] = "skip", _message(report)
        elif report.skipped:
            result["outcome"], result["reason"] = "skip", _message(report)
        elif report.failed:
            result["outcome"], result["reason"] = "error", f"{report.when}: {_message(report)}"

    def document(self) -> dict[str, Any]:
        """The results JSON document (see ``results.schema.json``)."""
        results = sorted(self.results.values(), key=lambda r: (r["target"], r["check"]))
        used = {r["check"] for r in results}
        checks = {c.id: c.describe() for c in all_checks() if c.id in used}
        summary, undocumented = summarize(results, checks)
        targets: dict[str, dict[str, Any]] = dict(self.config.stash.get(TARGETS_KEY, {}))  # type: ignore[arg-type]
        for name in summary:
            targets.setdefault(
                name, {"endpoint": None, "version": None, "launch_flags": [], "capabilities": {}}
            )
        return {
            "schema_version": SCHEMA_VERSION,
            "s3conf_version": __version__,
            "created": self.started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "finished": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "command": self.command,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "targets": targets,
            "checks": checks,
            "results": results,
            "summary": summary,
            "undocumented_summary": undocumented,
            "leftover_buckets": list(self.config.stash.get(LEFTOVERS_KEY, [])),  # type: ignore[arg-type]
        }

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(
            json.dumps(self.document(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )


OUTCOMES = ("pass", "fail", "xfail", "xpass", "skip", "n/a", "error")

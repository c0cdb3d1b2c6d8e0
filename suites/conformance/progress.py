"""The progress bar of ``s3conf conformance``: replaces pytest's terminal output while the catalog runs."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

_SHORT = {"passed": "pass", "failed": "fail", "skipped": "skip"}


class RichProgress:
    """Replaces pytest's terminal output with a progress bar and per-outcome counts."""

    def __init__(self, console: Console, enabled: bool) -> None:
        self.console = console
        self.enabled = enabled
        self.counts: dict[str, int] = {}
        self.progress = Progress(
            TextColumn("[bold]conformance"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            console=console,
            disable=not enabled,
        )
        self.task = self.progress.add_task("checks", total=None, counts="")
        self.messages: list[str] = []

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            config.pluginmanager.unregister(reporter)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.progress.update(self.task, total=len(session.items))
        self.progress.start()

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.messages.append(f"collection error in {report.nodeid}: {report.longreprtext}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        outcome: str | None = None
        if report.when == "call":
            outcome = "xfail" if hasattr(report, "wasxfail") else _SHORT.get(report.outcome, report.outcome)
        elif report.when == "setup" and not report.passed:
            outcome = "skip" if report.skipped else "error"
            if report.skipped and any(k == "s3conf_not_applicable" for k, _ in report.user_properties):
                outcome = "n/a"
        if outcome is not None:
            self.counts[outcome] = self.counts.get(outcome, 0) + 1
            text = " ".join(f"{k}:{v}" for k, v in sorted(self.counts.items()))
            self.progress.update(self.task, counts=text)
        if report.when == "teardown":
            self.progress.advance(self.task)

    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        message = getattr(excinfo.value, "msg", None) or str(excinfo.value)
        self.messages.append(str(message))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self.progress.stop()

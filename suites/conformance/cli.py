"""``s3conf conformance`` (run the catalog, write the reports) and ``s3conf report conformance``.

A run is an in-process pytest session over ``suites.conformance.test_catalog`` with the targets
plugin and the results plugin; pytest's own terminal output is replaced by a rich progress bar. The
results JSON is the source of truth; the Markdown/HTML reports are rendered from it, and every
report file is scrubbed of the run's credentials before the command returns.

Exit codes: 0 all checks as expected, 1 new failures or stale expectations, 2 usage or target
error, 3 the endpoint rejected the credentials (nothing else was run).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from s3conf.endpoint import Endpoint
from s3conf.errors import S3ConfError
from s3conf.redaction import redact
from suites.conformance.context import AUTH_ERROR_CODES, AUTH_EXIT_CODE, error_of, make_conformance_client
from suites.conformance.report import load_results, render_diff, render_html, render_markdown

DEFAULT_OUTPUT = Path("reports/conformance")
# Targets run when none is named: everything that can run on a developer machine without credentials.
LOCAL_TARGETS = ("moto", "seaweedfs", "rclone", "minio", "localstack")


def register(subparsers: Any) -> None:
    """Add ``s3conf conformance``."""
    parser = subparsers.add_parser(
        "conformance",
        help="run the conformance catalog against S3 targets and write reports",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument("--target", action="append", default=[], metavar="NAME", help="target (repeatable)")
    parser.add_argument(
        "--endpoint", metavar="URL", help="an external S3 endpoint to test (target 'external')"
    )
    parser.add_argument("--access-key", metavar="KEY")
    parser.add_argument("--secret-key", metavar="SECRET")
    parser.add_argument("--region", metavar="REGION", default=None)
    parser.add_argument(
        "--bucket-prefix", metavar="PREFIX", help="name every created bucket with this prefix"
    )
    parser.add_argument(
        "--check", action="append", default=[], metavar="PATTERN", help="only checks matching glob"
    )
    parser.add_argument(
        "--output-dir", type=Path, default=DEFAULT_OUTPUT, help="reports go to DIR/<timestamp>/"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, CI)")
    parser.set_defaults(func=run_conformance)


def register_report(report_subparsers: Any) -> None:
    """Add ``s3conf report conformance``: re-render a saved run, or diff two."""
    parser = report_subparsers.add_parser("conformance", help="re-render or diff saved conformance results")
    parser.add_argument("results", nargs="?", type=Path, help="results.json to render into report.md/html")
    parser.add_argument(
        "--diff", nargs=2, type=Path, metavar=("OLD", "NEW"), help="print checks that changed"
    )
    parser.set_defaults(func=run_report)


def _secrets(args: argparse.Namespace) -> list[str]:
    return [value for value in (args.secret_key, args.access_key) if value]


def _command(argv: list[str], secrets: list[str]) -> str:
    return redact(shlex.join(["s3conf", "conformance", *argv]), secrets)


def probe_endpoint(endpoint: Endpoint) -> tuple[int, str] | None:
    """One authenticated call (ListBuckets). ``None`` when it works, else (exit code, message).

    The message names the endpoint and the error, never the secret.
    """
    try:
        make_conformance_client(endpoint).list_buckets()
    except ClientError as error:
        status, code = error_of(error)
        if code in AUTH_ERROR_CODES or status in (401, 403):
            return AUTH_EXIT_CODE, (
                f"authentication failed against {endpoint.url}: {status} {code}; "
                "check --access-key and --secret-key (nothing was run)"
            )
        return 2, f"{endpoint.url} answered ListBuckets with {status} {code}"
    except BotoCoreError as error:
        return 2, f"cannot reach {endpoint.url}: {error}"
    return None


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


def _pytest_args(args: argparse.Namespace, out: Path, command: str) -> list[str]:
    pytest_args = [
        "--pyargs",
        "suites.conformance.test_catalog",
        "-p",
        "emulators.pytest_plugin",
        "-p",
        "suites.conformance.plugin",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:logging",
        "--conformance",
        "--conformance-results",
        str(out / "results.json"),
        "--conformance-command",
        command,
        "--junitxml",
        str(out / "junit.xml"),
        "-o",
        "junit_suite_name=s3conf-conformance",
        "-o",
        "xfail_strict=true",
    ]
    targets = list(args.target) or (["external"] if args.endpoint else list(LOCAL_TARGETS))
    for name in targets:
        pytest_args += ["--target", name]
    for option, value in (
        ("--endpoint", args.endpoint),
        ("--access-key", args.access_key),
        ("--secret-key", args.secret_key),
        ("--region", args.region),
        ("--bucket-prefix", args.bucket_prefix),
    ):
        if value:
            pytest_args += [option, value]
    for pattern in args.check:
        pytest_args += ["--check", pattern]
    return pytest_args


def run_conformance(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    """Run the catalog and write ``report.md``, ``report.html``, ``results.json``, ``junit.xml``."""
    console = Console(stderr=True)
    secrets = _secrets(args)
    if argv is None:
        argv = sys.argv[2:] if len(sys.argv) > 2 and sys.argv[1] == "conformance" else []
    command = _command(argv, secrets)
    if args.endpoint:
        try:
            endpoint = Endpoint(
                name="external",
                url=args.endpoint,
                region=args.region or "us-east-1",
                access_key=args.access_key,
                secret_key=args.secret_key,
            )
        except S3ConfError as error:
            console.print(f"[red]{redact(str(error), secrets)}")
            return 2
        failure = probe_endpoint(endpoint)
        if failure is not None:
            console.print(f"[red]{redact(failure[1], secrets)}")
            return failure[0]
    out = args.output_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    progress = RichProgress(console, enabled=not args.no_progress)
    code = int(pytest.main(_pytest_args(args, out, command), plugins=[progress]))
    for message in progress.messages:
        console.print(f"[red]{redact(message, secrets)}")
    if code == AUTH_EXIT_CODE:
        return AUTH_EXIT_CODE
    results_path = out / "results.json"
    if not results_path.exists():
        console.print(f"[red]the run produced no results (pytest exit code {code})")
        return 2
    document = load_results(results_path)
    (out / "report.md").write_text(render_markdown(document), encoding="utf-8")
    (out / "report.html").write_text(render_html(document), encoding="utf-8")
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        path.write_text(redact(text, secrets), encoding="utf-8")
    _print_summary(console, document, out)
    bad = sum(counts.get(k, 0) for counts in document["summary"].values() for k in ("fail", "xpass", "error"))
    return 1 if bad else 0


def _print_summary(console: Console, document: dict[str, Any], out: Path) -> None:
    table = Table(title="conformance summary")
    columns = ("pass", "fail", "xfail", "xpass", "skip", "error")
    table.add_column("target")
    for column in columns:
        table.add_column(column, justify="right")
    for target, counts in sorted(document["summary"].items()):
        table.add_row(target, *(str(counts.get(c, 0)) for c in columns))
    console.print(table)
    console.print(f"reports: {out}/report.md, report.html, results.json, junit.xml")


def run_report(args: argparse.Namespace) -> int:
    """``--diff OLD NEW`` prints the changes as Markdown; ``RESULTS`` re-renders the reports beside it."""
    if args.diff:
        old, new = args.diff
        sys.stdout.write(
            render_diff(load_results(old), load_results(new), old_name=str(old), new_name=str(new))
        )
        return 0
    if args.results is None:
        sys.stderr.write("s3conf report conformance: give RESULTS.json or --diff OLD NEW\n")
        return 2
    document = load_results(args.results)
    (args.results.parent / "report.md").write_text(render_markdown(document), encoding="utf-8")
    (args.results.parent / "report.html").write_text(render_html(document), encoding="utf-8")
    sys.stdout.write(f"wrote {args.results.parent / 'report.md'} and report.html\n")
    return 0

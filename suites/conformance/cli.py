"""``s3conf conformance`` (run the catalog, write the reports) and ``s3conf report conformance``.

A run is an in-process pytest session over ``suites.conformance.test_catalog`` with the targets
plugin and the results plugin; pytest's own terminal output is replaced by a rich progress bar. The
results JSON is the source of truth; the Markdown/HTML reports are rendered from it, and every
report file is scrubbed of the run's credentials before the command returns.

Before anything starts, the command refuses what would run nothing: a ``--check``/``--exclude``
selection that matches no check, a target named with ``--target`` (or implied by ``--endpoint``) that
cannot run here, an external target without an endpoint. After the run, a target that was named but
executed no check, or a run that executed none at all, is a usage error too: a vendor's CI must never
go green having tested nothing. The secret key comes from ``--secret-key-file FILE``,
``S3CONF_SECRET_KEY`` or (visible to other users in the process list) ``--secret-key``.

Exit codes (:func:`suites.conformance.exit_code.exit_status`): 0 every check ran as expected
(passes, listed xfails, declared not-applicable); 1 a new failure or error, a stale expectation (a
listed check passed) or a bucket left behind; 2 a usage error, the reason printed (also a named target
that cannot run, or nothing executed); 3 the endpoint rejected the credentials (nothing else was run).
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s3conf.errors import ConfigError, S3ConfError
from s3conf.redaction import redact
from suites.conformance.exit_code import exit_status
from suites.conformance.report import load_results, render_diff, render_html, render_markdown

if TYPE_CHECKING:
    from rich.console import Console

    from s3conf.endpoint import Endpoint
    from suites.conformance.catalog import Check
    from suites.conformance.not_offered import NotOffered

DEFAULT_OUTPUT = Path("reports/conformance")
# Targets run when none is named: everything that can run on a developer machine without credentials.
LOCAL_TARGETS = (
    "moto",
    "seaweedfs",
    "rclone",
    "container:seaweedfs",
    "container:rclone",
    "minio",
    "localstack",
)
SECRET_KEY_ENV = "S3CONF_SECRET_KEY"


def register(subparsers: Any) -> None:
    """Add ``s3conf conformance``."""
    parser = subparsers.add_parser(
        "conformance",
        help="run the conformance catalog against S3 targets and write reports",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
        epilog="Exit codes: 0 as expected, 1 new failures, stale expectations or leftover buckets, "
        "2 usage error or nothing ran (reason printed), 3 credentials rejected.",
    )
    parser.add_argument("--target", action="append", default=[], metavar="NAME", help="target (repeatable)")
    parser.add_argument(
        "--endpoint",
        metavar="URL",
        help="an external S3 endpoint to test (target 'external'; or S3CONF_ENDPOINT)",
    )
    parser.add_argument("--access-key", metavar="KEY", help="access key (or S3CONF_ACCESS_KEY)")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--secret-key-file", type=Path, metavar="FILE", help="read the secret key from FILE (one line)"
    )
    secret.add_argument(
        "--secret-key",
        metavar="SECRET",
        help=f"secret key; visible in the process list, prefer --secret-key-file or {SECRET_KEY_ENV}",
    )
    parser.add_argument("--region", metavar="REGION", default=None)
    parser.add_argument(
        "--bucket-prefix", metavar="PREFIX", help="name every created bucket with this prefix"
    )
    parser.add_argument(
        "--check", action="append", default=[], metavar="PATTERN", help="only checks matching glob"
    )
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="PATTERN", help="leave out checks matching glob"
    )
    parser.add_argument(
        "--not-offered",
        type=Path,
        metavar="FILE",
        help="TOML declaring what the store does not offer; those checks read 'not applicable'",
    )
    parser.add_argument("--list", action="store_true", help="list the selected checks and exit")
    parser.add_argument(
        "--image", action="append", default=[], metavar="TARGET=IMAGE", help="image of a container target"
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


def read_secret_key(args: argparse.Namespace, env: Mapping[str, str]) -> str | None:
    """The secret key from ``--secret-key-file``, ``--secret-key`` or ``S3CONF_SECRET_KEY``, in that order.

    The file holds the secret on its first line (a trailing newline is dropped); an empty file or one
    with more lines is a :class:`ConfigError` that names the file, never its content.
    """
    if args.secret_key_file is not None:
        path = Path(args.secret_key_file)
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) != 1 or not lines[0].strip():
            raise ConfigError(f"--secret-key-file {path}: expected the secret key alone on one line")
        return lines[0].strip()
    if args.secret_key:
        return str(args.secret_key)
    return env.get(SECRET_KEY_ENV) or None


def _secrets(args: argparse.Namespace) -> list[str]:
    return [value for value in (args.secret_key, args.access_key) if value]


def _command(argv: list[str], secrets: list[str]) -> str:
    return redact(shlex.join(["s3conf", "conformance", *argv]), secrets)


def select_checks(checks: Sequence[Check], include: Sequence[str], exclude: Sequence[str]) -> list[Check]:
    """The checks matching any ``include`` glob (all when none) and no ``exclude`` glob."""
    return [
        c
        for c in checks
        if (not include or any(fnmatch.fnmatchcase(c.id, p) for p in include))
        and not any(fnmatch.fnmatchcase(c.id, p) for p in exclude)
    ]


def probe_endpoint(endpoint: Endpoint) -> tuple[int, str] | None:
    """One authenticated call (ListBuckets). ``None`` when it works, else (exit code, message).

    The message names the endpoint and the error, never the secret.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from suites.conformance.context import AUTH_ERROR_CODES, AUTH_EXIT_CODE, error_of, make_conformance_client

    try:
        make_conformance_client(endpoint).list_buckets()
    except ClientError as error:
        status, code = error_of(error)
        if code in AUTH_ERROR_CODES or status in (401, 403):
            return AUTH_EXIT_CODE, (
                f"authentication failed against {endpoint.url}: {status} {code}; "
                "check the access key and secret key (nothing was run)"
            )
        return 2, f"{endpoint.url} answered ListBuckets with {status} {code}"
    except BotoCoreError as error:
        return 2, f"cannot reach {endpoint.url}: {error}"
    return None


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
    for name in args.target or (["external"] if args.endpoint else list(LOCAL_TARGETS)):
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
    for pattern in args.exclude:
        pytest_args += ["--exclude", pattern]
    if args.not_offered is not None:
        pytest_args += ["--not-offered", str(args.not_offered)]
    for image in args.image:
        pytest_args += ["--image", image]
    return pytest_args


def _list_checks(checks: Sequence[Check], declared: NotOffered) -> None:
    width = max((len(c.id) for c in checks), default=0)
    for check in checks:
        reason = declared.reason(check.id, check.requires)
        suffix = f"  [n/a: {reason}]" if reason else ""
        print(f"{check.id:<{width}}  {check.section:<11}  {check.operation}{suffix}")
    print(f"{len(checks)} check(s)", file=sys.stderr)


def _check_named_targets(named: Sequence[str], options: dict[str, Any]) -> str | None:
    """Why a named target cannot run here (the first one), or ``None``: refused before anything starts."""
    from emulators.registry import check_target_names, create_emulator

    check_target_names(list(named), "--target")
    for name in named:
        ok, reason = create_emulator(name, **options).available()
        if not ok:
            return f"target {name!r} cannot run here: {reason}"
    return None


def _resolve_credentials(args: argparse.Namespace, console: Console) -> list[str]:
    """Fill endpoint and keys from the environment and the secret file; return the values to redact."""
    args.endpoint = args.endpoint or os.environ.get("S3CONF_ENDPOINT") or None
    args.access_key = args.access_key or os.environ.get("S3CONF_ACCESS_KEY") or None
    if args.secret_key:
        console.print(
            f"note: --secret-key on the command line is visible in the process list and shell history; "
            f"prefer --secret-key-file FILE or {SECRET_KEY_ENV}",
            markup=False,
            highlight=False,
        )
    args.secret_key = read_secret_key(args, os.environ)
    return _secrets(args)


def _write_reports(out: Path, secrets: list[str]) -> dict[str, Any]:
    """Render report.md/html from results.json, scrub every file of the secrets, return the results."""
    document = load_results(out / "results.json")
    (out / "report.md").write_text(render_markdown(document), encoding="utf-8")
    (out / "report.html").write_text(render_html(document), encoding="utf-8")
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        path.write_text(redact(text, secrets), encoding="utf-8")
    return document


def run_conformance(args: argparse.Namespace, argv: list[str] | None = None) -> int:
    """Run the catalog and write ``report.md``, ``report.html``, ``results.json``, ``junit.xml``."""
    from suites.conformance.catalog import all_checks
    from suites.conformance.not_offered import NotOffered, load_not_offered

    checks = all_checks()
    selected = select_checks(checks, args.check, args.exclude)
    if not selected:
        given = " ".join(
            [*(f"--check {p!r}" for p in args.check), *(f"--exclude {p!r}" for p in args.exclude)]
        )
        raise ConfigError(f"no check matches {given}; `s3conf conformance --list` shows the ids")
    declared = (
        load_not_offered(args.not_offered, [c.id for c in checks]) if args.not_offered else NotOffered()
    )
    if args.list:
        _list_checks(selected, declared)
        return 0

    import pytest
    from rich.console import Console

    from emulators.registry import options_from_env
    from s3conf.endpoint import Endpoint
    from suites.conformance.context import AUTH_EXIT_CODE
    from suites.conformance.progress import RichProgress

    console = Console(stderr=True)
    secrets = _resolve_credentials(args, console)
    if argv is None:
        argv = sys.argv[2:] if len(sys.argv) > 2 and sys.argv[1] == "conformance" else []
    command = _command(argv, secrets)
    named = list(dict.fromkeys(args.target or (["external"] if args.endpoint else [])))
    options = options_from_env(
        os.environ,
        endpoint=args.endpoint,
        access_key=args.access_key,
        secret_key=args.secret_key,
        region=args.region,
        bucket_prefix=args.bucket_prefix,
    )
    refusal = _check_named_targets(named, options)
    if refusal is not None:  # launchers' availability reasons never hold a credential
        raise ConfigError(refusal)
    if args.endpoint and "external" in (args.target or ["external"]):
        try:
            endpoint = Endpoint(
                name="external",
                url=args.endpoint,
                region=args.region or "us-east-1",
                access_key=args.access_key,
                secret_key=args.secret_key,
            )
        except S3ConfError as error:
            raise ConfigError(redact(str(error), secrets)) from None
        failure = probe_endpoint(endpoint)
        if failure is not None:
            console.print(redact(failure[1], secrets), style="red", markup=False, highlight=False)
            return failure[0]
    out = args.output_dir / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out.mkdir(parents=True, exist_ok=True)
    progress = RichProgress(console, enabled=not args.no_progress)
    code = int(pytest.main(_pytest_args(args, out, command), plugins=[progress]))
    for message in progress.messages:
        console.print(redact(message, secrets), style="red", markup=False, highlight=False)
    if code == AUTH_EXIT_CODE:
        return AUTH_EXIT_CODE
    results_path = out / "results.json"
    if not results_path.exists():
        console.print(f"the run produced no results (pytest exit code {code})", style="red", markup=False)
        return 2
    document = _write_reports(out, secrets)
    _print_summary(console, document, out)
    status, reasons = exit_status(document, named)
    for reason in reasons:
        console.print(f"s3conf conformance: {redact(reason, secrets)}", markup=False, highlight=False)
    return status


def _print_summary(console: Console, document: dict[str, Any], out: Path) -> None:
    from rich.table import Table

    table = Table(title="conformance summary")
    columns = ("pass", "fail", "xfail", "xpass", "skip", "n/a", "error")
    table.add_column("target")
    for column in columns:
        table.add_column(column, justify="right")
    for target, counts in sorted(document["summary"].items()):
        table.add_row(target, *(str(counts.get(c, 0)) for c in columns))
    console.print(table)
    skipped = {
        r["target"]: r["reason"] for r in document["results"] if r["outcome"] == "skip" and r["reason"]
    }
    for target, reason in sorted(skipped.items()):
        console.print(f"{target}: skipped: {reason}", markup=False, highlight=False)
    console.print(f"reports: {out}/report.md, report.html, results.json, junit.xml", markup=False)


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

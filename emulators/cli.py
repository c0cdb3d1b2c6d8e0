"""``s3conf targets``: which S3 targets can run here, why not, and (with ``--start``) their versions.

The same availability checks the pytest plugin uses for its skip reasons, so what this prints is
exactly what a test run will do.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from emulators.registry import TARGET_NAMES, check_target_names, create_emulator, options_from_env
from s3conf.errors import S3ConfError


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``targets`` subcommand."""
    parser = subparsers.add_parser(
        "targets",
        help="list S3 targets, whether they can run here and why not",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--target",
        action="append",
        metavar="NAME",
        help=f"only this target (repeatable; known: {', '.join(TARGET_NAMES)})",
    )
    parser.add_argument(
        "--start", action="store_true", help="start each available target and show its version"
    )
    parser.add_argument("--endpoint", help="URL of the external target")
    parser.add_argument("--access-key", help="access key of the external target")
    parser.add_argument("--secret-key", help="secret key of the external target")
    parser.add_argument("--region", help="region (external, aws)")
    parser.add_argument("--bucket-prefix", help="bucket name prefix (external)")
    parser.set_defaults(func=run_targets)


def run_targets(args: argparse.Namespace, console: Console | None = None) -> int:
    """Print one row per target; exit 1 if a target that is available fails to start, else 0."""
    out = console or Console()
    try:
        names = check_target_names(list(args.target), "--target") if args.target else list(TARGET_NAMES)
    except S3ConfError as error:
        out.print(f"error: {error}", markup=False, highlight=False)
        return 2
    options = options_from_env(
        os.environ,
        endpoint=args.endpoint,
        access_key=args.access_key,
        secret_key=args.secret_key,
        region=args.region,
        bucket_prefix=args.bucket_prefix,
    )
    table = Table(title="s3conf targets")
    for column in ("target", "available", "details", "version"):
        table.add_column(column)
    status = 0
    for name in names:
        row, failed = _describe(name, options, start=args.start)
        status = 1 if failed else status
        table.add_row(*(escape(cell) for cell in row))
    out.print(table)
    return status


def _describe(name: str, options: dict[str, Any], *, start: bool) -> tuple[tuple[str, str, str, str], bool]:
    try:
        emulator = create_emulator(name, **options)
    except S3ConfError as error:
        return (name, "no", str(error), ""), False
    ok, reason = emulator.available()
    if not ok:
        return (name, "no", reason, ""), False
    if not start:
        return (name, "yes", reason, "(use --start)"), False
    try:
        with emulator as endpoint:
            return (name, "yes", f"started at {endpoint.url}", endpoint.version or "unknown"), False
    except S3ConfError as error:
        return (name, "yes", f"failed to start: {error}", ""), True

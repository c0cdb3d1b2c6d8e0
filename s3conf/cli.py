"""The ``s3conf`` command.

Subcommands live beside the code they drive (``emulators.cli``, ``suites.conformance.cli``,
``suites.bench.cli``); each such module exposes ``register(subparsers)`` and, for saved-result
reports, ``register_report(report_subparsers)``. This module only assembles them, so the library
layers never import the suites.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from s3conf import __version__

# Modules that add subcommands; each imports its heavy dependencies lazily, so `s3conf --help` stays
# fast and works on a core install. The order is the order of `s3conf --help`.
COMMAND_MODULES = ("s3conf.config_cli", "emulators.cli", "suites.conformance.cli", "suites.bench.cli")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by the CLI tests)."""
    parser = argparse.ArgumentParser(
        prog="s3conf",
        description="S3 conformance checks, read-ahead benchmarks and the settings of the s3conf library.",
    )
    parser.add_argument("--version", action="version", version=f"s3conf {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = [importlib.import_module(name) for name in COMMAND_MODULES]
    for module in modules:
        register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] | None
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    report = subparsers.add_parser("report", help="rebuild reports from saved results (bench, conformance)")
    report_subparsers = report.add_subparsers(dest="report_kind", metavar="KIND", required=True)
    for module in modules:
        register_report = getattr(module, "register_report", None)
        if register_report is not None:
            register_report(report_subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``s3conf`` script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    return func(args)


if __name__ == "__main__":
    sys.exit(main())

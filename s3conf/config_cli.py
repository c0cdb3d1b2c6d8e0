"""``s3conf config``: show every setting, its effective value and where it came from.

Layered configuration is only trustworthy when you can see which layer won, so the command prints the
resolved :class:`~s3conf.config.S3Config` with the provenance of each value (``default``, ``explicit``,
``override`` or ``env:NAME``). ``--set KEY=VALUE`` adds explicit values, exactly as a program passing a
mapping to :meth:`S3Config.resolve` would; ``--json`` is for scripts. Secrets print as ``***``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from s3conf.config import S3Config, is_known_key, spec_for
from s3conf.errors import ConfigError
from s3conf.redaction import shown
from s3conf.values import format_size


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``config`` subcommand to the ``s3conf`` parser."""
    parser = subparsers.add_parser(
        "config",
        help="show the effective configuration and where each value came from",
        description=__doc__.splitlines()[0] if __doc__ else None,
    )
    parser.add_argument(
        "--set",
        dest="settings",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an explicit setting (repeatable); aliases such as fs.s3a.endpoint are accepted",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def _parse_settings(settings: list[str]) -> dict[str, str]:
    explicit: dict[str, str] = {}
    for setting in settings:
        key, sep, value = setting.partition("=")
        key = key.strip()
        if not sep or not key:
            # Never echo the text: it may be a secret typed without its key.
            raise ConfigError("--set expects KEY=VALUE (no '=' found in the argument)")
        explicit[key] = value
    return explicit


def _shown(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if spec_for(key).is_size and isinstance(value, int) and format_size(value) != str(value):
        return f"{value} ({format_size(value)})"
    return str(value)


def run(args: argparse.Namespace) -> int:
    """Resolve the configuration (``--set`` values > overrides > environment > defaults) and print it."""
    try:
        explicit = _parse_settings(args.settings)
        config = S3Config.resolve(explicit)
    except ConfigError as error:
        print(f"s3conf config: {error}", file=sys.stderr)
        return 2
    for key in explicit:
        if not is_known_key(key):
            print(f"s3conf config: note: {shown(key)} is not an s3conf key; ignored", file=sys.stderr)
    rows = config.describe()
    if args.json:
        document = {key: {"value": value, "source": source} for key, value, source in rows}
        print(json.dumps(document, indent=2))
        return 0
    key_width = max(len(key) for key, _, _ in rows)
    displayed = [(key, _shown(key, value), source) for key, value, source in rows]
    value_width = max(len(value) for _, value, _ in displayed)
    for key, value, source in displayed:
        print(f"{key:<{key_width}}  {value:<{value_width}}  {source}".rstrip())
    return 0

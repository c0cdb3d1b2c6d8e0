"""What every standalone bench workload (``write``, ``many-small``) does around its measurement.

These workloads are not fragment sweeps, so they do not go through the sweep runner; they still pick
contenders the same way, print the command that reproduces them, start the target the same way and
record the same run header. Keeping that here means a fix to one (say, how a named target that cannot
run is reported) reaches all of them.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from emulators.base import Emulator
from s3conf.errors import ConfigError


def chosen_contenders(
    peers: str | None, known: Sequence[str], baseline: str, workload: str
) -> tuple[str, ...]:
    """The contenders to run: all of ``known``, or the baseline plus the ``--peers`` the user named.

    An unknown name is a ``ConfigError`` naming it and the known ones, never silently dropped.
    """
    if not peers:
        return tuple(known)
    wanted = [name.strip() for name in peers.split(",") if name.strip()]
    for name in wanted:
        if name not in known:
            raise ConfigError(f"--peers: unknown {workload} contender {name!r}; known: {', '.join(known)}")
    return tuple(dict.fromkeys([baseline, *wanted]))


def available_target(args: argparse.Namespace) -> Emulator | None:
    """The emulator for ``--target``, or ``None`` after printing why it cannot run here (exit 2)."""
    from emulators.registry import create_emulator, options_from_env

    options = options_from_env(
        os.environ, endpoint=args.endpoint, access_key=args.access_key, secret_key=args.secret_key
    )
    emulator = create_emulator(args.target, **options)
    ok, reason = emulator.available()
    if not ok:
        print(f"target {args.target} is not available here: {reason}")
        return None
    return emulator


def now() -> str:
    """UTC now, to the second, as the run header records it."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def run_header(
    args: argparse.Namespace, command: str, target_version: str | None, machine: dict[str, Any], started: str
) -> dict[str, Any]:
    """The fields every standalone run records: command, target, machine, commit, times and notes."""
    from suites.bench.runner import source_commit

    commit = source_commit()
    return {
        "command": command,
        "target": args.target,
        "target_version": target_version,
        "machine": f"{machine['system']} {machine['machine']}, {machine['cpu']['count']} CPUs, "
        f"Python {machine['python_version']}, load average at start {machine.get('loadavg_at_start')}",
        "commit": str(commit.get("id", "unknown"))[:12]
        + (" with local changes" if commit.get("dirty") else ""),
        "started": started,
        "finished": now(),
        "notes": list(args.note or ()),
    }


def save_run(
    out_dir: Path,
    stem: str,
    document: dict[str, Any],
    render: Callable[[dict[str, Any]], str],
    *,
    echo_report: bool = False,
) -> None:
    """Write ``<stem>-results.json`` and ``<stem>.md`` under ``out_dir`` and say where they are."""
    out_dir.mkdir(parents=True, exist_ok=True)
    results = out_dir / f"{stem}-results.json"
    report_path = out_dir / f"{stem}.md"
    results.write_text(json.dumps(document, indent=2) + "\n")
    report = render(document)
    report_path.write_text(report)
    if echo_report:
        print(report)
    print(f"results: {results}\nreport: {report_path}")

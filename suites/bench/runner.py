"""The sweep: objects in a fresh bucket, then repeats of every (workload, contender) in shuffled order.

Within each repeat, every contender (each reader grid cell, the limit, the peers) replays every
workload once, in an order shuffled by a seeded generator (the seed is recorded), so slow drifts of a
shared machine spread over all contenders instead of favouring whoever ran first. Each object is read
once before measuring: the store keeps objects on local disk, so otherwise the first contender would
pay for the page cache. A contender that fails is recorded as skipped with the error and not run
again; the sweep goes on.
"""

from __future__ import annotations

import datetime
import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s3conf.endpoint import Endpoint
from s3conf.errors import S3ConfError
from suites.bench.contenders import BenchObject, Contender, LimitGet, ReaderContender, limit_contenders
from suites.bench.peers import available_peers, peer_versions
from suites.bench.results import RunInfo, Sample, Skipped, machine_info
from suites.bench.workloads import Workload, requested_bytes

KiB = 1024
MiB = 1024 * KiB
UPLOAD_BLOCK = 1 * MiB


@dataclass(frozen=True)
class SweepSpec:
    """What to measure: workloads with their object sizes, the S × N grid, limits, peers, repeats."""

    workloads: list[Workload]
    object_sizes: dict[str, int]
    fragment_sizes: tuple[int, ...]
    fragment_numbers: tuple[int, ...]
    limit_concurrencies: tuple[int, ...]
    peers: list[str]
    repeats: int
    seed: int
    notes: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class TargetInfo:
    """The running store: endpoint, name, version, launch flags and capabilities (for cleanup)."""

    name: str
    endpoint: Endpoint
    version: str | None = None
    flags: tuple[str, ...] = ()
    capabilities: Any = None


Progress = Callable[[str], None]


def source_commit() -> dict[str, Any]:
    """The git commit of this checkout and whether it has local changes (``{}`` outside git)."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    return {"id": commit, "dirty": bool(status.strip())}


def object_data(size: int, seed: int) -> bytes:
    """``size`` bytes of seeded pseudo-random data (a repeated random 1 MiB block: not compressible)."""
    block = random.Random(seed).randbytes(min(size, UPLOAD_BLOCK))
    return (block * (size // len(block) + 1))[:size]


def upload_objects(client: Any, bucket: str, sizes: set[int], seed: int) -> dict[int, BenchObject]:
    """One object per distinct size, keyed ``bench/<size>.bin``."""
    objects = {}
    for size in sorted(sizes):
        key = f"bench/{size}.bin"
        client.put_object(Bucket=bucket, Key=key, Body=object_data(size, seed))
        objects[size] = BenchObject(bucket, key, size)
    return objects


def build_contenders(
    target: TargetInfo, bucket: str, spec: SweepSpec, client: Any
) -> tuple[list[Contender], list[Skipped]]:
    """Limits, one reader per grid cell, and the available peers (the rest skipped with reasons)."""
    contenders = limit_contenders(client, spec.limit_concurrencies)
    contenders += [
        ReaderContender(target.endpoint, size, number)
        for size in spec.fragment_sizes
        for number in spec.fragment_numbers
    ]
    peers, skipped = available_peers(spec.peers, target.endpoint, bucket)
    return contenders + peers, skipped


def run_sweep(
    target: TargetInfo,
    spec: SweepSpec,
    command: str,
    *,
    progress: Callable[[int], Progress] | None = None,
) -> tuple[RunInfo, list[Sample], list[Skipped]]:
    """Run the whole sweep against ``target`` in a fresh bucket (deleted afterwards).

    Args:
        target: the running store.
        spec: what to measure.
        command: the command line that reproduces this run, recorded in the results.
        progress: called once with the total number of measurements; returns a callback invoked with
            a short description after each measurement (the CLI wires this to a progress bar).
    """
    from emulators.buckets import create_bucket, delete_bucket, unique_bucket_name
    from s3conf.client import make_client
    from s3conf.config import S3Config

    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    machine = machine_info()
    client = make_client(target.endpoint, S3Config.resolve(env={}))
    bucket = unique_bucket_name("bench-")
    create_bucket(client, bucket, target.endpoint)
    samples: list[Sample] = []
    contenders: list[Contender] = []
    try:
        objects = upload_objects(client, bucket, set(spec.object_sizes.values()), spec.seed)
        for obj in objects.values():
            LimitGet(client).run(obj, ())
        contenders, skipped = build_contenders(target, bucket, spec, client)
        plans = {w.name: w.plan(spec.object_sizes[w.name], spec.seed) for w in spec.workloads}
        pairs = [(w.name, c) for w in spec.workloads for c in contenders]
        tick = progress(spec.repeats * len(pairs)) if progress else None
        failed: set[tuple[str, str]] = set()
        rng = random.Random(spec.seed)
        order = 0
        for repeat in range(spec.repeats):
            shuffled = list(pairs)
            rng.shuffle(shuffled)
            for workload, contender in shuffled:
                if tick:
                    tick(f"repeat {repeat + 1}/{spec.repeats} {workload} {contender.name}")
                if (workload, contender.name) in failed:
                    continue
                obj = objects[spec.object_sizes[workload]]
                try:
                    measured = contender.run(obj, plans[workload])
                except (S3ConfError, OSError, RuntimeError) as error:
                    failed.add((workload, contender.name))
                    reason = f"failed on {workload} in repeat {repeat + 1}: {type(error).__name__}: {error}"
                    skipped.append(Skipped(contender.name, reason))
                    continue
                samples.append(
                    Sample(
                        workload=workload,
                        contender=contender.name,
                        kind=contender.kind,
                        repeat=repeat,
                        order=order,
                        object_size=obj.size,
                        requested_bytes=requested_bytes(plans[workload]),
                        seconds=measured.seconds,
                        ttfb_seconds=measured.ttfb_seconds,
                        cpu_seconds=measured.cpu_seconds,
                        get_requests=measured.get_requests,
                        bytes_fetched=measured.bytes_fetched,
                        bytes_wasted=measured.bytes_wasted,
                        peak_inflight_bytes=measured.peak_inflight_bytes,
                        fragment_size=contender.fragment_size,
                        fragment_number=contender.fragment_number,
                        concurrency=contender.concurrency,
                    )
                )
                order += 1
    finally:
        for contender in contenders:
            contender.close()
        if target.capabilities is not None:
            delete_bucket(client, bucket, target.capabilities)
    versions = ", ".join(f"{name} {version}" for name, version in sorted(peer_versions().items()))
    run = RunInfo(
        command=command,
        target=target.name,
        seed=spec.seed,
        repeats=spec.repeats,
        target_version=target.version,
        target_flags=target.flags,
        object_sizes={w.name: spec.object_sizes[w.name] for w in spec.workloads},
        fragment_sizes=spec.fragment_sizes,
        fragment_numbers=spec.fragment_numbers,
        limit_concurrencies=spec.limit_concurrencies,
        warmed=True,
        started=started,
        finished=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        machine={**machine, "peer_versions": versions, "commit": source_commit()},
        notes=spec.notes,
    )
    return run, samples, skipped

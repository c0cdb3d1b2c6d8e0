"""Bench workload ``write``: uploading one large object from memory, s3conf against the uploaders users pick.

``s3conf bench --workloads write`` writes an object of ``--object-size`` (default 256 MiB) from
memory, in 1 MiB ``write()`` calls where the API has a ``write()``, with each contender at its
defaults:

- ``s3conf:streaming``: :class:`~s3conf.writer.S3Writer` (parts upload while the caller writes);
- ``s3conf:spooled``: the same with ``s3.spi.write.spool=true`` (temp file, upload at ``close()``);
- ``boto3:upload_fileobj``: boto3's transfer manager (``TransferConfig()`` defaults) reading a
  ``BytesIO`` over the same bytes (it has no ``write()``);
- ``s3fs:write``: ``s3fs.S3FileSystem().open(path, "wb")`` and 1 MiB writes (default block size);
- ``obstore:put``: ``obstore.put`` of an iterator of 1 MiB chunks (its multipart defaults).

Then ``to_parquet`` of one pandas frame through ``s3x://`` (s3conf's fsspec) and through s3fs.

Every repeat runs every contender once, in an order shuffled by the seeded generator, so the drift of
a shared machine spreads over all of them; the figures that matter are **paired ratios** (a
contender's seconds over the streaming writer's seconds in the same repeat: above 1 means the
streaming writer was faster). Clients, file-system objects and stores are built before the clock; the
clock covers opening, every write and ``close()`` (the object is complete when it stops). CPU is the
whole process's (every thread, including obstore's Rust runtime) per GiB uploaded. Each upload's size
is checked by HEAD and the object deleted outside the clock.

The server's CPU over the same interval is recorded too (``server_cpu_seconds``, from
``/proc/PID/stat`` of the target's processes; ``None`` for in-process moto, whose work lands in the
client's CPU, and off Linux). On a local target it answers whether the server is the bottleneck: when
it spends many times the client's CPU per GiB, every contender is capped by it and the paired
ratios say little beyond each client's own CPU.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import random
import shlex
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from s3conf.endpoint import Endpoint
from s3conf.errors import ConfigError
from s3conf.values import format_size, parse_size
from suites.bench.standalone import available_target, chosen_contenders, now, run_header, save_run
from suites.bench.wire_tap import WireTap, wire_facts

MiB = 1024 * 1024
GiB = 1024 * MiB
WRITE_CHUNK = 1 * MiB
BASELINE = "s3conf:streaming"
CONTENDER_NAMES = (
    "s3conf:streaming",
    "s3conf:spooled",
    "boto3:upload_fileobj",
    "s3fs:write",
    "obstore:put",
    "pandas:s3x",
    "pandas:s3fs",
)
GOALS = {"boto3:upload_fileobj": 1.0, "obstore:put": 1.0, "s3fs:write": 1.2}
"""Issue 17's bar: the streaming writer's paired speed-up over each of these must reach the value."""


def _secret(endpoint: Endpoint) -> str:
    return endpoint.secret_key.reveal() if endpoint.secret_key is not None else ""


def _chunks(data: bytes) -> Iterator[memoryview]:
    view = memoryview(data)
    for start in range(0, len(view), WRITE_CHUNK):
        yield view[start : start + WRITE_CHUNK]


@dataclass(frozen=True)
class WriteSample:
    """One timed upload."""

    contender: str
    repeat: int
    order: int
    bytes: int
    seconds: float
    cpu_seconds: float
    peak_buffered_bytes: int | None = None
    server_cpu_seconds: float | None = None


def processes_cpu_seconds(pids: tuple[int, ...]) -> float | None:
    """User + system CPU seconds the processes ``pids`` have used so far (Linux), else ``None``."""
    if not pids:
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14, 15 of stat)
    return total


class _Uploads:
    """The contenders, each ``name -> upload(key) -> peak buffered bytes or None``, built once."""

    def __init__(self, endpoint: Endpoint, bucket: str, data: bytes, frame: Any) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.data = data
        self.frame = frame
        self.available: dict[str, Callable[[str], int | None]] = {}
        self.skipped: dict[str, str] = {}
        for name, build in (
            ("s3conf:streaming", lambda: self._s3conf(spool=False)),
            ("s3conf:spooled", lambda: self._s3conf(spool=True)),
            ("boto3:upload_fileobj", self._boto3),
            ("s3fs:write", self._s3fs),
            ("obstore:put", self._obstore),
            ("pandas:s3x", self._pandas_s3x),
            ("pandas:s3fs", self._pandas_s3fs),
        ):
            try:
                self.available[name] = build()
            except ImportError as error:
                self.skipped[name] = f"not installed: {error}"

    def _s3conf(self, *, spool: bool) -> Callable[[str], int | None]:
        from s3conf.client import make_client
        from s3conf.config import S3Config
        from s3conf.writer import S3Writer

        config = S3Config.resolve({"s3.spi.write.spool": spool}, env={})
        client = make_client(self.endpoint, config)

        def upload(key: str) -> int | None:
            writer = S3Writer(client, self.bucket, key, config=config)
            for chunk in _chunks(self.data):
                writer.write(chunk)
            writer.close()
            return writer.stats.buffers.peak_buffered_bytes

        return upload

    def _boto3(self) -> Callable[[str], int | None]:
        from boto3.s3.transfer import TransferConfig

        from emulators.clients import boto3_client

        client = boto3_client(self.endpoint)
        transfer = TransferConfig()

        def upload(key: str) -> int | None:
            client.upload_fileobj(io.BytesIO(self.data), self.bucket, key, Config=transfer)
            return None

        return upload

    def _s3fs_filesystem(self) -> Any:
        import s3fs

        return s3fs.S3FileSystem(
            key=self.endpoint.access_key,
            secret=_secret(self.endpoint),
            client_kwargs={"endpoint_url": self.endpoint.url, "region_name": self.endpoint.region},
            skip_instance_cache=True,
            use_listings_cache=False,
        )

    def _s3fs(self) -> Callable[[str], int | None]:
        fs = self._s3fs_filesystem()

        def upload(key: str) -> int | None:
            with fs.open(f"{self.bucket}/{key}", "wb") as handle:
                for chunk in _chunks(self.data):
                    handle.write(chunk)
            return None

        return upload

    def _obstore(self) -> Callable[[str], int | None]:
        import obstore
        from obstore.store import S3Store

        store = S3Store(
            self.bucket,
            endpoint=self.endpoint.url,
            access_key_id=self.endpoint.access_key,
            secret_access_key=_secret(self.endpoint),
            region=self.endpoint.region,
            virtual_hosted_style_request=not self.endpoint.path_style,
            client_options={"allow_http": True},
        )

        def upload(key: str) -> int | None:
            obstore.put(store, key, _chunks(self.data))
            return None

        return upload

    def _pandas_s3x(self) -> Callable[[str], int | None]:
        from s3conf.config import overrides

        endpoint = self.endpoint
        userinfo = f"{endpoint.access_key}:{_secret(endpoint)}@"

        def upload(key: str) -> int | None:
            with overrides({"s3.spi.endpoint-protocol": endpoint.scheme}):
                self.frame.to_parquet(f"s3x://{userinfo}{endpoint.netloc}/{self.bucket}/{key}")
            return None

        return upload

    def _pandas_s3fs(self) -> Callable[[str], int | None]:
        import s3fs  # noqa: F401 - skip this contender, not fail, when s3fs is missing

        options = {
            "key": self.endpoint.access_key,
            "secret": _secret(self.endpoint),
            "client_kwargs": {"endpoint_url": self.endpoint.url, "region_name": self.endpoint.region},
            "skip_instance_cache": True,
        }

        def upload(key: str) -> int | None:
            self.frame.to_parquet(f"s3://{self.bucket}/{key}", storage_options=options)
            return None

        return upload


def _frame(seed: int, rows: int) -> Any:
    import numpy as np
    import pandas as pd

    generator = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "id": np.arange(rows, dtype=np.int64),
            "value": generator.random(rows),
            "score": generator.normal(size=rows),
            "bucket": generator.integers(0, 1000, size=rows),
        }
    )


def _payload(object_size: int, seed: int) -> bytes:
    """The bytes every contender uploads: one seeded random MiB repeated (incompressible per block)."""
    block = random.Random(seed).randbytes(min(object_size, MiB))
    return (block * (object_size // len(block) + 1))[:object_size]


def observe_wire(
    endpoint: Endpoint, bucket: str, client: Any, *, object_size: int, seed: int, names: tuple[str, ...]
) -> dict[str, dict[str, Any]]:
    """One more upload per contender (not pandas), untimed, through a :class:`WireTap`: what it sends.

    Returns ``contender -> wire_facts`` (operations, part sizes, connections, checksum and signing
    headers). Run after the timed rounds: the tap copies every byte through Python.
    """
    host, _, port = endpoint.netloc.rpartition(":")
    tap = WireTap((host.strip("[]"), int(port)))
    try:
        tapped = dataclasses.replace(endpoint, url=f"{endpoint.scheme}://127.0.0.1:{tap.port}")
        uploads = _Uploads(tapped, bucket, _payload(object_size, seed), None)
        facts: dict[str, dict[str, Any]] = {}
        for name in names:
            if name.startswith("pandas:") or name not in uploads.available:
                continue
            tap.reset()
            key = f"wire/{name.replace(':', '-')}"
            uploads.available[name](key)
            client.delete_object(Bucket=bucket, Key=key)
            facts[name] = wire_facts(tap)
        return facts
    finally:
        tap.close()


def measure(
    endpoint: Endpoint, bucket: str, client: Any, *, object_size: int, repeats: int, seed: int,
    names: tuple[str, ...] = CONTENDER_NAMES, frame_rows: int = 2_000_000,
    progress: Callable[[str], None] | None = None, server_pids: tuple[int, ...] = (),
) -> tuple[list[WriteSample], dict[str, str], int]:  # fmt: skip
    """Run ``repeats`` shuffled rounds; returns samples, skipped contenders and the Parquet size.

    ``server_pids``: the target's processes, whose CPU each sample records (see the module doc).
    """
    data = _payload(object_size, seed)
    uploads = _Uploads(endpoint, bucket, data, _frame(seed, frame_rows))
    chosen = [name for name in names if name in uploads.available]
    rng = random.Random(seed)
    samples: list[WriteSample] = []
    parquet_size = 0
    order = 0
    for repeat in range(repeats):
        shuffled = list(chosen)
        rng.shuffle(shuffled)
        for name in shuffled:
            if progress is not None:
                progress(f"repeat {repeat + 1}/{repeats} {name}")
            key = f"write/{name.replace(':', '-')}-{repeat}"
            server_started = processes_cpu_seconds(server_pids)
            started, cpu_started = time.perf_counter(), time.process_time()
            peak = uploads.available[name](key)
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
            server_ended = processes_cpu_seconds(server_pids)
            server_cpu = (
                server_ended - server_started
                if server_started is not None and server_ended is not None
                else None
            )
            size = int(client.head_object(Bucket=bucket, Key=key)["ContentLength"])
            if name.startswith("pandas:"):
                parquet_size = size
            elif size != object_size:
                raise ConfigError(f"{name} uploaded {size} bytes instead of {object_size}")
            client.delete_object(Bucket=bucket, Key=key)
            samples.append(WriteSample(name, repeat, order, size, seconds, cpu, peak, server_cpu))
            order += 1
    return samples, uploads.skipped, parquet_size


def paired_ratios(samples: list[WriteSample], baseline: str) -> dict[str, list[float]]:
    """Per repeat, each contender's seconds over ``baseline``'s (> 1: the baseline was faster).

    >>> s = [WriteSample("a", 0, 0, 1, 2.0, 0.1), WriteSample("b", 0, 1, 1, 3.0, 0.1)]
    >>> paired_ratios(s, "a")
    {'b': [1.5]}
    """
    base = {s.repeat: s.seconds for s in samples if s.contender == baseline}
    ratios: dict[str, list[float]] = {}
    for sample in samples:
        if sample.contender != baseline and sample.repeat in base:
            ratios.setdefault(sample.contender, []).append(sample.seconds / base[sample.repeat])
    return ratios


def run_write_bench(args: argparse.Namespace) -> int:
    """``s3conf bench --workloads write``: start the target, measure, save JSON and Markdown."""
    from emulators.buckets import create_bucket, delete_bucket, unique_bucket_name
    from emulators.clients import boto3_client
    from suites.bench.build import default_out_dir
    from suites.bench.results import machine_info

    object_size = parse_size(args.object_size) if args.object_size else 256 * MiB
    repeats = args.repeats or 5
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    names = chosen_contenders(args.peers, CONTENDER_NAMES, BASELINE, "write")
    command = [
        "s3conf", "bench", "--target", args.target, "--workloads", "write",
        "--object-size", format_size(object_size), "--repeats", str(repeats),
        "--peers", ",".join(n for n in names if n != BASELINE), "--seed", str(seed),
    ]  # fmt: skip
    emulator = available_target(args)
    if emulator is None:
        return 2
    out_dir = Path(args.out) if args.out else default_out_dir()
    print(f"s3conf bench: {shlex.join(command)}")
    started = now()
    machine = machine_info()
    with emulator as endpoint:
        client = boto3_client(endpoint)
        bucket = unique_bucket_name("bench-write-")
        create_bucket(client, bucket, endpoint)
        try:
            samples, skipped, parquet_size = measure(
                endpoint, bucket, client, object_size=object_size, repeats=repeats, seed=seed,
                names=names, progress=lambda text: print(text, flush=True), server_pids=emulator.pids,
            )  # fmt: skip
            print("one more untimed upload per contender through the wire tap", flush=True)
            wire = observe_wire(endpoint, bucket, client, object_size=object_size, seed=seed, names=names)
        finally:
            delete_bucket(client, bucket, emulator.capabilities)
    document = {
        "run": {
            **run_header(args, shlex.join(command), endpoint.version, machine, started),
            "repeats": repeats,
            "seed": seed,
            "object_size": object_size,
            "frame_rows": 2_000_000,
            "parquet_bytes": parquet_size,
        },
        "samples": [asdict(s) for s in samples],
        "skipped": skipped,
        "wire": wire,
    }
    from suites.bench.write_report import render

    save_run(out_dir, "write", document, render)
    return 0

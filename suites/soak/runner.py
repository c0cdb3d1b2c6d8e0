"""A soak: many readers and writers through the fault proxy under a random fault schedule.

Every operation must end in exactly one of two ways: the exact bytes (a read compared with what was
written; a write read back), or an error of :mod:`s3conf.errors`. Anything else is a finding: wrong
bytes, an exception outside the documented tree, an object that a failed write left with other bytes,
a pending multipart upload, a spool file, or threads and file descriptors that outlive the run.

The schedule is drawn from a seeded random generator (the same seed gives the same fault menu and
order; thread timing still varies). Timeouts are short (read/write 1 s, operation 8 s) so stalls
become timeouts instead of waits. ``nox -s soak`` runs it for a minute against a started target;
``suites/soak/test_soak_slice.py`` runs a few seconds of it in ``nox -s tests``.
"""

from __future__ import annotations

import contextlib
import gc
import io
import os
import random
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulators.buckets import create_bucket, unique_bucket_name
from emulators.clients import boto3_client
from emulators.faultproxy import Fault, FaultProxy, set_header, shift_content_range
from s3conf.client import new_client
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.errors import S3ConfError
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader
from s3conf.writer import S3Writer

KiB = 1024
SOAK_SETTINGS = {
    "s3.spi.timeouts.connect": "2s",
    "s3.spi.timeouts.read": "1s",
    "s3.spi.timeouts.write": "1s",
    "s3.spi.timeouts.operation": "8s",
    "s3.spi.write.multipart-threshold": "96KiB",  # half the writes go up as (one-part) multipart uploads
    "s3.spi.read.max-inflight-bytes": "256KiB",
}


def fault_menu(rng: random.Random) -> list[Callable[[], Fault]]:
    """The faults the schedule draws from, each a fresh one-shot rule."""
    return [
        lambda: Fault(method="GET", reset_after=rng.randrange(0, 4 * KiB)),
        lambda: Fault(method="GET", truncate_body=rng.randrange(0, 4 * KiB)),
        lambda: Fault(method="GET", status=rng.choice([500, 503])),
        lambda: Fault(method="GET", stall=rng.uniform(0.1, 1.5)),
        lambda: Fault(
            method="GET", stall_body_after=rng.randrange(0, 2 * KiB), stall_body=rng.uniform(0.1, 1.5)
        ),
        lambda: Fault(method="GET", ranged=True, rewrite=shift_content_range(rng.choice([-7, 1, 100]))),
        lambda: Fault(
            method="GET", ranged=True, rewrite=shift_content_range(0, total_delta=rng.choice([-1, 1]))
        ),
        lambda: Fault(method="GET", ranged=True, rewrite=set_header("Content-Range", "bytes */1")),
        lambda: Fault(method="GET", ranged=True, full_body=True),
        lambda: Fault(
            method="GET", ranged=True, rewrite=set_header("ETag", '"feedfacefeedfacefeedfacefeedface"')
        ),
        lambda: Fault(method="PUT", status=503),
        lambda: Fault(method="PUT", stall=rng.uniform(0.1, 1.5)),
        lambda: Fault(method="PUT", reset_after=0),
        # CompleteMultipartUpload only: a lost answer to CreateMultipartUpload leaves an upload whose id
        # no client ever learned (an S3 hazard, left to lifecycle rules), which would hide real leaks.
        lambda: Fault(method="POST", path_contains="uploadId=", status=rng.choice([500, 503])),
        lambda: Fault(method="POST", path_contains="uploadId=", stall=rng.uniform(0.1, 1.5)),
    ]


@dataclass
class SoakSummary:
    """What a soak did and found; ``ok`` when nothing was wrong."""

    seconds: float = 0.0
    operations: Counter[str] = field(default_factory=Counter)
    faults_injected: int = 0
    requests: int = 0
    bytes_verified: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    wrong_bytes: int = 0
    undocumented: list[str] = field(default_factory=list)
    leaks: list[str] = field(default_factory=list)
    closed_by_gc: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def ok(self) -> bool:
        return self.wrong_bytes == 0 and not self.undocumented and not self.leaks

    def failure(self, operation: str, error: BaseException) -> None:
        """Count an operation that raised: documented (an ``S3ConfError``) or a finding."""
        with self.lock:
            self.operations[f"{operation} failed"] += 1
            self.errors[f"{type(error).__name__}({getattr(error, 'errno', None)})"] += 1
            if not isinstance(error, S3ConfError):
                self.undocumented.append(
                    f"{operation}: {type(error).__module__}.{type(error).__name__}: {error}"
                )

    def success(self, operation: str, verified: int) -> None:
        with self.lock:
            self.operations[operation] += 1
            self.bytes_verified += verified

    def render(self) -> str:
        lines = [
            f"soak: {self.seconds:.1f} s, {sum(self.operations.values())} operations, "
            f"{self.requests} requests, {self.faults_injected} faults injected, "
            f"{self.bytes_verified} bytes verified",
            "operations: " + ", ".join(f"{k}={v}" for k, v in sorted(self.operations.items())),
            "errors by type: " + (", ".join(f"{k}={v}" for k, v in sorted(self.errors.items())) or "none"),
            f"wrong bytes: {self.wrong_bytes}",
            f"undocumented errors: {len(self.undocumented)}",
            f"leaks: {len(self.leaks)}",
            f"sockets closed only by garbage collection (not leaks): {self.closed_by_gc}",
        ]
        lines += [f"  undocumented: {u}" for u in self.undocumented[:10]]
        lines += [f"  leak: {leak}" for leak in self.leaks]
        return "\n".join(lines)


class _Soak:
    def __init__(self, endpoint: Endpoint, bucket: str, seed: int, spool_dir: Path) -> None:
        self.rng = random.Random(seed)
        self.bucket = bucket
        self.spool_dir = spool_dir
        self.direct = boto3_client(endpoint)
        self.proxy = FaultProxy(endpoint, timeout=10)
        self.config = S3Config.resolve(SOAK_SETTINGS, env={})
        self.client = new_client(self.proxy.endpoint, self.config)
        self.pool = FetchPool(max_workers=8, max_inflight_bytes=self.config.max_inflight_bytes)
        self.summary = SoakSummary()
        self.published: dict[str, bytes] = {}
        self.attempted: dict[str, bytes] = {}
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.menu = fault_menu(random.Random(seed + 1))

    def schedule(self) -> None:
        rng = random.Random(self.rng.random())
        while not self.stop.wait(rng.uniform(0.01, 0.08)):
            self.proxy.add(rng.choice(self.menu)())

    def writer(self, number: int) -> None:
        rng = random.Random(self.rng.random())
        count = 0
        while not self.stop.is_set():
            count += 1
            key = f"w{number}/{count}"
            data = rng.randbytes(rng.choice([0, 1, 5 * KiB, 40 * KiB, 150 * KiB]) + rng.randrange(100))
            with self.lock:
                self.attempted[key] = data
            spool = rng.random() < 0.3
            try:
                with S3Writer(
                    self.client,
                    self.bucket,
                    key,
                    config=self.config,
                    spool=spool,
                    spool_dir=self.spool_dir,
                    pool=self.pool,
                ) as writer:
                    view = memoryview(data)
                    while view:
                        step = rng.randrange(1, 64 * KiB)
                        writer.write(view[:step])
                        view = view[step:]
            except Exception as error:  # every outcome is counted; a foreign type is a finding
                self.summary.failure("write", error)
                continue
            with self.lock:
                self.published[key] = data
            self.summary.success("write", 0)

    def reader(self, number: int) -> None:
        rng = random.Random(self.rng.random())
        while not self.stop.is_set():
            with self.lock:
                keys = sorted(self.published)
            if not keys:
                self.stop.wait(0.01)
                continue
            key = rng.choice(keys)
            data = self.published[key]
            config = self.config.with_values(
                {
                    "s3.spi.read.max-fragment-size": rng.choice([4 * KiB, 16 * KiB, 64 * KiB]),
                    "s3.spi.read.max-fragment-number": rng.choice([1, 2, 4]),
                }
            )
            try:
                verified = self._read(key, data, config, rng)
            except Exception as error:  # every outcome is counted; a foreign type is a finding
                self.summary.failure("read", error)
                continue
            self.summary.success("read", verified)

    def _read(self, key: str, data: bytes, config: S3Config, rng: random.Random) -> int:
        verified = 0
        with S3Reader(self.client, self.bucket, key, config=config, pool=self.pool, backoff=0.01) as reader:
            stream: Any = io.BufferedReader(reader, 8 * KiB) if rng.random() < 0.5 else reader
            for _ in range(rng.randrange(1, 6)):
                position = rng.randrange(len(data) + 1) if rng.random() < 0.5 else stream.tell()
                stream.seek(position)
                got = stream.read(rng.choice([1, 1000, 20 * KiB, -1]))
                expected = data[position : position + len(got)]
                if got != expected or (not got and position < len(data)):
                    with self.summary.lock:
                        self.summary.wrong_bytes += 1
                verified += len(got)
        return verified

    def check_leftovers(self) -> None:
        """Failed writes left nothing but exact bytes; no upload pending; no spool file; then clean up."""
        listed = []
        for page in self.direct.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            listed += [item["Key"] for item in page.get("Contents", [])]
        for key in listed:
            if key not in self.attempted:
                self.summary.leaks.append(f"object {key!r} that no writer wrote")
            elif key not in self.published:  # a write that failed after the store took it: exact or nothing
                body = self.direct.get_object(Bucket=self.bucket, Key=key)["Body"].read()
                if body != self.attempted[key]:
                    self.summary.wrong_bytes += 1
        missing = sorted(set(self.published) - set(listed))
        self.summary.leaks += [f"published object {key!r} is missing" for key in missing[:5]]
        uploads = self.direct.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])
        self.summary.leaks += [f"pending upload of {u['Key']!r}" for u in uploads]
        self.summary.leaks += [f"spool file {p.name}" for p in self.spool_dir.iterdir()]
        for start in range(0, len(listed), 1000):
            batch = [{"Key": key} for key in listed[start : start + 1000]]
            self.direct.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        for upload in uploads:
            self.direct.abort_multipart_upload(
                Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )


def _socket_ports() -> dict[str, tuple[int, int, str]]:
    """``socket:[inode]`` -> (local port, remote port, state) for every TCP socket of this host."""
    found: dict[str, tuple[int, int, str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                local, remote = (int(f.rsplit(":", 1)[1], 16) for f in fields[1:3])
                found[f"socket:[{fields[9]}]"] = (local, remote, fields[3])
    return found


def _server_side_sockets(port: int) -> set[str]:
    """``socket:[inode]`` names of TCP sockets whose local port is ``port``: an in-process server's own."""
    names: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table, encoding="ascii") as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    names.add(f"socket:[{fields[9]}]")
    return names


def _fd_targets(server_port: int = 0) -> Counter[str]:
    """What this process has open, less the sockets of a server running inside it (moto)."""
    targets: Counter[str] = Counter()
    ignored = _server_side_sockets(server_port) if server_port else set()
    for fd in os.listdir("/proc/self/fd") if os.path.isdir("/proc/self/fd") else []:
        with contextlib.suppress(OSError):
            target = os.readlink(f"/proc/self/fd/{fd}")
            if target not in ignored and not target.startswith("/proc/"):
                targets[target] += 1
    return targets


def _settle(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Give closing sockets and ending threads a moment before calling them leaks."""
    give_up = time.monotonic() + seconds
    while not condition() and time.monotonic() < give_up:
        time.sleep(0.05)
    return condition()


def run_soak(
    endpoint: Endpoint, *, seconds: float, seed: int = 2026, readers: int = 8, writers: int = 4
) -> SoakSummary:
    """Soak ``endpoint`` for ``seconds`` with ``readers`` + ``writers`` threads; return the summary."""
    threads_before, fds_before = threading.active_count(), _fd_targets(endpoint.port)
    setup = boto3_client(endpoint)
    bucket = unique_bucket_name()
    create_bucket(setup, bucket, endpoint)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="s3conf-soak-") as spool:
        soak = _Soak(endpoint, bucket, seed, Path(spool))
        workers = [threading.Thread(target=soak.schedule, name="soak-faults")]
        workers += [
            threading.Thread(target=soak.writer, args=(n,), name=f"soak-w{n}") for n in range(writers)
        ]
        workers += [
            threading.Thread(target=soak.reader, args=(n,), name=f"soak-r{n}") for n in range(readers)
        ]
        for worker in workers:
            worker.start()
        soak.stop.wait(seconds)
        soak.stop.set()
        for worker in workers:
            worker.join()
        summary = soak.summary
        summary.seconds = time.monotonic() - started
        summary.faults_injected = soak.proxy.faults_injected()
        proxy_port = soak.proxy.endpoint.port
        summary.requests = len(soak.proxy.log)
        soak.proxy.close()
        soak.pool.close()
        soak.check_leftovers()
        soak.client.close()
        soak.direct.close()
    setup.delete_bucket(Bucket=bucket)
    setup.close()
    if not _settle(lambda: threading.active_count() <= threads_before):
        alive = sorted(t.name for t in threading.enumerate())
        summary.leaks.append(f"threads: {threading.active_count()} alive, {threads_before} before: {alive}")
    if not _settle(lambda: not _fd_targets(endpoint.port) - fds_before, seconds=1.0):
        # Held only by reference cycles (an exception's traceback keeping a response): closed by the
        # collector, not leaked, but counted and shown, since an explicit close would be better.
        before_gc = sum((_fd_targets(endpoint.port) - fds_before).values())
        gc.collect()
        summary.closed_by_gc = before_gc - sum((_fd_targets(endpoint.port) - fds_before).values())
    if not _settle(lambda: not _fd_targets(endpoint.port) - fds_before):
        ports = _socket_ports()
        left = {name: ports.get(name) for name in _fd_targets(endpoint.port) - fds_before}
        summary.leaks.append(
            f"file descriptors left open (local port, remote port, TCP state): {left}; "
            f"target port {endpoint.port}, proxy port {proxy_port}"
        )
    with contextlib.suppress(ValueError):
        summary.undocumented.sort()
    return summary

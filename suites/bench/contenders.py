"""What gets measured: our reader at one grid cell, and the limit (plain GETs that know the plan).

Every contender replays a workload's read plan against one object and returns a :class:`Measured`.
Set-up that a long-lived application pays once (clients, thread pools, file-system objects) happens
before the clock starts; what a caller pays per file (open, HEAD, the GETs, the copies into its
buffers) is inside it. The peers (s3fs, pyarrow, obstore, boto3) live in :mod:`suites.bench.peers`
and follow the same protocol.
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from s3conf.endpoint import Endpoint
from s3conf.errors import TransferError
from suites.bench.analysis import reader_name
from suites.bench.workloads import Read, coalesce

MiB = 1024 * 1024
DRAIN_CHUNK = 1 * MiB


@dataclass(frozen=True)
class BenchObject:
    """One object the workloads read: where it is and how big it is."""

    bucket: str
    key: str
    size: int


@dataclass(frozen=True)
class Measured:
    """One replay's figures (counters ``None`` when the contender cannot observe them)."""

    seconds: float
    ttfb_seconds: float | None
    cpu_seconds: float
    get_requests: int | None = None
    bytes_fetched: int | None = None
    bytes_wasted: int | None = None
    peak_inflight_bytes: int | None = None
    head_requests: int | None = None


class Contender(Protocol):
    """Anything the runner can measure: a name, a kind and a ``run`` that replays a plan."""

    @property
    def name(self) -> str:
        """Stable name, used as the results key (``reader:S=4MiB,N=8``, ``limit:get``, ``peer:s3fs``)."""

    @property
    def kind(self) -> str:
        """``reader``, ``limit`` or ``peer``."""

    @property
    def fragment_size(self) -> int | None:
        """S for reader cells, else ``None``."""

    @property
    def fragment_number(self) -> int | None:
        """N for reader cells, else ``None``."""

    @property
    def concurrency(self) -> int | None:
        """Parallel GETs the contender may issue, when known."""

    def run(self, obj: BenchObject, plan: tuple[Read, ...]) -> Measured:
        """Replay ``plan`` on ``obj`` once, timing it."""

    def close(self) -> None:
        """Release what the contender set up (clients, pools)."""


class Clock:
    """Wall clock, CPU clock and time to first byte for one replay."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.first_byte: float | None = None

    def got_bytes(self) -> None:
        """Note the first moment data reached the caller (later calls are ignored)."""
        if self.first_byte is None:
            self.first_byte = time.perf_counter() - self.start

    def stop(self) -> tuple[float, float | None, float]:
        """``(seconds, ttfb_seconds, cpu_seconds)`` since construction."""
        return time.perf_counter() - self.start, self.first_byte, time.process_time() - self.cpu_start


def replay(file: Any, plan: tuple[Read, ...], clock: Clock, name: str) -> None:
    """``seek``/``read`` each planned read on a file-like object, checking that no read comes up short.

    A short read would make a contender look fast for the wrong reason, so it is an error naming the
    contender and the read, not a statistic.
    """
    for read in plan:
        file.seek(read.offset)
        remaining = read.length
        while remaining > 0:
            data = file.read(remaining)
            if not data:
                raise TransferError(f"{name}: read at offset {read.offset} ended {remaining} bytes short")
            remaining -= len(data)
            clock.got_bytes()


def drain(body: Any, clock: Clock) -> int:
    """Read a GET response body to its end in 1 MiB pieces, discarding them; return the byte count."""
    total = 0
    while chunk := body.read(DRAIN_CHUNK):
        total += len(chunk)
        clock.got_bytes()
    return total


class ReaderContender:
    """``s3conf.reader.S3Reader`` at fragment size S and number N, user-default pool otherwise.

    The in-flight budget is raised to ``max(S×N, the configured default)`` so a cell measures its own
    S and N rather than the process budget; the reader's ``peak_inflight_bytes`` proves it stayed
    within S×N.
    """

    kind = "reader"
    concurrency: int | None = None

    def __init__(self, endpoint: Endpoint, fragment_size: int, fragment_number: int) -> None:
        from s3conf.client import make_client
        from s3conf.config import S3Config

        self.fragment_size = fragment_size
        self.fragment_number = fragment_number
        self.concurrency = fragment_number
        self.name = reader_name(fragment_size, fragment_number)
        base = S3Config.resolve(env={})
        self.config = base.with_values(
            {
                "s3.spi.read.policy": "sequential",  # the grid measures the S x N design itself
                "s3.spi.read.max-fragment-size": fragment_size,
                "s3.spi.read.max-fragment-number": fragment_number,
                "s3.spi.read.max-inflight-bytes": max(
                    fragment_size * fragment_number, base.max_inflight_bytes
                ),
            }
        )
        self.client = make_client(endpoint, self.config)

    def run(self, obj: BenchObject, plan: tuple[Read, ...]) -> Measured:
        from s3conf.reader import S3Reader

        clock = Clock()
        reader = S3Reader(self.client, obj.bucket, obj.key, config=self.config)
        try:
            replay(reader, plan, clock, self.name)
        finally:
            reader.close()
        seconds, ttfb, cpu = clock.stop()
        stats = reader.stats
        return Measured(
            seconds,
            ttfb,
            cpu,
            get_requests=stats.get_requests,
            bytes_fetched=stats.bytes_fetched,
            bytes_wasted=stats.bytes_wasted,
            peak_inflight_bytes=stats.peak_inflight_bytes,
        )

    def close(self) -> None:
        """Clients are cached process-wide by :func:`s3conf.client.make_client`; nothing to release."""


class LimitGet:
    """One plain GET of the whole object, drained: the single-stream ceiling."""

    kind = "limit"
    name = "limit:get"
    fragment_size = None
    fragment_number = None
    concurrency = 1

    def __init__(self, client: Any) -> None:
        self.client = client

    def run(self, obj: BenchObject, plan: tuple[Read, ...]) -> Measured:
        clock = Clock()
        fetched = drain(self.client.get_object(Bucket=obj.bucket, Key=obj.key)["Body"], clock)
        seconds, ttfb, cpu = clock.stop()
        if fetched != obj.size:
            raise TransferError(f"{self.name}: got {fetched} bytes of {obj.size} for {obj.key!r}")
        return Measured(seconds, ttfb, cpu, get_requests=1, bytes_fetched=fetched, bytes_wasted=0)

    def close(self) -> None:
        """The client is shared; nothing to release."""


class LimitRanged:
    """The plan's reads, coalesced into parts of at most size/c, fetched by c threads of ranged GETs.

    It knows the whole plan in advance and never fetches a byte the workload does not use, so no
    read-ahead reader can beat it on bytes; it is the concurrency ceiling for that plan.
    """

    kind = "limit"
    fragment_size = None
    fragment_number = None

    def __init__(self, client: Any, concurrency: int) -> None:
        self.client = client
        self.concurrency = concurrency
        self.name = f"limit:ranged×{concurrency}"
        self.executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="bench-limit")

    def run(self, obj: BenchObject, plan: tuple[Read, ...]) -> Measured:
        parts = coalesce(plan, max_part=math.ceil(obj.size / self.concurrency))
        clock = Clock()

        def fetch(part: Read) -> int:
            byte_range = f"bytes={part.offset}-{part.offset + part.length - 1}"
            return drain(
                self.client.get_object(Bucket=obj.bucket, Key=obj.key, Range=byte_range)["Body"], clock
            )

        fetched = sum(self.executor.map(fetch, parts))
        seconds, ttfb, cpu = clock.stop()
        expected = sum(p.length for p in parts)
        if fetched != expected:
            raise TransferError(f"{self.name}: got {fetched} bytes of {expected} for {obj.key!r}")
        return Measured(seconds, ttfb, cpu, get_requests=len(parts), bytes_fetched=fetched, bytes_wasted=0)

    def close(self) -> None:
        """Stop the worker threads."""
        self.executor.shutdown(wait=True)


def limit_contenders(client: Any, concurrencies: tuple[int, ...]) -> list[Contender]:
    """The single GET plus one ranged-GET contender per concurrency."""
    contenders: list[Contender] = [LimitGet(client)]
    contenders += [LimitRanged(client, c) for c in concurrencies]
    return contenders

"""End-to-end read workloads: real Parquet files through pandas and pyarrow, and random records.

The grid (:mod:`suites.bench.runner`) replays byte plans on the raw reader; this measures what users run.
Files are written with pyarrow (tens of columns, several row groups, snappy and uncompressed) and read:

- ``pandas-projection`` / ``pyarrow-projection``: three columns of every row group;
- ``pandas-wide-projection``: eleven columns of 32 through pandas (a reader learns a projection's columns
  only as pyarrow reads them, one round trip per column, where pyarrow's own file system is told them all);
- ``pyarrow-rowgroup``: one whole row group through ``pyarrow.parquet.ParquetFile``;
- ``pandas-full`` / ``pyarrow-full``: the whole file;
- ``fsspec-projection``: the projection planned by ``fsspec.parquet.open_parquet_file`` (footer, then the
  projected chunks fetched together with ``cat_ranges``) and decoded by pyarrow from that file: the
  alternative to recognising the footer in the reader, for fsspec file systems (s3x, s3fs);
- ``records``: ``RECORDS`` reads of 4-64 KiB at random offsets, ``seek``/``read`` on one open file.

Every contender reads through its own file system, handed to pandas/pyarrow as ``filesystem=``: ``s3x`` (our
fsspec file system: ``s3x:default`` with default settings, then one per read policy), pyarrow's own
``S3FileSystem`` and s3fs; obstore where it applies (records). The limits: ``limit:memory`` decodes the
same bytes from memory (the decode floor, no network), ``limit:get`` reads each record with one plain
ranged GET. File systems are built before the clock; opening a file and everything after is timed.

GET and HEAD requests and bytes fetched are counted on the wire for ``s3x`` and the limit (botocore
events); the other peers' counters are "n/a". Runs are interleaved and repeated like the grid; ratios
are paired per repeat.
"""

from __future__ import annotations

import io
import random
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from s3conf.endpoint import Endpoint
from suites.bench.contenders import BenchObject, Measured
from suites.bench.results import Sample, Skipped

KiB = 1024
MiB = 1024 * KiB
PROJECTION = (3, 12, 27)  # column indices read by the projection workloads
WIDE_PROJECTION = tuple(range(1, 32, 3))  # ... and by the wide one (11 columns)
RECORDS = 200
POLICIES = ("adaptive", "sequential", "random", "whole")
PARQUET_OPS = (
    "pandas-projection",
    "pandas-wide-projection",
    "pandas-full",
    "pyarrow-projection",
    "pyarrow-rowgroup",
    "pyarrow-full",
    "fsspec-projection",
)


@dataclass(frozen=True)
class ParquetShape:
    """How the benchmark Parquet files are laid out."""

    size: int = 64 * MiB  # approximate uncompressed data size
    columns: int = 32
    row_groups: int = 8


def parquet_bytes(shape: ParquetShape, compression: str, seed: int) -> bytes:
    """A Parquet file: half random float64 columns (incompressible), half low-cardinality int64."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = max(shape.row_groups, shape.size // (8 * shape.columns))
    rng = np.random.default_rng(seed)
    arrays = {}
    for index in range(shape.columns):
        if index % 2:
            arrays[f"c{index:02d}"] = rng.integers(0, 1000, rows, dtype=np.int64)
        else:
            arrays[f"c{index:02d}"] = rng.random(rows)
    sink = io.BytesIO()
    pq.write_table(
        pa.table(arrays), sink, row_group_size=-(-rows // shape.row_groups), compression=compression
    )
    return sink.getvalue()


def needed_bytes(data: bytes, op: str, columns: list[str], row_group: int) -> int:
    """The bytes an operation must read per the file's metadata: footer plus the column chunks used."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    footer = int.from_bytes(data[-8:-4], "little") + 8
    groups = [row_group] if op == "pyarrow-rowgroup" else range(meta.num_row_groups)
    wanted = set(columns) if op.endswith("projection") else None  # fsspec-projection too
    total = footer
    for g in groups:
        group = meta.row_group(g)
        for c in range(group.num_columns):
            chunk = group.column(c)
            if wanted is None or chunk.path_in_schema in wanted:
                total += chunk.total_compressed_size
    return total


def run_parquet(op: str, fs: Any, path: Any, columns: list[str], row_group: int) -> int:
    """Run one Parquet operation; returns the rows it produced (checked by the caller)."""
    import pandas as pd
    import pyarrow.parquet as pq

    if op in ("pandas-projection", "pandas-wide-projection"):
        return len(pd.read_parquet(path, columns=columns, filesystem=fs))
    if op == "pandas-full":
        return len(pd.read_parquet(path, filesystem=fs))
    if op == "pyarrow-projection":
        return int(pq.read_table(path, columns=columns, filesystem=fs).num_rows)
    if op == "pyarrow-full":
        return int(pq.read_table(path, filesystem=fs).num_rows)
    if op == "pyarrow-rowgroup":
        with pq.ParquetFile(path, filesystem=fs) as file:
            return int(file.read_row_group(row_group).num_rows)
    if op == "fsspec-projection":
        from fsspec.parquet import open_parquet_file

        with open_parquet_file(path, fs=fs, columns=columns, engine="pyarrow") as file:
            return int(pq.read_table(file, columns=columns).num_rows)
    raise ValueError(f"unknown Parquet operation {op!r}")


def records_plan(object_size: int, seed: int, count: int = RECORDS) -> list[tuple[int, int]]:
    """``count`` reads of 4-64 KiB at uniformly random offsets (seeded)."""
    rng = random.Random(seed)
    plan = []
    for _ in range(count):
        length = rng.randrange(4 * KiB, 64 * KiB + 1)
        plan.append((rng.randrange(object_size - length), length))
    return plan


class WireCounter:
    """GET and HEAD requests and body bytes a boto3 client exchanges (botocore events, never mocks)."""

    def __init__(self, client: Any) -> None:
        self.requests = 0
        self.heads = 0
        self.bytes = 0
        client.meta.events.register("before-send.s3.GetObject", self._sent)
        client.meta.events.register("before-send.s3.HeadObject", self._head)
        # wire level: botocore emits it for every response, and the reader's direct GETs do too
        client.meta.events.register("response-received.s3.GetObject", self._received)

    def _sent(self, **_: Any) -> None:
        self.requests += 1

    def _head(self, **_: Any) -> None:
        self.heads += 1

    def _received(self, parsed_response: dict[str, Any] | None, **_: Any) -> None:
        if parsed_response is not None:
            self.bytes += int(parsed_response.get("ContentLength") or 0)


#: One counter per client object (weak: a client that reuses a collected one's id gets its own).
_counters: weakref.WeakKeyDictionary[Any, WireCounter] = weakref.WeakKeyDictionary()


def wire_counter(client: Any) -> WireCounter:
    """One counter per client, however many contenders share it (clients are cached process-wide)."""
    counter = _counters.get(client)
    if counter is None:
        counter = _counters[client] = WireCounter(client)
    return counter


@dataclass
class E2EContender:
    """A file system and how to name an object in it; ``counter`` when its GETs can be counted."""

    name: str
    kind: str
    fs: Any
    path: Callable[[BenchObject], Any]
    open_file: Callable[[BenchObject], Any]
    counter: Callable[[BenchObject], WireCounter | None] = lambda obj: None
    parquet: bool = True
    fsspec: bool = False  # an fsspec file system (fsspec.parquet's planning applies)
    reset: Callable[[], None] = lambda: None  # before each measurement: forget what earlier calls learned


def s3x_contender(endpoint: Endpoint, name: str, values: dict[str, object]) -> E2EContender:
    from s3conf.config import S3Config
    from s3conf.fsspec import S3XFileSystem

    config = S3Config.resolve(env={}).with_values(values)
    fs = S3XFileSystem(
        key=endpoint.access_key,
        secret=endpoint.secret_key.reveal() if endpoint.secret_key else None,
        endpoint_protocol=endpoint.scheme,
        config=config,
        skip_instance_cache=True,
    )

    def path(obj: BenchObject) -> str:
        return f"{endpoint.netloc}/{obj.bucket}/{obj.key}"

    def counter(obj: BenchObject) -> WireCounter:
        return wire_counter(fs._fs(fs._locate(path(obj), need_bucket=True)).client)

    # Each measurement is one user call: nothing an earlier one learned (metadata_ttl) may serve it.
    return E2EContender(
        name, "reader", fs, path, lambda obj: fs.open(path(obj), "rb"), counter, fsspec=True,
        reset=fs._metadata.clear,
    )  # fmt: skip


def build_contenders(
    endpoint: Endpoint, bucket: str, peers: list[str]
) -> tuple[list[E2EContender], list[Skipped]]:
    """s3x (default, then each policy), the available peers, and the limits."""
    from suites.bench.peers import ObstorePeer, PyarrowPeer, S3fsPeer

    contenders = [s3x_contender(endpoint, "s3x:default", {})]
    contenders += [s3x_contender(endpoint, f"s3x:{p}", {"s3.spi.read.policy": p}) for p in POLICIES]
    skipped: list[Skipped] = []
    factories: dict[str, Callable[[], E2EContender]] = {
        "pyarrow": lambda: _pyarrow(PyarrowPeer(endpoint)),
        "s3fs": lambda: _s3fs(S3fsPeer(endpoint)),
        "obstore": lambda: _obstore(ObstorePeer(endpoint, bucket)),
    }
    for name in peers:
        if name not in factories:
            continue
        try:
            contenders.append(factories[name]())
        except ImportError as error:
            skipped.append(Skipped(f"peer:{name}", f"{name} is not installed ({error})"))
    return contenders, skipped


def _pyarrow(peer: Any) -> E2EContender:
    return E2EContender("peer:pyarrow", "peer", peer.fs, lambda o: f"{o.bucket}/{o.key}", peer.open)


def _s3fs(peer: Any) -> E2EContender:
    return E2EContender("peer:s3fs", "peer", peer.fs, lambda o: f"{o.bucket}/{o.key}", peer.open, fsspec=True)


def _obstore(peer: Any) -> E2EContender:
    return E2EContender("peer:obstore", "peer", None, lambda o: o.key, peer.open, parquet=False)


def measure(contender: E2EContender, obj: BenchObject, work: Callable[[], None]) -> Measured:
    """Time ``work`` (wall and process CPU), with wire counters when the contender has them."""
    contender.reset()
    counter = contender.counter(obj)
    before = (counter.requests, counter.bytes, counter.heads) if counter else (0, 0, 0)
    start, cpu = time.perf_counter(), time.process_time()
    work()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    if counter is None:
        return Measured(seconds, None, cpu_seconds)
    return Measured(
        seconds,
        None,
        cpu_seconds,
        get_requests=counter.requests - before[0],
        bytes_fetched=counter.bytes - before[1],
        head_requests=counter.heads - before[2],
    )


def read_records(file: Any, plan: list[tuple[int, int]], name: str) -> None:
    """``seek``/``read`` each record, refusing short reads (a short read would flatter the contender)."""
    from s3conf.errors import TransferError

    try:
        for offset, length in plan:
            file.seek(offset)
            got = len(file.read(length))
            if got != length:
                raise TransferError(f"{name}: record at {offset} came back {got} of {length} bytes")
    finally:
        file.close()


def sample(
    workload: str,
    contender: E2EContender,
    obj: BenchObject,
    *,
    needed: int,
    repeat: int,
    order: int,
    measured: Measured,
) -> Sample:
    """One measurement as a results row (the e2e workloads have no S x N)."""
    return Sample(
        workload=workload,
        contender=contender.name,
        kind=contender.kind,
        repeat=repeat,
        order=order,
        object_size=obj.size,
        requested_bytes=needed,
        seconds=measured.seconds,
        ttfb_seconds=None,
        cpu_seconds=measured.cpu_seconds,
        get_requests=measured.get_requests,
        bytes_fetched=measured.bytes_fetched,
        bytes_wasted=None,
        peak_inflight_bytes=None,
        fragment_size=None,
        fragment_number=None,
        concurrency=None,
        head_requests=measured.head_requests,
    )

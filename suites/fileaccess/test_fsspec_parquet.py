"""Parquet through ``s3x://`` pays only for what it reads: requests counted on the wire, per pandas call.

pyarrow opens a file twice per ``read_table``/``read_parquet`` (once to plan, once to read) and asks
``info`` and ``isfile`` before each open; these tests pin what reaches the store for one call: one GET of
the footer (for a ``.parquet`` name; a HEAD and the footer GET for others), then GETs of the column chunks
read and nothing else. Also here: the read policy chosen
per instance (``policy``/``default_cache_type`` storage options) or per file (``open(policy=/cache_type=)``),
checked by what it fetches, and the metadata an instance remembers between calls, checked to go stale
only never through the instance's own writes.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest

from s3conf.config import S3Config
from s3conf.errors import ConfigError
from s3conf.fsspec import S3XFileSystem

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

KiB = 1024
ROW_GROUPS = 4
COLUMNS = 6
PROJECTED = ["c1", "c4"]


@dataclass
class Wire:
    """Every request a client sends (operation, Range header) and the body bytes GETs bring back."""

    requests: list[tuple[str, str | None]] = field(default_factory=list)
    received: int = 0
    calls: list[str] = field(default_factory=list)  # operations through botocore's call pipeline

    def called(self, event_name: str, **_: Any) -> None:
        self.calls.append(event_name.rsplit(".", 1)[-1])

    def sent(self, event_name: str, request: Any, **_: Any) -> None:
        header = request.headers.get("Range")
        self.requests.append(
            (event_name.rsplit(".", 1)[-1], header.decode() if isinstance(header, bytes) else header)
        )

    def got(self, event_name: str, parsed_response: dict[str, Any] | None, **_: Any) -> None:
        if event_name.endswith(".GetObject") and parsed_response is not None:
            self.received += int(parsed_response.get("ContentLength") or 0)

    def count(self, operation: str) -> int:
        return sum(1 for op, _ in self.requests if op == operation)

    def suffix_gets(self) -> int:
        return sum(
            1 for op, header in self.requests if op == "GetObject" and (header or "").startswith("bytes=-")
        )


def _fs(target: Any, **options: Any) -> S3XFileSystem:
    endpoint = target.endpoint
    return S3XFileSystem(
        key=endpoint.access_key,
        secret=endpoint.secret_key.reveal(),
        endpoint_protocol="http",
        skip_instance_cache=True,
        **options,
    )


@contextmanager
def _wire(fs: S3XFileSystem, path: str) -> Iterator[Wire]:
    """Record the requests of ``fs``'s client for ``path`` (clients are shared: unhooked afterwards)."""
    wire = Wire()
    client = fs._fs(fs._locate(path, need_bucket=True)).client
    client.meta.events.register("before-send.s3", wire.sent)
    client.meta.events.register("response-received.s3", wire.got)
    client.meta.events.register("before-call.s3", wire.called)
    try:
        yield wire
    finally:
        client.meta.events.unregister("before-send.s3", wire.sent)
        client.meta.events.unregister("response-received.s3", wire.got)
        client.meta.events.unregister("before-call.s3", wire.called)


def _int_table(columns: int, rows: int, *, seed: int = 0, digits: int = 1) -> Any:
    """``columns`` int64 columns ``c0``.. (names padded to ``digits``) of ``rows`` distinct values each."""
    return pa.table(
        {f"c{i:0{digits}d}": pa.array(range(seed + i, seed + i + rows), pa.int64()) for i in range(columns)}
    )


def _written(table: Any) -> bytes:
    """``table`` as an uncompressed Parquet file of :data:`ROW_GROUPS` row groups."""
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=table.num_rows // ROW_GROUPS, compression="none")
    return sink.getvalue()


def _parquet(rows: int = 32000, *, seed: int = 0) -> bytes:
    """A file of several row groups: int64 columns, uncompressed (1.5 MB, more than the 1 MiB footer GET, so
    no store's answer to a suffix longer than the object comes into it)."""
    return _written(_int_table(COLUMNS, rows, seed=seed))


def _chunk_bytes(data: bytes, columns: list[str] | None) -> int:
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    total = 0
    for g in range(meta.num_row_groups):
        for c in range(meta.num_columns):
            chunk = meta.row_group(g).column(c)
            if columns is None or chunk.path_in_schema in columns:
                total += chunk.total_compressed_size
    return total


@pytest.fixture(params=["t.parquet", "t.data"], ids=["parquet-name", "other-name"])
def parquet_object(target: Any, s3_client: Any, bucket: str, request: Any) -> tuple[str, bytes]:
    data = _parquet()
    s3_client.put_object(Bucket=bucket, Key=request.param, Body=data)
    return f"{target.endpoint.netloc}/{bucket}/{request.param}", data


def _heads_expected(path: str) -> int:
    """A ``.parquet`` name is asked about with a GET of its footer; any other with one HEAD."""
    return 0 if path.endswith(".parquet") else 1


@pytest.mark.parametrize(
    "call",
    [
        lambda path, fs: pd.read_parquet(path, columns=PROJECTED, filesystem=fs),
        lambda path, fs: pq.read_table(path, columns=PROJECTED, filesystem=fs),
        lambda path, fs: pq.ParquetFile(path, filesystem=fs).read_row_group(1, columns=PROJECTED),
    ],
    ids=["pandas-projection", "pyarrow-projection", "pyarrow-rowgroup"],
)
@pytest.mark.parametrize("warm", [False, True], ids=["first-get-of-the-bucket", "bucket-read-before"])
def test_a_projected_read_sends_one_head_one_footer_get_and_the_chunks(
    target: Any, parquet_object: tuple[str, bytes], call: Any, warm: bool
) -> None:
    path, data = parquet_object
    fs = _fs(target, metadata_ttl=3600)  # the call's answers must not expire on a loaded machine
    if warm:  # the client has read another object of the bucket: its GETs are copies from the start
        other = path.rsplit("/", 1)[0] + "/other.bin"
        fs.pipe_file(other, b"other")
        assert fs.cat_file(other) == b"other"
    with _wire(fs, path) as wire:
        result = call(path, fs)
    assert len(result) > 0
    # pyarrow's info or isfile; the other questions and the second open reuse its answer
    assert wire.count("HeadObject") <= _heads_expected(path)
    assert wire.suffix_gets() == 1  # the footer, once, though pyarrow opens the file twice
    assert {op for op, _ in wire.requests} <= {"HeadObject", "GetObject"}
    chunk_gets = wire.count("GetObject") - 1
    assert chunk_gets <= ROW_GROUPS * len(PROJECTED)
    footer_get = min(len(data), 1 << 20)
    assert wire.received <= footer_get + _chunk_bytes(data, PROJECTED)
    # at most one GET through botocore's call pipeline (3-4 ms of CPU), the client's first of the bucket;
    # every other GET of the call copies the request it captured
    assert wire.calls.count("GetObject") == (0 if warm else 1)


@pytest.mark.parametrize("range_size", [128 * KiB, 256 * KiB], ids=["one-chunk-ranges", "three-chunk-ranges"])
def test_a_full_read_in_many_coalesced_ranges_fetches_the_file_about_once(
    target: Any, parquet_object: tuple[str, bytes], range_size: int
) -> None:
    """pyarrow's I/O threads read the ranges of a full read in any order: the chunks predicted from one and
    the data read ahead of a scan stay until read, and what was read is not fetched again.

    pyarrow cuts a full read into coalesced ranges of at most ``range_size_limit`` (32 MiB by default; a few
    chunks here, so a 1.5 MB file takes a dozen reads) and hands them all to its I/O threads at once.
    A read that straddles cached spans may fetch a few of their bytes again, in one GET instead of
    several (hence 10 %); dropping predicted chunks before their read fetched up to 2.4x the file."""
    ds = pytest.importorskip("pyarrow.dataset")
    path, data = parquet_object
    config = S3Config.resolve(env={}).with_values({"s3.spi.read.fragment-size": "64KiB"})
    fs = _fs(target, config=config, metadata_ttl=3600)
    scan = ds.ParquetFragmentScanOptions(
        pre_buffer=True, cache_options=pa.CacheOptions(hole_size_limit=0, range_size_limit=range_size)
    )
    dataset = ds.dataset(path, filesystem=fs, format=ds.ParquetFileFormat(default_fragment_scan_options=scan))
    with _wire(fs, path) as wire:
        table = dataset.to_table()
    assert table.equals(pq.read_table(io.BytesIO(data)))
    assert wire.received <= 1.1 * len(data)


@pytest.mark.parametrize("columns", [8, 400], ids=["short-footer", "long-footer"])
def test_the_footer_probe_reads_pyarrows_64_kib_then_the_rest_of_a_long_footer(
    target: Any, s3_client: Any, bucket: str, columns: int
) -> None:
    """``info`` of a ``.parquet`` name GETs the last 64 KiB (pyarrow's own footer read); metadata longer
    than that is fetched whole in one more GET, so the reader recognises the layout, and pyarrow's own
    read of the rest of the footer costs no request: no later GET touches the footer."""
    table = _int_table(columns, 400_000 // columns)  # a file larger than 64 KiB
    data = _written(table)
    metadata = int.from_bytes(data[-8:-4], "little") + 8
    assert (metadata > 64 * KiB) is (columns == 400)  # the file is what the test is about
    s3_client.put_object(Bucket=bucket, Key="w.parquet", Body=data)
    path = f"{target.endpoint.netloc}/{bucket}/w.parquet"
    fs = _fs(target, metadata_ttl=3600)
    with _wire(fs, path) as wire:
        assert fs.info(path)["size"] == len(data)
        result = pd.read_parquet(path, columns=["c1", "c3"], filesystem=fs)
    assert result.equals(table.select(["c1", "c3"]).to_pandas())
    footer = [("GetObject", f"bytes=-{64 * KiB}")]
    if metadata > 64 * KiB:
        footer.append(("GetObject", f"bytes={len(data) - metadata}-{len(data) - 64 * KiB - 1}"))
    assert wire.requests[: len(footer)] == footer
    later = [header for _, header in wire.requests[len(footer) :]]
    assert None not in later  # no HEAD
    assert all(int(h.split("-")[1]) < len(data) - metadata for h in later if h), later


def test_a_projection_of_adjacent_columns_is_one_get_per_row_group(
    target: Any, parquet_object: tuple[str, bytes]
) -> None:
    """pyarrow reads the chunks of adjacent columns as one coalesced read per row group; the reader predicts
    them in the other row groups as one GET each, not one per column."""
    path, data = parquet_object
    fs = _fs(target, metadata_ttl=3600)
    adjacent = ["c1", "c2", "c3"]
    with _wire(fs, path) as wire:
        result = pd.read_parquet(path, columns=adjacent, filesystem=fs)
    assert len(result) > 0
    assert wire.count("GetObject") - 1 <= ROW_GROUPS  # the footer's GET, then one per row group
    assert wire.received <= min(len(data), 1 << 20) + _chunk_bytes(data, adjacent)


def test_a_projection_of_more_chunks_than_the_default_history_fetches_each_once(
    target: Any, s3_client: Any, bucket: str
) -> None:
    """80 chunk reads (20 columns x 4 row groups), more than the 48 reads a reader keeps for other
    policies: the reader keeps one per chunk once it knows the layout, so no chunk read early is
    predicted, and fetched, again when its column is read in a later row group."""
    table = _int_table(64, ROW_GROUPS * 2560, digits=2)  # chunks of 20 KiB: reads are rounded up to 16 KiB
    data = _written(table)
    projected = [f"c{i:02d}" for i in range(0, 64, 3)][:20]
    s3_client.put_object(Bucket=bucket, Key="many.parquet", Body=data)
    path = f"{target.endpoint.netloc}/{bucket}/many.parquet"
    fs = _fs(target, metadata_ttl=3600)
    with _wire(fs, path) as wire:
        result = pd.read_parquet(path, columns=projected, filesystem=fs)
    assert result.equals(table.select(projected).to_pandas())
    footer = int.from_bytes(data[-8:-4], "little") + 8
    assert wire.received <= max(footer, 64 * KiB) + _chunk_bytes(data, projected)


def test_the_footer_get_answers_info_with_the_modification_time_when_it_was_a_copied_request(
    target: Any, s3_client: Any, bucket: str
) -> None:
    """botocore parses the answer to its own GET (``LastModified``), not the answer to a copy of it: the
    footer GET of a ``.parquet`` name whose client has read the bucket before reads the header itself, so
    ``info`` is answered from memory with the same modification time as a HEAD would give."""
    s3_client.put_object(Bucket=bucket, Key="t.parquet", Body=_parquet())
    s3_client.put_object(Bucket=bucket, Key="other.bin", Body=b"other")
    base = f"{target.endpoint.netloc}/{bucket}"
    fs = _fs(target, metadata_ttl=3600)
    assert fs.cat_file(f"{base}/other.bin") == b"other"  # the bucket's first GET, through botocore
    with _wire(fs, base) as wire:
        assert fs.isfile(f"{base}/t.parquet")  # the footer GET, a copy of the request captured above
        entry = fs.info(f"{base}/t.parquet")
    assert wire.calls == []
    assert [op for op, _ in wire.requests] == ["GetObject"]
    head = s3_client.head_object(Bucket=bucket, Key="t.parquet")
    assert entry["mtime"] == head["LastModified"]


def test_pandas_with_a_url_and_storage_options_asks_once(
    target: Any, parquet_object: tuple[str, bytes]
) -> None:
    path, data = parquet_object
    options = {"key": target.endpoint.access_key, "secret": target.endpoint.secret_key.reveal(),
               "endpoint_protocol": "http"}  # fmt: skip
    S3XFileSystem.clear_instance_cache()
    fs = S3XFileSystem(**options)  # the instance pandas gets for these options
    with _wire(fs, path) as wire:
        frame = pd.read_parquet(f"s3x://{path}", storage_options=options)
    assert frame.equals(pq.read_table(io.BytesIO(data)).to_pandas())
    assert wire.count("HeadObject") == _heads_expected(path)
    assert wire.suffix_gets() == 1
    assert wire.received <= len(data)  # a full read fetches each byte once


def test_the_metadata_of_one_call_never_outlives_a_write_through_the_instance(
    target: Any, parquet_object: tuple[str, bytes]
) -> None:
    path, _ = parquet_object
    fs = _fs(target, metadata_ttl=3600)
    assert pd.read_parquet(path, filesystem=fs)["c0"].iloc[0] == 0
    newer = _parquet(seed=100)
    with fs.open(path, "wb") as handle:
        handle.write(newer)
    assert fs.info(path)["size"] == len(newer)
    assert pd.read_parquet(path, filesystem=fs)["c0"].iloc[0] == 100
    fs.rm(path)
    assert not fs.exists(path)


def test_a_replaced_object_fails_loudly_rather_than_mixing_versions(
    target: Any, s3_client: Any, bucket: str
) -> None:
    path = f"{target.endpoint.netloc}/{bucket}/big.bin"
    old = bytes(3 << 20)
    s3_client.put_object(Bucket=bucket, Key="big.bin", Body=old)
    fs = _fs(target, metadata_ttl=3600)
    with fs.open(path, "rb") as handle:  # remembers the size, ETag and the last MiB
        handle.seek(-10, io.SEEK_END)
        handle.read()
    new = b"\1" * (3 << 20)
    s3_client.put_object(Bucket=bucket, Key="big.bin", Body=new)
    with fs.open(path, "rb") as handle, pytest.raises(OSError, match="changed"):
        handle.read()
    # The failed reader made the instance forget the old version (it remembered it again on close, so
    # every try failed until the entry expired): trying again reads the new one.
    with fs.open(path, "rb") as handle:
        assert handle.read() == new


def test_a_small_object_replaced_by_another_client_is_read_afresh(
    target: Any, s3_client: Any, bucket: str
) -> None:
    """An object no larger than the remembered tail is never answered from memory alone: the old
    version's bytes would be handed out without a request (found as a stale read in the odd-keys suite)."""
    path = f"{target.endpoint.netloc}/{bucket}/small.csv"
    s3_client.put_object(Bucket=bucket, Key="small.csv", Body=b"a\n0\n")
    fs = _fs(target, metadata_ttl=3600)
    assert fs.cat_file(path) == b"a\n0\n"
    with fs.open(path, "rb") as handle:  # a reader that reaches the end remembers the whole object
        assert handle.read() == b"a\n0\n"
    s3_client.put_object(Bucket=bucket, Key="small.csv", Body=b"a\n333\n")
    with _wire(fs, path) as wire, fs.open(path, "rb") as handle:
        assert handle.read() == b"a\n333\n"
    assert wire.count("GetObject") == 1


def test_metadata_ttl_zero_asks_the_store_every_time(target: Any, parquet_object: tuple[str, bytes]) -> None:
    path, _ = parquet_object
    fs = _fs(target, metadata_ttl=0)
    with _wire(fs, path) as wire:
        pd.read_parquet(path, columns=PROJECTED, filesystem=fs)
    # info, then isfile before each of pyarrow's two opens: each a HEAD, or for a .parquet name a GET
    # of the footer; then each open's own footer GET
    assert wire.count("HeadObject") == 3 * _heads_expected(path)
    assert wire.suffix_gets() == 2 + 3 * (1 - _heads_expected(path))


# -- the read policy, by what it fetches ---------------------------------------------------------------

SMALL_FRAGMENTS = {"s3.spi.read.max-fragment-size": "512KiB", "s3.spi.read.max-fragment-number": 4}
OBJECT_SIZE = 2 << 20
FRAGMENT = 512 * KiB
READ = 64 * KiB
START = 16 * KiB


def _three_reads(fs: S3XFileSystem, path: str, **open_options: Any) -> Wire:
    """The requests of three 64 KiB reads from 16 KiB on (a sequential beginning, short of the middle of
    the first 512 KiB fragment)."""
    with _wire(fs, path) as wire, fs.open(path, "rb", **open_options) as handle:
        handle.seek(START)
        for _ in range(3):
            assert len(handle.read(READ)) == READ
    return wire


def _policy_fetches(policy: str, wire: Wire) -> bool:
    """Each policy's signature: where its first GET starts and how much it fetches in all."""
    first = wire.requests[0][1]
    exactly_the_read = f"bytes={START}-{START + READ - 1}"
    return {
        "random": first == exactly_the_read and wire.received == 3 * READ,  # what is read, no more
        "adaptive": first == exactly_the_read and wire.received > 3 * READ,  # then reads ahead
        "sequential": first == f"bytes=0-{FRAGMENT - 1}" and wire.received == FRAGMENT,  # aligned fragment
        "whole": first == f"bytes={START}-{START + FRAGMENT - 1}",  # the rest follows, in the background
    }[policy]


@pytest.mark.parametrize(
    ("storage_options", "open_options", "policy"),
    [
        ({}, {}, "adaptive"),
        ({"policy": "random"}, {}, "random"),
        ({"policy": "Whole"}, {}, "whole"),
        ({"default_cache_type": "readahead"}, {}, "sequential"),
        ({"default_cache_type": "none", "policy": "whole"}, {}, "whole"),
        ({"policy": "whole"}, {"policy": "random"}, "random"),
        ({}, {"cache_type": "none"}, "random"),
        ({}, {"cache_type": "all"}, "whole"),
        ({"policy": "random"}, {"cache_type": "readahead", "policy": "adaptive"}, "adaptive"),
    ],
    ids=["default", "option-policy", "option-policy-any-case", "option-cache-type", "option-policy-wins",
         "open-overrides-option", "open-cache-none", "open-cache-all", "open-policy-wins"],
)  # fmt: skip
def test_the_read_policy_reaches_the_wire(
    target: Any,
    s3_client: Any,
    bucket: str,
    *,
    storage_options: dict[str, str],
    open_options: dict[str, str],
    policy: str,
) -> None:
    s3_client.put_object(Bucket=bucket, Key="obj", Body=bytes(OBJECT_SIZE))
    config = S3Config.resolve(env={}).with_values(SMALL_FRAGMENTS)
    fs = _fs(target, config=config, **storage_options)
    wire = _three_reads(fs, f"{target.endpoint.netloc}/{bucket}/obj", **open_options)
    assert _policy_fetches(policy, wire), (policy, wire)


@pytest.mark.parametrize(
    ("storage_options", "named"),
    [({"policy": "fastest"}, "'fastest'"), ({"default_cache_type": "lru"}, "'lru'"),
     ({"metadata_ttl": -1}, "-1"), ({"metadata_ttl": "2"}, "'2'")],
    ids=["policy", "cache-type", "ttl-negative", "ttl-text"],
)  # fmt: skip
def test_unknown_read_options_are_refused_by_name(storage_options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        S3XFileSystem(skip_instance_cache=True, **storage_options)


@pytest.mark.parametrize(
    ("open_options", "named"),
    [({"policy": "fastest"}, "open policy='fastest'"), ({"cache_type": "lru"}, "open cache_type='lru'")],
    ids=["policy", "cache-type"],
)
def test_unknown_open_options_are_refused_by_name_before_any_request(
    target: Any, bucket: str, open_options: dict[str, str], named: str
) -> None:
    fs = _fs(target)
    path = f"{target.endpoint.netloc}/{bucket}/never-read"
    with _wire(fs, path) as wire, pytest.raises(ConfigError, match=named):
        fs.open(path, "rb", **open_options)
    assert wire.requests == []

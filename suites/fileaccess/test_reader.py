"""The read-ahead reader against every target: byte-exact reads, request counts that prove the
algorithm, bounded memory, the shared budget, and missing objects.

Fragment sizes are small (1 KiB) so objects of many fragments stay tiny; one test uses the issue's
N=4, S=1 MiB to show the memory bound at a realistic size. Counters are read only after every fetch
they depend on has finished (a read waits for its fragment; ``close`` waits for the rest), so no
assertion depends on timing.
"""

from __future__ import annotations

import io
import os
import random
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3conf.config import S3Config
from s3conf.errors import BucketNotFoundError, ObjectNotFoundError
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader
from suites.fileaccess.conftest import WireCounter

S = 1024
MiB = 1 << 20


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture
def pool() -> Iterator[FetchPool]:
    with FetchPool(max_workers=4, max_inflight_bytes=64 * MiB) as private:
        yield private


def put(client: Any, bucket: str, key: str, data: bytes) -> None:
    client.put_object(Bucket=bucket, Key=key, Body=data)


SIZES = [0, 1, S - 1, S, S + 1, 7 * S + 3]
SIZE_IDS = ["empty", "one-byte", "S-1", "S", "S+1", "many-fragments"]


def read_raw(reader: S3Reader) -> bytes:
    return reader.read()


def read_buffered(reader: S3Reader) -> bytes:
    buffered = io.BufferedReader(reader, buffer_size=100)
    return b"".join(iter(lambda: buffered.read(77), b""))


def read_blocks(reader: S3Reader) -> bytes:
    return b"".join(iter(lambda: reader.read(S // 3), b""))


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize(
    "read", [read_raw, read_buffered, read_blocks], ids=["readall", "buffered-77", "blocks-third-S"]
)
@pytest.mark.parametrize("number", [1, 4], ids=["N1", "N4"])
def test_sequential_read_issues_one_get_per_fragment(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool,
    *, size: int, read: Any, number: int,
) -> None:  # fmt: skip
    data = payload(size)
    put(s3_client, bucket, "obj", data)
    client, wire = wire_client
    config = S3Config(read_policy="sequential", fragment_size=S, fragment_number=number)
    reader = S3Reader(client, bucket, "obj", config=config, pool=pool)
    assert read(reader) == data
    reader.close()
    stats = reader.stats
    fragments = -(-size // S)
    assert wire.counts == {"GetObject": max(1, fragments)}  # on the wire: no HEAD, one GET per fragment
    assert stats.get_requests == wire["GetObject"]
    assert stats.bytes_fetched == size
    assert (stats.bytes_used, stats.bytes_wasted) == (size, 0)
    assert stats.peak_inflight_bytes <= number * S
    assert reader.size == size
    assert pool.stats.reserved_bytes == 0


def test_backward_seek_inside_the_cache_issues_no_get(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool
) -> None:
    data = payload(6 * S, seed=1)
    put(s3_client, bucket, "obj", data)
    client, wire = wire_client
    with S3Reader(
        client,
        bucket,
        "obj",
        config=S3Config(read_policy="sequential", fragment_size=S, fragment_number=2),
        pool=pool,
    ) as r:
        assert r.read(S + S // 4) == data[: S + S // 4]  # fragment 1 was prefetched; 0 is still cached
        assert wire.counts == {"GetObject": 2}  # the read waited for fragment 1: nothing else in flight
        for position in (S // 2, 10, S + 3):
            r.seek(position)
            assert r.read(100) == data[position : position + 100]
        assert wire.counts == {"GetObject": 2}
        assert r.stats.cache_misses == 1


def test_seek_end_before_the_first_read_costs_one_get(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool
) -> None:
    data = payload(5 * S + 7, seed=2)
    put(s3_client, bucket, "obj", data)
    client, wire = wire_client
    with S3Reader(
        client,
        bucket,
        "obj",
        config=S3Config(read_policy="sequential", fragment_size=S, fragment_number=4),
        pool=pool,
    ) as r:
        assert r.seek(-5, os.SEEK_END) == len(data) - 5
        assert r.read() == data[-5:]
    assert wire.counts == {"GetObject": 1}


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_random_seeks_and_reads_match_a_local_oracle(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool, size: int
) -> None:
    data = payload(size, seed=size)
    put(s3_client, bucket, "obj", data)
    client, wire = wire_client
    config = S3Config(read_policy="sequential", fragment_size=S, fragment_number=3)
    offsets = st.integers(min_value=-size - 2 * S, max_value=size + 2 * S)
    operations = st.lists(
        st.one_of(
            st.tuples(st.just("seek"), offsets, st.sampled_from([os.SEEK_SET, os.SEEK_CUR, os.SEEK_END])),
            st.tuples(st.just("read"), st.integers(min_value=-1, max_value=3 * S), st.booleans()),
        ),
        max_size=12,
    )

    @settings(max_examples=12, deadline=None)
    @given(operations=operations, buffered=st.booleans())
    def check(operations: list[tuple[str, int, int | bool]], buffered: bool) -> None:
        wire.counts.clear()
        raw = S3Reader(client, bucket, "obj", config=config, pool=pool)
        stream: io.RawIOBase | io.BufferedReader = io.BufferedReader(raw, 333) if buffered else raw
        oracle = io.BytesIO(data)
        for name, number, extra in operations:
            if name == "seek":
                target = oracle.tell() + number if extra == os.SEEK_CUR else number
                if extra == os.SEEK_END:
                    target = size + number
                if target < 0:
                    with pytest.raises(ValueError, match="negative seek"):
                        stream.seek(number, int(extra))
                    continue
                assert stream.seek(number, int(extra)) == oracle.seek(number, int(extra))
            elif extra and number >= 0:
                into, expected = bytearray(number), bytearray(number)
                assert stream.readinto(into) == oracle.readinto(expected)
                assert into == expected
            else:
                assert stream.read(number) == oracle.read(number)
            assert stream.tell() == oracle.tell()
        stream.close()
        stats = raw.stats
        assert stats.bytes_fetched == stats.bytes_used + stats.bytes_wasted
        assert stats.get_requests == wire["GetObject"]
        assert stats.peak_inflight_bytes <= 3 * S
        assert set(wire.counts) <= {"GetObject"}  # never a HEAD
        assert pool.stats.reserved_bytes == 0

    check()


def test_memory_stays_within_fragment_number_times_size(s3_client: Any, bucket: str, pool: FetchPool) -> None:
    data = payload(9 * MiB + MiB // 2, seed=3)
    put(s3_client, bucket, "big", data)
    config = S3Config(read_policy="sequential", fragment_size=MiB, fragment_number=4)
    rng = random.Random(4)
    with S3Reader(s3_client, bucket, "big", config=config, pool=pool) as reader:
        buffered = io.BufferedReader(reader, buffer_size=64 * 1024)
        assert buffered.read(3 * MiB) == data[: 3 * MiB]
        for _ in range(6):
            position = rng.randrange(len(data))
            buffered.seek(position)
            assert buffered.read(MiB) == data[position : position + MiB]
        buffered.seek(0)
        assert buffered.read() == data
    assert reader.stats.peak_inflight_bytes == 4 * MiB  # reached (4 reserved at once) and never passed
    assert reader.stats.peak_cached_bytes <= 4 * MiB
    assert reader.stats.inflight_bytes == 0


def test_many_readers_share_one_budget(s3_client: Any, bucket: str) -> None:
    size, fragment, readers = 12 * 16 * 1024, 16 * 1024, 6
    objects = {f"obj-{n}": payload(size, seed=10 + n) for n in range(readers)}
    for key, data in objects.items():
        put(s3_client, bucket, key, data)
    config = S3Config(read_policy="sequential", fragment_size=fragment, fragment_number=4)
    budget = 3 * fragment
    with FetchPool(max_workers=4, max_inflight_bytes=budget) as shared:
        opened = {key: S3Reader(s3_client, bucket, key, config=config, pool=shared) for key in objects}
        got = {key: bytearray() for key in objects}
        while any(len(got[key]) < size for key in objects):
            for key, reader in opened.items():  # interleaved: every reader holds fragments at once
                got[key] += reader.read(fragment // 3)
        for reader in opened.values():
            reader.close()
        stats = shared.stats
    assert got == {key: bytearray(data) for key, data in objects.items()}
    assert stats.peak_prefetch_bytes <= budget
    assert stats.prefetches_declined > 0  # the budget, not the fragment number, was the limit
    assert stats.reserved_bytes == 0
    assert all(r.stats.peak_inflight_bytes <= 4 * fragment for r in opened.values())


def test_queued_prefetches_are_cancelled_or_taken_back_never_waited_for(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str
) -> None:
    data = payload(40 * S, seed=5)
    put(s3_client, bucket, "obj", data)
    client, wire = wire_client
    release = threading.Event()
    with FetchPool(max_workers=1, max_inflight_bytes=64 * MiB) as busy:
        blocker = busy.submit(release.wait)  # the only worker is taken: every prefetch stays queued
        try:
            config = S3Config(read_policy="sequential", fragment_size=S, fragment_number=4)
            reader = S3Reader(client, bucket, "obj", config=config, pool=busy)
            assert reader.read(S) == data[:S]  # past the middle: fragments 1..3 queued
            assert reader.stats.prefetches_issued == 3
            reader.seek(30 * S)
            assert reader.read(10) == data[30 * S : 30 * S + 10]  # a miss: 1..3 leave the window
            assert reader.stats.prefetches_cancelled == 3
            reader.seek(0)
            assert reader.read() == data  # queued prefetches are taken back and fetched here
            reader.close()
            assert wire.counts == {"GetObject": 2 + 40} == {"GetObject": reader.stats.get_requests}
            assert reader.stats.bytes_fetched == reader.stats.bytes_used + reader.stats.bytes_wasted
            assert busy.stats.reserved_bytes == 0
        finally:
            release.set()
            blocker.result()


MISSING = [
    pytest.param(False, "missing/key.bin", ObjectNotFoundError, id="missing-key"),
    pytest.param(True, "key.bin", BucketNotFoundError, id="missing-bucket"),
]


@pytest.mark.parametrize(("other_bucket", "key", "error"), MISSING)
@pytest.mark.parametrize("eager", [False, True], ids=["on-read", "eager-open"])
def test_missing_object_or_bucket_is_file_not_found_naming_it(
    s3_client: Any, bucket: str, pool: FetchPool, *, other_bucket: bool, key: str, error: type, eager: bool
) -> None:
    name = f"{bucket}-absent" if other_bucket else bucket
    named = name if other_bucket else f"s3://{name}/{key}"
    config = S3Config(read_policy="sequential", fragment_size=S, fragment_number=2)

    def open_and_read() -> None:
        S3Reader(s3_client, name, key, config=config, pool=pool, eager=eager).read(1)

    with pytest.raises(error, match=named) as raised:
        open_and_read()
    assert isinstance(raised.value, FileNotFoundError)
    assert pool.stats.reserved_bytes == 0


def test_deleted_object_fails_and_its_fragment_is_never_cached(
    s3_client: Any, bucket: str, pool: FetchPool
) -> None:
    data = payload(3 * S, seed=6)
    put(s3_client, bucket, "obj", data)
    with S3Reader(
        s3_client,
        bucket,
        "obj",
        config=S3Config(read_policy="sequential", fragment_size=S, fragment_number=1),
        pool=pool,
    ) as r:
        assert r.read(S) == data[:S]
        s3_client.delete_object(Bucket=bucket, Key="obj")
        with pytest.raises(ObjectNotFoundError, match=f"s3://{bucket}/obj"):
            r.read(S)
        assert (r.stats.inflight_bytes, r.tell()) == (0, S)
        put(s3_client, bucket, "obj", data)  # same bytes, same ETag: the read resumes
        assert r.read() == data[S:]


def test_repr_names_the_object_and_close_is_idempotent(s3_client: Any, bucket: str, pool: FetchPool) -> None:
    put(s3_client, bucket, "k", b"abc")
    reader = S3Reader(
        s3_client, bucket, "k", config=S3Config(read_policy="sequential", fragment_size=S), pool=pool
    )
    assert f"s3://{bucket}/k" in repr(reader)
    assert (reader.readable(), reader.seekable(), reader.name) == (True, True, f"s3://{bucket}/k")
    reader.close()
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.read(1)

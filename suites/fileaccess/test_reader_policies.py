"""Read policies on real targets: GETs and bytes on the wire per policy, the S x N bound under every
policy, vectored reads, and seek/read/read_ranges sequences byte-exact against a local oracle."""

from __future__ import annotations

import io
import os
import random
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from s3conf.config import S3Config
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader
from s3conf.readpolicy import Access, Cached, Plan, ReadPolicy
from s3conf.readthrough import ReadThroughBuffer
from suites.fileaccess.conftest import WireCounter

KiB = 1024
MiB = 1 << 20
S = 64 * KiB
N = 4
POLICIES = ["adaptive", "sequential", "random", "whole"]


def payload(size: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(size)


def config(policy: str, **values: Any) -> S3Config:
    return S3Config(fragment_size=S, fragment_number=N, read_policy=policy, read_small_object=0, **values)


@pytest.fixture
def pool() -> Iterator[FetchPool]:
    with FetchPool(max_workers=4, max_inflight_bytes=64 * MiB) as private:
        yield private


@pytest.mark.parametrize("read_size", [S // 2, 10 * S], ids=["half-S-reads", "reads-over-S-times-N"])
@pytest.mark.parametrize("policy", POLICIES)
def test_a_full_read_fetches_every_byte_once_within_the_bound(
    s3_client: Any,
    wire_client: tuple[Any, WireCounter],
    bucket: str,
    pool: FetchPool,
    *,
    policy: str,
    read_size: int,
) -> None:
    """Reads larger than S x N too: ``adaptive`` cuts a large read into quarters, never into a piece larger
    than what a reader may hold, and ``whole`` learns the size from one piece (its first GET was once the
    whole read, 10 S against a bound of 4 S)."""
    data = payload(20 * S + 5)
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    client, wire = wire_client
    with S3Reader(client, bucket, "obj", config=config(policy), pool=pool) as reader:
        got = b"".join(iter(lambda: reader.read(read_size), b""))
        stats = reader.stats
    assert got == data
    assert stats.bytes_fetched == len(data)
    assert stats.bytes_wasted == 0
    assert set(wire.counts) == {"GetObject"}
    assert wire["GetObject"] == stats.get_requests
    assert stats.peak_inflight_bytes <= N * S
    assert pool.stats.reserved_bytes == 0
    if policy == "random" and read_size < S:  # no read-ahead: one GET per read
        assert wire["GetObject"] == -(-len(data) // read_size)
    else:  # read-ahead: GETs of up to S
        assert wire["GetObject"] <= -(-len(data) // S) + 8


@pytest.mark.parametrize("record", [16 * KiB, 20 * KiB, 48 * KiB], ids=["16KiB", "20KiB", "48KiB"])
def test_random_policy_costs_at_most_one_get_per_record_and_the_bytes_read(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool, record: int
) -> None:
    data = payload(4 * MiB, seed=3)
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    client, wire = wire_client
    rng = random.Random(record)
    offsets = [rng.randrange(len(data) - record) for _ in range(40)]
    with S3Reader(client, bucket, "obj", config=config("random"), pool=pool) as reader:
        for offset in offsets:
            reader.seek(offset)
            assert reader.read(record) == data[offset : offset + record]
        stats = reader.stats
    assert wire["GetObject"] <= len(offsets)
    assert stats.bytes_fetched <= 1.1 * record * len(offsets)


@pytest.mark.parametrize("start", [S, 0], ids=["first-read-inside", "first-read-at-the-start"])
def test_adaptive_reads_ahead_on_sequential_access_and_stops_after_a_far_seek(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool, start: int
) -> None:
    """A first read inside the object may be a random one: it fetches what it asks for (16 KiB minimum)
    and no more; a first read at offset 0 is taken as the start of a sequential read, as Linux does."""
    data = payload(64 * S, seed=4)
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    client, wire = wire_client
    with S3Reader(client, bucket, "obj", config=config("adaptive"), pool=pool) as reader:
        reader.seek(start)
        assert reader.read(8 * KiB) == data[start : start + 8 * KiB]
        if start:
            assert (wire["GetObject"], reader.stats.prefetches_issued) == (1, 0)
        else:
            assert reader.stats.prefetches_issued > 0
        for _ in range(11):
            reader.read(8 * KiB)
        assert reader.stats.prefetches_issued > 0
        issued = reader.stats.prefetches_issued
        reader.seek(50 * S)
        assert reader.read(100) == data[50 * S : 50 * S + 100]
        assert reader.stats.prefetches_issued == issued  # a far seek falls back to random reads


class _Counted:
    """A reader's policy, counting its plans; with ``promise=False`` it never promises quiet reads."""

    def __init__(self, policy: ReadPolicy, *, promise: bool) -> None:
        self.base, self.promise, self.plans = policy, promise, 0
        self.name = policy.name

    def plan(self, history: Sequence[Access], cache: Sequence[Cached], size: int | None) -> Plan:
        self.plans += 1
        plan = self.base.plan(history, cache, size)
        return plan if self.promise else replace(plan, quiet_until=0)

    def tail_length(self) -> int:
        return self.base.tail_length()


def test_reads_the_adaptive_plan_promised_quiet_are_served_without_a_plan_and_change_nothing_on_the_wire(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool
) -> None:
    """A stream of small reads, with and without the engine acting on ``Plan.quiet_until``: the same bytes,
    the same GETs and bytes fetched, and a plan for only a few of the reads."""
    data = payload(64 * S + 5, seed=7)
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    client, wire = wire_client
    outcomes = []
    for promise in (True, False):
        before = wire["GetObject"]
        with S3Reader(client, bucket, "obj", config=config("adaptive"), pool=pool) as reader:
            counted = reader.policy = _Counted(reader.policy, promise=promise)
            got = b"".join(iter(lambda: reader.read(4 * KiB), b""))
            stats = reader.stats
        assert got == data
        outcomes.append((wire["GetObject"] - before, stats.bytes_fetched, counted.plans))
    (gets, fetched, plans), (gets_planned, fetched_planned, every_read) = outcomes
    assert (gets, fetched) == (gets_planned, fetched_planned)
    assert every_read >= len(data) // (4 * KiB)
    assert plans < every_read // 4, f"{plans} plans for {every_read} reads"


def test_read_ranges_coalesces_nearby_ranges_and_returns_exact_bytes(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool
) -> None:
    data = payload(40 * S, seed=5)
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    client, wire = wire_client
    ranges = [(100, 200), (210, 400), (5 * S, 5 * S + 10), (39 * S, 41 * S), (0, 0), (150, 160)]
    cfg = config("random", **{"vectored_min_seek": 64, "vectored_max_merged": 8 * S})
    with S3Reader(client, bucket, "obj", config=cfg, pool=pool) as reader:
        assert reader.read_ranges(ranges) == [data[s:e] for s, e in ranges]
        assert reader.tell() == 0
        assert reader.stats.peak_inflight_bytes <= N * S
    assert wire["GetObject"] == 3  # [100, 400), [5S, 5S+10), [39S, 40S)


@pytest.mark.parametrize("policy", POLICIES)
def test_seek_read_and_read_ranges_match_a_local_oracle_within_the_bound(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool, policy: str
) -> None:
    size = 9 * S + 77
    data = payload(size, seed=6)
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    client, wire = wire_client
    offsets = st.integers(min_value=0, max_value=size + S)
    operations = st.lists(
        st.one_of(
            st.tuples(st.just("seek"), offsets, st.sampled_from([os.SEEK_SET, os.SEEK_END])),
            st.tuples(st.just("read"), st.integers(min_value=-1, max_value=3 * S), st.just(0)),
            st.tuples(
                st.just("ranges"), st.lists(st.tuples(offsets, st.integers(0, 2 * S)), max_size=6), st.just(0)
            ),
        ),
        max_size=10,
    )

    @settings(max_examples=8, deadline=None)
    @given(operations=operations, buffered=st.booleans())
    def check(operations: list[tuple[str, Any, int]], buffered: bool) -> None:
        wire.counts.clear()
        raw = S3Reader(client, bucket, "obj", config=config(policy), pool=pool)
        stream: Any = ReadThroughBuffer(raw, 333) if buffered else raw
        oracle = io.BytesIO(data)
        for name, number, whence in operations:
            if name == "seek":
                offset = -min(number, size) if whence == os.SEEK_END else number
                assert stream.seek(offset, whence) == oracle.seek(offset, whence)
            elif name == "read":
                assert stream.read(number) == oracle.read(number)
            else:
                ranges = [(start, start + length) for start, length in number]
                assert raw.read_ranges(ranges) == [data[s:e] for s, e in ranges]
            assert stream.tell() == oracle.tell()
        stream.close()
        stats = raw.stats
        assert stats.bytes_fetched == stats.bytes_used + stats.bytes_wasted
        assert stats.peak_inflight_bytes <= N * S
        assert set(wire.counts) <= {"GetObject"}  # never a HEAD
        assert pool.stats.reserved_bytes == 0

    check()


def test_large_reads_through_the_buffer_reach_the_policy_whole(
    s3_client: Any, wire_client: tuple[Any, WireCounter], bucket: str, pool: FetchPool
) -> None:
    """pyarrow reads a column chunk with one ``read(n)``: one GET, not a GET plus a buffer refill."""
    data = payload(32 * S, seed=7)
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    client, wire = wire_client
    raw = S3Reader(client, bucket, "obj", config=config("random"), pool=pool)
    with ReadThroughBuffer(raw) as stream:
        for offset, length in [(3 * S + 11, S + 100), (20 * S + 1, 2 * S - 5)]:
            stream.seek(offset)
            assert stream.read(length) == data[offset : offset + length]
    assert wire["GetObject"] == 2 + 2  # each read is its S-sized pieces only: [S+100] -> 2, [2S-5] -> 2

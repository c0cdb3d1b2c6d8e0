"""A tiny sweep against a real loopback target: structure and invariants, never timings.

The objects are 1 MiB and the grid 2 x 2, so this takes seconds; what it checks is what the report
relies on: every (workload, contender) measured once per repeat, the limit fetching exactly what the
plan needs, the reader's peak bytes in flight within S x N, and unavailable peers skipped, not faked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from emulators.buckets import create_bucket, delete_bucket, unique_bucket_name
from emulators.registry import create_emulator
from s3conf.client import make_client
from s3conf.config import S3Config
from s3conf.errors import TransferError
from suites.bench.contenders import BenchObject, Clock, LimitRanged, replay
from suites.bench.runner import SweepSpec, TargetInfo, run_sweep
from suites.bench.workloads import WORKLOADS, Read, requested_bytes

KiB = 1024
MiB = 1024 * KiB


@pytest.fixture(scope="module")
def moto() -> Iterator[Any]:
    """One in-process moto server for this module: the sweep logic is target-independent, and moto is
    the fastest real server to start (the throughput targets are exercised by ``s3conf bench``)."""
    emulator = create_emulator("moto")
    with emulator:
        yield emulator


@pytest.fixture(scope="module")
def client(moto: Any) -> Any:
    return make_client(moto.endpoint, S3Config.resolve(env={}))


@pytest.fixture(scope="module")
def sweep(moto: Any) -> tuple[Any, ...]:
    spec = SweepSpec(
        workloads=[WORKLOADS["sequential"], WORKLOADS["random"], WORKLOADS["backwards"]],
        object_sizes={"sequential": 1 * MiB, "random": 1 * MiB, "backwards": 1 * MiB},
        fragment_sizes=(128 * KiB, 256 * KiB),
        fragment_numbers=(1, 3),
        limit_concurrencies=(2,),
        peers=["boto3-download"],
        repeats=2,
        seed=5,
    )
    info = TargetInfo("moto", moto.endpoint, capabilities=moto.capabilities)
    return spec, run_sweep(info, spec, "s3conf bench (test)")


def test_every_pair_is_measured_once_per_repeat(sweep: tuple[Any, ...]) -> None:
    spec, (run, samples, skipped) = sweep
    assert skipped == []
    pairs = {(s.workload, s.contender, s.repeat) for s in samples}
    contenders = {s.contender for s in samples}
    assert len(contenders) == 2 + 4 + 1  # limit:get, limit:ranged×2, four reader cells, one peer
    assert len(pairs) == len(samples) == 3 * len(contenders) * spec.repeats
    assert (run.seed, run.fragment_numbers, run.warmed) == (5, (1, 3), True)


def test_requested_bytes_and_limit_fetches_match_the_plans(sweep: tuple[Any, ...]) -> None:
    spec, (_, samples, _) = sweep
    for sample in samples:
        plan = WORKLOADS[sample.workload].plan(spec.object_sizes[sample.workload], spec.seed)
        assert sample.requested_bytes == requested_bytes(plan)
        if sample.contender == "limit:get":
            assert (sample.get_requests, sample.bytes_fetched) == (1, MiB)
        if sample.contender == "limit:ranged×2" and sample.workload == "sequential":
            assert (sample.get_requests, sample.bytes_fetched) == (2, MiB)


def test_reader_peak_in_flight_stays_within_s_times_n(sweep: tuple[Any, ...]) -> None:
    _, (_, samples, _) = sweep
    readers = [s for s in samples if s.kind == "reader"]
    assert readers
    for sample in readers:
        assert 0 < sample.peak_inflight_bytes <= sample.fragment_size * sample.fragment_number
        assert sample.bytes_fetched >= sample.requested_bytes or sample.workload == "random"


def test_interleaving_order_depends_on_the_seed_only(sweep: tuple[Any, ...]) -> None:
    _, (_, samples, _) = sweep
    first_repeat = [
        (s.workload, s.contender) for s in sorted(samples, key=lambda s: s.order) if s.repeat == 0
    ]
    second_repeat = [
        (s.workload, s.contender) for s in sorted(samples, key=lambda s: s.order) if s.repeat == 1
    ]
    assert sorted(first_repeat) == sorted(second_repeat)
    assert first_repeat != second_repeat  # shuffled per repeat (fixed seed: deterministic)


def test_a_short_read_is_an_error_not_a_fast_result() -> None:
    class Truncated:
        def seek(self, offset: int) -> None:
            self.left = 10

        def read(self, n: int) -> bytes:
            data, self.left = b"x" * min(n, self.left), max(0, self.left - n)
            return data

    with pytest.raises(TransferError, match="offset 0 ended 90 bytes short"):
        replay(Truncated(), (Read(0, 100),), Clock(), "truncated")


def test_the_ranged_limit_never_fetches_bytes_the_plan_skips(moto: Any, client: Any) -> None:
    bucket = unique_bucket_name()
    create_bucket(client, bucket, moto.endpoint)
    client.put_object(Bucket=bucket, Key="o", Body=b"a" * 1000)
    limit = LimitRanged(client, concurrency=2)
    try:
        measured = limit.run(BenchObject(bucket, "o", 1000), (Read(900, 50), Read(0, 10), Read(10, 10)))
    finally:
        limit.close()
        delete_bucket(client, bucket, moto.capabilities)
    assert (measured.get_requests, measured.bytes_fetched, measured.bytes_wasted) == (2, 70, 0)

"""The shared in-flight budget under 64 concurrent readers: the bound that holds (issue 10 defect 8).

``s3.spi.read.max-inflight-bytes`` bounds *prefetches*: one is issued only when it fits. A demand fetch
(the bytes a caller is blocked on) is always granted, because making it wait for other readers' cached
fragments could deadlock a program that interleaves readers in one thread. So the process-wide bound is
the budget plus the bytes being fetched on demand: at most one fetch per reader (a demand miss drops the
reader's fragments outside its new window first), so ``budget + R x F`` for R readers, F the largest
fetch the read policy makes (S for ``sequential``; a small object whole under ``adaptive``). The
pool's peaks are recorded at the moment of each reservation, so these assertions hold exactly.

That demand fetches do reach past the budget is forced, not left to thread timing: the first GETs wait
on a barrier until ``BUDGET // S + 1`` of them are on the wire at once, each holding its reservation.
"""

from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from emulators.pytest_plugin import RunningTarget
from s3conf.config import S3Config
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader

S = 4 * 1024
N = 4
READERS = 64
FRAGMENTS = 6
BUDGET = 4 * S  # far below what 64 readers would like to prefetch (64 x 3 x S)
OVERLAP = BUDGET // S + 1  # GETs of S bytes held on the wire together: their reservations pass the budget


class OverlappingGets:
    """A ``before-send`` hook: the first :data:`OVERLAP` GETs wait until all of them have been sent.

    Each request is sent after its bytes were reserved, and a reservation is held until its fetch ends,
    so when the barrier opens the pool holds at least ``OVERLAP`` fetches' bytes at once.
    """

    def __init__(self) -> None:
        self.barrier = threading.Barrier(OVERLAP, timeout=60)
        self.lock = threading.Lock()
        self.waiting = 0

    def hook(self, **_: Any) -> None:
        with self.lock:
            first = self.waiting < OVERLAP
            self.waiting += 1
        if first:
            self.barrier.wait()  # BrokenBarrierError (a failed read) if they never overlap


@pytest.mark.parametrize(
    ("policy", "largest_fetch"),
    [("sequential", S), ("adaptive", FRAGMENTS * S)],  # adaptive reads these small objects whole
    ids=["sequential", "adaptive-small-objects-whole"],
)
def test_64_readers_stay_within_budget_plus_one_demand_fetch_each(
    target: RunningTarget, s3_client: Any, bucket: str, *, policy: str, largest_fetch: int
) -> None:
    objects = {f"obj-{n:02d}": random.Random(n).randbytes(FRAGMENTS * S - n) for n in range(READERS)}
    for key, data in objects.items():
        s3_client.put_object(Bucket=bucket, Key=key, Body=data)
    client = target.client()
    overlapping = OverlappingGets()
    client.meta.events.register("before-send.s3.GetObject", overlapping.hook)
    config = S3Config(read_policy=policy, fragment_size=S, fragment_number=N)
    with FetchPool(max_workers=8, max_inflight_bytes=BUDGET) as pool:

        def read(key: str) -> tuple[bytes, int]:
            with S3Reader(client, bucket, key, config=config, pool=pool) as reader:
                got = b"".join(iter(lambda: reader.read(S // 2), b""))
            return got, reader.stats.peak_inflight_bytes

        with ThreadPoolExecutor(max_workers=READERS) as readers:
            results = dict(zip(objects, readers.map(read, objects), strict=True))
        stats = pool.stats
    assert {key: got for key, (got, _) in results.items()} == objects
    assert overlapping.waiting >= OVERLAP
    assert not overlapping.barrier.broken
    assert stats.peak_prefetch_bytes <= BUDGET  # prefetches never pass the budget
    assert stats.peak_reserved_bytes <= BUDGET + READERS * largest_fetch  # the documented bound
    assert stats.peak_reserved_bytes > BUDGET  # ...which demand fetches do reach past the budget
    assert all(peak <= max(N * S, largest_fetch) for _, peak in results.values())  # per reader
    assert stats.reserved_bytes == 0

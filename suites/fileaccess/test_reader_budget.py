"""The shared in-flight budget under 64 concurrent readers: the bound that holds (issue 10 defect 8).

``s3.spi.read.max-inflight-bytes`` bounds *prefetches*: one is issued only when it fits. A demand fetch
(the bytes a caller is blocked on) is always granted, because making it wait for other readers' cached
fragments could deadlock a program that interleaves readers in one thread. So the process-wide bound is
the budget plus the fragments being fetched on demand: for sequential readers at most one fragment each
(a demand miss drops the reader's fragments outside its new window first), so ``budget + R x S`` for R
readers, and never more than ``R x N x S``. The pool's peaks are recorded at the moment of each
reservation, so these assertions hold exactly, not on a sample.
"""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from s3conf.config import S3Config
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader

S = 4 * 1024
N = 4
READERS = 64
FRAGMENTS = 6
BUDGET = 4 * S  # far below what 64 readers would like to prefetch (64 x 3 x S)


def test_64_readers_stay_within_budget_plus_one_demand_fragment_each(s3_client: Any, bucket: str) -> None:
    objects = {f"obj-{n:02d}": random.Random(n).randbytes(FRAGMENTS * S - n) for n in range(READERS)}
    for key, data in objects.items():
        s3_client.put_object(Bucket=bucket, Key=key, Body=data)
    config = S3Config(fragment_size=S, fragment_number=N)
    with FetchPool(max_workers=8, max_inflight_bytes=BUDGET) as pool:

        def read(key: str) -> tuple[bytes, int]:
            with S3Reader(s3_client, bucket, key, config=config, pool=pool) as reader:
                got = b"".join(iter(lambda: reader.read(S // 2), b""))
            return got, reader.stats.peak_inflight_bytes

        with ThreadPoolExecutor(max_workers=READERS) as readers:
            results = dict(zip(objects, readers.map(read, objects), strict=True))
        stats = pool.stats
    assert {key: got for key, (got, _) in results.items()} == objects
    assert stats.peak_prefetch_bytes <= BUDGET  # prefetches never pass the budget
    assert stats.peak_reserved_bytes <= BUDGET + READERS * S  # the documented process-wide bound
    assert all(peak <= N * S for _, peak in results.values())  # and each reader within N x S
    assert stats.prefetches_declined > 0  # the budget, not the readers, limited the read-ahead
    assert stats.reserved_bytes == 0

"""Every response is checked against its request before a byte is used (issue 10, defects 1-3).

A fault proxy before each target rewrites real answers: a ``Content-Range`` that does not match the
requested range, an ETag that changes, a store that ignores ``If-Match`` while the object is replaced,
a range answered with the whole object. The reader must return the exact bytes (after a retry) or
raise an error of :mod:`s3conf.errors` that names the object, never wrong bytes. Requests are counted
in the proxy's log, on the wire, not by the reader.
"""

from __future__ import annotations

import errno
import random
from collections.abc import Iterator
from typing import Any

import pytest

from emulators.faultproxy import Fault, FaultProxy, set_header, shift_content_range
from s3conf.config import S3Config
from s3conf.errors import S3ConfError, TransferError
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader

S = 1024
SIZE = 4 * S + 100


def payload(seed: int = 0, size: int = SIZE) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.fixture
def pool() -> Iterator[FetchPool]:
    with FetchPool(max_workers=2, max_inflight_bytes=1 << 20) as private:
        yield private


def reader(client: Any, bucket: str, pool: FetchPool, *, number: int = 1, attempts: int = 2) -> S3Reader:
    config = S3Config(read_policy="sequential", fragment_size=S, fragment_number=number)
    return S3Reader(client, bucket, "obj", config=config, pool=pool, attempts=attempts, backoff=0.001)


# (rewrite, GETs let through first). A wrong total on the *first* answer cannot be told from the truth
# (no HEAD): it is caught by the next answer, so that rule starts at a later GET.
MISMATCHES = [
    pytest.param(shift_content_range(100), 0, id="start-and-end-shifted-first-get"),
    pytest.param(shift_content_range(100), 2, id="start-and-end-shifted-later-get"),
    pytest.param(shift_content_range(0, total_delta=1), 2, id="total-grown-later-get"),
    pytest.param(set_header("Content-Range", "bytes 0-99/4196"), 0, id="end-short-first-get"),
]


@pytest.mark.parametrize(("rewrite", "skip"), MISMATCHES)
def test_a_content_range_that_does_not_match_the_request_is_retried_never_used(
    s3_client: Any, bucket: str, fault_proxy: FaultProxy, proxied_client: Any, pool: FetchPool,
    *, rewrite: Any, skip: int,
) -> None:  # fmt: skip
    data = payload()
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    fault_proxy.add(Fault(method="GET", ranged=True, skip=skip, rewrite=rewrite))
    with reader(proxied_client, bucket, pool) as r:
        assert r.read() == data
        assert r.stats.retries == 1
    assert fault_proxy.faults_injected() == 1
    assert len(fault_proxy.requests("GET")) == 5 + 1  # one GET per fragment, plus the retry


def test_a_content_range_that_never_matches_is_a_transfer_error(
    s3_client: Any, bucket: str, fault_proxy: FaultProxy, proxied_client: Any, pool: FetchPool
) -> None:
    s3_client.put_object(Bucket=bucket, Key="obj", Body=payload())
    fault_proxy.add(Fault(method="GET", ranged=True, times=None, rewrite=shift_content_range(100)))
    with reader(proxied_client, bucket, pool, attempts=3) as r:
        with pytest.raises(TransferError, match="after 3 attempts") as raised:
            r.read(10)
        assert raised.value.errno == errno.EIO
        assert "does not answer bytes=0-1023" in str(raised.value.__cause__)
        assert (r.tell(), r.stats.bytes_used, r.stats.inflight_bytes) == (0, 0, 0)
    assert len(fault_proxy.requests("GET")) == 3


def test_an_etag_that_changes_is_object_changed_without_retry(
    s3_client: Any, bucket: str, fault_proxy: FaultProxy, proxied_client: Any, pool: FetchPool
) -> None:
    data = payload()
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    fault_proxy.add(
        Fault(method="GET", ranged=True, skip=1, rewrite=set_header("ETag", '"0123456789abcdef"'))
    )
    with reader(proxied_client, bucket, pool, attempts=3) as r:
        assert r.read(S) == data[:S]
        with pytest.raises(TransferError, match="object changed while being read") as raised:
            r.read(S)
        assert raised.value.errno == errno.ESTALE
        assert f"s3://{bucket}/obj" in str(raised.value)
        assert r.stats.retries == 0
    assert len(fault_proxy.requests("GET")) == 2


@pytest.mark.parametrize(
    ("new_size", "message"),
    [(SIZE, "ETag"), (S // 2, "no longer there")],
    ids=["same-size-new-version", "replaced-by-shorter"],
)
def test_a_store_that_ignores_if_match_still_never_mixes_versions(
    s3_client: Any, bucket: str, fault_proxy: FaultProxy, proxied_client: Any, pool: FetchPool,
    *, new_size: int, message: str,
) -> None:  # fmt: skip
    """rclone ignores ``If-Match``; the proxy makes every target behave so. The ETag (same size) or the
    416 of a range past the new end (shorter) must still end the read with "object changed"."""
    s3_client.put_object(Bucket=bucket, Key="obj", Body=payload(1))
    fault_proxy.add(Fault(method="GET", times=None, drop_request_headers=("If-Match",)))
    with reader(proxied_client, bucket, pool, attempts=3) as r:
        assert r.read(1000) == payload(1)[:1000]
        s3_client.put_object(Bucket=bucket, Key="obj", Body=payload(2, new_size))
        with pytest.raises(TransferError, match=message) as raised:
            r.read(2 * S)
        assert isinstance(raised.value, S3ConfError)
        assert raised.value.errno == errno.ESTALE
        assert raised.value.filename == f"s3://{bucket}/obj"
        assert r.stats.retries == 0


def test_a_range_answered_with_the_whole_object_keeps_only_the_range(
    s3_client: Any, bucket: str, fault_proxy: FaultProxy, proxied_client: Any, pool: FetchPool
) -> None:
    """A server that ignores ``Range`` sends ``200`` and every byte; each fragment keeps its own bytes."""
    data = payload(3)
    s3_client.put_object(Bucket=bucket, Key="obj", Body=data)
    fault_proxy.add(Fault(method="GET", times=None, full_body=True))
    with reader(proxied_client, bucket, pool) as r:
        r.seek(2 * S + 7)
        assert r.read(S) == data[2 * S + 7 : 3 * S + 7]
        r.seek(0)
        assert r.read(10) == data[:10]
        stats = r.stats
    gets = fault_proxy.requests("GET")
    assert [g.status for g in gets] == [200, 200, 200]  # fragments 2, 3, then 0: all whole bodies
    assert stats.full_body_responses == len(gets) == stats.get_requests
    assert stats.bytes_used == S + 10

"""Bounded failure time: one retry layer, write timeouts on uploads, an operation deadline, a prompt close.

Issue 10 defects 4 and 5, shown through the fault proxy in front of a private moto server (the stalls
would hold a shared target's connections). The clients are s3conf's own (:func:`new_client`), since
they carry the retry and timeout policy under test. A few assertions bound elapsed time: each bound is
several times what the fixed code needs and several times less than what the defect took, so they
cannot pass by luck nor fail from a slow machine.
"""

from __future__ import annotations

import errno
import random
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from moto.server import ThreadedMotoServer

from emulators.clients import boto3_client
from emulators.faultproxy import Fault, FaultProxy
from s3conf.client import REQUEST_ATTEMPTS, new_client
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.errors import TransferError
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader

S = 64 * 1024
STALL = 30.0  # how long the proxy holds a stalled answer: far past every bound below
DATA = random.Random(7).randbytes(6 * S)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[tuple[Endpoint, str]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = Endpoint(name="moto", url=f"http://{host}:{port}", access_key="ak", secret_key="sk")
    direct = boto3_client(endpoint)
    bucket = f"s3conf-deadline-{uuid.uuid4().hex[:12]}"
    direct.create_bucket(Bucket=bucket)
    direct.put_object(Bucket=bucket, Key="obj", Body=DATA)
    try:
        yield endpoint, bucket
    finally:
        for item in direct.list_objects_v2(Bucket=bucket).get("Contents", []):
            direct.delete_object(Bucket=bucket, Key=item["Key"])
        direct.delete_bucket(Bucket=bucket)
        server.stop()


@pytest.fixture
def pool() -> Iterator[FetchPool]:
    with FetchPool(max_workers=4, max_inflight_bytes=64 * S) as private:
        yield private


@pytest.fixture
def proxy(moto_endpoint: tuple[Endpoint, str], pool: FetchPool) -> Iterator[FaultProxy]:
    """Closed before ``pool``: closing ends its stalls, so abandoned fetches finish and the pool stops."""
    with FaultProxy(moto_endpoint[0]) as private:
        yield private


def until(condition: Any, timeout: float = 10.0) -> bool:
    """Poll ``condition``: whether a fetch thread is inside its body read has nothing to wait on."""
    give_up = time.monotonic() + timeout
    while not condition() and time.monotonic() < give_up:
        time.sleep(0.005)
    return bool(condition())


def client(proxy: FaultProxy, **settings: object) -> Any:
    return new_client(proxy.endpoint, S3Config.resolve(settings, env={}))


def test_a_failing_get_is_tried_attempts_times_on_the_wire_not_attempts_squared(
    proxy: FaultProxy, moto_endpoint: tuple[Endpoint, str], pool: FetchPool
) -> None:
    proxy.add(Fault(method="GET", status=503, times=None))
    config = S3Config(fragment_size=S, fragment_number=1)
    reader = S3Reader(client(proxy), moto_endpoint[1], "obj", config=config, pool=pool, backoff=0.001)
    with pytest.raises(TransferError, match="after 3 attempts"):
        reader.read(1)
    assert len(proxy.requests("GET")) == 3  # the reader's 3; botocore adds none (it used to make 9)


def test_other_operations_keep_botocore_standard_retries(
    proxy: FaultProxy, moto_endpoint: tuple[Endpoint, str]
) -> None:
    proxy.add(Fault(method="PUT", status=503, times=None))
    with pytest.raises(ClientError):
        client(proxy).put_object(Bucket=moto_endpoint[1], Key="put-503", Body=b"x")
    assert len(proxy.requests("PUT")) == REQUEST_ATTEMPTS == 3


def test_the_write_timeout_applies_to_uploads_and_the_read_timeout_does_not(
    proxy: FaultProxy, moto_endpoint: tuple[Endpoint, str]
) -> None:
    """write 0.5 s, read 30 s: a PUT whose answer stalls fails after 3 x 0.5 s, not 3 x 30 s."""
    proxy.add(Fault(method="PUT", stall=STALL, times=None))
    uploader = client(proxy, **{"s3.spi.timeouts.write": "0.5s", "s3.spi.timeouts.read": "30s"})
    started = time.monotonic()
    with pytest.raises(ReadTimeoutError):
        uploader.put_object(Bucket=moto_endpoint[1], Key="stalled", Body=b"x" * 1000)
    assert time.monotonic() - started < 10
    assert proxy.wait_for_arrivals(3, timeout=1)  # every attempt reached the server side


def test_the_operation_deadline_bounds_a_read_whatever_the_timeouts(
    proxy: FaultProxy, moto_endpoint: tuple[Endpoint, str], pool: FetchPool
) -> None:
    """read timeout 30 s, deadline 1.5 s: a server that never answers fails the read in about 1.5 s."""
    proxy.add(Fault(method="GET", stall=STALL, times=None))
    reader_client = client(proxy, **{"s3.spi.timeouts.read": "30s", "s3.spi.timeouts.operation": "1.5s"})
    config = S3Config(fragment_size=S, fragment_number=1, operation_timeout=1.5)
    reader = S3Reader(reader_client, moto_endpoint[1], "obj", config=config, pool=pool, backoff=0.001)
    started = time.monotonic()
    with pytest.raises(TransferError) as raised:
        reader.read(1)
    assert time.monotonic() - started < 8
    assert raised.value.errno in (errno.ETIMEDOUT, errno.EIO)
    assert isinstance(raised.value.__cause__, ReadTimeoutError)


@pytest.mark.parametrize(
    ("stall", "released"),
    [
        pytest.param(
            Fault(method="GET", skip=1, times=None, stall_body_after=1000, stall_body=STALL),
            True,
            id="mid-body",
        ),
        pytest.param(Fault(method="GET", skip=1, times=None, stall=STALL), False, id="before-headers"),
    ],
)
def test_close_returns_promptly_with_stalled_prefetches(
    proxy: FaultProxy, moto_endpoint: tuple[Endpoint, str], pool: FetchPool, *, stall: Fault, released: bool
) -> None:
    """A fetch blocked on a body has its socket shut down: it ends inside ``close`` and frees its bytes.
    One still waiting for headers cannot be interrupted: ``close`` abandons it after its grace second."""
    proxy.add(stall)
    config = S3Config(read_policy="sequential", fragment_size=S, fragment_number=4)
    reader = S3Reader(client(proxy), moto_endpoint[1], "obj", config=config, pool=pool)
    assert reader.read(S) == DATA[:S]  # past the middle of fragment 0: fragments 1..3 are prefetched
    assert proxy.wait_for_arrivals(1 + 3)  # ...and all three are stalled inside the proxy
    if released:  # mid-body: wait until all three are reading their body (their socket is all we can stop)
        assert proxy.wait_for_stalled_bodies(3)
        assert until(lambda: all(f.response is not None for f in reader._entries.values() if f.start))
    started = time.monotonic()
    reader.close()
    assert time.monotonic() - started < 3
    assert reader.stats.prefetches_cancelled == 3
    assert (pool.stats.reserved_bytes == 0) is released

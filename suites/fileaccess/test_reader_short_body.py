"""A GET body that ends before its Content-Length is retried, and fails loudly when it keeps ending.

The reader reads bodies straight from the socket into the fragment buffer (``s3conf.ranged_get``),
past botocore's and urllib3's length checks, so it must count the bytes itself. The fault proxy
(:mod:`emulators.faultproxy`) in front of a private moto server forwards real S3 answers but cuts
chosen bodies short and drops the connection, as a server crashing mid-response would. Both body
paths run: the direct socket path and the public ``read()`` fallback (forced by making the body's
type unrecognised).
"""

from __future__ import annotations

import errno
import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from emulators.clients import boto3_client
from emulators.faultproxy import Fault, FaultProxy
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.errors import TransferError
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader

S = 64 * 1024


CUT = 1000  # bytes a truncated body loses


def cut_short(times: int) -> Fault:
    """The first ``times`` GET bodies lose their last ``CUT`` bytes and the connection is closed."""
    return Fault(method="GET", times=times, truncate_body=S - CUT)


@pytest.fixture
def proxied() -> Iterator[tuple[FaultProxy, Any, str, bytes]]:
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    host, port = moto.get_host_and_port()
    direct = boto3_client(
        Endpoint(name="moto-direct", url=f"http://{host}:{port}", access_key="ak", secret_key="sk")
    )
    bucket = f"s3conf-short-{uuid.uuid4().hex[:12]}"
    data = random.Random(1).randbytes(3 * S)
    direct.create_bucket(Bucket=bucket)
    direct.put_object(Bucket=bucket, Key="obj", Body=data)
    proxy = FaultProxy(Endpoint(name="moto", url=f"http://{host}:{port}", access_key="ak", secret_key="sk"))
    client = boto3_client(proxy.endpoint, retries={"max_attempts": 1, "mode": "standard"})
    try:
        yield proxy, client, bucket, data
    finally:
        proxy.close()
        direct.delete_object(Bucket=bucket, Key="obj")
        direct.delete_bucket(Bucket=bucket)
        moto.stop()


@pytest.fixture(params=["direct", "read-fallback"], ids=["direct", "read-fallback"])
def body_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "read-fallback":
        # An unrecognised body type: ranged_get must use the public StreamingBody.read() instead.
        monkeypatch.setattr("s3conf.ranged_get.StreamingBody", type(None))
    return str(request.param)


def test_short_body_is_retried_and_the_bytes_are_exact(
    proxied: tuple[FaultProxy, Any, str, bytes], body_path: str
) -> None:
    proxy, client, bucket, data = proxied
    proxy.add(cut_short(1))
    config = S3Config(fragment_size=S, fragment_number=1)
    with FetchPool(max_workers=1, max_inflight_bytes=S) as pool:
        reader = S3Reader(client, bucket, "obj", config=config, pool=pool, attempts=2, backoff=0.001)
        assert reader.read(S) == data[:S]
        assert (reader.stats.get_requests, reader.stats.retries, proxy.faults_injected()) == (2, 1, 1)
        assert reader.stats.bytes_fetched == 2 * S - CUT  # the cut attempt's bytes count
        assert reader.read() == data[S:]
        reader.close()
        stats = reader.stats
        assert (stats.bytes_used, stats.bytes_wasted) == (3 * S, S - CUT)


def test_body_that_keeps_ending_short_is_a_transfer_error(
    proxied: tuple[FaultProxy, Any, str, bytes], body_path: str
) -> None:
    proxy, client, bucket, _ = proxied
    proxy.add(cut_short(10))
    config = S3Config(fragment_size=S, fragment_number=1)
    with FetchPool(max_workers=1, max_inflight_bytes=S) as pool:
        reader = S3Reader(client, bucket, "obj", config=config, pool=pool, attempts=2, backoff=0.001)
        with pytest.raises(TransferError, match="after 2 attempts") as raised:
            reader.read(S)
        assert raised.value.errno == errno.EIO
        # The length check (ours on the direct path, botocore's on read()) names where the body ended.
        assert str(S - CUT) in str(raised.value.__cause__)
        assert (reader.stats.get_requests, proxy.faults_injected(), reader.tell()) == (2, 2, 0)
        reader.close()
        assert pool.stats.reserved_bytes == 0

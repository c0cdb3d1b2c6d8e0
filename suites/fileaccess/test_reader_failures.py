"""Reader failure handling against a private moto server that each test can stop or rewrite.

These need a server of their own (stopping a shared target would break other tests), so they run
against an in-process moto server on an ephemeral port rather than the ``target`` matrix.
"""

from __future__ import annotations

import errno
import random
import uuid
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer

from emulators.clients import boto3_client
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.errors import TransferError
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader

S = 1024


class PrivateServer:
    """A moto server only this test uses, with a bucket; ``stop()`` empties it first."""

    def __init__(self) -> None:
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        endpoint = Endpoint(
            name="moto-private", url=f"http://{host}:{port}", access_key="ak", secret_key="sk"
        )
        self.client = boto3_client(
            endpoint, retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=2
        )
        self.bucket = f"s3conf-failures-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=self.bucket)
        self.running = True

    def stop(self) -> None:
        if self.running:
            for item in self.client.list_objects_v2(Bucket=self.bucket).get("Contents", []):
                self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
            self.client.delete_bucket(Bucket=self.bucket)
            self.moto.stop()
            self.running = False


@pytest.fixture
def server() -> Iterator[PrivateServer]:
    private = PrivateServer()
    try:
        yield private
    finally:
        private.stop()


@pytest.fixture
def pool() -> Iterator[FetchPool]:
    with FetchPool(max_workers=2, max_inflight_bytes=1 << 20) as private:
        yield private


def test_stopped_server_is_retried_then_a_transfer_error(server: PrivateServer, pool: FetchPool) -> None:
    data = random.Random(0).randbytes(3 * S)
    server.client.put_object(Bucket=server.bucket, Key="obj", Body=data)
    config = S3Config(fragment_size=S, fragment_number=1)
    reader = S3Reader(
        server.client, server.bucket, "obj", config=config, pool=pool, attempts=3, backoff=0.001
    )
    assert reader.read(S) == data[:S]
    server.stop()
    with pytest.raises(TransferError, match="after 3 attempts") as raised:
        reader.read(S)
    assert raised.value.errno == errno.EIO
    assert (reader.stats.get_requests, reader.stats.retries) == (1 + 3, 2)
    assert (reader.stats.inflight_bytes, reader.tell()) == (0, S)  # evicted, position unchanged
    reader.close()
    assert pool.stats.reserved_bytes == 0


def test_object_replaced_mid_read_fails_instead_of_mixing_versions(
    server: PrivateServer, pool: FetchPool
) -> None:
    client, bucket = server.client, server.bucket
    client.put_object(Bucket=bucket, Key="obj", Body=b"a" * (3 * S))
    config = S3Config(fragment_size=S, fragment_number=1)
    with S3Reader(client, bucket, "obj", config=config, pool=pool) as reader:
        assert reader.read(S) == b"a" * S
        client.put_object(Bucket=bucket, Key="obj", Body=b"b" * (3 * S))
        with pytest.raises(TransferError, match="changed while being read") as raised:
            reader.read(S)
        assert raised.value.errno == errno.ESTALE
        assert reader.stats.retries == 0  # a changed object is not a transient failure

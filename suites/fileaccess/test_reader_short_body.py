"""A GET body that ends before its Content-Length is retried, and fails loudly when it keeps ending.

The reader reads bodies straight from the socket into the fragment buffer (``s3conf.ranged_get``),
past botocore's and urllib3's length checks, so it must count the bytes itself. A loopback proxy in
front of a private moto server forwards real S3 answers but cuts chosen bodies short and drops the
connection, as a server crashing mid-response would. Both body paths run: the direct socket path and
the public ``read()`` fallback (forced by making the body's type unrecognised).
"""

from __future__ import annotations

import errno
import http.client
import random
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from emulators.clients import boto3_client
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.errors import TransferError
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader

S = 64 * 1024


class TruncatingProxy:
    """Forwards GETs to moto; the first ``cut_first`` bodies lose their last ``cut_bytes`` bytes."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.cut_first = 0
        self.cut_bytes = 1000
        self.cut_done = 0
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                upstream_conn = http.client.HTTPConnection(*upstream, timeout=10)
                upstream_conn.request("GET", self.path, headers=dict(self.headers.items()))
                answer = upstream_conn.getresponse()
                body = answer.read()
                upstream_conn.close()
                with proxy.lock:
                    cut = proxy.cut_done < proxy.cut_first and len(body) > proxy.cut_bytes
                    proxy.cut_done += cut
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "server", "date"):
                        self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body[: len(body) - proxy.cut_bytes] if cut else body)
                self.wfile.flush()
                if cut:
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:  # quiet test output
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def proxied() -> Iterator[tuple[TruncatingProxy, Any, str, bytes]]:
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
    proxy = TruncatingProxy((host, port))
    client = boto3_client(
        Endpoint(name="moto-proxy", url=proxy.url, access_key="ak", secret_key="sk"),
        retries={"max_attempts": 1, "mode": "standard"},
    )
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
    proxied: tuple[TruncatingProxy, Any, str, bytes], body_path: str
) -> None:
    proxy, client, bucket, data = proxied
    proxy.cut_first = 1
    config = S3Config(fragment_size=S, fragment_number=1)
    with FetchPool(max_workers=1, max_inflight_bytes=S) as pool:
        reader = S3Reader(client, bucket, "obj", config=config, pool=pool, attempts=2, backoff=0.001)
        assert reader.read(S) == data[:S]
        assert (reader.stats.get_requests, reader.stats.retries, proxy.cut_done) == (2, 1, 1)
        assert reader.stats.bytes_fetched == 2 * S - proxy.cut_bytes  # the cut attempt's bytes count
        assert reader.read() == data[S:]
        reader.close()
        stats = reader.stats
        assert (stats.bytes_used, stats.bytes_wasted) == (3 * S, S - proxy.cut_bytes)


def test_body_that_keeps_ending_short_is_a_transfer_error(
    proxied: tuple[TruncatingProxy, Any, str, bytes], body_path: str
) -> None:
    proxy, client, bucket, _ = proxied
    proxy.cut_first = 10
    config = S3Config(fragment_size=S, fragment_number=1)
    with FetchPool(max_workers=1, max_inflight_bytes=S) as pool:
        reader = S3Reader(client, bucket, "obj", config=config, pool=pool, attempts=2, backoff=0.001)
        with pytest.raises(TransferError, match="after 2 attempts") as raised:
            reader.read(S)
        assert raised.value.errno == errno.EIO
        # The length check (ours on the direct path, botocore's on read()) names where the body ended.
        assert str(S - proxy.cut_bytes) in str(raised.value.__cause__)
        assert (reader.stats.get_requests, proxy.cut_done, reader.tell()) == (2, 2, 0)
        reader.close()
        assert pool.stats.reserved_bytes == 0

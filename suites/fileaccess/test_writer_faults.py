"""The streaming writer under faults on the wire and a killed process, on real targets.

A small loopback proxy sits between the writer's client and the target: it forwards real S3 answers
but, for chosen requests, resets the connection before forwarding (the store never sees the request),
forwards and then resets instead of answering (the store acted, the client never hears), or answers
500 itself. botocore retries each of these; the tests check what is left after its retries: no
object (or exactly the right one) and no pending multipart upload. A writer killed with SIGKILL cannot
abort: its object never appears, and :func:`abort_pending_uploads` is what removes its upload.

(The proxy is local to this file until the shared ``emulators.faultproxy`` can reset before forwarding.)
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import struct
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from emulators.clients import boto3_client
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.errors import TransferError
from s3conf.multipart import abort_pending_uploads, list_pending_uploads
from s3conf.writer import MIN_PART_SIZE, S3Writer

SMALL_PARTS = S3Config(multipart_threshold=MIN_PART_SIZE, multipart_part_size=MIN_PART_SIZE)
ATTEMPTS = 3
"""botocore attempts per request in these tests (standard retry mode)."""


@dataclass
class Rule:
    """Requests with ``method`` whose path and query contain every string of ``query`` get ``action``
    (``reset-before``, ``reset-after`` or ``status-500``) at most ``times`` times."""

    method: str
    query: tuple[str, ...]
    action: str
    times: int = 1_000_000
    applied: int = 0


class ResettingProxy:
    """Forwards to ``upstream``; applies the first matching :class:`Rule` to a request."""

    def __init__(self, upstream: Endpoint) -> None:
        self.rules: list[Rule] = []
        self.lock = threading.Lock()
        target = urlsplit(upstream.url)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self.serve()

            def do_PUT(self) -> None:
                self.serve()

            def do_POST(self) -> None:
                self.serve()

            def do_DELETE(self) -> None:
                self.serve()

            def do_HEAD(self) -> None:
                self.serve()

            def serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                rule = proxy.pick(self.command, self.path)
                if rule is not None and rule.action == "reset-before":
                    self.reset()
                    return
                if rule is not None and rule.action == "status-500":
                    error = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
                    self.send_response(500)
                    self.send_header("Content-Length", str(len(error)))
                    self.end_headers()
                    self.wfile.write(error)
                    return
                upstream_conn = http.client.HTTPConnection(target.hostname or "", target.port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("expect", "connection")}
                upstream_conn.request(self.command, self.path, body=body, headers=headers)
                answer = upstream_conn.getresponse()
                data = answer.read()
                upstream_conn.close()
                if rule is not None and rule.action == "reset-after":
                    self.reset()
                    return
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding", "server", "date"):
                        self.send_header(name, value)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def reset(self) -> None:
                # SO_LINGER 0: close() sends RST, as a crashed server or a dropped link would.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        host, port = self.server.server_address[:2]
        self.endpoint = Endpoint(
            name="fault-proxy",
            url=f"http://{host!s}:{port}",
            region=upstream.region,
            access_key=upstream.access_key,
            secret_key=upstream.secret_key,
            path_style=True,
        )

    def pick(self, method: str, path: str) -> Rule | None:
        with self.lock:
            for rule in self.rules:
                if rule.method == method and all(q in path for q in rule.query) and rule.applied < rule.times:
                    rule.applied += 1
                    return rule
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def proxy(target: Any) -> Iterator[ResettingProxy]:
    if not target.capabilities.multipart:
        pytest.skip(f"{target.name} has no multipart uploads (capabilities.multipart is false)")
    resetting = ResettingProxy(target.endpoint)
    yield resetting
    resetting.close()


def _proxied_client(proxy: ResettingProxy) -> Any:
    return boto3_client(
        proxy.endpoint,
        retries={"max_attempts": ATTEMPTS, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )


def _object_body(s3_client: Any, bucket: str, key: str) -> bytes | None:
    try:
        body: bytes = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return body


def _pending_keys(s3_client: Any, bucket: str) -> list[str] | None:
    """Keys with a pending upload, or ``None`` where the target cannot list them (rclone)."""
    try:
        return [upload.key for upload in list_pending_uploads(s3_client, bucket)]
    except (OSError, ValueError):
        return None


def _write(writer: S3Writer, data: bytes) -> None:
    for start in range(0, len(data), 1024 * 1024):
        writer.write(data[start : start + 1024 * 1024])


_PART = ("partNumber=2", "uploadId=")
_COMPLETE = ("uploadId=",)


@pytest.mark.parametrize(
    ("rule", "fails"),
    [
        (Rule("PUT", _PART, "reset-before"), True),
        (Rule("PUT", _PART, "status-500"), True),
        (Rule("POST", _COMPLETE, "reset-before"), True),
        (Rule("PUT", _PART, "reset-before", times=ATTEMPTS - 1), False),
        (Rule("POST", _COMPLETE, "reset-before", times=ATTEMPTS - 1), False),
        (Rule("POST", _COMPLETE, "reset-after", times=1), False),
    ],
    ids=[
        "part-reset-every-attempt",
        "part-500-every-attempt",
        "complete-reset-every-attempt",
        "part-reset-then-retried",
        "complete-reset-then-retried",
        "complete-committed-answer-lost",
    ],
)
def test_faults_leave_the_right_object_or_none(
    proxy: ResettingProxy, s3_client: Any, bucket: str, rule: Rule, fails: bool
) -> None:
    proxy.rules.append(rule)
    data = os.urandom(2 * MIN_PART_SIZE + 4096)
    writer = S3Writer(_proxied_client(proxy), bucket, "faulty", config=SMALL_PARTS)
    if fails:
        with pytest.raises(TransferError, match="faulty"):  # noqa: PT012 - the failure may surface in either
            _write(writer, data)
            writer.close()
        assert writer.closed
        assert writer.aborted
        assert _object_body(s3_client, bucket, "faulty") is None
    else:
        _write(writer, data)
        writer.close()
        assert _object_body(s3_client, bucket, "faulty") == data
    assert rule.applied >= 1, "the fault must have been injected"
    assert _pending_keys(s3_client, bucket) in ([], None)
    with pytest.raises(ClientError, match="NoSuchUpload"):
        s3_client.list_parts(Bucket=bucket, Key="faulty", UploadId=writer.upload_id)


_KILLED_WRITER = textwrap.dedent(
    """
    import os, sys
    from s3conf.client import make_client
    from s3conf.config import S3Config
    from s3conf.endpoint import Endpoint
    from s3conf.writer import S3Writer

    endpoint = Endpoint(name="t", url=os.environ["T_URL"], access_key=os.environ["T_AK"],
                        secret_key=os.environ["T_SK"], path_style=True)
    config = S3Config(multipart_threshold="5MiB", multipart_part_size="5MiB")
    writer = S3Writer(make_client(endpoint, config), sys.argv[1], "killed", config=config)
    for _ in range(12):
        writer.write(b"k" * (1024 * 1024))
    print(writer.upload_id, flush=True)
    sys.stdin.read()  # wait here for SIGKILL, mid-upload, with the upload open
    """
)


def test_sigkill_while_writing_leaves_no_object(target: Any, s3_client: Any, bucket: str) -> None:
    endpoint = target.endpoint
    secret = endpoint.secret_key.reveal() if endpoint.secret_key is not None else ""
    with subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, bucket],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={**os.environ, "T_URL": endpoint.url, "T_AK": endpoint.access_key or "", "T_SK": secret},
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            upload_id = child.stdout.readline().strip()
            assert upload_id, "the child should have started a multipart upload"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
    assert child.returncode == -signal.SIGKILL
    assert _object_body(s3_client, bucket, "killed") is None
    pending = _pending_keys(s3_client, bucket)
    if pending is None:  # the target cannot list uploads: abort the one the child announced
        s3_client.abort_multipart_upload(Bucket=bucket, Key="killed", UploadId=upload_id)
        return
    assert pending == ["killed"], "a killed writer's upload stays pending until cleaned up"
    aborted = abort_pending_uploads(s3_client, bucket)
    assert [(p.key, p.upload_id) for p in aborted] == [("killed", upload_id)]
    assert _pending_keys(s3_client, bucket) == []
    assert _object_body(s3_client, bucket, "killed") is None

"""The streaming writer under faults on the wire and a killed process, on real targets.

The fault proxy (:mod:`emulators.faultproxy`) sits between the writer's client and the target: it
forwards real S3 answers but, for chosen requests, resets the connection before forwarding (the store
never sees the request), forwards and then resets instead of answering (the store acted, the client
never hears), or turns the answer into a 500. botocore retries each of these; the tests check what is
left after its retries: no object (or exactly the right one) and no pending multipart upload. A writer
killed with SIGKILL cannot abort: its object never appears, and :func:`abort_pending_uploads` is what
removes its upload.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulators.faultproxy import Fault, FaultProxy
from s3conf.client import REQUEST_ATTEMPTS
from s3conf.config import S3Config
from s3conf.errors import TransferError
from s3conf.multipart import abort_pending_uploads, list_pending_uploads
from s3conf.writer import MIN_PART_SIZE, S3Writer

SMALL_PARTS = S3Config(multipart_threshold=MIN_PART_SIZE, multipart_part_size=MIN_PART_SIZE)
ATTEMPTS = REQUEST_ATTEMPTS
"""Attempts per upload request of an s3conf client (its one retry layer)."""
_INTERNAL_ERROR = b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"


@pytest.fixture
def proxy(target: Any, fault_proxy: FaultProxy) -> FaultProxy:
    """The shared fault proxy, on targets with multipart uploads."""
    if not target.capabilities.multipart:
        pytest.skip(f"{target.name} has no multipart uploads (capabilities.multipart is false)")
    return fault_proxy


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


_PART: dict[str, Any] = {"method": "PUT", "path_contains": "partNumber=2"}
_COMPLETE: dict[str, Any] = {"method": "POST", "path_contains": "?uploadId="}


@pytest.mark.parametrize(
    ("rule", "fails"),
    [
        ({**_PART, "reset_before": True, "times": None}, True),
        ({**_PART, "status": 500, "body": _INTERNAL_ERROR, "times": None}, True),
        ({**_COMPLETE, "reset_before": True, "times": None}, True),
        ({**_PART, "reset_before": True, "times": ATTEMPTS - 1}, False),
        ({**_COMPLETE, "reset_before": True, "times": ATTEMPTS - 1}, False),
        ({**_COMPLETE, "reset_after": 0, "times": 1}, False),
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
def test_faults_leave_the_right_object_or_none(  # noqa: PLR0917 - fixtures and parameters
    proxy: FaultProxy, proxied_client: Any, s3_client: Any, bucket: str, rule: dict[str, Any], fails: bool
) -> None:
    fault = Fault(**rule)  # a fresh rule per target: a Fault counts what it applied
    proxy.add(fault)
    data = os.urandom(2 * MIN_PART_SIZE + 4096)
    writer = S3Writer(proxied_client, bucket, "faulty", config=SMALL_PARTS)
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
    assert fault.applied >= 1, f"the fault must have been injected: {proxy.requests()}"
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

"""The multipart engine on real targets: resuming from a persisted handle, and a failed server-side copy.

The recoverable writer (Flink's exactly-once sink) will persist :meth:`MultipartUpload.handle` and
continue in another process; here the handle goes through JSON and a fresh client, which is all the
other process would have. ``S3FileSystem.copy`` of a large object runs on the same engine, so a part
copy that keeps failing must leave no destination object and no pending upload.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulators.clients import boto3_client
from emulators.faultproxy import Fault, FaultProxy
from s3conf.config import S3Config
from s3conf.errors import TransferError
from s3conf.fs import S3FileSystem
from s3conf.multipart import MIN_PART_SIZE, MultipartUpload, list_pending_uploads


@pytest.fixture
def multipart_target(target: Any) -> Any:
    if not target.capabilities.multipart:
        pytest.skip(f"{target.name} has no multipart uploads (capabilities.multipart is false)")
    return target


def test_an_upload_resumes_from_its_json_handle_in_a_new_client(
    multipart_target: Any, s3_client: Any, bucket: str
) -> None:
    first, second = os.urandom(MIN_PART_SIZE), os.urandom(1000)
    upload = MultipartUpload.create(s3_client, bucket, "resumed")
    upload.upload_part(1, first)
    handle = json.loads(json.dumps(upload.handle()))
    assert handle["parts"] == [{"number": 1, "etag": upload.parts[0].etag, "size": MIN_PART_SIZE}]
    assert not any(v.reveal() in json.dumps(handle) for v in multipart_target.endpoint.secrets())

    resumed = MultipartUpload.resume(multipart_target.client(), bucket, "resumed", handle)
    resumed.upload_part(2, second)
    resumed.complete()
    assert resumed.uploaded_bytes == len(first) + len(second)
    assert s3_client.get_object(Bucket=bucket, Key="resumed")["Body"].read() == first + second


@pytest.fixture
def copy_proxy(multipart_target: Any) -> Iterator[FaultProxy]:
    if not multipart_target.capabilities.multipart_copy:
        pytest.skip(f"{multipart_target.name} has no UploadPartCopy (capabilities.multipart_copy is false)")
    with FaultProxy(multipart_target.endpoint) as faults:
        yield faults


def test_a_part_copy_failing_after_retries_leaves_nothing(
    copy_proxy: FaultProxy, s3_client: Any, bucket: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="source", Body=os.urandom(2 * MIN_PART_SIZE + 10))
    fault = Fault(method="PUT", path_contains="partNumber=2", reset_before=True, times=None)
    copy_proxy.add(fault)
    client = boto3_client(copy_proxy.endpoint, retries={"max_attempts": 2, "mode": "standard"})
    config = S3Config(multipart_threshold=MIN_PART_SIZE, multipart_part_size=MIN_PART_SIZE)
    fs = S3FileSystem(bucket, endpoint=copy_proxy.endpoint, config=config, client=client)
    with pytest.raises(TransferError, match="copy"):
        fs.copy("/source", "/copy")
    assert fault.applied >= 2, "the part copy must have been retried"
    with pytest.raises(ClientError, match=r"NoSuchKey|404|Not Found"):
        s3_client.head_object(Bucket=bucket, Key="copy")
    assert [u.key for u in list_pending_uploads(s3_client, bucket)] == []

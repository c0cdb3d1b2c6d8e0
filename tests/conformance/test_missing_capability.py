"""A capability a store lacks is a clear library error, never a ``KeyError`` (issue 16 item 6).

rclone declares ``multipart_copy=False`` (verified live by ``capability.multipart-copy``): its
UploadPartCopy answers 200 with no ``CopyPartResult`` ETag. The multipart engine must say so.
"""

from __future__ import annotations

import pytest

from emulators.buckets import create_bucket, remove_bucket, unique_bucket_name
from emulators.clients import boto3_client
from emulators.registry import create_emulator
from s3conf.errors import UnsupportedOperationError
from s3conf.multipart import MultipartUpload


def test_part_copy_without_etag_is_an_unsupported_operation() -> None:
    emulator = create_emulator("rclone")
    available, reason = emulator.available()
    if not available:
        pytest.skip(reason)
    assert emulator.capabilities.multipart_copy is False
    with emulator as endpoint:
        client = boto3_client(endpoint, retries={"max_attempts": 1})
        bucket = unique_bucket_name()
        create_bucket(client, bucket, endpoint)
        try:
            client.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
            upload = MultipartUpload.create(client, bucket, "dst")
            with pytest.raises(UnsupportedOperationError, match="multipart copy") as caught:
                upload.copy_part(1, {"Bucket": bucket, "Key": "src"}, 0, 9)
            assert not isinstance(caught.value, KeyError)
            upload.abort()
        finally:
            assert remove_bucket(client, bucket, emulator.capabilities) is None

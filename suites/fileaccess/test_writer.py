"""S3Writer against real targets: round trips, exclusive create, and nothing left behind on failure.

"Nothing left behind" is checked three ways every time: no object under the key, no pending
multipart upload in the bucket (listed), and an empty spool directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3conf.config import S3Config
from s3conf.errors import BucketNotFoundError, ObjectExistsError
from s3conf.writer import MIN_PART_SIZE, S3Writer

SMALL_PARTS = S3Config(multipart_threshold=MIN_PART_SIZE, multipart_part_size=MIN_PART_SIZE)
"""The smallest multipart settings S3 allows, so a three-part upload needs only ~11 MiB."""


def _object_body(s3_client: Any, bucket: str, key: str) -> bytes | None:
    try:
        body: bytes = s3_client.get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise
    return body


def _pending_uploads(s3_client: Any, bucket: str) -> list[str] | None:
    """Keys with an unfinished multipart upload, or ``None`` when the target cannot list them."""
    try:
        uploads = s3_client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    except ClientError as error:
        if error.response["Error"]["Code"] in ("NotImplemented", "NoSuchUpload"):
            return None  # e.g. rclone serve s3; the upload id is still checked directly
        raise
    return [upload["Key"] for upload in uploads]


def _assert_no_upload_left(s3_client: Any, bucket: str, writer: S3Writer) -> None:
    assert _pending_uploads(s3_client, bucket) in ([], None)
    if writer.upload_id is not None:
        with pytest.raises(ClientError, match="NoSuchUpload"):
            s3_client.list_parts(Bucket=bucket, Key=writer.key, UploadId=writer.upload_id)


def _assert_nothing_left(s3_client: Any, bucket: str, writer: S3Writer, spool_dir: Path) -> None:
    assert _object_body(s3_client, bucket, writer.key) is None
    _assert_no_upload_left(s3_client, bucket, writer)
    assert list(spool_dir.iterdir()) == []


def _skip_without_conditional_writes(target: Any) -> None:
    capabilities = getattr(target, "capabilities", None)
    if capabilities is not None and not getattr(capabilities, "conditional_writes", True):
        pytest.skip(f"{target.name} ignores If-None-Match: * (capabilities.conditional_writes is false)")


@pytest.mark.parametrize(
    ("data", "expected_parts"),
    [
        (b"", 0),
        (b"hello, s3", 0),
        (os.urandom(2 * MIN_PART_SIZE + 1024 * 1024), 3),
    ],
    ids=["empty", "single-put", "multipart-3-parts"],
)
def test_round_trip(s3_client: Any, bucket: str, tmp_path: Path, data: bytes, expected_parts: int) -> None:
    with S3Writer(s3_client, bucket, "dir/obj.bin", config=SMALL_PARTS, spool_dir=tmp_path) as writer:
        for start in range(0, len(data), 1024 * 1024):
            assert writer.write(data[start : start + 1024 * 1024]) == len(data[start : start + 1024 * 1024])
        assert writer.tell() == len(data)
        assert _object_body(s3_client, bucket, "dir/obj.bin") is None, "visible before close"
    assert writer.parts_uploaded == expected_parts
    assert _object_body(s3_client, bucket, "dir/obj.bin") == data
    assert _pending_uploads(s3_client, bucket) in ([], None)
    assert list(tmp_path.iterdir()) == []


def test_handle_is_write_only_and_not_seekable(s3_client: Any, bucket: str, tmp_path: Path) -> None:
    writer = S3Writer(s3_client, bucket, "k", config=SMALL_PARTS, spool_dir=tmp_path)
    assert (writer.readable(), writer.writable(), writer.seekable()) == (False, True, False)
    writer.close()
    writer.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        writer.write(b"late")


@pytest.mark.parametrize("size", [10, MIN_PART_SIZE + 1], ids=["single-put", "multipart"])
def test_create_new_refuses_existing_key(
    target: Any, s3_client: Any, bucket: str, tmp_path: Path, size: int
) -> None:
    _skip_without_conditional_writes(target)
    s3_client.put_object(Bucket=bucket, Key="taken", Body=b"original")
    writer = S3Writer(s3_client, bucket, "taken", config=SMALL_PARTS, create_new=True, spool_dir=tmp_path)
    writer.write(b"x" * size)
    with pytest.raises(FileExistsError, match="taken") as raised:
        writer.close()
    assert isinstance(raised.value, ObjectExistsError)
    assert writer.closed
    assert _object_body(s3_client, bucket, "taken") == b"original"
    _assert_no_upload_left(s3_client, bucket, writer)
    assert list(tmp_path.iterdir()) == []


def test_create_new_on_free_key_writes(target: Any, s3_client: Any, bucket: str, tmp_path: Path) -> None:
    with S3Writer(s3_client, bucket, "fresh", config=SMALL_PARTS, create_new=True, spool_dir=tmp_path) as w:
        w.write(b"new")
    assert _object_body(s3_client, bucket, "fresh") == b"new"


class _InjectedError(Exception):
    """Raised by a test inside a ``with`` block to stand for any failure of the producing code."""


def test_exception_inside_with_uploads_nothing(s3_client: Any, bucket: str, tmp_path: Path) -> None:
    writer = S3Writer(s3_client, bucket, "k", config=SMALL_PARTS, spool_dir=tmp_path)

    def produce() -> None:
        with writer:
            writer.write(b"half-written")
            raise _InjectedError

    with pytest.raises(_InjectedError):
        produce()
    assert writer.aborted
    _assert_nothing_left(s3_client, bucket, writer, tmp_path)


def test_abort_uploads_nothing(s3_client: Any, bucket: str, tmp_path: Path) -> None:
    writer = S3Writer(s3_client, bucket, "k", config=SMALL_PARTS, spool_dir=tmp_path)
    writer.write(b"data")
    writer.abort()
    writer.close()  # a no-op after abort: must not upload
    _assert_nothing_left(s3_client, bucket, writer, tmp_path)


def test_missing_bucket_raises_file_not_found_naming_it(s3_client: Any, tmp_path: Path) -> None:
    missing = "s3conf-no-such-bucket-7f3a"
    writer = S3Writer(s3_client, missing, "k", config=SMALL_PARTS, spool_dir=tmp_path)
    writer.write(b"data")
    with pytest.raises(FileNotFoundError, match=missing) as raised:
        writer.close()
    assert isinstance(raised.value, BucketNotFoundError)
    assert list(tmp_path.iterdir()) == []


class _FailingPartClient:
    """The real client, except that one ``UploadPart`` fails the way a dropped connection would.

    The server stays real: this injects a client-side fault to prove the upload is aborted.
    """

    def __init__(self, client: Any, failing_part: int) -> None:
        self._client = client
        self._failing_part = failing_part

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def upload_part(self, **kwargs: Any) -> Any:
        if kwargs["PartNumber"] == self._failing_part:
            raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "UploadPart")
        return self._client.upload_part(**kwargs)


def test_failed_part_aborts_multipart_upload(s3_client: Any, bucket: str, tmp_path: Path) -> None:
    client = _FailingPartClient(s3_client, failing_part=2)
    writer = S3Writer(client, bucket, "big", config=SMALL_PARTS, spool_dir=tmp_path)
    writer.write(b"y" * (MIN_PART_SIZE + 1))
    with pytest.raises(OSError, match="big"):
        writer.close()
    _assert_nothing_left(s3_client, bucket, writer, tmp_path)
    assert writer.upload_id is not None, "the multipart path must have been taken"

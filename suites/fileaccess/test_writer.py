"""S3Writer against real targets: round trips (streaming and spooled), bounded memory with
back-pressure, exclusive create, and nothing left behind on failure.

"Nothing left behind" is checked three ways every time: no object under the key, no pending
multipart upload in the bucket (listed), and an empty spool directory. Faults injected on the wire
(a fault proxy) and a killed writing process are in ``test_writer_faults.py``.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import pytest
from botocore.exceptions import ClientError

from s3conf.config import S3Config
from s3conf.errors import BucketNotFoundError, MultipartAbortError, ObjectExistsError
from s3conf.writer import MIN_PART_SIZE, S3Writer

T = TypeVar("T")

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


@pytest.fixture(params=[False, True], ids=["streaming", "spooled"])
def spool(request: pytest.FixtureRequest) -> bool:
    """Every round trip and failure runs both ways a writer can hold its bytes."""
    return bool(request.param)


@pytest.mark.parametrize(
    ("data", "expected_parts"),
    [
        (b"", 0),
        (b"hello, s3", 0),
        (os.urandom(MIN_PART_SIZE), 1),
        (os.urandom(2 * MIN_PART_SIZE + 1024 * 1024), 3),
    ],
    ids=["empty", "single-put", "multipart-exactly-1-part", "multipart-3-parts"],
)
def test_round_trip(  # noqa: PLR0917 - fixtures and parameters
    s3_client: Any, bucket: str, tmp_path: Path, data: bytes, expected_parts: int, spool: bool
) -> None:
    with S3Writer(
        s3_client, bucket, "dir/obj.bin", config=SMALL_PARTS, spool_dir=tmp_path, spool=spool
    ) as writer:
        for start in range(0, len(data), 1024 * 1024):
            assert writer.write(data[start : start + 1024 * 1024]) == len(data[start : start + 1024 * 1024])
        assert writer.tell() == len(data)
        assert _object_body(s3_client, bucket, "dir/obj.bin") is None, "visible before close"
    assert writer.parts_uploaded == expected_parts
    assert writer.stats.spooled is spool
    assert _object_body(s3_client, bucket, "dir/obj.bin") == data
    assert _pending_uploads(s3_client, bucket) in ([], None)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("parts_in_flight", [1, 3], ids=["1-part", "3-parts"])
def test_buffered_bytes_stay_within_parts_in_flight(
    s3_client: Any, bucket: str, tmp_path: Path, parts_in_flight: int, spool: bool
) -> None:
    data = os.urandom(4 * MIN_PART_SIZE + 12345)
    with S3Writer(
        s3_client,
        bucket,
        "bounded",
        config=SMALL_PARTS,
        spool_dir=tmp_path,
        spool=spool,
        max_parts_in_flight=parts_in_flight,
    ) as writer:
        for start in range(0, len(data), 1024 * 1024):
            writer.write(data[start : start + 1024 * 1024])
    buffers = writer.stats.buffers
    assert buffers.peak_buffered_bytes <= parts_in_flight * MIN_PART_SIZE
    assert buffers.peak_buffers_alive <= parts_in_flight
    # finished part buffers are reused (+1: a spooled writer reads its short last part into its own)
    assert buffers.buffers_allocated <= parts_in_flight + 1
    assert writer.parts_uploaded == 5
    assert _object_body(s3_client, bucket, "bounded") == data


class _GatedPool:
    """Real threads that start a part only once the test opens the gate; counts submissions.

    Holding parts back is how a test makes the network "slow" deterministically, without timing.
    """

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.submitted = 0
        self._condition = threading.Condition()
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gated")

    def submit(self, function: Callable[..., T], /, *args: Any) -> Future[T]:
        with self._condition:
            self.submitted += 1
            self._condition.notify_all()

        def gated() -> T:
            self.gate.wait()
            return function(*args)

        return self._executor.submit(gated)

    def wait_submitted(self, count: int) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: self.submitted >= count, timeout=30)

    def close(self) -> None:
        self.gate.set()
        self._executor.shutdown(wait=True)


@pytest.fixture
def gated_pool() -> Iterator[_GatedPool]:
    pool = _GatedPool()
    yield pool
    pool.close()


def test_write_blocks_while_every_part_buffer_is_in_use(
    s3_client: Any, bucket: str, gated_pool: _GatedPool
) -> None:
    data = os.urandom(5 * MIN_PART_SIZE)
    writer = S3Writer(s3_client, bucket, "slow", config=SMALL_PARTS, pool=gated_pool, max_parts_in_flight=2)
    chunks = [data[start : start + 1024 * 1024] for start in range(0, len(data), 1024 * 1024)]
    producer = threading.Thread(target=lambda: [writer.write(chunk) for chunk in chunks])
    producer.start()
    assert writer.wait_until_blocked(), "write() should block once both part buffers are in use"
    assert gated_pool.submitted == 2
    assert writer.tell() == 2 * MIN_PART_SIZE, "no byte may be taken beyond the buffers in flight"
    gated_pool.gate.set()
    producer.join()
    writer.close()
    assert writer.stats.buffers.peak_buffered_bytes <= 2 * MIN_PART_SIZE
    assert _object_body(s3_client, bucket, "slow") == data


def test_parts_upload_while_the_caller_writes(s3_client: Any, bucket: str, gated_pool: _GatedPool) -> None:
    writer = S3Writer(s3_client, bucket, "streamed", config=SMALL_PARTS, pool=gated_pool)
    writer.write(b"a" * (2 * MIN_PART_SIZE))
    assert gated_pool.wait_submitted(2), "full parts must be handed to the pool before close()"
    assert _object_body(s3_client, bucket, "streamed") is None, "visible before close"
    gated_pool.gate.set()
    writer.close()
    assert _object_body(s3_client, bucket, "streamed") == b"a" * (2 * MIN_PART_SIZE)


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


@pytest.mark.parametrize("size", [12, 2 * MIN_PART_SIZE + 1], ids=["small", "multipart-started"])
def test_exception_inside_with_uploads_nothing(
    s3_client: Any, bucket: str, tmp_path: Path, spool: bool, size: int
) -> None:
    writer = S3Writer(s3_client, bucket, "k", config=SMALL_PARTS, spool_dir=tmp_path, spool=spool)

    def produce() -> None:
        with writer:
            writer.write(b"h" * size)
            raise _InjectedError

    with pytest.raises(_InjectedError):
        produce()
    assert writer.aborted
    _assert_nothing_left(s3_client, bucket, writer, tmp_path)


@pytest.mark.parametrize("size", [4, 2 * MIN_PART_SIZE + 1], ids=["small", "multipart-started"])
def test_abort_uploads_nothing(s3_client: Any, bucket: str, tmp_path: Path, spool: bool, size: int) -> None:
    writer = S3Writer(s3_client, bucket, "k", config=SMALL_PARTS, spool_dir=tmp_path, spool=spool)
    writer.write(b"d" * size)
    assert (writer.upload_id is not None) == (size > MIN_PART_SIZE and not spool)
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


def test_failed_part_aborts_multipart_upload(
    s3_client: Any, bucket: str, tmp_path: Path, spool: bool
) -> None:
    client = _FailingPartClient(s3_client, failing_part=2)
    writer = S3Writer(client, bucket, "big", config=SMALL_PARTS, spool_dir=tmp_path, spool=spool)
    writer.write(b"y" * (MIN_PART_SIZE + 1))
    with pytest.raises(OSError, match="big"):
        writer.close()
    _assert_nothing_left(s3_client, bucket, writer, tmp_path)
    assert writer.upload_id is not None, "the multipart path must have been taken"


def test_failed_part_stops_later_writes(s3_client: Any, bucket: str, gated_pool: _GatedPool) -> None:
    client = _FailingPartClient(s3_client, failing_part=1)
    writer = S3Writer(client, bucket, "big", config=SMALL_PARTS, pool=gated_pool, max_parts_in_flight=1)
    writer.write(b"z" * MIN_PART_SIZE)  # part 1 is submitted; the single buffer is now in flight
    gated_pool.gate.set()
    with pytest.raises(OSError, match="big"):
        writer.write(b"z")  # waits for the buffer, then finds the failure
    assert writer.closed
    assert writer.aborted
    _assert_no_upload_left(s3_client, bucket, writer)
    assert _object_body(s3_client, bucket, "big") is None


class _AbortRefusingClient(_FailingPartClient):
    """Also refuses ``AbortMultipartUpload``, the way a store that lost its connection would."""

    def abort_multipart_upload(self, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalError", "Message": "injected"}}, "AbortMultipartUpload")


def test_failed_abort_is_reported_not_swallowed(s3_client: Any, bucket: str) -> None:
    client = _AbortRefusingClient(s3_client, failing_part=0)
    writer = S3Writer(client, bucket, "orphan", config=SMALL_PARTS)
    writer.write(b"o" * (MIN_PART_SIZE + 1))
    upload_id = writer.upload_id
    assert upload_id is not None
    with pytest.raises(MultipartAbortError, match=upload_id):
        writer.abort()
    assert writer.closed

    second = S3Writer(client, bucket, "orphan2", config=SMALL_PARTS)
    with pytest.raises(_InjectedError) as raised, second:  # noqa: PT012 - the block is the code under test
        second.write(b"o" * (MIN_PART_SIZE + 1))
        raise _InjectedError
    assert any(str(second.upload_id) in note for note in raised.value.__notes__)
    for writer_id, key in ((upload_id, "orphan"), (second.upload_id, "orphan2")):
        s3_client.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=writer_id)

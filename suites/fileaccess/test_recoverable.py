"""The recoverable (exactly-once) writer on real targets, within one test process.

Every recovery goes through the handle's JSON and a new file system with its own client, which is all
another process would have. The crash loop (SIGKILLed writer processes) is in
``test_recoverable_crashes.py``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from s3conf.client import new_client
from s3conf.config import S3Config
from s3conf.errors import HandleNotFoundError, InvalidHandleError, StaleHandleError
from s3conf.fs import S3FileSystem
from s3conf.multipart import MIN_PART_SIZE
from s3conf.recoverable import RecoverableWriter
from s3conf.recoverable_handle import RecoverableHandle

KEY = "part-0"  # top level: rclone keeps an emptied directory after an abort (bucket undeletable)


@pytest.fixture
def multipart_target(target: Any, bucket: str) -> Iterator[Any]:
    """The target, and afterwards no upload left pending under ``KEY`` (some stores refuse to delete
    a bucket that has one)."""
    if not target.capabilities.multipart:
        pytest.skip(f"{target.name} has no multipart uploads (capabilities.multipart is false)")
    yield target
    writer_for(target, bucket).cleanup_abandoned(KEY)


def writer_for(target: Any, bucket: str) -> RecoverableWriter:
    """A recoverable writer on a new file system and client: what a recovering process builds."""
    config = S3Config(
        multipart_part_size=MIN_PART_SIZE,
        recoverable_part_number_gaps=target.capabilities.part_number_gaps,
    )
    client = new_client(target.endpoint, config)
    return S3FileSystem(bucket, endpoint=target.endpoint, config=config, client=client).recoverable_writer()


def body_at(s3_client: Any, bucket: str, key: str) -> bytes | None:
    try:
        return bytes(s3_client.get_object(Bucket=bucket, Key=key)["Body"].read())
    except s3_client.exceptions.NoSuchKey:
        return None


def pending_uploads(writer: RecoverableWriter, key: str) -> list[str]:
    return [upload.upload_id for upload in writer._pending(key)]


def test_persist_recover_commit_keeps_exactly_the_persisted_bytes(
    multipart_target: Any, s3_client: Any, bucket: str
) -> None:
    before, lost, after = os.urandom(MIN_PART_SIZE + 1234), os.urandom(777), os.urandom(MIN_PART_SIZE)
    stream = writer_for(multipart_target, bucket).open(KEY)
    stream.write(before[:1000])
    stream.write(before[1000:])
    handle_json = stream.persist().to_json()
    persisted = RecoverableHandle.from_json(handle_json)
    assert persisted.checksum_algorithm == "CRC32"
    assert [bool(part.checksum) for part in persisted.parts] == [True]
    stream.write(lost)  # written after the last persist: a crash loses it
    stream.close()

    writer = writer_for(multipart_target, bucket)
    recovered = writer.recover(handle_json)
    assert recovered.position == len(before)
    recovered.write(after)
    committer = recovered.close_for_commit()
    assert body_at(s3_client, bucket, KEY) is None, "visible at the final key before commit"
    assert committer.commit() == "completed"

    assert body_at(s3_client, bucket, KEY) == before + after
    etag = s3_client.head_object(Bucket=bucket, Key=KEY)["ETag"]
    again = writer_for(multipart_target, bucket).recover_for_commit(committer.to_json())
    assert again.commit_after_recovery() == "already committed"
    assert again.commit() == "already committed"
    assert s3_client.head_object(Bucket=bucket, Key=KEY)["ETag"] == etag
    assert writer.temp_objects(KEY) == []
    assert pending_uploads(writer, KEY) == []


def test_a_commit_handle_commits_in_another_process_once(
    multipart_target: Any, s3_client: Any, bucket: str
) -> None:
    data = os.urandom(MIN_PART_SIZE + 5)
    stream = writer_for(multipart_target, bucket).open(KEY)
    stream.write(data)
    stream.persist()
    commit_json = stream.close_for_commit().to_json()
    assert RecoverableHandle.from_json(commit_json).kind == "commit"

    committer = writer_for(multipart_target, bucket).recover_for_commit(commit_json)
    assert committer.commit_after_recovery() == "completed"
    assert committer.commit_after_recovery() == "already committed"
    assert body_at(s3_client, bucket, KEY) == data
    assert writer_for(multipart_target, bucket).temp_objects(KEY) == []


def test_an_empty_stream_commits_an_empty_object(multipart_target: Any, s3_client: Any, bucket: str) -> None:
    writer = writer_for(multipart_target, bucket)
    handle = writer.open(KEY).persist()
    assert handle.tail is None
    assert handle.size == 0
    assert writer.recover(handle.to_json()).close_for_commit().commit() == "completed"
    assert body_at(s3_client, bucket, KEY) == b""


def test_handles_carry_no_secret(multipart_target: Any, bucket: str) -> None:
    stream = writer_for(multipart_target, bucket).open(KEY)
    stream.write(os.urandom(MIN_PART_SIZE + 10))
    texts = [stream.persist().to_json(), stream.close_for_commit().to_json()]
    secret = multipart_target.endpoint.secret_key.reveal()
    # Pieces made only of hex digits and dashes could occur by chance in ETags, UUIDs and upload ids.
    pieces = {secret[i : i + 4] for i in range(len(secret) - 3)} - {
        piece
        for piece in (secret[i : i + 4] for i in range(len(secret) - 3))
        if set(piece) <= set("0123456789abcdef-")
    }
    assert pieces, "the target's secret has no piece to look for"
    for text in texts:
        assert [piece for piece in pieces if piece in text] == []


def test_cleanup_aborts_the_upload_and_deletes_temporary_objects(
    multipart_target: Any, s3_client: Any, bucket: str
) -> None:
    writer = writer_for(multipart_target, bucket)
    stream = writer.open(KEY)
    stream.write(os.urandom(10))
    first = stream.persist()
    stream.write(b"more")
    second = stream.persist()
    assert first.tail is not None
    assert second.tail is not None
    assert sorted(writer.temp_objects(KEY)) == sorted([first.tail.key, second.tail.key])
    assert first.tail.key.startswith("_part-0_tmp_")

    writer.cleanup(first, abort_upload=False)  # superseded: only its tail goes
    assert writer.temp_objects(KEY) == [second.tail.key]
    assert writer.recover(second.to_json()).position == second.size

    writer.cleanup(second.to_json())
    assert writer.temp_objects(KEY) == []
    assert pending_uploads(writer, KEY) == []
    with pytest.raises(HandleNotFoundError, match=second.upload_id):
        writer.recover(second.to_json())
    assert body_at(s3_client, bucket, KEY) is None


def test_cleanup_abandoned_keeps_only_the_named_handles(multipart_target: Any, bucket: str) -> None:
    writer = writer_for(multipart_target, bucket)
    orphan = writer.open(KEY)  # a writer killed before its first persist
    orphan.write(b"x" * 10)
    orphan.persist()  # its tail reached the store, its handle never reached a checkpoint
    kept = writer.open(KEY)
    kept.write(b"y" * 10)
    kept_handle = kept.persist()

    removed = writer.cleanup_abandoned(KEY, keep=[kept_handle])
    assert [upload.upload_id for upload in removed.uploads] == [orphan.upload_id]
    assert len(removed.temp_objects) == 1
    assert pending_uploads(writer, KEY) == [kept.upload_id]
    assert writer.recover(kept_handle).position == 10


def test_bad_handles_raise_errors_naming_the_value(multipart_target: Any, bucket: str) -> None:
    writer = writer_for(multipart_target, bucket)
    stream = writer.open(KEY)
    stream.write(b"tail bytes")
    handle = stream.persist()
    with pytest.raises(IsADirectoryError, match="dir/"):
        writer.open("dir/")
    with pytest.raises(InvalidHandleError, match="other-bucket"):
        writer.recover(handle.to_json().replace(bucket, "other-bucket"))
    with pytest.raises(InvalidHandleError, match="recover_for_commit"):
        writer.recover(stream.close_for_commit().to_json())
    assert handle.tail is not None
    writer._delete(handle.tail.key)
    with pytest.raises(HandleNotFoundError, match=handle.tail.key):
        writer.recover(handle)


def test_a_handle_whose_part_was_replaced_is_stale(
    multipart_target: Any, s3_client: Any, bucket: str
) -> None:
    """Recovering an older state after a newer one wrote its parts: refused, never mixed bytes.

    SeaweedFS keeps every upload of a part number and completes by ETag, so there the handle's own
    part is still there and recovering it must commit exactly the handle's bytes.
    """
    data = os.urandom(MIN_PART_SIZE)
    writer = writer_for(multipart_target, bucket)
    stream = writer.open(KEY)
    stream.write(data)
    handle = stream.persist()
    try:  # a writer that recovered an older state took part 1
        s3_client.upload_part(
            Bucket=bucket, Key=KEY, UploadId=handle.upload_id, PartNumber=1, Body=b"z" * MIN_PART_SIZE
        )
    except ClientError as error:  # rclone: NotImplemented, a part is never replaced there
        pytest.skip(f"{multipart_target.name} refuses to replace a part, so it cannot go stale: {error}")
    try:
        recovered = writer.recover(handle)
    except StaleHandleError as error:
        refusal = str(error)
    else:
        recovered.close_for_commit().commit()
        refusal = ""
        assert body_at(s3_client, bucket, KEY) == data
    assert refusal == "" or "part 1" in refusal


def test_a_late_part_of_the_dead_writer_never_replaces_a_part_of_the_recovered_stream(
    multipart_target: Any, s3_client: Any, bucket: str
) -> None:
    """The writer that persisted the handle dies with part 2 on the wire, and the store takes it only
    after another process has recovered the handle and written on. Where parts may have gaps the
    recovered stream numbered its parts past it, so the late part is left out of the object; a store
    that wants parts 1..N refuses to replace a part, so there the late part is refused."""
    before, after = os.urandom(MIN_PART_SIZE + 99), os.urandom(MIN_PART_SIZE + 7)
    stream = writer_for(multipart_target, bucket).open(KEY)
    stream.write(before)
    handle_json = stream.persist().to_json()
    stream.close()
    handle = RecoverableHandle.from_json(handle_json)
    assert handle.parts_in_flight == 8  # the default s3.spi.write.max-parts-in-flight

    committer = writer_for(multipart_target, bucket).recover(handle_json)
    committer.write(after)
    committed = committer.close_for_commit()
    late = {"Bucket": bucket, "Key": KEY, "UploadId": handle.upload_id, "PartNumber": 2}
    numbers = [part.number for part in committed.handle.parts]
    if multipart_target.capabilities.part_number_gaps:
        s3_client.upload_part(Body=b"z" * MIN_PART_SIZE, **late)
        assert numbers == [1, 10, 11]  # past part 1 and the 8 parts the dead writer may have in flight
    else:
        with pytest.raises(ClientError):
            s3_client.upload_part(Body=b"z" * MIN_PART_SIZE, **late)
        assert numbers == [1, 2, 3]
    assert committed.commit() == "completed"
    assert body_at(s3_client, bucket, KEY) == before + after


def test_a_commit_whose_upload_is_gone_checks_what_is_at_the_key(
    multipart_target: Any, s3_client: Any, bucket: str
) -> None:
    writer = writer_for(multipart_target, bucket)
    stream = writer.open(KEY)
    stream.write(b"never published")
    committer = stream.close_for_commit()
    handle = committer.handle
    writer.cleanup(handle)  # the upload is aborted (a lifecycle rule, an operator...)
    try:
        s3_client.complete_multipart_upload(
            Bucket=bucket,
            Key=KEY,
            UploadId=handle.upload_id,
            MultipartUpload={"Parts": [part.as_request() for part in handle.parts]},
        )
    except ClientError as error:  # moto answers 500 InternalError for an aborted upload
        if error.response["Error"]["Code"] != "NoSuchUpload":
            pytest.skip(
                f"{multipart_target.name} does not answer NoSuchUpload for an aborted upload: {error}"
            )
    with pytest.raises(HandleNotFoundError, match=handle.upload_id):
        committer.commit_after_recovery()
    s3_client.put_object(Bucket=bucket, Key=KEY, Body=b"another writer's object")
    with pytest.raises(StaleHandleError, match="another one"):
        committer.commit_after_recovery()
    assert body_at(s3_client, bucket, KEY) == b"another writer's object"

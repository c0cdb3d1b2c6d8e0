"""A recoverable (exactly-once) writer on S3 multipart uploads, after Flink's ``S3RecoverableWriter``.

Flink's ``FileSink`` writes part files through it: ``persist()`` at every checkpoint makes what was
written durable and returns a handle the checkpoint stores; after a failure, ``recover(handle)``
continues from exactly that point in another process; when the checkpoint that closed the file
completes, ``close_for_commit()`` then ``commit()`` publishes the object atomically, and
``commit_after_recovery()`` replays a commit that may or may not have happened. How it works here:

* :meth:`RecoverableWriter.open` starts a multipart upload at once (as Flink does). Written bytes are
  cut into parts of ``s3.spi.write.part-size`` (Flink's ``s3.upload.min.part.size`` and Hadoop's
  ``fs.s3a.multipart.size`` are its aliases) uploaded on the shared pool, at most
  ``s3.spi.write.max-parts-in-flight`` (alias ``s3.upload.max.concurrent.uploads``) at once.
* Every part and tail carries the library's CRC32 checksum (:mod:`s3conf.checksums`: verified by AWS
  and SeaweedFS, and it lets the body go unsigned); the handle records it for the completion.
* ``persist()`` waits for those parts and PUTs the tail (the bytes past the last part, below the part
  size, which S3 will not take as a part that is not the last) as a temporary object; see
  :mod:`s3conf.recoverable_handle` for its key. Writing goes on after it: the tail stays in memory.
* ``recover(handle)`` checks the upload still holds the handle's parts (``ListParts``: same numbers,
  same ETags), reads the tail back (checked against its size and ETag) and continues at part N+1, so
  parts a killed writer sent after its last persist are overwritten or left out of the commit.
* ``close_for_commit()`` uploads the tail as the last part (an empty part for an empty stream, so an
  empty file is an empty object) and returns a :class:`RecoverableCommitter`.
* Commits are verified, which makes them idempotent: when the object at the key already is the one
  the parts make (multipart ETag ``md5(part md5s)-N``, or the size where the store's ETags follow
  another scheme: Flink's own check), a commit is a no-op that answers ``"already committed"``;
  otherwise ``CompleteMultipartUpload``. After a commit the temporary objects in ``temp_keys`` are
  deleted (a failure to delete is logged, never raised: the object is published).
* Nothing is visible at the final key before the commit: parts are invisible until completion and
  tails live under their own keys.
* :meth:`RecoverableWriter.cleanup` aborts an abandoned handle's upload and deletes its temporary
  objects (``abort_upload=False`` only deletes the tail of a handle superseded by a later persist, as
  Flink's ``cleanupRecoverableState``); :meth:`RecoverableWriter.cleanup_abandoned` sweeps a key of
  every pending upload and temporary object not named by the handles to keep (a writer killed before
  its first persist, or between a tail PUT and its handle reaching the checkpoint, leaves such state).

Errors: :class:`~s3conf.errors.InvalidHandleError` (bad handle text or kind, another bucket),
:class:`~s3conf.errors.HandleNotFoundError` (upload or tail gone),
:class:`~s3conf.errors.StaleHandleError` (a part or tail replaced, another object at the key).
"""

from __future__ import annotations

import errno
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from botocore.exceptions import BotoCoreError, ClientError

from s3conf.checksums import CHECKSUM_ALGORITHM, checksum_parameter, part_checksum
from s3conf.client import error_code, translate_error
from s3conf.errors import (
    HandleNotFoundError,
    InvalidHandleError,
    S3ConfError,
    StaleHandleError,
)
from s3conf.fetchpool import FetchPool
from s3conf.multipart import (
    MultipartUpload,
    PartRunner,
    PendingUpload,
    Submitter,
    list_pending_uploads,
    multipart_etag,
)
from s3conf.recoverable_handle import (
    RecoverableHandle,
    TailObject,
    is_temp_object,
    new_temp_key,
    temp_object_prefix,
)
from s3conf.s3errors import NOT_FOUND_CODES, PRECONDITION_CODES

if TYPE_CHECKING:
    from s3conf.fs import S3FileSystem

__all__ = [
    "AbandonedState",
    "CommitOutcome",
    "RecoverableCommitter",
    "RecoverableStream",
    "RecoverableWriter",
]

_log = logging.getLogger(__name__)

CommitOutcome = Literal["completed", "already committed"]


def _strip(etag: str) -> str:
    return etag.strip().strip('"')


@dataclass(frozen=True)
class AbandonedState:
    """What :meth:`RecoverableWriter.cleanup_abandoned` removed."""

    uploads: tuple[PendingUpload, ...]
    temp_objects: tuple[str, ...]


class RecoverableWriter:
    """Opens, recovers and cleans up recoverable streams on one :class:`~s3conf.fs.S3FileSystem`.

    Get it from :meth:`S3FileSystem.recoverable_writer`. ``pool`` runs part uploads (default: the
    process-wide bounded pool).
    """

    def __init__(self, fs: S3FileSystem, *, pool: Submitter | None = None) -> None:
        self.fs = fs
        self.client: Any = fs.client
        self.bucket = fs.bucket
        self.part_size = fs.config.multipart_part_size
        self.max_parts_in_flight = fs.config.max_parts_in_flight
        self.part_number_gaps = fs.config.recoverable_part_number_gaps
        self.temp_prefix = fs.config.recoverable_temp_prefix or ""
        self._pool: Submitter = pool if pool is not None else FetchPool.shared(fs.config)

    def __repr__(self) -> str:
        return f"RecoverableWriter(bucket={self.bucket!r}, part_size={self.part_size})"

    # -- streams ----------------------------------------------------------------------------------
    def open(self, path: Any) -> RecoverableStream:
        """A new stream to ``path`` (a multipart upload starts now; nothing is visible until commit).

        Raises:
            IsADirectoryError: ``path`` is a directory (the root, or ends with ``/``).
        """
        key = self.fs._key(path)
        if not key or key.endswith("/"):
            raise IsADirectoryError(
                errno.EISDIR, "a recoverable stream writes an object, not a directory", str(path)
            )
        upload = MultipartUpload.create(self.client, self.bucket, key, checksum_algorithm=CHECKSUM_ALGORITHM)
        return RecoverableStream(self, upload, tail=b"", temp_keys=())

    def recover(self, handle: RecoverableHandle | str | bytes) -> RecoverableStream:
        """Continue the stream of a ``resume`` handle exactly where its ``persist()`` left it.

        Raises:
            InvalidHandleError: bad handle, a ``commit`` handle, or another bucket.
            HandleNotFoundError: the upload or the tail object is gone.
            StaleHandleError: a part of the handle was replaced, or its tail object changed.
        """
        handle = self._checked(handle)
        if handle.kind != "resume":
            raise InvalidHandleError(
                f"a commit handle (upload {handle.upload_id} of {handle.key}) cannot be resumed: "
                "use recover_for_commit"
            )
        highest_listed = self._check_parts(handle)
        tail = self._read_tail(handle.tail) if handle.tail is not None else b""
        upload = MultipartUpload(
            self.client,
            self.bucket,
            handle.key,
            handle.upload_id,
            parts=handle.parts,
            checksum_algorithm=handle.checksum_algorithm,
        )
        return RecoverableStream(
            self,
            upload,
            tail=tail,
            temp_keys=handle.temp_keys,
            first_part=self._first_part(handle, highest_listed),
        )

    def _first_part(self, handle: RecoverableHandle, highest_listed: int) -> int:
        """Where a recovered stream's part numbers start (see :mod:`s3conf.recoverable_handle`).

        The writer that persisted ``handle`` may have died with parts on the wire, numbered past the
        highest part the store lists now by at most its bound of parts in flight; the store can still
        take them after this recovery. Numbering past them means none can replace a part of the
        recovered stream. With ``s3.spi.recoverable.part-number-gaps`` off (stores that want parts
        1..N, which also refuse to replace a part), numbering goes on right after the handle's parts.
        """
        after_handle = handle.parts[-1].number + 1 if handle.parts else 1
        if not self.part_number_gaps:
            return after_handle
        dead_in_flight = handle.parts_in_flight or self.max_parts_in_flight
        return max(after_handle, highest_listed + dead_in_flight + 1)

    def recover_for_commit(self, handle: RecoverableHandle | str | bytes) -> RecoverableCommitter:
        """The committer of a ``commit`` handle (or of a ``resume`` one: recovered, then closed)."""
        handle = self._checked(handle)
        if handle.kind == "resume":
            return self.recover(handle).close_for_commit()
        return RecoverableCommitter(self, handle)

    # -- cleanup ------------------------------------------------------------------------------------
    def cleanup(self, handle: RecoverableHandle | str | bytes, *, abort_upload: bool = True) -> None:
        """Remove the state of an abandoned handle: abort its upload, delete its temporary objects.

        With ``abort_upload=False`` only the handle's own tail object is deleted: the cleanup of a
        handle superseded by a later ``persist()`` of the same stream, whose upload lives on.
        Never call it with the upload on for a handle whose stream (or a recovery of it) goes on.
        """
        handle = self._checked(handle)
        if not abort_upload:
            if handle.tail is not None:
                self._delete(handle.tail.key)
            return
        MultipartUpload(self.client, self.bucket, handle.key, handle.upload_id).abort()
        for key in {*handle.temp_keys, *([handle.tail.key] if handle.tail else [])}:
            self._delete(key)

    def cleanup_abandoned(self, path: Any, keep: Iterable[RecoverableHandle | str] = ()) -> AbandonedState:
        """Abort every pending upload of ``path`` and delete every temporary object of it, except those
        of the handles in ``keep`` (their uploads and tails). Returns what was removed."""
        key = self.fs._key(path)
        kept = [self._checked(handle) for handle in keep]
        kept_uploads = {handle.upload_id for handle in kept}
        kept_tails = {handle.tail.key for handle in kept if handle.tail is not None}
        aborted = []
        for pending in self._pending(key):
            if pending.key == key and pending.upload_id not in kept_uploads:
                MultipartUpload(self.client, self.bucket, key, pending.upload_id).abort()
                aborted.append(pending)
        deleted = [name for name in self.temp_objects(path) if name not in kept_tails]
        for name in deleted:
            self._delete(name)
        return AbandonedState(tuple(aborted), tuple(deleted))

    def temp_objects(self, path: Any) -> list[str]:
        """Keys of the temporary objects of ``path`` now in the bucket."""
        key = self.fs._key(path)
        prefix = temp_object_prefix(key, self.temp_prefix)
        found: list[str] = []
        for page in self.fs._pages(prefix, delimiter=False):
            found.extend(
                entry["Key"]
                for entry in page.get("Contents", [])
                if is_temp_object(entry["Key"], key, self.temp_prefix)
            )
        return found

    # -- internals ----------------------------------------------------------------------------------
    def _checked(self, handle: RecoverableHandle | str | bytes) -> RecoverableHandle:
        if not isinstance(handle, RecoverableHandle):
            handle = RecoverableHandle.from_json(handle)
        if handle.bucket != self.bucket:
            raise InvalidHandleError(
                f"recoverable handle of bucket {handle.bucket!r} given to a file system on bucket "
                f"{self.bucket!r}"
            )
        return handle

    def _pending(self, key: str) -> Iterator[PendingUpload]:
        try:
            yield from list_pending_uploads(self.client, self.bucket, key)
        except S3ConfError as error:
            if not isinstance(error.__cause__, ClientError) or error_code(error.__cause__) != "NoSuchUpload":
                raise
            # rclone serve s3 answers NoSuchUpload instead of an empty list when nothing is pending

    def _check_parts(self, handle: RecoverableHandle) -> int:
        """The upload exists and still holds the handle's parts (numbers and ETags); returns the
        highest part number the store lists (0 for none)."""
        listed: dict[int, set[str]] = {}
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Key": handle.key, "UploadId": handle.upload_id}
        while True:
            try:
                page = self.client.list_parts(**kwargs)
            except ClientError as error:
                if error_code(error) in ("NoSuchUpload", *NOT_FOUND_CODES):
                    raise HandleNotFoundError(
                        f"multipart upload {handle.upload_id} of s3://{self.bucket}/{handle.key} no longer "
                        "exists (aborted, expired or already completed): the handle cannot be resumed"
                    ) from error
                raise translate_error(error, self.bucket, handle.key) from error
            except BotoCoreError as error:
                raise translate_error(error, self.bucket, handle.key) from error
            for part in page.get("Parts", []):  # SeaweedFS lists every upload of a part number
                listed.setdefault(int(part["PartNumber"]), set()).add(_strip(str(part["ETag"])))
            if not page.get("IsTruncated"):
                break
            kwargs["PartNumberMarker"] = page["NextPartNumberMarker"]
        for part in handle.parts:
            if _strip(part.etag) not in listed.get(part.number, set()):
                raise StaleHandleError(
                    f"part {part.number} of upload {handle.upload_id} (s3://{self.bucket}/{handle.key}) is "
                    f"{'missing' if part.number not in listed else 'replaced'}: the handle expects ETag "
                    f"{part.etag}, the store lists {sorted(listed.get(part.number, ()))}"
                )
        return max(listed, default=0)

    def _read_tail(self, tail: TailObject) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=tail.key, IfMatch=tail.etag)
            body: bytes = response["Body"].read()
        except ClientError as error:
            code = error_code(error)
            if code in NOT_FOUND_CODES:
                raise HandleNotFoundError(
                    f"the tail object s3://{self.bucket}/{tail.key} of the handle no longer exists"
                ) from error
            if code in PRECONDITION_CODES:
                raise StaleHandleError(
                    f"the tail object s3://{self.bucket}/{tail.key} changed since the handle (ETag "
                    f"{tail.etag})"
                ) from error
            raise translate_error(error, self.bucket, tail.key) from error
        except BotoCoreError as error:
            raise translate_error(error, self.bucket, tail.key) from error
        etag = _strip(tail.etag)
        digest_known = len(etag) == 32 and all(char in "0123456789abcdef" for char in etag)
        if len(body) != tail.size or (
            digest_known and hashlib.md5(body, usedforsecurity=False).hexdigest() != etag
        ):
            raise StaleHandleError(
                f"the tail object s3://{self.bucket}/{tail.key} holds {len(body)} bytes, not the "
                f"{tail.size} bytes (ETag {tail.etag}) the handle recorded"
            )
        return body

    def _put_tail(self, key: str, data: bytes) -> TailObject:
        temp_key = new_temp_key(key, self.temp_prefix)
        try:
            checksum = {checksum_parameter(CHECKSUM_ALGORITHM): part_checksum(CHECKSUM_ALGORITHM, data)}
            response = self.client.put_object(Bucket=self.bucket, Key=temp_key, Body=data, **checksum)
        except (ClientError, BotoCoreError) as error:
            raise translate_error(error, self.bucket, temp_key) from error
        return TailObject(temp_key, len(data), str(response["ETag"]))

    def _delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=key)
        except ClientError as error:
            if error_code(error) not in NOT_FOUND_CODES:
                raise translate_error(error, self.bucket, key) from error
        except BotoCoreError as error:
            raise translate_error(error, self.bucket, key) from error

    def _head(self, key: str) -> dict[str, Any] | None:
        return self.fs._head(key)


class RecoverableStream:
    """A write-only stream whose state can be persisted and resumed (one writer thread at a time).

    After a failed write or persist the stream is broken: recover the last handle instead.
    ``close()`` drops local state and leaves everything on the store as it is (Flink's ``close``).
    """

    def __init__(
        self,
        writer: RecoverableWriter,
        upload: MultipartUpload,
        *,
        tail: bytes,
        temp_keys: tuple[str, ...],
        first_part: int = 1,
    ) -> None:
        self._writer = writer
        self._upload = upload
        self._buffer = bytearray(tail)
        self._next_part = first_part
        self._submitted_any = False
        self._bytes_in_parts = upload.uploaded_bytes
        self._temp_keys = list(temp_keys)
        self._runner = PartRunner(writer._pool, writer.max_parts_in_flight)
        self._closed = False

    def __repr__(self) -> str:
        return f"RecoverableStream(s3://{self._upload.bucket}/{self._upload.key}, position={self.position})"

    @property
    def key(self) -> str:
        """The final object key."""
        return self._upload.key

    @property
    def upload_id(self) -> str:
        """The multipart upload this stream writes."""
        return self._upload.upload_id

    @property
    def position(self) -> int:
        """Bytes written through this stream and its recovered predecessors."""
        return self._bytes_in_parts + len(self._buffer)

    def tell(self) -> int:
        """Same as :attr:`position`."""
        return self.position

    def write(self, data: bytes | bytearray | memoryview) -> int:
        """Append ``data``; every full part goes up on the pool while writing goes on."""
        self._check_open()
        self._buffer += data
        part_size = self._writer.part_size
        while len(self._buffer) >= part_size:
            self._submit(bytes(self._buffer[:part_size]))
            del self._buffer[:part_size]
        return len(data)

    def persist(self) -> RecoverableHandle:
        """Make every byte written so far durable; the handle resumes exactly here."""
        self._check_open()
        tail = None
        if self._buffer:
            tail = self._writer._put_tail(self.key, bytes(self._buffer))
            self._temp_keys.append(tail.key)
        self._runner.join()
        upload = self._upload
        return RecoverableHandle(
            "resume",
            upload.bucket,
            upload.key,
            upload.upload_id,
            tuple(upload.parts),
            tail,
            tuple(self._temp_keys),
            upload.checksum_algorithm,
            self._writer.max_parts_in_flight,
        )

    def close_for_commit(self) -> RecoverableCommitter:
        """Upload the rest as the last part; the committer publishes the object."""
        self._check_open()
        if self._buffer or not (self._upload.parts or self._submitted_any):  # an empty object: one empty part
            self._submit(bytes(self._buffer))
            self._buffer.clear()
        self._runner.join()
        self._closed = True
        upload = self._upload
        handle = RecoverableHandle(
            "commit",
            upload.bucket,
            upload.key,
            upload.upload_id,
            tuple(upload.parts),
            None,
            tuple(self._temp_keys),
            upload.checksum_algorithm,
            self._writer.max_parts_in_flight,
        )
        return RecoverableCommitter(self._writer, handle)

    def close(self) -> None:
        """Stop using the stream: running part uploads finish, nothing on the store is touched."""
        if not self._closed:
            self._closed = True
            self._runner.cancel()

    def _submit(self, body: bytes) -> None:
        number = self._next_part
        self._next_part += 1
        self._submitted_any = True
        self._bytes_in_parts += len(body)
        upload = self._upload
        self._runner.submit(lambda: upload.upload_part(number, body))

    def _check_open(self) -> None:
        if self._closed:
            raise ValueError(f"{self!r} is closed")
        self._runner.raise_failure()


class RecoverableCommitter:
    """Publishes the object of a ``commit`` handle; both methods are idempotent and verified."""

    def __init__(self, writer: RecoverableWriter, handle: RecoverableHandle) -> None:
        self._writer = writer
        self.handle = handle

    def __repr__(self) -> str:
        return f"RecoverableCommitter(s3://{self.handle.bucket}/{self.handle.key}, {self.handle.size} bytes)"

    def to_json(self) -> str:
        """The commit handle, for the checkpoint (``recover_for_commit`` reads it back)."""
        return self.handle.to_json()

    def commit(self) -> CommitOutcome:
        """Publish the object (``CompleteMultipartUpload``); a no-op when it already is published."""
        return self._commit()

    def commit_after_recovery(self) -> CommitOutcome:
        """:meth:`commit` for a handle restored from a checkpoint, whose commit may have happened."""
        return self._commit()

    def _commit(self) -> CommitOutcome:
        handle = self.handle
        expected = self._expected_etag()
        head = self._writer._head(handle.key)
        if expected is not None and head is not None and _strip(str(head.get("ETag", ""))) == expected:
            outcome: CommitOutcome = "already committed"  # the same parts made it: do not publish again
        else:
            upload = MultipartUpload(
                self._writer.client,
                handle.bucket,
                handle.key,
                handle.upload_id,
                parts=handle.parts,
                checksum_algorithm=handle.checksum_algorithm,
            )
            try:
                upload.complete()
                outcome = "completed"
            except S3ConfError as error:
                cause = error.__cause__
                if not isinstance(cause, ClientError) or error_code(cause) != "NoSuchUpload":
                    raise
                self._verify_published(expected, error)
                outcome = "already committed"
        self._delete_temps()
        return outcome

    def _expected_etag(self) -> str | None:
        """The ETag S3 gives the completed object, or ``None`` when the part ETags are not MD5s."""
        try:
            return _strip(multipart_etag(self.handle.parts))
        except ValueError:
            return None

    def _verify_published(self, expected: str | None, error: BaseException) -> None:
        """The upload is gone (``error``): accept only the object these parts make at the key.

        Compared by multipart ETag where the store uses that scheme, else by size (Flink's check).
        """
        handle = self.handle
        where = f"s3://{handle.bucket}/{handle.key}"
        head = self._writer._head(handle.key)
        if head is None:
            raise HandleNotFoundError(
                f"cannot commit {where}: multipart upload {handle.upload_id} no longer exists and no object "
                "is at the key"
            ) from error
        found_etag = _strip(str(head.get("ETag", "")))
        found_size = int(head.get("ContentLength", -1))
        if expected is not None and "-" in found_etag:
            same = found_etag == expected
        else:
            same = found_size == handle.size
        if not same:
            raise StaleHandleError(
                f"cannot commit {where}: multipart upload {handle.upload_id} no longer exists and the object "
                f"at the key is another one ({found_size} bytes, ETag {found_etag}; the handle makes "
                f"{handle.size} bytes, ETag {expected})"
            ) from error

    def _delete_temps(self) -> None:
        for key in self.handle.temp_keys:
            try:
                self._writer._delete(key)
            except S3ConfError as error:
                _log.warning("committed, but could not delete temporary object %s: %s", key, error)

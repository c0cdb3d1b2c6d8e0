"""The one multipart-upload engine: part sizing, parallel parts, completion and an abort that reports.

Every multipart upload s3conf makes goes through :class:`MultipartUpload`: the streaming writer's
parts (:mod:`s3conf.writer`), the server-side copy of large objects (``S3FileSystem.copy``) and, later,
the recoverable writer, which persists :meth:`MultipartUpload.handle` (upload id + part ETags, no
secrets) and continues with :meth:`MultipartUpload.resume` in another process. Decisions:

* **Parts run on the shared bounded pool** (:class:`~s3conf.fetchpool.FetchPool`), never on a private
  executor per upload, so a hundred open writers cannot start a thousand threads. :class:`PartRunner`
  bounds how many parts of *one* upload are in flight; the writer adds its own bound on part buffers.
* **Completion sends the parts sorted by number**, whatever order they finished in, and carries
  ``If-None-Match: *`` for an exclusive create, so the store itself refuses to replace a key.
* **Abort is always attempted and its failure is never swallowed.** Queued parts are cancelled and
  running ones awaited first (a part that lands after the abort would otherwise resurrect storage the
  abort meant to free). When the abort itself fails, :meth:`MultipartUpload.abort` raises
  :class:`~s3conf.errors.MultipartAbortError` naming the upload id; when it runs because something
  else already failed, that original error stays the one raised and carries the abort failure as a
  note (``add_note``) and as ``abort_error`` on the upload, and a warning is logged.
* **Part sizes**: S3 allows 10,000 parts of 5 MiB..5 GiB (the last may be smaller). When the total is
  known (copy, spooled write) :func:`part_size_for` grows the configured size until the object fits;
  a streaming writer cannot know it and refuses part 10,001 with an error naming the setting.

>>> part_size_for(100 * MIB, 8 * MIB)
8388608
>>> part_size_for(10_000 * 8 * MIB + 1, 8 * MIB) // MIB
16
>>> part_ranges(20, 8)
[(1, 0, 8), (2, 8, 8), (3, 16, 4)]
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, wait
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from s3conf.checksums import checksum_parameter, part_checksum
from s3conf.client import error_code, translate_error
from s3conf.errors import (
    ConditionalWriteUnsupportedError,
    MultipartAbortError,
    ObjectExistsError,
    TransferError,
    UnsupportedOperationError,
)
from s3conf.s3errors import PRECONDITION_CODES, UNIMPLEMENTED_CODES

__all__ = [
    "MAX_PARTS",
    "MAX_PART_SIZE",
    "MIN_PART_SIZE",
    "MultipartUpload",
    "PartRunner",
    "PendingUpload",
    "UploadedPart",
    "abort_pending_uploads",
    "call_s3",
    "list_pending_uploads",
    "multipart_etag",
    "part_ranges",
    "part_size_for",
    "run_parts",
]

_log = logging.getLogger(__name__)

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB
"""S3's minimum size for every part but the last."""

MAX_PART_SIZE = 5 * 1024 * MIB
"""S3's maximum size of one part."""

MAX_PARTS = 10_000
"""S3's maximum number of parts in one multipart upload."""


T = TypeVar("T")


class Submitter(Protocol):
    """What runs parts: :class:`~s3conf.fetchpool.FetchPool` (``submit(fn, *args) -> Future``)."""

    def submit(self, function: Callable[..., T], /, *args: Any) -> Future[T]: ...


def part_size_for(total_size: int, configured: int) -> int:
    """The part size for an object of known ``total_size``: ``configured``, doubled until it fits.

    Raises:
        TransferError: the object is larger than S3's 10,000 parts of 5 GiB allow.
    """
    part_size = max(configured, MIN_PART_SIZE)
    while -(-total_size // part_size) > MAX_PARTS:
        part_size *= 2
    if part_size > MAX_PART_SIZE:
        raise TransferError(f"{total_size} bytes exceed S3's limit of {MAX_PARTS} parts of 5 GiB")
    return part_size


def part_ranges(total_size: int, part_size: int) -> list[tuple[int, int, int]]:
    """``(part number, offset, length)`` covering ``total_size`` bytes in ``part_size`` pieces."""
    return [
        (number, offset, min(part_size, total_size - offset))
        for number, offset in enumerate(range(0, total_size, part_size), start=1)
    ]


def call_s3(
    operation: Callable[..., Any], bucket: str, key: str, *, create_new: bool = False, **kwargs: Any
) -> Any:
    """Run one S3 call on ``bucket/key``, turning botocore errors into the s3conf tree.

    With ``create_new``, a precondition failure is an :class:`ObjectExistsError` (the key exists) and an
    unimplemented header a :class:`ConditionalWriteUnsupportedError` (reported, never emulated).
    """
    try:
        return operation(Bucket=bucket, Key=key, **kwargs)
    except ClientError as error:
        raise _translated(error, bucket, key, create_new) from error
    except BotoCoreError as error:
        raise translate_error(error, bucket, key) from error


def _translated(error: ClientError, bucket: str, key: str, create_new: bool) -> Exception:
    code = error_code(error)
    if create_new and code in PRECONDITION_CODES:
        return ObjectExistsError(f"object already exists: s3://{bucket}/{key} (exclusive create refused)")
    if create_new and code in UNIMPLEMENTED_CODES:
        return ConditionalWriteUnsupportedError(
            f"target does not implement If-None-Match on writes; cannot create s3://{bucket}/{key} "
            "exclusively"
        )
    return translate_error(error, bucket, key)


def multipart_etag(parts: Iterable[UploadedPart]) -> str:
    """The ETag S3 gives an object completed from ``parts``: MD5 of their binary MD5s, then ``-N``.

    >>> multipart_etag([UploadedPart(1, '"c4ca4238a0b923820dcc509a6f75849b"', 1)])
    '"46d1741e8075da4ac72c71d8130fcb71-1"'
    """
    digests = [bytes.fromhex(part.etag.strip('"')) for part in parts]
    return f'"{hashlib.md5(b"".join(digests), usedforsecurity=False).hexdigest()}-{len(digests)}"'


@dataclass(frozen=True)
class UploadedPart:
    """One finished part: what ``CompleteMultipartUpload`` and a persisted handle need.

    ``checksum`` is the base64 ``x-amz-checksum-*`` value sent with the part (uploads created with a
    checksum algorithm), which the complete request must repeat; ``None`` otherwise.
    """

    number: int
    etag: str
    size: int
    checksum: str | None = None

    def as_request(self, checksum_algorithm: str | None = None) -> dict[str, Any]:
        """The entry of ``MultipartUpload.Parts`` in a complete request."""
        entry: dict[str, Any] = {"PartNumber": self.number, "ETag": self.etag}
        if checksum_algorithm is not None and self.checksum is not None:
            entry[checksum_parameter(checksum_algorithm)] = self.checksum
        return entry


class MultipartUpload:
    """One multipart upload of ``bucket/key``: parts (from any thread), then complete XOR abort.

    Build it with :meth:`create` (starts a new upload) or :meth:`resume` (continues a persisted one).
    Thread-safe: parts may be uploaded from pool threads while the owner keeps working.

    With a ``checksum_algorithm`` (``"CRC32"``, see :mod:`s3conf.checksums`) the upload is
    created with it, every :meth:`upload_part` computes the part's checksum on the calling (pool)
    thread and sends it as a header (clients from :func:`s3conf.client.make_client` then send the
    payload unsigned), and :meth:`complete` repeats each part's value, as S3 requires. Server-side
    copies (:meth:`copy_part`) use uploads without one.

    Attributes:
        upload_id: the store's id of this upload.
        checksum_algorithm: the flexible checksum every uploaded part carries, or ``None``.
        abort_error: the failure of an abort attempted while another error was propagating.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        upload_id: str,
        *,
        create_new: bool = False,
        parts: Iterable[UploadedPart] = (),
        checksum_algorithm: str | None = None,
    ) -> None:
        self._client = client
        self.bucket = bucket
        self.key = key
        self.upload_id = upload_id
        self.create_new = create_new
        self.checksum_algorithm = checksum_algorithm
        if checksum_algorithm is not None:
            part_checksum(checksum_algorithm, b"")  # fail now, naming it, if it cannot be computed here
        self._parts: dict[int, UploadedPart] = {part.number: part for part in parts}
        self._lock = threading.Lock()
        self.completed = False
        self.aborted = False
        self.abort_error: BaseException | None = None

    def __repr__(self) -> str:
        return (
            f"MultipartUpload(s3://{self.bucket}/{self.key}, upload_id={self.upload_id!r}, "
            f"{len(self._parts)} parts)"
        )

    @classmethod
    def create(
        cls,
        client: Any,
        bucket: str,
        key: str,
        *,
        create_new: bool = False,
        checksum_algorithm: str | None = None,
    ) -> MultipartUpload:
        """Start a new multipart upload (``CreateMultipartUpload``), with ``checksum_algorithm`` if given."""
        if checksum_algorithm is not None:
            part_checksum(checksum_algorithm, b"")  # refuse an unavailable algorithm before creating
        algorithm: dict[str, Any] = {"ChecksumAlgorithm": checksum_algorithm} if checksum_algorithm else {}
        created = call_s3(client.create_multipart_upload, bucket, key, **algorithm)
        return cls(
            client,
            bucket,
            key,
            str(created["UploadId"]),
            create_new=create_new,
            checksum_algorithm=checksum_algorithm,
        )

    @classmethod
    def resume(cls, client: Any, bucket: str, key: str, handle: Mapping[str, Any]) -> MultipartUpload:
        """Continue an upload from :meth:`handle` (in this or another process)."""
        parts = [
            UploadedPart(int(p["number"]), str(p["etag"]), int(p["size"]), p.get("checksum"))
            for p in handle["parts"]
        ]
        return cls(
            client,
            bucket,
            key,
            str(handle["upload_id"]),
            create_new=bool(handle.get("create_new", False)),
            parts=parts,
            checksum_algorithm=handle.get("checksum_algorithm"),
        )

    def handle(self) -> dict[str, Any]:
        """A JSON-serialisable record of the upload (id, finished parts, sizes): no credentials.

        Uploads with a checksum algorithm add ``checksum_algorithm`` and each part's ``checksum``.
        """
        record: dict[str, Any] = {
            "bucket": self.bucket,
            "key": self.key,
            "upload_id": self.upload_id,
            "create_new": self.create_new,
            "parts": [
                {"number": p.number, "etag": p.etag, "size": p.size}
                | ({"checksum": p.checksum} if p.checksum is not None else {})
                for p in self.parts
            ],
        }
        if self.checksum_algorithm is not None:
            record["checksum_algorithm"] = self.checksum_algorithm
        return record

    @property
    def parts(self) -> list[UploadedPart]:
        """Finished parts, by part number."""
        with self._lock:
            return [self._parts[number] for number in sorted(self._parts)]

    @property
    def uploaded_bytes(self) -> int:
        """Bytes in finished parts."""
        with self._lock:
            return sum(part.size for part in self._parts.values())

    def _record(self, part: UploadedPart) -> UploadedPart:
        with self._lock:
            self._parts[part.number] = part
        return part

    def upload_part(self, number: int, body: bytes | bytearray) -> UploadedPart:
        """Upload part ``number`` (``bytes`` or a ``bytearray`` passed without copying).

        With a checksum algorithm the checksum is computed here, in the calling thread (a pool thread
        for the writer: the hash releases the GIL), once; botocore then neither hashes the payload for
        the signature nor adds a checksum of its own.
        """
        if not 1 <= number <= MAX_PARTS:
            raise TransferError(
                f"part {number} of s3://{self.bucket}/{self.key} is beyond S3's {MAX_PARTS}-part limit: "
                "raise s3.spi.write.part-size (or set s3.spi.write.spool=true, which sizes parts to fit)"
            )
        checksum: dict[str, Any] = {}
        value: str | None = None
        if self.checksum_algorithm is not None:
            value = part_checksum(self.checksum_algorithm, body)
            checksum[checksum_parameter(self.checksum_algorithm)] = value
        response = call_s3(
            self._client.upload_part,
            self.bucket,
            self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            Body=body,
            **checksum,
        )
        return self._record(UploadedPart(number, str(response["ETag"]), len(body), value))

    def copy_part(
        self, number: int, source: Mapping[str, str], first: int, last: int, *, if_match: str | None = None
    ) -> UploadedPart:
        """Copy bytes ``first..last`` (inclusive) of ``source`` server-side as part ``number``.

        ``if_match`` (the source's ETag) makes a source replaced mid-copy fail instead of mixing versions.
        """
        condition: dict[str, Any] = {"CopySourceIfMatch": if_match} if if_match else {}
        response = call_s3(
            self._client.upload_part_copy,
            self.bucket,
            self.key,
            UploadId=self.upload_id,
            PartNumber=number,
            CopySource=dict(source),
            CopySourceRange=f"bytes={first}-{last}",
            **condition,
        )
        etag = response.get("CopyPartResult", {}).get("ETag")
        if not etag:  # rclone answers 200 with an empty result: no server-side part copy there
            raise UnsupportedOperationError(
                f"the store answered UploadPartCopy for part {number} of s3://{self.bucket}/{self.key} "
                "without a CopyPartResult ETag: it does not support server-side multipart copy"
            )
        return self._record(UploadedPart(number, str(etag), last - first + 1))

    def complete(self) -> dict[str, Any]:
        """Publish the object from the finished parts (``If-None-Match: *`` for an exclusive create).

        A connection lost after the store committed makes botocore retry, and the retry may be told
        ``NoSuchUpload`` although the object is there. Then the object's ETag is compared with the one
        the parts define (MD5 of the parts' MD5s, ``-N``): equal means this upload published it.

        Raises:
            ObjectExistsError: ``create_new`` and the key exists (the upload is still pending: abort it).
        """
        parts = self.parts
        conditional = {"IfNoneMatch": "*"} if self.create_new else {}
        try:
            response: dict[str, Any] = self._client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=self.key,
                UploadId=self.upload_id,
                MultipartUpload={"Parts": [part.as_request(self.checksum_algorithm) for part in parts]},
                **conditional,
            )
        except ClientError as error:
            if error_code(error) != "NoSuchUpload" or not self._published(parts):
                raise _translated(error, self.bucket, self.key, self.create_new) from error
            response = {"ETag": multipart_etag(parts)}
        except BotoCoreError as error:
            raise translate_error(error, self.bucket, self.key) from error
        self.completed = True
        return response

    def _published(self, parts: list[UploadedPart]) -> bool:
        """Whether the object at the key is the one these parts make (see :meth:`complete`)."""
        try:
            head = self._client.head_object(Bucket=self.bucket, Key=self.key)
            expected = multipart_etag(parts)
        except (ClientError, BotoCoreError, ValueError):  # ValueError: a store whose ETags are not MD5s
            return False
        return str(head.get("ETag", "")).strip('"') == expected.strip('"')

    def abort(self, *, cause: BaseException | None = None) -> None:
        """Abort the upload (idempotent once it succeeded).

        Args:
            cause: the error that made the caller give up, if any. Then a failed abort does not
                replace it: the failure is attached to ``cause`` as a note and kept in
                :attr:`abort_error`, and this method returns.

        Raises:
            MultipartAbortError: the abort failed and there was no ``cause``; the upload may still be
                pending (its id is in the message, for ``abort_pending_uploads`` or a lifecycle rule).
        """
        if self.aborted:
            return
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        except ClientError as error:
            if error_code(error) == "NoSuchUpload":
                self.aborted = True  # already gone (aborted or expired): nothing is left pending
                return
            self._abort_failed(error, cause)
            return
        except BotoCoreError as error:
            self._abort_failed(error, cause)
            return
        self.aborted = True

    def _abort_failed(self, error: BaseException, cause: BaseException | None) -> None:
        problem = MultipartAbortError(
            f"could not abort multipart upload {self.upload_id} of s3://{self.bucket}/{self.key} "
            f"({type(error).__name__}: {error_code(error) if isinstance(error, ClientError) else error}); "
            "it may still be pending"
        )
        problem.upload_id = self.upload_id
        problem.__cause__ = error
        self.abort_error = problem
        _log.warning("%s", problem)
        if cause is None:
            raise problem
        cause.add_note(str(problem))


class PartRunner:
    """Runs the parts of one upload on the shared pool, at most ``max_in_flight`` at once.

    :meth:`submit` blocks while ``max_in_flight`` parts are queued or running (back-pressure), and
    raises the first part failure as soon as it is known, so a producer stops early. :meth:`join`
    waits for every part; :meth:`cancel` drops queued parts and waits for running ones, which must
    happen before an abort.
    """

    def __init__(self, pool: Submitter, max_in_flight: int) -> None:
        if max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self._pool = pool
        self.max_in_flight = max_in_flight
        self._futures: set[Future[Any]] = set()
        self._condition = threading.Condition()
        self.failure: BaseException | None = None
        self.waits = 0
        """Times :meth:`submit` had to wait for a free slot (back-pressure events)."""

    def submit(self, job: Callable[[], Any], *, on_done: Callable[[], None] | None = None) -> None:
        """Queue ``job`` (blocking while the bound is reached); ``on_done`` runs after it, even on error."""
        with self._condition:
            if len(self._futures) >= self.max_in_flight:
                self.waits += 1
            while len(self._futures) >= self.max_in_flight and self.failure is None:
                self._condition.wait()
            self.raise_failure()
            future = self._pool.submit(job)
            self._futures.add(future)
        future.add_done_callback(lambda done: self._finished(done, on_done))

    def _finished(self, future: Future[Any], on_done: Callable[[], None] | None) -> None:
        try:
            if on_done is not None:
                on_done()
        finally:
            with self._condition:
                self._futures.discard(future)
                if not future.cancelled():
                    error = future.exception()
                    if error is not None and self.failure is None:
                        self.failure = error
                self._condition.notify_all()

    @property
    def in_flight(self) -> int:
        """Parts queued or running now."""
        with self._condition:
            return len(self._futures)

    def raise_failure(self) -> None:
        """Raise the first part failure, if any."""
        if self.failure is not None:
            raise self.failure

    def join(self) -> None:
        """Wait for every submitted part; raise the first failure."""
        with self._condition:
            while self._futures and self.failure is None:
                self._condition.wait()
        self.raise_failure()

    def cancel(self) -> None:
        """Cancel queued parts and wait for the running ones to end (successfully or not)."""
        with self._condition:
            futures = list(self._futures)
        for future in futures:
            future.cancel()
        wait(futures)
        with self._condition:
            while self._futures:
                self._condition.wait()


def run_parts(
    upload: MultipartUpload, jobs: Iterable[Callable[[], Any]], pool: Submitter, max_in_flight: int
) -> None:
    """Run every part job on ``pool`` with at most ``max_in_flight`` at once, then complete the upload.

    On any failure (or ``KeyboardInterrupt``) the queued parts are cancelled, the running ones awaited,
    the upload aborted, and the original error raised (carrying a note if the abort failed too).
    """
    runner = PartRunner(pool, max_in_flight)
    try:
        for job in jobs:
            runner.submit(job)
        runner.join()
        upload.complete()
    except BaseException as error:
        runner.cancel()
        upload.abort(cause=error)
        raise


@dataclass(frozen=True)
class PendingUpload:
    """An unfinished multipart upload as ``ListMultipartUploads`` reports it."""

    key: str
    upload_id: str
    initiated: Any = None


def list_pending_uploads(client: Any, bucket: str, prefix: str = "") -> Iterator[PendingUpload]:
    """Every unfinished multipart upload in ``bucket`` under ``prefix`` (all pages).

    Raises:
        S3ConfError: the listing failed (a target without ``ListMultipartUploads`` raises its error).
    """
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        try:
            page = client.list_multipart_uploads(**kwargs)
        except (ClientError, BotoCoreError) as error:
            raise translate_error(error, bucket, prefix or None) from error
        for upload in page.get("Uploads", []):
            yield PendingUpload(str(upload["Key"]), str(upload["UploadId"]), upload.get("Initiated"))
        if not page.get("IsTruncated"):
            return
        kwargs["KeyMarker"] = page.get("NextKeyMarker", "")
        kwargs["UploadIdMarker"] = page.get("NextUploadIdMarker", "")


def abort_pending_uploads(client: Any, bucket: str, prefix: str = "") -> list[PendingUpload]:
    """Abort every unfinished upload under ``prefix``: the cleanup after a writer was killed.

    A writer that dies without running its ``finally`` (SIGKILL, power loss) leaves its upload pending
    and its parts billed; the object never appears. Returns what was aborted.

    Raises:
        MultipartAbortError: an abort failed (the ones before it stay aborted).
    """
    aborted = []
    for pending in list(list_pending_uploads(client, bucket, prefix)):
        MultipartUpload(client, bucket, pending.key, pending.upload_id).abort()
        aborted.append(pending)
    return aborted

"""Spooling writer: bytes go to a local temporary file and reach S3 only on ``close()``.

S3 has no append and no partial overwrite, so a writable handle cannot stream into an object the way
a local file does. Like the Java NIO.2 provider, :class:`S3Writer` gathers everything in a temporary
file and uploads it when the handle is closed: one ``PutObject`` below
``s3.spi.write.multipart-threshold``, otherwise a multipart upload whose parts (``...part-size`` each)
go up in parallel on a small bounded pool. Nothing is visible in the bucket before ``close()``
returns, and nothing ever becomes visible when the upload fails, when :meth:`S3Writer.abort` is
called, or when the ``with`` block that owns the writer raises: a started multipart upload is aborted
(so no orphaned parts keep costing storage) and the temporary file is always deleted.

``create_new=True`` is an exclusive create (``open(..., "xb")``): the upload carries
``If-None-Match: *`` (on ``PutObject`` and on ``CompleteMultipartUpload``) so the store itself refuses
to replace an existing key, which is race-free where a HEAD-then-PUT check is not. A refusal raises
:class:`~s3conf.errors.ObjectExistsError` (a ``FileExistsError``) and the existing object is left as
it was. A target that rejects the header as unimplemented raises
:class:`~s3conf.errors.ConditionalWriteUnsupportedError`; we never fall back to an unsafe check.

A handle is write-only (read XOR write, as in the Java provider): reading back what was written
before it is uploaded would give answers no other client can see.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from types import TracebackType
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from s3conf.client import translate_error
from s3conf.errors import ConditionalWriteUnsupportedError, ObjectExistsError, TransferError

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from s3conf.config import S3Config

__all__ = ["MAX_PARTS", "MIN_PART_SIZE", "S3Writer"]

_log = logging.getLogger(__name__)

MIN_PART_SIZE = 5 * 1024 * 1024
"""S3's minimum size for every part but the last."""

MAX_PARTS = 10_000
"""S3's maximum number of parts in one multipart upload."""

_DEFAULT_MAX_CONCURRENCY = 4
_PRECONDITION_CODES = frozenset({"PreconditionFailed", "412"})
_UNIMPLEMENTED_CODES = frozenset({"NotImplemented", "501"})


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


class S3Writer(io.RawIOBase):
    """A write-only, non-seekable handle that uploads its bytes to ``bucket/key`` on close.

    Args:
        client: a boto3 S3 client (see :func:`s3conf.client.make_client`).
        bucket: the bucket name.
        key: the object key the upload creates or replaces.
        config: supplies ``multipart_threshold`` and ``multipart_part_size``.
        create_new: refuse to replace an existing key (``If-None-Match: *``).
        spool_dir: where the temporary file lives (default: :func:`tempfile.gettempdir`); tests point it
            at a private directory to prove the file is deleted.
        max_concurrency: parts uploaded at the same time; bounds memory to about this many parts.

    The part size grows beyond the configured one when needed to stay within S3's 10,000-part limit,
    so a very large spool still uploads instead of failing at part 10,001.
    """

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        *,
        config: S3Config,
        create_new: bool = False,
        spool_dir: str | os.PathLike[str] | None = None,
        max_concurrency: int = _DEFAULT_MAX_CONCURRENCY,
    ) -> None:
        super().__init__()
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency!r}")
        self._client = client
        self.bucket = bucket
        self.key = key
        self.create_new = create_new
        self._threshold = int(config.multipart_threshold)
        self._part_size = max(int(config.multipart_part_size), MIN_PART_SIZE)
        self._max_concurrency = max_concurrency
        fd, self._spool_path = tempfile.mkstemp(prefix="s3conf-spool-", dir=spool_dir)
        self._spool = os.fdopen(fd, "w+b")
        self._size = 0
        self.aborted = False
        self.parts_uploaded = 0
        self.upload_id: str | None = None
        """The multipart upload this writer started, kept after close so callers can audit it."""
        """Parts sent by a multipart upload (0 after a single PUT): lets tests see which path ran."""

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"S3Writer(bucket={self.bucket!r}, key={self.key!r}, {state}, {self._size} bytes spooled)"

    # -- io.RawIOBase ---------------------------------------------------------------------------------
    def readable(self) -> bool:
        """Always ``False``: a handle reads XOR writes."""
        return False

    def writable(self) -> bool:
        """``True`` while open."""
        self._check_open()
        return True

    def seekable(self) -> bool:
        """``False``: bytes are appended to the spool; S3 has no partial overwrite to mirror a seek."""
        return False

    def tell(self) -> int:
        """Bytes written so far (writers such as Parquet's ask for their position)."""
        self._check_open()
        return self._size

    def write(self, data: Buffer) -> int:
        """Append ``data`` to the spool; returns its full length (a spool write never comes up short)."""
        self._check_open()
        view = memoryview(data).cast("B")
        self._spool.write(view)
        self._size += view.nbytes
        return view.nbytes

    def flush(self) -> None:
        """Flush the spool to the OS; nothing is uploaded before :meth:`close`."""
        if not self.closed and not self._spool.closed:
            self._spool.flush()

    def close(self) -> None:
        """Upload the spooled bytes, then release the spool. Idempotent.

        On failure the object is not created (or not replaced), a multipart upload is aborted, the
        spool is deleted and the handle is closed; the error propagates as an ``s3conf.errors`` class.
        """
        if self.closed:
            return
        try:
            self._spool.flush()
            self._upload()
        finally:
            self._discard_spool()
            super().close()

    def abort(self) -> None:
        """Close without uploading: the bucket is left exactly as it was. Idempotent."""
        if self.closed:
            return
        self.aborted = True
        self._discard_spool()
        super().close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Upload when the block succeeded; abort when it raised, so half-written data never lands."""
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def __del__(self) -> None:
        # A writer dropped without close() never publishes: half-written output must not appear.
        # (IOBase.__del__ would call close() and upload whatever happened to be spooled.)
        with contextlib.suppress(AttributeError):
            self.abort()

    # -- upload ---------------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"I/O operation on closed S3Writer for {self.bucket}/{self.key}")

    def _discard_spool(self) -> None:
        with contextlib.suppress(OSError):
            self._spool.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._spool_path)

    def _upload(self) -> None:
        if self._size >= self._threshold and self._size > 0:
            self._upload_multipart()
        else:
            self._put_single()

    def _conditional_kwargs(self) -> dict[str, str]:
        return {"IfNoneMatch": "*"} if self.create_new else {}

    def _call(self, operation: Callable[..., Any], **kwargs: Any) -> Any:
        """Run one S3 call, turning botocore errors into the s3conf tree (named by bucket and key)."""
        try:
            return operation(Bucket=self.bucket, Key=self.key, **kwargs)
        except ClientError as error:
            code = _error_code(error)
            if self.create_new and code in _PRECONDITION_CODES:
                raise ObjectExistsError(
                    f"object already exists: s3://{self.bucket}/{self.key} (exclusive create refused)"
                ) from error
            if self.create_new and code in _UNIMPLEMENTED_CODES:
                raise ConditionalWriteUnsupportedError(
                    f"target does not implement If-None-Match on writes; cannot create "
                    f"s3://{self.bucket}/{self.key} exclusively"
                ) from error
            raise translate_error(error, self.bucket, self.key) from error
        except BotoCoreError as error:
            raise TransferError(f"upload of s3://{self.bucket}/{self.key} failed: {error}") from error

    def _put_single(self) -> None:
        self._spool.seek(0)
        body = self._spool.read()
        self._call(self._client.put_object, Body=body, **self._conditional_kwargs())

    def _effective_part_size(self) -> int:
        part_size = self._part_size
        while -(-self._size // part_size) > MAX_PARTS:
            part_size *= 2
        return part_size

    def _read_part(self, offset: int, length: int) -> bytes:
        # A separate handle per part keeps reads independent across pool threads.
        with open(self._spool_path, "rb") as spool:
            spool.seek(offset)
            return spool.read(length)

    def _upload_part(self, upload_id: str, number: int, offset: int, length: int) -> dict[str, Any]:
        body = self._read_part(offset, length)
        response = self._call(self._client.upload_part, UploadId=upload_id, PartNumber=number, Body=body)
        return {"PartNumber": number, "ETag": response["ETag"]}

    def _upload_multipart(self) -> None:
        part_size = self._effective_part_size()
        created = self._call(self._client.create_multipart_upload)
        upload_id: str = created["UploadId"]
        self.upload_id = upload_id
        try:
            ranges = [
                (number, offset, min(part_size, self._size - offset))
                for number, offset in enumerate(range(0, self._size, part_size), start=1)
            ]
            workers = min(self._max_concurrency, len(ranges))
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="s3conf-upload") as pool:
                futures: list[Future[dict[str, Any]]] = [
                    pool.submit(self._upload_part, upload_id, number, offset, length)
                    for number, offset, length in ranges
                ]
                done, pending = wait(futures, return_when=FIRST_EXCEPTION)
                for future in pending:
                    future.cancel()
            for future in done:
                failure = future.exception()
                if failure is not None:
                    raise failure
            parts = [future.result() for future in futures]
            self.parts_uploaded = len(parts)
            self._call(
                self._client.complete_multipart_upload,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                **self._conditional_kwargs(),
            )
        except BaseException:
            self._abort_multipart(upload_id)
            raise

    def _abort_multipart(self, upload_id: str) -> None:
        try:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=upload_id)
        except (ClientError, BotoCoreError) as error:
            # The original failure matters more; the orphaned upload is logged so it can be cleaned up.
            _log.warning(
                "could not abort multipart upload %s of s3://%s/%s: %s",
                upload_id,
                self.bucket,
                self.key,
                error,
            )

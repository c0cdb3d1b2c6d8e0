"""Streaming writer: parts go up while the caller writes; nothing is visible before ``close()``.

S3 has no append and no partial overwrite, so a writable handle cannot grow an object the way a local
file grows. :class:`S3Writer` cuts what it is given into parts of ``s3.spi.write.part-size``:

* **Small objects** (below ``s3.spi.write.multipart-threshold`` at ``close()``) stay in memory and go
  up as one ``PutObject`` at ``close()``.
* **Larger objects stream.** Once the bytes written reach the threshold, a multipart upload starts
  and every full part is uploaded on the shared bounded pool (:class:`~s3conf.fetchpool.FetchPool`)
  while the caller keeps writing; ``close()`` sends the last part and completes the upload.
  Memory is bounded by ``s3.spi.write.max-parts-in-flight`` part buffers (filling, waiting and
  uploading together): when all are in use, ``write()`` blocks until a part upload ends
  (back-pressure). Bytes are copied once, from the caller's buffer into the part buffer, which is
  handed to botocore as is and recycled for a later part.
* **Spooling** (``s3.spi.write.spool=true``, or ``spool=True``) is for callers who must not hold parts
  in memory: bytes go to a temporary file (in ``spool_dir``) and are uploaded at ``close()`` through
  the same engine, with parts sized to the now known total (S3's 10,000-part limit). A streaming
  writer cannot know the total, so it refuses part 10,001 with an error naming the settings.

The threshold cannot exceed what the buffers hold: when all of them but one are full before the
threshold is reached, the multipart upload starts then. With a threshold above the part size, an
object between the two is joined for its single PUT by growing its first buffer and dropping each
other as it is copied, so the bound on buffered bytes holds there too.

Every part (and a single PUT) carries one CRC checksum header computed on the pool thread; clients
from :func:`s3conf.client.make_client` then send it as ``UNSIGNED-PAYLOAD`` instead of hashing it
with SHA-256 for the signature over http: why, and which stores verify it, is in :mod:`s3conf.checksums`.

Guarantees (kept from the spooling writer this replaces): nothing appears at the key before
``close()`` returns; when the ``with`` block raises, :meth:`S3Writer.abort` is called, or a part or
the completion fails after botocore's retries, no object appears (or the old one stays), queued parts
are cancelled, running ones awaited and the multipart upload aborted; when the abort itself fails,
the error that caused it is raised with a note naming the upload (:mod:`s3conf.multipart`). A process
killed outright cannot abort: its upload stays pending (never an object) until
:func:`s3conf.multipart.abort_pending_uploads` or a lifecycle rule removes it.

``create_new=True`` is an exclusive create (``open(..., "xb")``): the ``PutObject`` or
``CompleteMultipartUpload`` carries ``If-None-Match: *``, so the store itself refuses to replace an
existing key (race-free, unlike HEAD-then-PUT). A refusal raises
:class:`~s3conf.errors.ObjectExistsError`; a target that rejects the header as unimplemented raises
:class:`~s3conf.errors.ConditionalWriteUnsupportedError`. A target that silently ignores it cannot be
detected here: the conformance suite reports such targets; we never emulate the check.

A handle is write-only (read XOR write): reading back bytes not yet uploaded would answer what no
other client can see.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any

from s3conf.checksums import CHECKSUM_ALGORITHM, checksum_parameter, part_checksum
from s3conf.errors import MultipartAbortError
from s3conf.fetchpool import FetchPool
from s3conf.multipart import (
    MAX_PARTS,
    MIN_PART_SIZE,
    MultipartUpload,
    PartRunner,
    Submitter,
    call_s3,
    part_ranges,
    part_size_for,
)
from s3conf.partbuffers import BufferStats, PartBuffers

if TYPE_CHECKING:
    from typing_extensions import Buffer

    from s3conf.config import S3Config

__all__ = ["MAX_PARTS", "MIN_PART_SIZE", "S3Writer", "WriterStats"]

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WriterStats:
    """What a writer did, for tests and benchmarks.

    Attributes:
        bytes_written: bytes accepted by ``write()``.
        parts_uploaded: parts of the completed multipart upload (0 after a single PUT).
        spooled: whether bytes went through a temporary file.
        buffers: part-buffer counters (peak bytes held, back-pressure waits...).
    """

    bytes_written: int
    parts_uploaded: int
    spooled: bool
    buffers: BufferStats


class S3Writer(io.RawIOBase):
    """A write-only, non-seekable handle whose bytes become ``bucket/key`` when it is closed.

    Args:
        client: a boto3 S3 client (see :func:`s3conf.client.make_client`).
        bucket: the bucket name.
        key: the object key the upload creates or replaces.
        config: supplies the threshold, part size, parts in flight and the spool switch.
        create_new: refuse to replace an existing key (``If-None-Match: *``).
        spool_dir: where a spooling writer's temporary file lives (default: the system temp dir).
        pool: runs part uploads; default the process-wide :meth:`FetchPool.shared` pool.
        spool: overrides ``s3.spi.write.spool``.
        max_parts_in_flight: overrides ``s3.spi.write.max-parts-in-flight``.
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
        pool: Submitter | None = None,
        spool: bool | None = None,
        max_parts_in_flight: int | None = None,
    ) -> None:
        super().__init__()
        parts_in_flight = config.max_parts_in_flight if max_parts_in_flight is None else max_parts_in_flight
        if parts_in_flight < 1:
            raise ValueError(f"max_parts_in_flight must be >= 1, got {parts_in_flight!r}")
        self._client = client
        self.bucket = bucket
        self.key = key
        self.create_new = create_new
        self._threshold = int(config.multipart_threshold)
        self._part_size = max(int(config.multipart_part_size), MIN_PART_SIZE)
        self._parts_in_flight = parts_in_flight
        self._pool: Submitter = pool if pool is not None else FetchPool.shared(config)
        self._spooling = config.write_spool if spool is None else spool
        self._spool: io.BufferedRandom | None = None
        self._spool_path: str | None = None
        if self._spooling:
            fd, self._spool_path = tempfile.mkstemp(prefix="s3conf-spool-", dir=spool_dir)
            self._spool = os.fdopen(fd, "w+b")
        self._buffers = PartBuffers(count=parts_in_flight, part_size=self._part_size)
        self._current: bytearray | None = None
        self._filled = 0
        self._held: list[bytearray] = []
        self._upload: MultipartUpload | None = None
        self._runner: PartRunner | None = None
        self._next_part = 1
        self._size = 0
        self.aborted = False
        self.parts_uploaded = 0
        """Parts of the completed multipart upload (0 after a single PUT): which path ran."""
        self.upload_id: str | None = None
        """The multipart upload this writer started, kept after close so callers can audit it."""

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"S3Writer(bucket={self.bucket!r}, key={self.key!r}, {state}, {self._size} bytes written)"

    @property
    def stats(self) -> WriterStats:
        """Counters so far (peak buffered bytes, back-pressure waits, parts)."""
        return WriterStats(self._size, self.parts_uploaded, self._spooling, self._buffers.stats)

    def wait_until_blocked(self, waits: int = 1, timeout: float = 30.0) -> bool:
        """Wait (from another thread) until ``write()`` has blocked on back-pressure ``waits`` times."""
        return self._buffers.wait_until_blocked(waits, timeout)

    # -- io.RawIOBase ---------------------------------------------------------------------------------
    def readable(self) -> bool:
        """Always ``False``: a handle reads XOR writes."""
        return False

    def writable(self) -> bool:
        """``True`` while open."""
        self._check_open()
        return True

    def seekable(self) -> bool:
        """``False``: bytes are appended; S3 has no partial overwrite to mirror a seek."""
        return False

    def tell(self) -> int:
        """Bytes written so far (writers such as Parquet's ask for their position)."""
        self._check_open()
        return self._size

    def write(self, data: Buffer) -> int:
        """Take all of ``data``; may block while every part buffer is in use (back-pressure).

        Raises:
            S3ConfError: a part upload already failed (the upload is aborted and the handle closed).
        """
        self._check_open()
        view = memoryview(data).cast("B")
        if self._spool is not None:
            self._spool.write(view)
            self._size += view.nbytes
            return view.nbytes
        try:
            self._raise_part_failure()
            self._append(view)
        except BaseException as error:
            try:
                self._abandon(error)
            finally:
                self._release()
                super().close()
            raise
        return view.nbytes

    def _append(self, view: memoryview) -> None:
        position, total = 0, view.nbytes
        while position < total:
            if self._current is None:
                # Only the first buffer grows (most objects are small); later ones are allocated at
                # their full size, so their memory is exactly one part (growth over-allocates).
                self._current = self._buffers.acquire(None if self._size == 0 else self._part_size)
                self._raise_part_failure()
            buffer = self._current
            filled = self._filled
            take = min(self._part_size - filled, total - position)
            if filled == len(buffer):
                buffer += view[position : position + take]  # a fresh buffer grows
                self._buffers.grew()
            else:
                # Through a memoryview: bytearray slice assignment from a non-bytearray first copies
                # the source into a temporary bytearray (two copies and a malloc per write).
                with memoryview(buffer) as target:
                    target[filled : filled + take] = view[position : position + take]
            self._filled = filled + take
            position += take
            self._size += take
            if self._filled == self._part_size:
                self._part_full()

    def flush(self) -> None:
        """Nothing to do: bytes are uploaded in parts as they fill, and the rest on :meth:`close`."""
        if self._spool is not None and not self._spool.closed:
            self._spool.flush()

    def close(self) -> None:
        """Upload what is left and publish the object. Idempotent.

        On failure nothing is published (or replaced), the multipart upload is aborted, the spool is
        deleted and the handle is closed; the error propagates as an ``s3conf.errors`` class.
        """
        if self.closed:
            return
        try:
            if self._spool is not None:
                self._upload_spool()
            else:
                self._finish_stream()
        except BaseException as error:
            self._abandon(error)
            raise
        finally:
            self._release()
            super().close()

    def abort(self) -> None:
        """Close without publishing: the bucket is left as it was. Idempotent.

        Raises:
            MultipartAbortError: the started multipart upload could not be aborted (it may be pending).
        """
        if self.closed:
            return
        try:
            self._abandon(None)
        finally:
            self._release()
            super().close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Publish when the block succeeded; abort when it raised, so half-written data never lands."""
        if exc is None:
            self.close()
            return
        if not self.closed:
            try:
                self._abandon(exc)  # a failed abort becomes a note on exc, which keeps propagating
            finally:
                self._release()
                super().close()

    def __del__(self) -> None:
        # A writer dropped without close() never publishes (IOBase.__del__ would call close()).
        with contextlib.suppress(AttributeError, MultipartAbortError):
            self.abort()

    # -- parts ----------------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"I/O operation on closed S3Writer for {self.bucket}/{self.key}")

    def _raise_part_failure(self) -> None:
        if self._runner is not None:
            self._runner.raise_failure()

    def _part_full(self) -> None:
        buffer, self._current, self._filled = self._current, None, 0
        assert buffer is not None
        if self._upload is not None:
            self._submit(buffer)
            return
        self._held.append(buffer)
        # All but one buffer may wait for the threshold: joining them for a single PUT then needs at
        # most that one more part of memory (see _joined), so the bound holds on that path too.
        if self._size >= self._threshold or len(self._held) >= max(1, self._parts_in_flight - 1):
            self._start_multipart()

    def _start_multipart(self) -> None:
        self._upload = MultipartUpload.create(
            self._client,
            self.bucket,
            self.key,
            create_new=self.create_new,
            checksum_algorithm=CHECKSUM_ALGORITHM,
        )
        self.upload_id = self._upload.upload_id
        self._runner = PartRunner(self._pool, self._parts_in_flight)
        held, self._held = self._held, []
        for buffer in held:
            self._submit(buffer)

    def _submit(self, buffer: bytearray) -> None:
        upload, runner = self._upload, self._runner
        assert upload is not None
        assert runner is not None
        number = self._next_part
        self._next_part += 1
        buffers = self._buffers
        runner.submit(lambda: upload.upload_part(number, buffer), on_done=lambda: buffers.release(buffer))

    def _last_buffer(self) -> bytearray | None:
        """The partly filled buffer, trimmed to its bytes (``None`` when there is none)."""
        buffer, filled = self._current, self._filled
        self._current, self._filled = None, 0
        if buffer is None:
            return None
        if filled == 0:
            self._buffers.release(buffer)
            return None
        try:
            del buffer[filled:]  # shrinks in place; the trimmed buffer is not recycled
        except BufferError:  # a view of this recycled buffer is still alive somewhere: copy instead
            self._buffers.release(buffer)
            return bytearray(memoryview(buffer)[:filled])
        return buffer

    def _finish_stream(self) -> None:
        last = self._last_buffer()
        if self._upload is None and (self._size < self._threshold or self._size == 0):
            held, self._held = self._held, []
            self._put_single(self._joined([*held, last] if last is not None else held))
            return
        if self._upload is None:
            self._start_multipart()
        if last is not None:
            self._submit(last)
        self._complete()

    def _complete(self) -> None:
        assert self._upload is not None
        assert self._runner is not None
        self._runner.join()
        self._upload.complete()
        self.parts_uploaded = len(self._upload.parts)

    def _joined(self, buffers: list[bytearray]) -> bytearray:
        """One body from ``buffers``: the first grows in place and each other is dropped once taken.

        ``b"".join`` would hold every buffer and their copy at once (twice the object, beyond the
        bound on buffered bytes); growing the first buffer (``realloc``, which moves large blocks
        without copying) keeps about one object alive. Only a threshold above the part size gets here
        with more than one buffer.
        """
        if not buffers:
            return bytearray()
        body = buffers[0]
        for index in range(1, len(buffers)):
            body += buffers[index]
            self._buffers.release(buffers[index], keep=False)
            buffers[index] = bytearray()
        self._buffers.grew()
        return body

    def _put_single(self, body: bytearray) -> None:
        conditional = {"IfNoneMatch": "*"} if self.create_new else {}
        call_s3(
            self._client.put_object,
            self.bucket,
            self.key,
            create_new=self.create_new,
            Body=body,
            **{checksum_parameter(CHECKSUM_ALGORITHM): part_checksum(CHECKSUM_ALGORITHM, body)},
            **conditional,
        )

    def _upload_spool(self) -> None:
        spool = self._spool
        assert spool is not None
        spool.flush()
        spool.seek(0)
        if self._size < self._threshold or self._size == 0:
            body = bytearray(self._size)
            if spool.readinto(body) != self._size:
                raise OSError(f"spool file of s3://{self.bucket}/{self.key} ended early")
            self._put_single(body)
            return
        part_size = part_size_for(self._size, self._part_size)
        self._buffers = PartBuffers(count=self._parts_in_flight, part_size=part_size)
        self._start_multipart()
        for _number, _offset, length in part_ranges(self._size, part_size):
            buffer = self._buffers.acquire(length)
            self._raise_part_failure()
            if spool.readinto(buffer) != length:
                raise OSError(f"spool file of s3://{self.bucket}/{self.key} ended early")
            self._submit(buffer)
        self._complete()

    # -- giving up ------------------------------------------------------------------------------------
    def _abandon(self, cause: BaseException | None) -> None:
        """Stop every part and abort the multipart upload (see :meth:`MultipartUpload.abort`)."""
        self.aborted = True
        if self._runner is not None:
            self._runner.cancel()
        if self._upload is not None and not self._upload.completed:
            self._upload.abort(cause=cause)

    def _release(self) -> None:
        self._current = None
        self._held = []
        self._buffers.clear()
        if self._spool is not None:
            with contextlib.suppress(OSError):
                self._spool.close()
        if self._spool_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._spool_path)

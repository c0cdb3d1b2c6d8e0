"""One ranged GET of the read-ahead reader: its response, its body read into place, and its retries.

:class:`~s3conf.reader.S3Reader` keeps the cache; this module is what one fetch does on the wire. The
hot path is :func:`read_body`, which moves every byte of a fragment once: from the socket straight into
fresh ``bytes`` chunks (:class:`http.client.HTTPResponse`'s ``read``, whose buffered reader receives
into the new object), kept as :class:`~s3conf.chunks.Chunks` so a read can hand them out whole.
botocore's ``StreamingBody.read`` goes through urllib3's ``HTTPResponse.read``, which adds its own
per-call work, and urllib3's ``readinto`` is a ``read`` plus a copy; on a 2-core machine such extra
passes over every byte are the difference between half and most of a plain GET's speed. The direct
path reaches through two non-public attributes (``_raw_stream``, ``_fp``), so it is only taken when
they are exactly what it expects, and falls back to the public ``read()`` otherwise (moto's in-process
responses, a checksum-validating body, a future botocore).
Either way a body shorter than its range raises :class:`~s3conf.errors.TransferError`.
"""

from __future__ import annotations

import contextlib
import errno
import http.client
import re
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.response import StreamingBody
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from s3conf.chunks import Chunks, Piece
from s3conf.client import error_code, error_status, operation_deadline, translate_error, transport_failure
from s3conf.directget import DirectBody
from s3conf.errors import S3ConfError, TransferError
from s3conf.s3errors import TRANSIENT_CODES

if TYPE_CHECKING:
    from collections.abc import Callable

    from typing_extensions import Buffer

__all__ = [
    "CHUNK",
    "ByteRange",
    "CancelledError",
    "RangeNotSatisfiableError",
    "RangedResponse",
    "changed_error",
    "read_body",
    "with_retries",
]

#: Bytes per socket read: large enough that per-call overhead (cancellation check, counters, the
#: lock they take) is noise next to the copy, small enough that a cancelled fetch stops promptly.
CHUNK = 1024 * 1024

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$")


class CancelledError(Exception):
    """A fetch stopped because its fragment was dropped (seek-away or close)."""


class RangeNotSatisfiableError(TransferError):
    """The server answered 416: the range starts at or past the end of the object.

    For the first request of a reader this is how an empty object answers (the reader reads it as
    size 0); once the size is known it means the object shrank, which the reader reports as
    :func:`changed_error` instead. It is a :class:`~s3conf.errors.TransferError`, so it stays inside
    the documented tree even where it reaches a caller.
    """

    def __init__(self, name: str) -> None:
        super().__init__(errno.EINVAL, "range not satisfiable (HTTP 416)", name)


def changed_error(name: str, detail: str) -> TransferError:
    """The one "object changed while being read" error: ``errno.ESTALE``, never retried.

    Raised for ``412 Precondition Failed`` (the store honoured ``If-Match``) and for a response whose
    ETag or total size differs from the first response's (the store ignored it), so a reader never
    mixes the bytes of two versions whichever way the store behaves.
    """
    return TransferError(errno.ESTALE, f"object changed while being read ({detail})", name)


@dataclass(frozen=True)
class ByteRange:
    """A requested range: ``start`` .. ``end`` (exclusive), or the last ``suffix`` bytes.

    >>> ByteRange(0, 1024).header, ByteRange(suffix=10).header
    ('bytes=0-1023', 'bytes=-10')
    >>> ByteRange(0, 1024).expected(100), ByteRange(512, 1024).expected(5000)
    ((0, 100), (512, 1024))
    >>> ByteRange(suffix=10).expected(4)
    (0, 4)
    """

    start: int = 0
    end: int = 0
    suffix: int | None = None

    @property
    def header(self) -> str:
        """The ``Range`` header value."""
        return f"bytes=-{self.suffix}" if self.suffix is not None else f"bytes={self.start}-{self.end - 1}"

    def expected(self, total: int) -> tuple[int, int]:
        """The span ``[first, end)`` a correct server sends for an object of ``total`` bytes."""
        if self.suffix is not None:
            return max(0, total - self.suffix), total
        return self.start, min(self.end, total)


class RangedResponse:
    """The parts of a GET response the reader needs: body, ETag, and where the body sits in the object.

    Raises:
        TransferError: the response has no usable ``Content-Range`` (and is not a plain ``200``), or is
            a plain ``200`` without ``Content-Length`` (a chunked whole body, whose size nothing vouches
            for: read as it came, a cut-short body would pass as a smaller object).
    """

    def __init__(self, response: dict[str, Any], bucket: str, key: str) -> None:
        self.body = response["Body"]
        self.etag: str | None = response.get("ETag")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        header = response.get("ContentRange") or ""
        match = _CONTENT_RANGE.match(header)
        self.header = header
        # Content-Range decides, not the status: rclone answers ranges with 200 and a correct header.
        if match is not None and match.group(3) != "*":
            self.full_body = False
            self.first = int(match.group(1))
            self.last = int(match.group(2))
            self.total = int(match.group(3))
        elif status == 200 and not header:
            length = response.get("ContentLength")
            if length is None:
                self.body.close()
                raise TransferError(
                    errno.EIO, "whole-object answer (200) without Content-Length: its size cannot be checked",
                    f"s3://{bucket}/{key}",
                )  # fmt: skip
            self.full_body = True
            self.first = 0
            self.total = int(length)
            self.last = self.total - 1
        else:
            self.body.close()
            raise TransferError(
                errno.EIO, f"ranged GET answered without a usable Content-Range ({header!r})",
                f"s3://{bucket}/{key}",
            )  # fmt: skip

    def abort(self) -> None:
        """Shut the response's socket down, from any thread, so a read blocked on it returns at once.

        Closing a socket does not wake a thread blocked in ``recv`` on it; ``shutdown`` does. Used when a
        reader is closed with fetches still streaming: their connections are never reused.
        """
        if isinstance(self.body, DirectBody):
            self.body.abort()
            return
        raw = getattr(self.body, "_raw_stream", None)
        sock = getattr(getattr(raw, "_connection", None), "sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def check(self, requested: ByteRange, *, size: int | None, etag: str | None, name: str) -> None:
        """Refuse a response that does not answer ``requested`` of the object first seen (closes the body).

        Checked before a byte is used: a different ETag, or a different total with no ETag to vouch
        for the object, is :func:`changed_error`; a ``Content-Range`` whose start, end or total does
        not match the request (a server or proxy bug, the same ETag) is a retried ``TransferError``.

        Args:
            requested: the range the GET asked for.
            size: the object's size from the first response, or ``None`` for the first response.
            etag: the first response's ETag, or ``None``.
            name: the object, for messages.
        """
        try:
            if etag is not None and self.etag is not None and self.etag != etag:
                raise changed_error(name, f"ETag {etag} became {self.etag}")
            if size is not None and self.total != size:
                if etag is None or self.etag is None:
                    raise changed_error(name, f"size {size} became {self.total}")
                raise TransferError(
                    errno.EIO, f"Content-Range {self.header!r} gives size {self.total}, not {size}", name
                )
            if self.full_body:
                return
            first, end = requested.expected(self.total)
            if (self.first, self.last + 1) != (first, end) and not (first >= end and self.total == 0):
                raise TransferError(
                    errno.EIO,
                    f"Content-Range {self.header!r} does not answer {requested.header} "
                    f"(expected bytes {first}-{end - 1}/{self.total})",
                    name,
                )
        except TransferError:
            self.body.close()
            raise


class _Source:
    """Where the body's bytes come from: the socket via ``http.client`` when possible, else ``read()``."""

    def __init__(self, body: Any) -> None:
        self.body = body
        if isinstance(body, DirectBody):  # a reader's re-signed GET: the response is http.client's own
            self._raw: Any = body
            self._fp: http.client.HTTPResponse | None = body.fp
            return
        raw = getattr(body, "_raw_stream", None) if type(body) is StreamingBody else None
        fp = getattr(raw, "_fp", None)
        # Only a plain, undecoded urllib3 response over http.client: botocore asks for decode_content=False,
        # and a subclass of StreamingBody (checksum validation) must see every byte, so it keeps read().
        direct = (
            isinstance(fp, http.client.HTTPResponse)
            and getattr(raw, "decode_content", True) is False
            and callable(getattr(raw, "release_conn", None))
        )
        self._raw = raw if direct else None
        self._fp = fp if direct else None

    def read(self, count: int) -> bytes:
        """Up to ``count`` bytes of the body, in a new ``bytes`` object (the socket read straight into
        it); empty at its end."""
        if self._fp is not None:
            try:
                return self._fp.read(count)
            except http.client.HTTPException as error:  # a malformed chunk: as urllib3 would report it
                raise TransferError(errno.EIO, f"malformed response body ({type(error).__name__})") from error
        chunk: bytes = self.body.read(count)
        return chunk

    def finish(self, *, complete: bool, empty: bool) -> None:
        """Hand the connection back to the pool after a complete body, or close it mid-body."""
        if not complete:
            self.body.close()
        elif self._fp is not None and self._raw is not None:
            if self._fp.isclosed():  # http.client read the whole body: the connection is reusable
                self._raw.release_conn()
            else:
                self.body.close()
        elif empty:
            self.body.read()  # drain the empty body so the connection goes back to the pool


def read_body(
    response: RangedResponse,
    start: int,
    end: int,
    *,
    cancel: threading.Event,
    progress: Callable[[int], None],
    name: str,
) -> Chunks:
    """Stream the body into chunks holding bytes [start, end) of the object.

    Chunks end at multiples of :data:`CHUNK` in the object, so a caller reading :data:`CHUNK` bytes at
    a time from such a boundary gets whole chunks, handed out without a copy
    (:mod:`s3conf.chunks` says why).

    Args:
        response: the GET's response; its body starts at object offset ``response.first``.
        start: first object offset to keep (bytes before it, from a ``200`` full body, are skipped).
        end: object offset to stop at; the body is closed if it goes on past it.
        cancel: checked before every chunk, so a dropped fragment stops within one chunk.
        progress: called with each chunk's length (bytes fetched, kept or not).
        name: the object, for the error message.

    Raises:
        CancelledError: ``cancel`` was set.
        TransferError: the body ended before ``end``.
    """
    source = _Source(response.body)
    chunks: list[bytes] = []
    position = response.first
    try:
        while position < end:
            if cancel.is_set():
                raise CancelledError
            if position < start:  # a 200 with the whole object: skip to the range, no straddling
                wanted = min(CHUNK, start - position)
            else:
                wanted = min(end, (position // CHUNK + 1) * CHUNK) - position
            chunk = source.read(wanted)
            if not chunk:
                break
            if len(chunk) > wanted:
                raise TransferError(errno.EIO, f"body read returned {len(chunk)} bytes for {wanted}", name)
            progress(len(chunk))
            if position >= start:
                chunks.append(chunk)
            position += len(chunk)
    finally:
        source.finish(complete=position > response.last, empty=response.total == 0)
    if position < end:
        raise TransferError(errno.EIO, f"response ended at byte {position}, expected {end}", name)
    return Chunks(chunks)


def copy_into(target: Buffer, pieces: list[Piece]) -> int:
    """Copy ``pieces`` one after another into ``target``; return the byte count.

    >>> out = bytearray(5)
    >>> copy_into(out, [memoryview(b"ab"), memoryview(b"cde")]), bytes(out)
    (5, b'abcde')
    """
    view = memoryview(target).cast("B")
    done = 0
    for piece in pieces:
        view[done : done + len(piece)] = piece
        done += len(piece)
    return done


def with_retries(
    attempt: Callable[[], Any],
    *,
    attempts: int,
    backoff: float,
    cancel: threading.Event,
    on_retry: Callable[[], None],
    changed_error: Callable[[], TransferError],
    bucket: str,
    key: str,
    deadline: float | None = None,
) -> Any:
    """Run ``attempt`` until it succeeds, retrying transient failures with exponential backoff.

    Definitive answers (missing key, denied, an ETag mismatch, a changed object) are raised at once,
    mapped to :mod:`s3conf.errors`; transient ones (5xx, throttling, dropped connections, short bodies)
    are retried ``attempts - 1`` times, then reported as :class:`~s3conf.errors.TransferError`.
    With a ``deadline`` (``time.monotonic()``), no retry starts when its backoff would end past it, and
    every request inside is bounded by it (:func:`s3conf.client.operation_deadline`), so the whole
    operation ends near the deadline whatever the server does.

    Args:
        attempt: one GET and its body read.
        attempts: tries in all (>= 1).
        backoff: seconds before the first retry; doubled for each further one.
        cancel: ends the backoff wait early with :class:`CancelledError`.
        on_retry: called before each retry (counts it).
        changed_error: builds the error for ``412 Precondition Failed`` (the If-Match ETag moved on).
        bucket: the bucket, for mapped errors.
        key: the key, for mapped errors.
        deadline: when the operation must be over, or ``None`` for no limit.
    """
    with operation_deadline(deadline if deadline is not None else float("inf")):
        return _retry_loop(
            attempt, attempts=attempts, backoff=backoff, cancel=cancel, on_retry=on_retry,
            changed_error=changed_error, bucket=bucket, key=key, deadline=deadline,
        )  # fmt: skip


def _retry_loop(
    attempt: Callable[[], Any],
    *,
    attempts: int,
    backoff: float,
    cancel: threading.Event,
    on_retry: Callable[[], None],
    changed_error: Callable[[], TransferError],
    bucket: str,
    key: str,
    deadline: float | None,
) -> Any:
    delay = backoff
    last: BaseException | None = None
    tried = 0
    for number in range(attempts):
        tried = number + 1
        try:
            return attempt()
        except (CancelledError, RangeNotSatisfiableError):
            raise
        except ClientError as error:
            code, status = error_code(error), error_status(error)
            if code == "PreconditionFailed" or status == 412:
                raise changed_error() from error
            if code not in TRANSIENT_CODES and (status is None or status < 500):
                raise translate_error(error, bucket, key) from error
            last = error
        except TransferError as error:
            if error.errno == errno.ESTALE:
                raise
            last = error
        except S3ConfError:
            raise
        except (BotoCoreError, Urllib3HTTPError, OSError) as error:
            last = error
        if number + 1 < attempts:
            if deadline is not None and time.monotonic() + delay >= deadline:
                raise TransferError(
                    errno.ETIMEDOUT,
                    f"GET failed after {tried} attempts ({type(last).__name__}): operation deadline passed",
                    f"s3://{bucket}/{key}",
                ) from last
            on_retry()
            if cancel.wait(delay):
                raise CancelledError
            delay *= 2
    why = transport_failure(last, None) if isinstance(last, BotoCoreError) else f"({type(last).__name__})"
    raise TransferError(
        errno.EIO, f"GET failed after {tried} attempts: {why}", f"s3://{bucket}/{key}"
    ) from last

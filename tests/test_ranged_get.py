"""s3conf.ranged_get's pure parts: the Range header, the span a correct answer covers, and the checks
every response passes before a byte is used. Responses are literal dicts shaped as botocore returns
them; what servers really answer is tested through the fault proxy in ``suites/fileaccess``.
"""

from __future__ import annotations

import array
import errno
import io
import threading
from typing import Any

import pytest

from s3conf.errors import TransferError
from s3conf.ranged_get import (
    ByteRange,
    CancelledError,
    RangedResponse,
    RangeNotSatisfiableError,
    changed_error,
    copy_into,
    read_body,
)

RANGES = [
    # (range, header, total, expected span)
    (ByteRange(0, 1024), "bytes=0-1023", 100, (0, 100)),
    (ByteRange(0, 1024), "bytes=0-1023", 1024, (0, 1024)),
    (ByteRange(512, 1024), "bytes=512-1023", 5000, (512, 1024)),
    (ByteRange(10, 11), "bytes=10-10", 11, (10, 11)),
    (ByteRange(suffix=10), "bytes=-10", 4, (0, 4)),
    (ByteRange(suffix=10), "bytes=-10", 100, (90, 100)),
    (ByteRange(suffix=0), "bytes=-0", 100, (100, 100)),
]


@pytest.mark.parametrize(
    ("requested", "header", "total", "span"), RANGES, ids=[f"{h}-of-{t}" for _, h, t, _ in RANGES]
)
def test_header_and_expected_span(
    requested: ByteRange, header: str, total: int, span: tuple[int, int]
) -> None:
    assert requested.header == header
    assert requested.expected(total) == span


def test_range_not_satisfiable_is_a_transfer_error_naming_the_object() -> None:
    error = RangeNotSatisfiableError("s3://b/k")
    assert isinstance(error, TransferError)
    assert (error.errno, error.strerror, error.filename) == (
        errno.EINVAL,
        "range not satisfiable (HTTP 416)",
        "s3://b/k",
    )


def test_changed_error_is_estale_naming_what_changed() -> None:
    error = changed_error("s3://b/k", 'ETag "a" became "b"')
    assert (error.errno, error.strerror, error.filename) == (
        errno.ESTALE,
        'object changed while being read (ETag "a" became "b")',
        "s3://b/k",
    )


def test_copy_into_places_the_pieces_one_after_another() -> None:
    out = bytearray(b"..........")
    assert copy_into(out, [memoryview(b"ab"), memoryview(b""), memoryview(b"cde")]) == 5
    assert out == bytearray(b"abcde.....")
    words = array.array("H", [0, 0])  # a buffer of 2-byte items is filled byte by byte
    assert copy_into(words, [memoryview(b"\x01\x02\x03")]) == 3
    assert words.tobytes() == b"\x01\x02\x03\x00"


def response(
    body: bytes, content_range: str | None, status: int = 206, etag: str | None = '"e1"'
) -> dict[str, Any]:
    """A GetObject response as botocore returns it (the body an in-memory stream)."""
    answer: dict[str, Any] = {
        "Body": io.BytesIO(body),
        "ContentLength": len(body),
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    if content_range is not None:
        answer["ContentRange"] = content_range
    if etag is not None:
        answer["ETag"] = etag
    return answer


PARSED = [
    # (Content-Range, status, body, (first, last, total, full_body))
    ("bytes 0-99/1000", 206, b"x" * 100, (0, 99, 1000, False)),
    (" bytes 5-9/10 ", 206, b"x" * 5, (5, 9, 10, False)),
    ("bytes 0-9/10", 200, b"x" * 10, (0, 9, 10, False)),  # rclone: 200 with a correct header
    (None, 200, b"x" * 7, (0, 6, 7, True)),  # a whole body for a range
    ("", 200, b"", (0, -1, 0, True)),
]


@pytest.mark.parametrize(
    ("content_range", "status", "body", "parsed"),
    PARSED,
    ids=["partial", "spaces", "200-with-range", "full-body", "empty-full-body"],
)
def test_content_range_is_read(
    content_range: str | None, status: int, body: bytes, parsed: tuple[int, int, int, bool]
) -> None:
    answer = RangedResponse(response(body, content_range, status), "b", "k")
    assert (answer.first, answer.last, answer.total, answer.full_body) == parsed
    assert answer.etag == '"e1"'


@pytest.mark.parametrize(
    ("content_range", "status"),
    [("bytes 0-99/*", 206), (None, 206), ("bytes=0-99/100", 206), ("bytes 0-99", 206), ("items 0-9/10", 200)],
    ids=["unknown-total", "206-without-header", "request-syntax", "no-total", "other-unit"],
)
def test_an_unusable_content_range_is_refused_and_the_body_closed(
    content_range: str | None, status: int
) -> None:
    answer = response(b"x" * 100, content_range, status)
    with pytest.raises(TransferError) as raised:
        RangedResponse(answer, "b", "k")
    assert raised.value.errno == errno.EIO
    assert raised.value.filename == "s3://b/k"
    assert (
        raised.value.strerror
        == f"ranged GET answered without a usable Content-Range ({content_range or ''!r})"
    )
    assert answer["Body"].closed


CHECKS = [
    # (Content-Range, its ETag, requested, first response's size and ETag, errno or None, message)
    ("bytes 0-9/100", '"e1"', ByteRange(0, 10), None, None, None, None),
    ("bytes 90-99/100", '"e1"', ByteRange(90, 200), 100, '"e1"', None, None),
    ("bytes 90-99/100", '"e1"', ByteRange(suffix=10), None, None, None, None),
    ("bytes 0-9/100", '"e2"', ByteRange(0, 10), 100, '"e1"', errno.ESTALE,
     'object changed while being read (ETag "e1" became "e2")'),
    ("bytes 0-9/90", None, ByteRange(0, 10), 100, '"e1"', errno.ESTALE,
     "object changed while being read (size 100 became 90)"),
    ("bytes 0-9/90", '"e1"', ByteRange(0, 10), 100, None, errno.ESTALE,
     "object changed while being read (size 100 became 90)"),
    ("bytes 0-9/90", '"e1"', ByteRange(0, 10), 100, '"e1"', errno.EIO,
     "Content-Range 'bytes 0-9/90' gives size 90, not 100"),
    ("bytes 1-10/100", '"e1"', ByteRange(0, 10), None, None, errno.EIO,
     "Content-Range 'bytes 1-10/100' does not answer bytes=0-9 (expected bytes 0-9/100)"),
    ("bytes 0-10/100", '"e1"', ByteRange(0, 10), None, None, errno.EIO,
     "Content-Range 'bytes 0-10/100' does not answer bytes=0-9 (expected bytes 0-9/100)"),
    ("bytes 0-9/100", '"e1"', ByteRange(suffix=5), None, None, errno.EIO,
     "Content-Range 'bytes 0-9/100' does not answer bytes=-5 (expected bytes 95-99/100)"),
    ("bytes 0-0/0", '"e1"', ByteRange(0, 10), None, None, None, None),  # an empty object's odd answer
    ("bytes 0-0/1", '"e1"', ByteRange(5, 10), None, None, errno.EIO,
     "Content-Range 'bytes 0-0/1' does not answer bytes=5-9 (expected bytes 5-0/1)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("content_range", "etag", "requested", "first", "expected"),
    [(c[0], c[1], c[2], c[3:5], c[5:]) for c in CHECKS],
    ids=["first", "later-same", "suffix", "etag-changed", "size-changed-no-etag", "no-first-etag",
         "size-disagrees", "start-shifted", "end-shifted", "suffix-wrong", "empty-object", "past-end"],
)  # fmt: skip
def test_check(
    content_range: str,
    etag: str | None,
    requested: ByteRange,
    first: tuple[int | None, str | None],
    expected: tuple[int | None, str | None],
) -> None:
    """``first``: the first response's size and ETag; ``expected``: the errno and message, or Nones."""
    answer = RangedResponse(response(b"", content_range, etag=etag), "b", "k")
    size, first_etag = first
    error, message = expected
    if error is None:
        answer.check(requested, size=size, etag=first_etag, name="s3://b/k")
        assert not answer.body.closed
        return
    with pytest.raises(TransferError) as raised:
        answer.check(requested, size=size, etag=first_etag, name="s3://b/k")
    assert (raised.value.errno, raised.value.strerror, raised.value.filename) == (error, message, "s3://b/k")
    assert answer.body.closed


def test_a_whole_body_passes_the_range_check() -> None:
    answer = RangedResponse(response(b"0123456789", None, 200), "b", "k")
    answer.check(ByteRange(3, 7), size=None, etag=None, name="s3://b/k")
    assert not answer.body.closed


def _ignore(count: int) -> None:
    """A progress callback that ignores the counts."""


def _read(answer: RangedResponse, start: int, end: int, **options: Any) -> tuple[bytes, list[int]]:
    progress: list[int] = []
    got = read_body(
        answer, start, end, cancel=threading.Event(), progress=progress.append, name="s3://b/k", **options
    )
    return bytes(got), progress


def test_read_body_keeps_only_the_range_of_a_whole_body() -> None:
    answer = RangedResponse(response(b"0123456789", None, 200), "b", "k")
    assert _read(answer, 3, 7) == (b"3456", [3, 4])
    assert answer.body.closed  # stopped mid-body: the connection is not reused


def test_read_body_reads_a_range_into_a_recycled_buffer() -> None:
    answer = RangedResponse(response(b"abcd", "bytes 4-7/8"), "b", "k")
    buffer = bytearray(b"....")
    assert (
        read_body(answer, 4, 8, cancel=threading.Event(), progress=_ignore, name="n", buffer=buffer) is buffer
    )
    assert buffer == bytearray(b"abcd")


def test_read_body_ignores_a_recycled_buffer_of_the_wrong_size() -> None:
    answer = RangedResponse(response(b"abcd", "bytes 4-7/8"), "b", "k")
    buffer = bytearray(b"......")
    got = read_body(answer, 4, 8, cancel=threading.Event(), progress=_ignore, name="n", buffer=buffer)
    assert (got, buffer) == (bytearray(b"abcd"), bytearray(b"......"))


def test_a_body_that_ends_early_is_a_transfer_error() -> None:
    answer = RangedResponse(response(b"abc", "bytes 0-9/10"), "b", "k")
    with pytest.raises(TransferError) as raised:
        _read(answer, 0, 10)
    assert (raised.value.errno, raised.value.strerror, raised.value.filename) == (
        errno.EIO,
        "response ended at byte 3, expected 10",
        "s3://b/k",
    )
    assert answer.body.closed


def test_a_cancelled_read_stops_before_the_next_chunk() -> None:
    answer = RangedResponse(response(b"abcd", "bytes 0-3/4"), "b", "k")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError):
        read_body(answer, 0, 4, cancel=cancel, progress=_ignore, name="n")
    assert answer.body.closed


def test_a_complete_empty_body_is_drained_not_closed() -> None:
    answer = RangedResponse(response(b"", "", 200), "b", "k")
    assert _read(answer, 0, 0) == (b"", [])
    assert not answer.body.closed
    assert answer.body.tell() == 0

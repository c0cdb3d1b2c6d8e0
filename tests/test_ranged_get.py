"""s3conf.ranged_get's pure parts: the Range header, the span a correct answer covers, and the checks
every response passes before a byte is used. Responses are literal dicts shaped as botocore returns
them; what servers really answer is tested through the fault proxy in ``suites/fileaccess``.
"""

from __future__ import annotations

import array
import errno
import io
import threading
import time
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from s3conf.chunks import join
from s3conf.client import enter_call, operation_deadline, remaining_seconds
from s3conf.errors import AccessDeniedError, ConfigError, ObjectNotFoundError, S3ConfError, TransferError
from s3conf.ranged_get import (
    ByteRange,
    CancelledError,
    RangedResponse,
    RangeNotSatisfiableError,
    changed_error,
    copy_into,
    read_body,
    with_retries,
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


def test_a_response_without_metadata_is_read_by_its_content_range() -> None:
    """A hand-built or stubbed response may lack ``ResponseMetadata``: the header alone decides."""
    answer = RangedResponse({"Body": io.BytesIO(b"x" * 5), "ContentRange": "bytes 5-9/10"}, "b", "k")
    assert (answer.first, answer.last, answer.total, answer.full_body, answer.etag) == (5, 9, 10, False, None)


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


def test_a_whole_body_without_content_length_is_refused_not_read_as_empty() -> None:
    """A chunked ``200`` has no size to check the body against: it once passed as an empty object."""
    answer = response(b"x" * 100, None, 200)
    del answer["ContentLength"]
    with pytest.raises(TransferError) as raised:
        RangedResponse(answer, "b", "k")
    assert (raised.value.errno, raised.value.filename) == (errno.EIO, "s3://b/k")
    assert (
        raised.value.strerror
        == "whole-object answer (200) without Content-Length: its size cannot be checked"
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
    return got.tobytes(), progress


@pytest.mark.parametrize(
    ("start", "end", "kept", "progress", "closed"),
    [(3, 7, b"3456", [3, 4], True), (3, 9, b"345678", [3, 6], True), (3, 10, b"3456789", [3, 7], False)],
    ids=["middle", "all-but-the-last-byte", "to-the-end"],
)
def test_read_body_keeps_only_the_range_of_a_whole_body(
    start: int, end: int, kept: bytes, progress: list[int], closed: bool
) -> None:
    """A body left before its last byte is closed (its connection is not reused); a whole one is not."""
    answer = RangedResponse(response(b"0123456789", None, 200), "b", "k")
    assert _read(answer, start, end) == (kept, progress)
    assert answer.body.closed is closed


class ShortReads(io.BytesIO):
    """A body whose ``read`` returns at most 2 bytes, as a socket may."""

    def read(self, size: int | None = -1) -> bytes:
        return super().read(2 if size is None or size < 0 else min(size, 2))


def test_read_body_skips_exactly_to_the_range_through_short_reads() -> None:
    answer = RangedResponse(response(b"", None, 200), "b", "k")
    answer.body = ShortReads(b"0123456789")
    answer.total, answer.last = 10, 9
    assert _read(answer, 3, 8) == (b"34567", [2, 1, 2, 2, 1])


def test_read_body_chunks_end_at_the_objects_mebibyte_boundaries() -> None:
    """CHUNK is 1 MiB: progress (and the cancel check) comes at least once per MiB, also past a skip, and
    the kept chunks end where the object's MiBs do, so MiB reads at MiB offsets take whole chunks."""
    mib = 1024 * 1024
    data = bytes(range(256)) * (3 * mib // 256)
    answer = RangedResponse(response(data, None, 200), "b", "k")
    progress: list[int] = []
    got = read_body(answer, 1, 1 + 5 * mib // 2, cancel=threading.Event(), progress=progress.append, name="n")
    assert got.tobytes() == data[1 : 1 + 5 * mib // 2]
    assert progress == [1, mib - 1, mib, mib // 2 + 1]
    whole = got.pieces(mib - 1, mib)  # object bytes [MiB, 2 MiB): one chunk, handed out as is
    assert [type(piece) for piece in whole] == [bytes]
    assert join(whole) is whole[0]
    assert join(got.pieces(mib - 1, mib)) is whole[0]  # the same object each time, never a copy


def test_a_cancel_after_the_last_byte_keeps_the_complete_range() -> None:
    answer = RangedResponse(response(b"abcd", "bytes 0-3/4"), "b", "k")
    cancel = threading.Event()
    got = read_body(answer, 0, 4, cancel=cancel, progress=lambda count: cancel.set(), name="n")
    assert (got.tobytes(), cancel.is_set()) == (b"abcd", True)


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


def test_abort_leaves_a_body_without_a_socket_alone() -> None:
    """Only a body read from a socket has something to shut down; any other body reads on unharmed."""
    answer = RangedResponse(response(b"abcd", "bytes 0-3/4"), "b", "k")
    answer.abort()
    assert _read(answer, 0, 4) == (b"abcd", [4])


def test_a_complete_empty_body_is_drained_not_closed() -> None:
    answer = RangedResponse(response(b"", "", 200), "b", "k")
    assert _read(answer, 0, 0) == (b"", [])
    assert not answer.body.closed
    assert answer.body.tell() == 0


class RecordedWaits(threading.Event):
    """A cancel event recording each backoff wait instead of sleeping; ``cancelled``: what wait returns."""

    def __init__(self, cancelled: bool = False) -> None:
        super().__init__()
        self.waits: list[float | None] = []
        self.cancelled = cancelled

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(timeout)
        return self.cancelled


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetObject"
    )


def retried(
    outcomes: list[object],
    attempts: int = 3,
    cancel: RecordedWaits | None = None,
    deadline: float | None = None,
) -> tuple[object, list[float | None], int]:
    """Run with_retries over ``outcomes`` (raised if exceptions, else returned): (result, waits, retries)."""
    pending = list(outcomes)
    retries: list[None] = []
    waits = cancel if cancel is not None else RecordedWaits()

    def attempt() -> object:
        outcome = pending.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    result = with_retries(
        attempt, attempts=attempts, backoff=0.5, cancel=waits, on_retry=lambda: retries.append(None),
        changed_error=lambda: changed_error("s3://b/k", "412"), bucket="b", key="k", deadline=deadline,
    )  # fmt: skip
    return result, waits.waits, len(retries)


@pytest.mark.parametrize(
    "failure",
    [client_error("InternalError", 500), client_error("SlowDown", 503), client_error("Whatever", 502),
     client_error("Whatever", 500), client_error("RequestTimeout", 400), ConnectionResetError(104, "reset"),
     TransferError(errno.EIO, "short body"), EndpointConnectionError(endpoint_url="http://127.0.0.1:9/b/k")],
    ids=["500", "slow-down", "5xx-other-code", "500-other-code", "timeout-400", "reset", "short-body",
         "no-connection"],
)  # fmt: skip
def test_transient_failures_are_retried_with_doubling_backoff(failure: Exception) -> None:
    assert retried([failure, failure, "bytes"]) == ("bytes", [0.5, 1.0], 2)


@pytest.mark.parametrize(
    ("failure", "message"),
    [(client_error("InternalError", 500), "GET failed after 3 attempts: (ClientError)"),
     (ConnectionResetError(104, "reset"), "GET failed after 3 attempts: (ConnectionResetError)"),
     (EndpointConnectionError(endpoint_url="http://127.0.0.1:9/b/k"),
      "GET failed after 3 attempts: request to 127.0.0.1:9 failed (EndpointConnectionError)")],
    ids=["client-error", "reset", "no-connection"],
)  # fmt: skip
def test_the_last_attempt_fails_as_a_transfer_error(failure: Exception, message: str) -> None:
    waits = RecordedWaits()
    with pytest.raises(TransferError) as raised:
        retried([failure] * 3, cancel=waits)
    assert (raised.value.errno, raised.value.strerror, raised.value.filename) == (
        errno.EIO,
        message,
        "s3://b/k",
    )
    assert raised.value.__cause__ is failure
    assert waits.waits == [0.5, 1.0]


@pytest.mark.parametrize(
    ("failure", "raised_type", "error_number"),
    [(client_error("PreconditionFailed", 412), TransferError, errno.ESTALE),
     (client_error("Other", 412), TransferError, errno.ESTALE),
     (client_error("PreconditionFailed", 400), TransferError, errno.ESTALE),
     (client_error("NoSuchKey", 404), ObjectNotFoundError, errno.ENOENT),
     (client_error("AccessDenied", 403), AccessDeniedError, errno.EACCES),
     (TransferError(errno.ESTALE, "changed"), TransferError, errno.ESTALE),
     (RangeNotSatisfiableError("s3://b/k"), RangeNotSatisfiableError, errno.EINVAL),
     (ConfigError("bad setting"), ConfigError, None)],
    ids=["412", "412-other-code", "precondition-code-other-status", "404", "403", "stale", "416",
         "s3conf-error"],
)  # fmt: skip
def test_definitive_answers_are_raised_at_once(
    failure: Exception, raised_type: type[Exception], error_number: int | None
) -> None:
    waits = RecordedWaits()
    with pytest.raises(raised_type) as raised:
        retried([failure, "bytes"], cancel=waits)
    assert getattr(raised.value, "errno", None) == error_number
    assert waits.waits == []


@pytest.mark.parametrize(
    ("failure", "message"),
    [(client_error("NoSuchKey", 404), "no such key (NoSuchKey)"),
     (client_error("AccessDenied", 403), "access denied (AccessDenied) by GetObject")],
    ids=["404", "403"],
)  # fmt: skip
def test_definitive_answers_name_the_object(failure: Exception, message: str) -> None:
    with pytest.raises(S3ConfError) as raised:
        retried([failure])
    assert (raised.value.strerror, raised.value.filename) == (message, "s3://b/k")


def test_a_cancelled_backoff_is_a_cancelled_error() -> None:
    waits = RecordedWaits(cancelled=True)
    with pytest.raises(CancelledError):
        retried([client_error("InternalError", 500), "bytes"], cancel=waits)
    assert waits.waits == [0.5]


def test_no_retry_starts_past_the_deadline() -> None:
    waits = RecordedWaits()
    failure = client_error("InternalError", 500)
    with pytest.raises(TransferError) as raised:
        retried([failure, "bytes"], cancel=waits, deadline=time.monotonic() + 0.25)
    assert (raised.value.errno, raised.value.strerror, raised.value.filename) == (
        errno.ETIMEDOUT,
        "GET failed after 1 attempts (ClientError): operation deadline passed",
        "s3://b/k",
    )
    assert waits.waits == []
    assert retried([failure, "bytes"], deadline=time.monotonic() + 60) == ("bytes", [0.5], 1)


def test_one_attempt_means_no_retry() -> None:
    with pytest.raises(TransferError, match="after 1 attempts"):
        retried([client_error("InternalError", 500), "bytes"], attempts=1)


class FrozenClock:
    """``time`` for s3conf.ranged_get with a clock standing still at 100 s."""

    @staticmethod
    def monotonic() -> float:
        return 100.0


def test_a_retry_whose_backoff_ends_at_the_deadline_does_not_start(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff 0.5 s at 100 s: a retry ending exactly at the deadline would leave its request no time."""
    monkeypatch.setattr("s3conf.ranged_get.time", FrozenClock)
    failure = client_error("InternalError", 500)
    with pytest.raises(TransferError) as raised:
        retried([failure, "bytes"], deadline=100.5)
    assert raised.value.errno == errno.ETIMEDOUT
    assert retried([failure, "bytes"], deadline=100.75) == ("bytes", [0.5], 1)


def _time_left_in_a_request() -> float:
    """What a request started now (with a 60 s operation timeout) may use, as s3conf.client bounds it."""
    enter_call(60.0)
    return remaining_seconds()


def test_every_request_inside_is_bounded_by_the_deadline() -> None:
    left = with_retries(
        _time_left_in_a_request, attempts=1, backoff=0.5, cancel=threading.Event(), on_retry=lambda: None,
        changed_error=lambda: changed_error("s3://b/k", "412"), bucket="b", key="k",
        deadline=time.monotonic() + 5,
    )  # fmt: skip
    assert 4 < left <= 5


def test_without_a_deadline_an_enclosing_one_still_bounds_the_requests() -> None:
    with operation_deadline(time.monotonic() + 5):
        left = with_retries(
            _time_left_in_a_request, attempts=1, backoff=0.5, cancel=threading.Event(), on_retry=lambda: None,
            changed_error=lambda: changed_error("s3://b/k", "412"), bucket="b", key="k",
        )  # fmt: skip
    assert 4 < left <= 5
    assert 55 < _time_left_in_a_request() <= 60

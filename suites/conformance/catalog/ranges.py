"""Ranged GET: what a read-ahead reader sends for every fragment.

AWS follows RFC 9110 section 14 for single ranges: 206 with ``Content-Range: bytes first-last/size``,
the last byte position clamped to the end of the object, suffix ranges longer than the object meaning
the whole object, and 416 ``InvalidRange`` when the first byte is at or past the end. S3 does not
support multiple ranges in one GET (GetObject documentation: "Amazon S3 doesn't support retrieving
multiple ranges of data per GET request") and answers such a request with the whole object.
"""

from __future__ import annotations

from suites.conformance.catalog import api, check, reference, rfc
from suites.conformance.context import CheckContext, expect, expect_equal, expect_raw

DATA = bytes(range(100))
SIZE = len(DATA)


def _ranged(ctx: CheckContext, header: str, *, data: bytes = DATA) -> tuple[int, str | None, bytes]:
    key = ctx.put("ranged", data)
    response = ctx.raw("GET", key, headers={"Range": header})
    return response.status, response.headers.get("content-range"), response.body


def _expect_partial(ctx: CheckContext, header: str, first: int, last: int) -> None:
    status, content_range, body = _ranged(ctx, header)
    expect_equal(status, 206, f"status for Range: {header}")
    expect_equal(content_range, f"bytes {first}-{last}/{SIZE}", f"Content-Range for Range: {header}")
    expect_equal(body, DATA[first : last + 1], f"body for Range: {header}")


@check(
    "range.basic",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="bytes=0-9 answers 206, Content-Range: bytes 0-9/100, the first 10 bytes",
    why="Every fragment a reader fetches is a closed range; the size comes from Content-Range.",
)
def basic(ctx: CheckContext) -> None:
    _expect_partial(ctx, "bytes=0-9", 0, 9)


@check(
    "range.middle",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="bytes=37-61 returns exactly those 25 bytes with a matching Content-Range",
    why="Random access (Parquet column chunks) reads from the middle of objects.",
)
def middle(ctx: CheckContext) -> None:
    _expect_partial(ctx, "bytes=37-61", 37, 61)


@check(
    "range.single-byte",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="bytes=0-0 and bytes=99-99 each return one byte",
    why="Probing reads of one byte (magic numbers, last byte) are common.",
)
def single_byte(ctx: CheckContext) -> None:
    _expect_partial(ctx, "bytes=0-0", 0, 0)
    _expect_partial(ctx, "bytes=99-99", 99, 99)


@check(
    "range.content-length",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="Content-Length of a 206 is the length of the range, not of the object",
    why="HTTP clients read exactly Content-Length bytes; a wrong value hangs or truncates the read.",
)
def content_length(ctx: CheckContext) -> None:
    key = ctx.put("ranged", DATA)
    response = ctx.raw("GET", key, headers={"Range": "bytes=10-29"})
    expect_equal(response.headers.get("content-length"), "20", "Content-Length")


@check(
    "range.suffix",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="bytes=-10 returns the last 10 bytes with Content-Range: bytes 90-99/100",
    why="Readers of footer-indexed formats (Parquet, ORC, zip) start with a suffix read.",
)
def suffix(ctx: CheckContext) -> None:
    _expect_partial(ctx, "bytes=-10", 90, 99)


@check(
    "range.suffix-longer-than-object",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="bytes=-1000 on a 100-byte object returns the whole object (206, bytes 0-99/100)",
    why="A footer read of a fixed size must work on files smaller than that size (RFC 9110 14.1.2).",
)
def suffix_longer(ctx: CheckContext) -> None:
    _expect_partial(ctx, "bytes=-1000", 0, 99)


@check(
    "range.open-ended",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="bytes=40- returns bytes 40..99 with Content-Range: bytes 40-99/100",
    why="Streaming the rest of a file after a seek uses an open-ended range.",
)
def open_ended(ctx: CheckContext) -> None:
    _expect_partial(ctx, "bytes=40-", 40, 99)


@check(
    "range.past-eof-clamped",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="bytes=90-199 on a 100-byte object answers 206 with bytes 90-99/100",
    why="A reader fetches whole fragments without knowing the size; the last one runs past EOF.",
)
def past_eof(ctx: CheckContext) -> None:
    _expect_partial(ctx, "bytes=90-199", 90, 99)


@check(
    "range.first-fragment-larger-than-object",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="bytes=0-5242879 on a 100-byte object answers 206 with bytes 0-99/100",
    why="A reader that skips HEAD learns the size from the first fragment's Content-Range.",
)
def first_fragment(ctx: CheckContext) -> None:
    _expect_partial(ctx, "bytes=0-5242879", 0, 99)


@check(
    "range.unsatisfiable-at-eof",
    source=reference(
        "ErrorResponses", "List of error codes: InvalidRange (416 Requested Range Not Satisfiable)"
    ),
    operation="GetObject (Range)",
    expected="bytes=100- on a 100-byte object answers 416 InvalidRange",
    why="Reading at EOF must be recognisable as EOF, not returned as data or a server error.",
)
def unsatisfiable_at_eof(ctx: CheckContext) -> None:
    key = ctx.put("ranged", DATA)
    expect_raw(ctx.raw("GET", key, headers={"Range": "bytes=100-"}), 416, "InvalidRange")


@check(
    "range.unsatisfiable-past-eof",
    source=reference(
        "ErrorResponses", "List of error codes: InvalidRange (416 Requested Range Not Satisfiable)"
    ),
    operation="GetObject (Range)",
    expected="bytes=200-299 on a 100-byte object answers 416 InvalidRange",
    why="A stale size (object replaced by a shorter one) must fail loudly, not return empty data.",
)
def unsatisfiable_past_eof(ctx: CheckContext) -> None:
    key = ctx.put("ranged", DATA)
    expect_raw(ctx.raw("GET", key, headers={"Range": "bytes=200-299"}), 416, "InvalidRange")


@check(
    "range.unsatisfiable-content-range",
    source=rfc(9110, "15.5.17 416 Range Not Satisfiable (Content-Range: bytes */length)"),
    operation="GetObject (Range)",
    expected="A 416 answer carries Content-Range: bytes */100 or the size in the error body",
    why="The size of an object can be learned from a 416, sparing a HEAD.",
)
def unsatisfiable_content_range(ctx: CheckContext) -> None:
    key = ctx.put("ranged", DATA)
    response = ctx.raw("GET", key, headers={"Range": "bytes=200-299"})
    expect_equal(response.status, 416, "status")
    has_size = response.headers.get("content-range") == f"bytes */{SIZE}" or (
        b"<ActualObjectSize>100</ActualObjectSize>" in response.body
    )
    expect(has_size, f"no object size in 416: headers {dict(response.headers)}, body {response.body[:200]!r}")


@check(
    "range.empty-object",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="bytes=0-1023 on an empty object answers 416 InvalidRange (no byte exists)",
    why="A reader's first fragment of an empty file must be read as EOF (Hadoop S3A handles this 416).",
)
def empty_object(ctx: CheckContext) -> None:
    key = ctx.put("empty", b"")
    expect_raw(ctx.raw("GET", key, headers={"Range": "bytes=0-1023"}), 416, "InvalidRange")


@check(
    "range.multiple-ranges-policy",
    source=api(
        "GetObject",
        "URI Request Parameters: Range (multiple ranges per GET are not supported)",
    ),
    operation="GetObject (Range)",
    expected="bytes=0-9,20-29 answers 200 with the whole object (S3 ignores multi-range requests)",
    why="A client that sends a multi-range header must get either all data or a correct multipart "
    "answer, never one range silently dropped.",
)
def multiple_ranges(ctx: CheckContext) -> None:
    status, _, body = _ranged(ctx, "bytes=0-9,20-29")
    expect_equal((status, len(body)), (200, SIZE), "status and body length")
    expect_equal(body, DATA, "body")


@check(
    "range.malformed-ignored",
    source=rfc(9110, "14.2 Range: a server MUST ignore a Range header field it does not understand"),
    operation="GetObject (Range)",
    expected="An unparsable Range (bytes=abc) is ignored: 200 with the whole object",
    why="RFC 9110 says to ignore a Range header that does not parse; erroring breaks lenient clients.",
)
def malformed(ctx: CheckContext) -> None:
    status, _, body = _ranged(ctx, "bytes=abc")
    expect_equal((status, body), (200, DATA), "status and body")


@check(
    "range.etag-stable",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range), HeadObject",
    expected="A ranged GET reports the ETag of the whole object",
    why="Readers detect an overwrite between fragments by comparing fragment ETags.",
)
def etag_stable(ctx: CheckContext) -> None:
    key = ctx.put("ranged", DATA)
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ETag"]
    ranged = ctx.client.get_object(Bucket=ctx.bucket, Key=key, Range="bytes=5-9")["ETag"]
    expect_equal(ranged, head, "ETag of ranged GET")


@check(
    "range.head-object",
    source=api("HeadObject", "URI Request Parameters: Range"),
    operation="HeadObject (Range)",
    expected="HEAD with bytes=0-9 answers Content-Length: 10 (HeadObject reference: a satisfiable Range "
    "affects only the Content-Length)",
    why="Clients that probe with a ranged HEAD size their first read from its Content-Length.",
)
def head_range(ctx: CheckContext) -> None:
    key = ctx.put("ranged", DATA)
    response = ctx.raw("HEAD", key, headers={"Range": "bytes=0-9"})
    expect(response.status in (200, 206), f"status {response.status}")
    expect_equal(response.headers.get("content-length"), "10", "Content-Length")


@check(
    "range.large-object-offset",
    source=api("GetObject", "URI Request Parameters: Range (RFC 9110 byte ranges)"),
    operation="GetObject (Range)",
    expected="A range at a 2 MiB offset in a 3 MiB object returns those bytes",
    why="Fragment offsets in real files are megabytes in; off-by-buffer bugs only show there.",
)
def large_offset(ctx: CheckContext) -> None:
    data = bytes(range(256)) * (3 * 4096)
    key = ctx.put("large", data)
    first, last = 2 * 1024 * 1024 + 17, 2 * 1024 * 1024 + 4113
    response = ctx.raw("GET", key, headers={"Range": f"bytes={first}-{last}"})
    expect_equal(response.status, 206, "status")
    expect_equal(response.headers.get("content-range"), f"bytes {first}-{last}/{len(data)}", "Content-Range")
    expect(response.body == data[first : last + 1], "body differs from the requested slice")

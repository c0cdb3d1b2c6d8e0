"""GET/HEAD/PUT basics: size, ETag, Last-Modified, metadata and read-after-write visibility."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from suites.conformance.catalog import api, check, guide, reference, rfc
from suites.conformance.context import CheckContext, expect, expect_equal, expect_error

BODY = b"s3conf conformance object body\n" * 4


@check(
    "object.put-get.roundtrip",
    source=api("PutObject", "Request Syntax"),
    operation="PutObject, GetObject",
    expected="GET returns exactly the bytes PUT stored",
    why="Every read of a file is a GET of what a write PUT.",
)
def put_get_roundtrip(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY)
    expect_equal(ctx.read(key), BODY, "GET body")


@check(
    "object.head.size",
    source=api("HeadObject", "Response Syntax: Content-Length"),
    operation="HeadObject",
    expected="Content-Length equals the stored size",
    why="stat() and readers that plan fragments use the size from HEAD.",
)
def head_size(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY)
    expect_equal(ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ContentLength"], len(BODY), "HEAD size")


@check(
    "object.head.etag-md5",
    source=guide(
        "checking-object-integrity",
        "Checking object integrity: Using Content-MD5 and the ETag to verify uploaded objects",
    ),
    operation="PutObject, HeadObject",
    expected="The ETag of a single-PUT object is the quoted hex MD5 of its bytes",
    why="Readers pin a version with If-Match on the ETag; tools verify uploads against MD5.",
)
def head_etag_md5(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY)
    etag = ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ETag"]
    expect_equal(etag, f'"{hashlib.md5(BODY).hexdigest()}"', "ETag")


@check(
    "object.get.etag-matches-head",
    source=api("HeadObject", "Response Elements: ETag"),
    operation="GetObject, HeadObject, PutObject",
    expected="GET, HEAD and the PUT response report the same ETag",
    why="A reader compares the ETag of each fragment with the first one to detect a concurrent overwrite.",
)
def get_etag_matches_head(ctx: CheckContext) -> None:
    key = ctx.key("obj")
    put_etag = ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=BODY)["ETag"]
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ETag"]
    get = ctx.client.get_object(Bucket=ctx.bucket, Key=key)["ETag"]
    expect(put_etag == head == get, f"ETags differ: PUT {put_etag}, HEAD {head}, GET {get}")


@check(
    "object.head.last-modified",
    source=api("HeadObject", "Response Elements: Last-Modified"),
    operation="HeadObject",
    expected="Last-Modified is present and within an hour of the client's clock",
    why="stat().st_mtime comes from Last-Modified; sync tools compare it with local times.",
)
def head_last_modified(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY)
    modified = ctx.client.head_object(Bucket=ctx.bucket, Key=key).get("LastModified")
    expect(isinstance(modified, datetime), f"Last-Modified missing or unparsable: {modified!r}")
    skew = abs(datetime.now(UTC) - modified)
    expect(skew < timedelta(hours=1), f"Last-Modified {modified.isoformat()} is {skew} from now")


@check(
    "object.metadata.roundtrip",
    source=guide("UsingMetadata", "Working with object metadata: User-defined object metadata"),
    operation="PutObject, HeadObject, GetObject",
    expected="x-amz-meta-* headers come back on HEAD and GET, names lower-cased, values unchanged",
    why="Writers store attributes (content hashes, origin times) as user metadata.",
)
def metadata_roundtrip(ctx: CheckContext) -> None:
    metadata = {"origin": "s3conf", "mtime-ns": "1700000000123456789", "mixed-case": "Value With Spaces"}
    key = ctx.put("obj", BODY, Metadata=metadata)
    expect_equal(ctx.client.head_object(Bucket=ctx.bucket, Key=key)["Metadata"], metadata, "HEAD metadata")
    expect_equal(ctx.client.get_object(Bucket=ctx.bucket, Key=key)["Metadata"], metadata, "GET metadata")


@check(
    "object.content-type.roundtrip",
    source=guide(
        "UsingMetadata", "Working with object metadata: System-defined object metadata (Content-Type)"
    ),
    operation="PutObject, HeadObject",
    expected="Content-Type given on PUT is returned by HEAD",
    why="Browsers and query engines use the stored Content-Type (e.g. application/x-parquet).",
)
def content_type_roundtrip(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY, ContentType="application/x-parquet")
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)
    expect_equal(head["ContentType"], "application/x-parquet", "Content-Type")


@check(
    "object.standard-headers.roundtrip",
    source=api(
        "PutObject",
        "Request Syntax: Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires",
    ),
    operation="PutObject, HeadObject",
    expected="Cache-Control, Content-Disposition and Content-Encoding are stored and returned",
    why="Published files carry these headers; a store that drops them changes what clients receive.",
)
def standard_headers_roundtrip(ctx: CheckContext) -> None:
    key = ctx.put(
        "obj",
        BODY,
        CacheControl="max-age=60",
        ContentDisposition='attachment; filename="a.txt"',
        ContentEncoding="identity",
    )
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)
    expect_equal(head.get("CacheControl"), "max-age=60", "Cache-Control")
    expect_equal(head.get("ContentDisposition"), 'attachment; filename="a.txt"', "Content-Disposition")
    expect_equal(head.get("ContentEncoding"), "identity", "Content-Encoding")


@check(
    "object.head.accept-ranges",
    source=api("HeadObject", "Response Elements: accept-ranges"),
    operation="HeadObject",
    expected="HEAD answers Accept-Ranges: bytes",
    why="Generic HTTP clients decide whether to issue ranged reads from Accept-Ranges.",
)
def head_accept_ranges(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY)
    response = ctx.raw("HEAD", key)
    expect_equal(response.status, 200, "HEAD status")
    expect_equal(response.headers.get("accept-ranges"), "bytes", "Accept-Ranges")


@check(
    "object.head.missing-404",
    source=api(
        "HeadObject",
        "Description: a HEAD request has no body, so errors are status codes only (404 Not Found)",
    ),
    operation="HeadObject",
    expected="HEAD of a missing key answers 404 (no body)",
    why="exists() and stat() turn a 404 into FileNotFoundError; any other status is an I/O error.",
)
def head_missing(ctx: CheckContext) -> None:
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=ctx.key("missing"))


@check(
    "object.read-after-write.new",
    source=guide("Welcome", "Amazon S3 data consistency model (strong read-after-write consistency)"),
    operation="PutObject, HeadObject, GetObject",
    expected="A new object is readable immediately after its PUT returns (strong consistency since 2020)",
    why="A writer closing a file and a reader opening it right after must see it.",
)
def read_after_write(ctx: CheckContext) -> None:
    for index in range(5):
        key = ctx.put(f"new-{index}", BODY + bytes([index]))
        expect_equal(ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ContentLength"], len(BODY) + 1, key)
        body = ctx.read(key)
        expect_equal(body, BODY + bytes([index]), f"GET {key}")


@check(
    "object.overwrite.visible",
    source=guide("Welcome", "Amazon S3 data consistency model (strong read-after-write consistency)"),
    operation="PutObject, GetObject",
    expected="After an overwrite returns, GET and HEAD return the new bytes and size",
    why="Rewriting a file (checkpoints, manifests) must not leave readers with the old version.",
)
def overwrite_visible(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"old contents")
    ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=b"new, longer contents")
    expect_equal(ctx.read(key), b"new, longer contents", "GET")
    expect_equal(ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ContentLength"], 20, "HEAD size")


@check(
    "object.list-after-write",
    source=guide("Welcome", "Amazon S3 data consistency model (list after write is strongly consistent)"),
    operation="PutObject, ListObjectsV2",
    expected="A new key is listed immediately after its PUT returns",
    why="listdir() right after a write (commit protocols, glob) must include the new file.",
)
def list_after_write(ctx: CheckContext) -> None:
    key = ctx.put("listed", BODY)
    listing = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix)
    expect_equal([o["Key"] for o in listing.get("Contents", [])], [key], "listed keys")


@check(
    "object.delete-then-get",
    source=guide("Welcome", "Amazon S3 data consistency model (read after delete)"),
    operation="DeleteObject, GetObject",
    expected="GET after DELETE answers 404 NoSuchKey at once",
    why="rm() followed by exists() must say the file is gone.",
)
def delete_then_get(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY)
    ctx.client.delete_object(Bucket=ctx.bucket, Key=key)
    expect_error(404, "NoSuchKey", ctx.client.get_object, Bucket=ctx.bucket, Key=key)


@check(
    "object.empty.roundtrip",
    source=api("PutObject", "Request Syntax: Content-Length (0 is a valid object size)"),
    operation="PutObject, GetObject, HeadObject",
    expected="An empty object has size 0, GET returns 200 with no bytes, ETag is the MD5 of nothing",
    why="Empty files (markers such as _SUCCESS) are common; readers must not choke on them.",
)
def empty_roundtrip(ctx: CheckContext) -> None:
    key = ctx.put("empty", b"")
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)
    expect_equal(head["ContentLength"], 0, "size")
    expect_equal(head["ETag"], '"d41d8cd98f00b204e9800998ecf8427e"', "ETag")
    response = ctx.raw("GET", key)
    expect_equal((response.status, response.body), (200, b""), "GET status and body")


@check(
    "object.large.roundtrip",
    source=api("PutObject", "Description: objects up to 5 GB in a single PUT"),
    operation="PutObject, GetObject",
    expected="A 3 MiB single PUT reads back byte for byte",
    why="Files larger than a read buffer must come back intact.",
)
def large_roundtrip(ctx: CheckContext) -> None:
    body = bytes(range(256)) * (3 * 4096)
    key = ctx.put("large", body)
    got = ctx.read(key)
    expect(got == body, f"body differs (got {len(got)} bytes, expected {len(body)})")


@check(
    "object.get.request-id",
    source=reference("RESTCommonResponseHeaders", "Common Response Headers: x-amz-request-id"),
    operation="GetObject",
    expected="Every answer carries x-amz-request-id",
    why="Support cases and logs need the request id to trace a failed read.",
)
def request_id(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY)
    response = ctx.raw("GET", key)
    expect("x-amz-request-id" in response.headers, f"no x-amz-request-id in {sorted(response.headers)}")


@check(
    "object.metadata.empty-value",
    source=guide("UsingMetadata", "Working with object metadata: User-defined object metadata"),
    operation="PutObject, HeadObject (x-amz-meta-* with an empty value)",
    expected="A user-metadata entry with an empty value is stored and returned with an empty value",
    why="File systems store attributes that may be empty (an empty tag, a cleared flag); dropping the "
    "key loses the difference between 'empty' and 'absent'. AWS's pages do not say it in so many "
    "words: metadata are name-value pairs and an empty value is a value.",
    documented=False,
)
def metadata_empty_value(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"x", Metadata={"empty": "", "full": "1"})
    expect_equal(
        ctx.client.head_object(Bucket=ctx.bucket, Key=key)["Metadata"],
        {"empty": "", "full": "1"},
        "HEAD metadata",
    )


@check(
    "object.metadata.replaced-on-put",
    source=api("PutObject", "Description: a PUT replaces the whole object, metadata included"),
    operation="PutObject (overwrite without metadata), HeadObject",
    expected="Overwriting an object without metadata leaves it with no user metadata",
    why="Metadata belong to the object version; stale attributes on a rewritten file are wrong data.",
)
def metadata_replaced_on_put(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"v1", Metadata={"old": "1"})
    ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=b"v2")
    expect_equal(ctx.client.head_object(Bucket=ctx.bucket, Key=key)["Metadata"], {}, "HEAD metadata")


def _bad_length(value: str, statuses: tuple[int, ...]) -> Any:
    def run(ctx: CheckContext) -> None:
        key = ctx.key("obj")
        try:
            response = ctx.raw("PUT", key, body=b"abc", content_length=value, timeout=10)
        except OSError as error:  # a closed connection is a refusal; a hang is a finding
            expect(not isinstance(error, TimeoutError), f"no answer within 10 s ({error!r})")
        else:
            expect(response.status in statuses, f"status {response.status}, expected one of {statuses}")
        expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)

    run.__module__ = __name__
    return run


for _suffix, _value, _statuses, _what in (
    ("negative", "-1", (400,), "Content-Length: -1"),
    ("empty", "", (400, 411), "an empty Content-Length"),
):
    check(
        f"object.content-length.{_suffix}",
        source=rfc(9112, "6.3 Message Body Length (an invalid Content-Length: respond 400 and close)"),
        operation=f"PutObject ({_what})",
        expected=f"A PUT with {_what} is refused with "
        + " or ".join(str(s) for s in _statuses)
        + " and stores nothing",
        why="A store that guesses a length from a malformed header stores truncated or padded files. "
        "AWS's pages do not state the answer; HTTP/1.1 requires 400 for an invalid Content-Length "
        "(411 Length Required, S3's MissingContentLength, also fits an empty one).",
        documented=False,
    )(_bad_length(_value, _statuses))

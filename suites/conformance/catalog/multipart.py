"""Multipart uploads: how every large file is written.

Part-size facts from the AWS limits page: parts are 5 MiB..5 GiB except the last, part numbers are
1..10000, and the ETag of the result is the MD5 of the concatenated binary part MD5s followed by
``-<number of parts>``.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from suites.conformance.catalog import api, check, guide, reference
from suites.conformance.context import (
    CheckContext,
    CheckFailed,
    expect,
    expect_equal,
    expect_error,
    expect_raw,
    make_conformance_client,
)

MIB = 1024 * 1024
PART = bytes(range(256)) * (5 * MIB // 256)  # exactly 5 MiB, the smallest legal non-last part
TAIL = b"the last part may be small"


def _upload(
    ctx: CheckContext, key: str, bodies: list[bytes], **create: Any
) -> tuple[str, list[dict[str, Any]]]:
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key, **create)["UploadId"]
    parts = []
    for number, body in enumerate(bodies, start=1):
        etag = ctx.client.upload_part(
            Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=number, Body=body
        )["ETag"]
        parts.append({"PartNumber": number, "ETag": etag})
    return upload, parts


def _complete(ctx: CheckContext, key: str, upload: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = ctx.client.complete_multipart_upload(
        Bucket=ctx.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
    )
    return result


def _abort(ctx: CheckContext, key: str, upload: str) -> None:
    """Abort, tolerating an upload that a lenient target already completed (the check has failed then)."""
    with contextlib.suppress(ClientError):
        ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)


@check(
    "mpu.roundtrip",
    source=guide(
        "mpuoverview", "Uploading and copying objects using multipart upload: Multipart upload process"
    ),
    operation="CreateMultipartUpload, UploadPart, CompleteMultipartUpload",
    expected="The completed object is the parts concatenated in part-number order, size included",
    why="Writers upload every file above the threshold in parts.",
)
def roundtrip(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, parts = _upload(ctx, key, [PART, TAIL])
    _complete(ctx, key, upload, parts)
    expect_equal(
        ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ContentLength"], len(PART) + len(TAIL), "size"
    )
    got = ctx.client.get_object(Bucket=ctx.bucket, Key=key, Range=f"bytes={len(PART) - 4}-")["Body"].read()
    expect_equal(got, PART[-4:] + TAIL, "bytes across the part boundary")


@check(
    "mpu.etag-format",
    source=guide(
        "checking-object-integrity",
        "Checking object integrity: multipart upload ETags are not MD5 digests of the object",
    ),
    operation="CompleteMultipartUpload",
    expected='ETag is "<md5 of the concatenated part MD5 digests>-<part count>"',
    why="Tools verify multipart uploads by recomputing this ETag from local parts.",
)
def etag_format(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, parts = _upload(ctx, key, [PART, TAIL])
    _complete(ctx, key, upload, parts)
    digest = hashlib.md5(hashlib.md5(PART).digest() + hashlib.md5(TAIL).digest()).hexdigest()
    expect_equal(ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ETag"], f'"{digest}-2"', "ETag")


@check(
    "mpu.part-etag-md5",
    source=api("UploadPart", "Response Elements: ETag"),
    operation="UploadPart",
    expected="Each UploadPart answers the quoted MD5 of the part as its ETag",
    why="Writers check each part's ETag against their own MD5 before completing.",
)
def part_etag(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, parts = _upload(ctx, key, [TAIL])
    expect_equal(parts[0]["ETag"], f'"{hashlib.md5(TAIL).hexdigest()}"', "part ETag")
    ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)


@check(
    "mpu.single-part",
    source=guide(
        "checking-object-integrity",
        "Checking object integrity: multipart upload ETags are not MD5 digests of the object",
    ),
    operation="CompleteMultipartUpload",
    expected="An upload of one small part completes; the ETag ends in -1",
    why="A writer that starts multipart and ends with little data completes with one part.",
)
def single_part(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, parts = _upload(ctx, key, [TAIL])
    _complete(ctx, key, upload, parts)
    expect(
        ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ETag"].endswith('-1"'), "ETag does not end in -1"
    )
    expect_equal(ctx.read(key), TAIL, "body")


@check(
    "mpu.abort",
    source=api("AbortMultipartUpload", "Description"),
    operation="AbortMultipartUpload, ListParts",
    expected="After abort, ListParts answers 404 NoSuchUpload and no object exists",
    why="A failed or cancelled write must leave no object and no billed parts.",
)
def abort(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, _ = _upload(ctx, key, [TAIL])
    ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)
    expect_error(404, "NoSuchUpload", ctx.client.list_parts, Bucket=ctx.bucket, Key=key, UploadId=upload)
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)


@check(
    "mpu.not-visible-before-complete",
    source=guide("mpuoverview", "Multipart upload completion"),
    operation="UploadPart, HeadObject",
    expected="While an upload is in progress the key does not exist (HEAD 404)",
    why="Readers must never see a half-written file.",
)
def not_visible(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, _ = _upload(ctx, key, [TAIL])
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)
    _abort(ctx, key, upload)


@check(
    "mpu.list-parts",
    source=api("ListParts", "Response Elements: Part"),
    operation="ListParts",
    expected="ListParts returns each uploaded part with its number, size and ETag",
    why="Resuming an interrupted upload starts from the parts the store already has.",
)
def list_parts(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, parts = _upload(ctx, key, [PART, TAIL])
    listed = ctx.client.list_parts(Bucket=ctx.bucket, Key=key, UploadId=upload).get("Parts", [])
    got = [(p["PartNumber"], p["Size"], p["ETag"]) for p in listed]
    expect_equal(got, [(1, len(PART), parts[0]["ETag"]), (2, len(TAIL), parts[1]["ETag"])], "parts")
    ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)


@check(
    "mpu.list-uploads.none",
    source=api("ListMultipartUploads", "Response Elements: Upload"),
    operation="ListMultipartUploads",
    expected="Listing uploads in a bucket that has none answers 200 with an empty list",
    why="Cleanup code lists pending uploads before deleting a prefix; an error here aborts the cleanup.",
)
def list_uploads_none(ctx: CheckContext) -> None:
    # A bucket of its own: in the shared one, other checks' pending uploads change some stores' answer.
    response = ctx.client.list_multipart_uploads(Bucket=ctx.new_bucket())
    expect_equal(response.get("Uploads", []), [], "uploads")


@check(
    "mpu.list-uploads",
    source=api("ListMultipartUploads", "Response Elements: Upload"),
    operation="ListMultipartUploads",
    expected="An in-progress upload is listed with its key and upload id",
    why="Cleanup jobs find and abort abandoned uploads this way.",
)
def list_uploads(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, _ = _upload(ctx, key, [TAIL])
    listed = ctx.client.list_multipart_uploads(Bucket=ctx.bucket, Prefix=ctx.prefix).get("Uploads", [])
    expect_equal([(u["Key"], u["UploadId"]) for u in listed], [(key, upload)], "uploads")
    ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)


@check(
    "mpu.part-too-small",
    source=api("CompleteMultipartUpload", "Special errors: EntityTooSmall"),
    operation="CompleteMultipartUpload",
    expected="Completing with a non-last part under 5 MiB answers 400 EntityTooSmall",
    why="A writer with a too-small part size must fail at completion, not produce a corrupt object.",
)
def part_too_small(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, parts = _upload(ctx, key, [TAIL, TAIL])
    expect_error(400, "EntityTooSmall", _complete, ctx, key, upload, parts)
    _abort(ctx, key, upload)


@check(
    "mpu.parts-uploaded-out-of-order",
    source=api(
        "UploadPart",
        "Description: the part number identifies the part and its position, not the upload order",
    ),
    operation="UploadPart, CompleteMultipartUpload",
    expected="Parts uploaded in the order 2, 1 complete into the part-number order",
    why="Parallel writers upload parts in whatever order they finish.",
)
def out_of_order(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
    tail = ctx.client.upload_part(Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=2, Body=TAIL)[
        "ETag"
    ]
    head = ctx.client.upload_part(Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=1, Body=PART)[
        "ETag"
    ]
    _complete(ctx, key, upload, [{"PartNumber": 1, "ETag": head}, {"PartNumber": 2, "ETag": tail}])
    got = ctx.client.get_object(Bucket=ctx.bucket, Key=key, Range=f"bytes={len(PART) - 2}-")["Body"].read()
    expect_equal(got, PART[-2:] + TAIL, "bytes across the part boundary")


@check(
    "mpu.complete-unordered-list",
    source=api("CompleteMultipartUpload", "Special errors: InvalidPartOrder"),
    operation="CompleteMultipartUpload",
    expected="A completion list not in ascending part order answers 400 InvalidPartOrder",
    why="Documented S3 behaviour; a store that silently reorders hides writer bugs.",
)
def unordered_list(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, parts = _upload(ctx, key, [PART, PART])  # both parts legal sizes: only the order is wrong
    expect_error(400, "InvalidPartOrder", _complete, ctx, key, upload, list(reversed(parts)))
    _abort(ctx, key, upload)


@check(
    "mpu.complete-wrong-etag",
    source=api("CompleteMultipartUpload", "Special errors: InvalidPart"),
    operation="CompleteMultipartUpload",
    expected="A completion naming a part with a wrong ETag answers 400 InvalidPart",
    why="The ETag in the completion list is what guards against assembling a stale part.",
)
def wrong_etag(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, parts = _upload(ctx, key, [TAIL])
    parts[0]["ETag"] = '"00000000000000000000000000000000"'
    expect_error(400, "InvalidPart", _complete, ctx, key, upload, parts)
    _abort(ctx, key, upload)


@check(
    "mpu.no-such-upload",
    source=api("UploadPart", "Special errors: NoSuchUpload"),
    operation="UploadPart",
    expected="Uploading a part to an unknown upload id answers 404 NoSuchUpload",
    why="A writer whose upload was aborted (lifecycle rule, cleanup) must get a clear error.",
)
def no_such_upload(ctx: CheckContext) -> None:
    expect_error(
        404,
        "NoSuchUpload",
        ctx.client.upload_part,
        Bucket=ctx.bucket,
        Key=ctx.key("mpu"),
        UploadId="s3conf-no-such-upload",
        PartNumber=1,
        Body=b"x",
    )


@check(
    "mpu.part-number-out-of-range",
    source=api("UploadPart", "URI Request Parameters: partNumber (1 to 10,000)"),
    operation="UploadPart",
    expected="Part number 10001 answers 400 InvalidArgument",
    why="Writers derive the part size from the 10000-part limit; the store must enforce the same limit.",
)
def part_number_range(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
    expect_error(
        400,
        "InvalidArgument",
        ctx.client.upload_part,
        Bucket=ctx.bucket,
        Key=key,
        UploadId=upload,
        PartNumber=10001,
        Body=b"x",
    )
    _abort(ctx, key, upload)


@check(
    "mpu.part-overwrite",
    source=api(
        "UploadPart", "Description: uploading a part with a part number already used overwrites that part"
    ),
    operation="UploadPart",
    expected="Uploading the same part number twice keeps the last upload",
    why="Writers retry a failed part under the same number.",
)
def part_overwrite(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
    try:
        ctx.client.upload_part(Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"first try")
        etag = ctx.client.upload_part(Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=1, Body=TAIL)[
            "ETag"
        ]
        _complete(ctx, key, upload, [{"PartNumber": 1, "ETag": etag}])
    except BaseException:
        _abort(ctx, key, upload)  # a refused overwrite must not leave the upload (and its data) behind
        raise
    expect_equal(ctx.read(key), TAIL, "body")


@check(
    "mpu.metadata",
    source=api("CreateMultipartUpload", "Request Syntax: x-amz-meta-*, Content-Type"),
    operation="CreateMultipartUpload",
    expected="Metadata and Content-Type given at creation appear on the completed object",
    why="Large files carry the same attributes as small ones.",
)
def metadata(ctx: CheckContext) -> None:
    key = ctx.key("mpu")
    upload, parts = _upload(ctx, key, [TAIL], Metadata={"origin": "s3conf"}, ContentType="text/x-s3conf")
    _complete(ctx, key, upload, parts)
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)
    expect_equal(
        (head["Metadata"], head["ContentType"]), ({"origin": "s3conf"}, "text/x-s3conf"), "attributes"
    )


# ---- partNumber on GET and HEAD ----


def _two_part_object(ctx: CheckContext) -> tuple[str, str]:
    key = ctx.key("obj")
    upload, parts = _upload(ctx, key, [PART, TAIL])
    return key, _complete(ctx, key, upload, parts)["ETag"]


@check(
    "mpu.get.part-number",
    source=api("GetObject", "URI Request Parameters: partNumber"),
    operation="GetObject, HeadObject (partNumber on a multipart object)",
    expected="GET ?partNumber=N answers 206 with exactly part N's bytes, the object's ETag and "
    "x-amz-mp-parts-count; HEAD ?partNumber=N gives part N's length",
    why="Parallel downloaders fetch an object part by part, in the boundaries it was uploaded with.",
)
def get_part_number(ctx: CheckContext) -> None:
    key, etag = _two_part_object(ctx)
    for number, body in ((1, PART), (2, TAIL)):
        response = ctx.raw("GET", key, query={"partNumber": str(number)})
        expect_equal(
            (response.status, response.body == body, response.headers.get("etag")),
            (206, True, etag),
            f"status, body and ETag of part {number}",
        )
        expect_equal(
            response.headers.get("x-amz-mp-parts-count"), "2", f"x-amz-mp-parts-count of part {number}"
        )
    head = ctx.raw("HEAD", key, query={"partNumber": "2"})
    expect_equal(
        (head.headers.get("content-length"), head.headers.get("x-amz-mp-parts-count")),
        (str(len(TAIL)), "2"),
        "HEAD part 2 length and parts count",
    )


@check(
    "mpu.get.part-number-out-of-range",
    source=reference("ErrorResponses", "List of error codes: InvalidPartNumber"),
    operation="GetObject (partNumber past the last part)",
    expected="GET ?partNumber=3 of a two-part object answers 416 InvalidPartNumber",
    why="A parallel downloader that asks for one part too many must get an error, not data.",
)
def get_part_number_out_of_range(ctx: CheckContext) -> None:
    key, _ = _two_part_object(ctx)
    expect_raw(ctx.raw("GET", key, query={"partNumber": "3"}), 416, "InvalidPartNumber")


@check(
    "mpu.get.part-number.single-part-upload",
    source=api("GetObject", "Response Elements: x-amz-mp-parts-count"),
    operation="GetObject (partNumber=1 of an object completed from one part)",
    expected="GET ?partNumber=1 returns the whole object with x-amz-mp-parts-count 1",
    why="Downloaders read PartsCount from part 1 before fetching the others; one part is one part.",
)
def get_part_number_single_part(ctx: CheckContext) -> None:
    key = ctx.key("obj")
    upload, parts = _upload(ctx, key, [TAIL])
    _complete(ctx, key, upload, parts)
    response = ctx.raw("GET", key, query={"partNumber": "1"})
    expect_equal(
        (response.status in (200, 206), response.body, response.headers.get("x-amz-mp-parts-count")),
        (True, TAIL, "1"),
        "status 200/206, body and parts count",
    )


@check(
    "mpu.get.part-number.plain-object",
    source=api("GetObject", "URI Request Parameters: partNumber"),
    operation="GetObject, HeadObject (partNumber on an object written by one PUT)",
    expected="?partNumber=1 of a plain object returns the whole object (200 or 206); no parts count",
    why="A downloader cannot know how an object was written; part 1 of a single-PUT object is the "
    "object. AWS documents partNumber for multipart objects only.",
    documented=False,
)
def get_part_number_plain(ctx: CheckContext) -> None:
    key = ctx.put("obj", TAIL)
    response = ctx.raw("GET", key, query={"partNumber": "1"})
    expect_equal((response.status in (200, 206), response.body), (True, TAIL), "status 200/206 and body")
    head = ctx.raw("HEAD", key, query={"partNumber": "1"})
    expect_equal(
        (head.status in (200, 206), head.headers.get("content-length")),
        (True, str(len(TAIL))),
        "HEAD status and length",
    )


# ---- completion edge cases ----


@check(
    "mpu.complete-no-parts",
    source=api("CompleteMultipartUpload", "Request Body: Part"),
    operation="CompleteMultipartUpload (no parts)",
    expected="Completing without a part list answers 400 MalformedXML and creates nothing",
    why="An empty file written through multipart must not become an object of unknown content. The "
    "part list is documented; the error code for its absence is not (S3 implementations answer "
    "MalformedXML, the code for a body that does not match the schema).",
    documented=False,
)
def complete_no_parts(ctx: CheckContext) -> None:
    key = ctx.key("obj")
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
    try:
        expect_error(
            400,
            "MalformedXML",
            ctx.client.complete_multipart_upload,
            Bucket=ctx.bucket,
            Key=key,
            UploadId=upload,
        )
    finally:
        _abort(ctx, key, upload)
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)


@check(
    "mpu.part-resend-first-finishes-last",
    source=api("UploadPart", "Description: a new upload of the same part number overwrites the previous one"),
    operation="UploadPart (the same part twice, the first upload finishing last)",
    expected="The upload that finishes last is the part: ListParts shows its ETag and the completed "
    "object holds its bytes",
    why="Writers retry a slow part while the first attempt is still in flight; the store must keep "
    "one whole upload, never mix the two or keep the older one under the newer ETag.",
)
def part_resend_first_finishes_last(ctx: CheckContext) -> None:
    key = ctx.key("obj")
    first, second = b"A" * 64 * 1024, b"B" * 64 * 1024
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
    try:

        def overtake() -> None:
            # A short timeout: a store that makes the second upload wait for the first would
            # otherwise hold both until the client gives up.
            quick = make_conformance_client(ctx.endpoint, read_timeout=2)
            try:
                quick.upload_part(Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=1, Body=second)
            except (ClientError, BotoCoreError) as error:
                raise CheckFailed(
                    f"the second upload of part 1, sent while the first was in flight: {error}"
                ) from None

        slow = ctx.raw("PUT", key, query={"partNumber": "1", "uploadId": upload}, body=first, midway=overtake)
        expect_equal(slow.status, 200, "status of the upload that finished last")
        etag = slow.headers.get("etag")
        listed = ctx.client.list_parts(Bucket=ctx.bucket, Key=key, UploadId=upload).get("Parts", [])
        expect_equal([p.get("ETag") for p in listed], [etag], "ETags listed for part 1")
        _complete(ctx, key, upload, [{"PartNumber": 1, "ETag": etag}])
    except BaseException:
        _abort(ctx, key, upload)
        raise
    expect_equal(ctx.read(key) == first, True, "object holds the bytes of the upload that finished last")

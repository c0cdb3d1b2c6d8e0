"""CopyObject and UploadPartCopy: server-side copy and move without downloading."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from suites.conformance.catalog import api, check, reference
from suites.conformance.context import CheckContext, CheckFailed, error_of, expect_equal, expect_error

BODY = b"copy me " * 64


@check(
    "copy.basic",
    source=api("CopyObject", "Request Syntax"),
    operation="CopyObject",
    expected="The copy has the source's bytes; the source is unchanged",
    why="copy() and move() are server-side copies.",
)
def basic(ctx: CheckContext) -> None:
    source = ctx.put("src", BODY)
    target = ctx.key("dst")
    ctx.client.copy_object(Bucket=ctx.bucket, Key=target, CopySource={"Bucket": ctx.bucket, "Key": source})
    expect_equal(ctx.read(target), BODY, "copy")
    expect_equal(ctx.read(source), BODY, "source")


@check(
    "copy.etag-single-part",
    source=api("CopyObject", "Response Elements: CopyObjectResult ETag"),
    operation="CopyObject",
    expected="Copying a single-PUT object gives the same MD5 ETag",
    why="Sync tools skip unchanged files by ETag; a copy must not look like different content.",
)
def etag_single_part(ctx: CheckContext) -> None:
    source = ctx.put("src", BODY)
    target = ctx.key("dst")
    ctx.client.copy_object(Bucket=ctx.bucket, Key=target, CopySource={"Bucket": ctx.bucket, "Key": source})
    etag = ctx.client.head_object(Bucket=ctx.bucket, Key=target)["ETag"]
    expect_equal(etag, f'"{hashlib.md5(BODY).hexdigest()}"', "ETag of the copy")


@check(
    "copy.metadata-directive-copy",
    source=api("CopyObject", "URI Request Parameters: x-amz-metadata-directive"),
    operation="CopyObject (MetadataDirective=COPY)",
    expected="By default the copy keeps the source's user metadata and Content-Type",
    why="move() must not strip a file's attributes.",
)
def metadata_copy(ctx: CheckContext) -> None:
    source = ctx.put("src", BODY, Metadata={"origin": "s3conf"}, ContentType="text/x-s3conf")
    target = ctx.key("dst")
    ctx.client.copy_object(Bucket=ctx.bucket, Key=target, CopySource={"Bucket": ctx.bucket, "Key": source})
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=target)
    expect_equal(head["Metadata"], {"origin": "s3conf"}, "metadata")
    expect_equal(head["ContentType"], "text/x-s3conf", "Content-Type")


@check(
    "copy.metadata-directive-replace",
    source=api("CopyObject", "URI Request Parameters: x-amz-metadata-directive"),
    operation="CopyObject (MetadataDirective=REPLACE)",
    expected="With REPLACE the copy has exactly the new metadata",
    why="Changing attributes of an existing file is a copy with REPLACE.",
)
def metadata_replace(ctx: CheckContext) -> None:
    source = ctx.put("src", BODY, Metadata={"old": "1"})
    target = ctx.key("dst")
    ctx.client.copy_object(
        Bucket=ctx.bucket,
        Key=target,
        CopySource={"Bucket": ctx.bucket, "Key": source},
        MetadataDirective="REPLACE",
        Metadata={"new": "2"},
    )
    expect_equal(ctx.client.head_object(Bucket=ctx.bucket, Key=target)["Metadata"], {"new": "2"}, "metadata")


@check(
    "copy.self-replace-metadata",
    source=api("CopyObject", "URI Request Parameters: x-amz-metadata-directive"),
    operation="CopyObject (onto itself, REPLACE)",
    expected="Copying an object onto itself with MetadataDirective=REPLACE updates its metadata",
    why="This is the only way to change metadata in place (touch, setxattr-like updates).",
)
def self_replace(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY, Metadata={"v": "1"})
    ctx.client.copy_object(
        Bucket=ctx.bucket,
        Key=key,
        CopySource={"Bucket": ctx.bucket, "Key": key},
        MetadataDirective="REPLACE",
        Metadata={"v": "2"},
    )
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)
    expect_equal(head["Metadata"], {"v": "2"}, "metadata")
    expect_equal(head["ContentLength"], len(BODY), "size")


@check(
    "copy.self-without-change-rejected",
    source=api(
        "CopyObject",
        "Description: copying an object to itself needs a change (metadata, storage class...)",
    ),
    operation="CopyObject (onto itself, COPY)",
    expected="Copying an object onto itself without changing anything answers 400 InvalidRequest",
    why="AWS rejects a no-op self copy; move(a, a) must not be mistaken for a successful copy.",
)
def self_no_change(ctx: CheckContext) -> None:
    key = ctx.put("obj", BODY)
    expect_error(
        400,
        "InvalidRequest",
        ctx.client.copy_object,
        Bucket=ctx.bucket,
        Key=key,
        CopySource={"Bucket": ctx.bucket, "Key": key},
    )


@check(
    "copy.special-chars-source",
    source=api("CopyObject", "URI Request Parameters: x-amz-copy-source (URL-encoded)"),
    operation="CopyObject (x-amz-copy-source encoding)",
    expected="A source key with space, '+', '%' and unicode is copied (the copy source is URL-encoded)",
    why="x-amz-copy-source is percent-encoded; servers that do not decode it cannot move such files.",
)
def special_source(ctx: CheckContext) -> None:
    source = ctx.put("s p+a%41é/src", BODY)
    target = ctx.key("dst")
    ctx.client.copy_object(Bucket=ctx.bucket, Key=target, CopySource={"Bucket": ctx.bucket, "Key": source})
    expect_equal(ctx.read(target), BODY, "copy")


@check(
    "copy.missing-source",
    source=api("CopyObject", "URI Request Parameters: x-amz-copy-source"),
    operation="CopyObject",
    expected="Copying a missing key answers 404 NoSuchKey",
    why="copy() of a missing file must raise FileNotFoundError.",
)
def missing_source(ctx: CheckContext) -> None:
    expect_error(
        404,
        "NoSuchKey",
        ctx.client.copy_object,
        Bucket=ctx.bucket,
        Key=ctx.key("dst"),
        CopySource={"Bucket": ctx.bucket, "Key": ctx.key("missing")},
    )


@check(
    "copy.upload-part-copy-range",
    requires="multipart_copy",
    source=api("UploadPartCopy", "URI Request Parameters: x-amz-copy-source-range"),
    operation="UploadPartCopy (x-amz-copy-source-range)",
    expected="A multipart upload assembled from ranged part copies equals the source",
    why="Objects over 5 GiB can only be copied (moved) as ranged part copies.",
)
def upload_part_copy(ctx: CheckContext) -> None:
    body = bytes(range(256)) * (24 * 1024)  # 6 MiB: a 5 MiB first part and a 1 MiB last part
    source = ctx.put("src", body)
    target = ctx.key("dst")
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=target)["UploadId"]
    split = 5 * 1024 * 1024
    parts = []
    for number, (first, last) in enumerate(((0, split - 1), (split, len(body) - 1)), start=1):
        result = ctx.client.upload_part_copy(
            Bucket=ctx.bucket,
            Key=target,
            UploadId=upload,
            PartNumber=number,
            CopySource={"Bucket": ctx.bucket, "Key": source},
            CopySourceRange=f"bytes={first}-{last}",
        )
        etag = result.get("CopyPartResult", {}).get("ETag")
        expect_equal(bool(etag), True, f"CopyPartResult of part {number} has an ETag")
        parts.append({"PartNumber": number, "ETag": etag})
    ctx.client.complete_multipart_upload(
        Bucket=ctx.bucket, Key=target, UploadId=upload, MultipartUpload={"Parts": parts}
    )
    got = ctx.read(target)
    expect_equal((len(got), got == body), (len(body), True), "size and equality of the assembled copy")


# ---- copy-source conditions (x-amz-copy-source-if-*) ----

STALE = '"0123456789abcdef0123456789abcdef"'


def _source(ctx: CheckContext) -> tuple[str, str, datetime]:
    key = ctx.put("src", b"source body")
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)
    return key, head["ETag"], head["LastModified"].astimezone(UTC)


def _copy(ctx: CheckContext, source: str, **conditions: Any) -> Any:
    return ctx.client.copy_object(
        Bucket=ctx.bucket, Key=ctx.key("dst"), CopySource={"Bucket": ctx.bucket, "Key": source}, **conditions
    )


def _register_copy_condition(suffix: str, header: str, refused: Any, accepted: Any, rule: str) -> None:
    """``refused(etag, modified)``/``accepted(...)`` give the condition kwargs that fail/pass."""

    def run(ctx: CheckContext) -> None:
        source, etag, modified = _source(ctx)
        expect_error(412, "PreconditionFailed", _copy, ctx, source, **refused(etag, modified))
        expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=ctx.key("dst"))
        _copy(ctx, source, **accepted(etag, modified))
        expect_equal(ctx.read(ctx.key("dst")), b"source body", "copied body")

    run.__module__ = __name__
    check(
        f"copy.source-{suffix}",
        source=api("CopyObject", f"URI Request Parameters: {header}"),
        operation=f"CopyObject ({header})",
        expected=f"{rule}; a refused copy answers 412 PreconditionFailed and writes nothing",
        why="Server-side copy and move of a file that may change meanwhile pin the source this way.",
    )(run)


_DAY = timedelta(days=1)
_register_copy_condition(
    "if-match",
    "x-amz-copy-source-if-match",
    lambda etag, _: {"CopySourceIfMatch": STALE},
    lambda etag, _: {"CopySourceIfMatch": etag},
    "The copy happens only when the source ETag matches",
)
_register_copy_condition(
    "if-none-match",
    "x-amz-copy-source-if-none-match",
    lambda etag, _: {"CopySourceIfNoneMatch": etag},
    lambda etag, _: {"CopySourceIfNoneMatch": STALE},
    "The copy happens only when the source ETag differs",
)
_register_copy_condition(
    "if-modified-since",
    "x-amz-copy-source-if-modified-since",
    lambda _, modified: {"CopySourceIfModifiedSince": modified},
    lambda _, modified: {"CopySourceIfModifiedSince": modified - _DAY},
    "The copy happens only when the source changed after the date (its own Last-Modified: not after)",
)
_register_copy_condition(
    "if-unmodified-since",
    "x-amz-copy-source-if-unmodified-since",
    lambda _, modified: {"CopySourceIfUnmodifiedSince": modified - _DAY},
    lambda _, modified: {"CopySourceIfUnmodifiedSince": modified},
    "The copy happens only when the source did not change after the date",
)


# ---- UploadPartCopy ranges that cannot be served ----


def _part_copy(ctx: CheckContext, copy_range: str) -> Any:
    source = ctx.put("src", b"12345")
    target = ctx.key("dst")
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=target)["UploadId"]
    try:
        return ctx.client.upload_part_copy(
            Bucket=ctx.bucket,
            Key=target,
            UploadId=upload,
            PartNumber=1,
            CopySource={"Bucket": ctx.bucket, "Key": source},
            CopySourceRange=copy_range,
        )
    finally:
        ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=target, UploadId=upload)


@check(
    "copy.upload-part-copy.invalid-range",
    requires="multipart_copy",
    source=reference("ErrorResponses", "List of error codes: InvalidRange"),
    operation="UploadPartCopy (x-amz-copy-source-range past the source's end)",
    expected="bytes=0-21 of a 5-byte source answers InvalidRange (400 or 416)",
    why="A part copied from past the end of the source must fail, not be padded or truncated silently. "
    "The error list gives InvalidRange with 416; AWS is reported to answer 400 for part copies, so "
    "either status passes.",
)
def part_copy_invalid_range(ctx: CheckContext) -> None:
    try:
        _part_copy(ctx, "bytes=0-21")
    except ClientError as error:
        status, code = error_of(error)
        expect_equal((status in (400, 416), code), (True, "InvalidRange"), f"status {status} and code")
        return
    raise CheckFailed("expected InvalidRange, but the part copy succeeded")


@check(
    "copy.upload-part-copy.improper-range",
    requires="multipart_copy",
    source=api("UploadPartCopy", "URI Request Parameters: x-amz-copy-source-range (bytes=first-last)"),
    operation="UploadPartCopy (malformed x-amz-copy-source-range)",
    expected="Ranges not of the form bytes=first-last (0-2, bytes=0, bytes=hello-world, bytes=0-bar, "
    "bytes=hello-, bytes=0-2,3-5) answer 400 InvalidArgument",
    why="Unlike GET, a part copy cannot fall back to the whole object: a malformed range must be an "
    "error. The form is documented, the error code is not (S3 implementations answer InvalidArgument).",
    documented=False,
)
def part_copy_improper_range(ctx: CheckContext) -> None:
    for copy_range in ("0-2", "bytes=0", "bytes=hello-world", "bytes=0-bar", "bytes=hello-", "bytes=0-2,3-5"):
        try:
            _part_copy(ctx, copy_range)
        except ClientError as error:
            expect_equal(error_of(error), (400, "InvalidArgument"), f"answer to {copy_range!r}")
            continue
        raise CheckFailed(f"the part copy with range {copy_range!r} succeeded")

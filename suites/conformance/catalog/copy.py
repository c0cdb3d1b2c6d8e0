"""CopyObject and UploadPartCopy: server-side copy and move without downloading."""

from __future__ import annotations

import hashlib

from suites.conformance.catalog import check
from suites.conformance.context import CheckContext, expect_equal, expect_error

BODY = b"copy me " * 64


@check(
    "copy.basic",
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

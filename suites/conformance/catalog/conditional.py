"""Conditional requests: version pinning for readers and exclusive create for writers.

Conditional writes (If-None-Match: * on PUT and CompleteMultipartUpload, If-Match on PUT) are AWS
behaviour since August and November 2024 (S3 user guide, "conditional requests").
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from botocore.exceptions import ClientError

from suites.conformance.catalog import check
from suites.conformance.context import CheckContext, expect_equal, expect_error, expect_raw

BODY = b"conditional body"


def _obj(ctx: CheckContext) -> tuple[str, str]:
    key = ctx.put("obj", BODY)
    return key, ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ETag"]


@check(
    "cond.get.if-match",
    operation="GetObject (If-Match)",
    expected="If-Match with the current ETag answers 200; with another ETag 412 PreconditionFailed",
    why="A reader pins the version it started with, so a concurrent overwrite cannot mix two files.",
)
def get_if_match(ctx: CheckContext) -> None:
    key, etag = _obj(ctx)
    expect_raw(ctx.raw("GET", key, headers={"If-Match": etag}), 200)
    expect_raw(
        ctx.raw("GET", key, headers={"If-Match": '"0123456789abcdef0123456789abcdef"'}),
        412,
        "PreconditionFailed",
    )


@check(
    "cond.get.range-if-match",
    operation="GetObject (Range, If-Match)",
    expected="A ranged GET with If-Match of the current ETag answers 206; after an overwrite 412",
    why="Every fragment after the first is fetched with If-Match; this is how overwrites are detected.",
)
def range_if_match(ctx: CheckContext) -> None:
    key, etag = _obj(ctx)
    expect_raw(ctx.raw("GET", key, headers={"Range": "bytes=0-3", "If-Match": etag}), 206)
    ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=b"replaced")
    expect_raw(
        ctx.raw("GET", key, headers={"Range": "bytes=0-3", "If-Match": etag}), 412, "PreconditionFailed"
    )


@check(
    "cond.get.if-none-match",
    operation="GetObject (If-None-Match)",
    expected="If-None-Match with the current ETag answers 304 Not Modified; with another ETag 200",
    why="Caching readers revalidate with If-None-Match.",
)
def get_if_none_match(ctx: CheckContext) -> None:
    key, etag = _obj(ctx)
    expect_raw(ctx.raw("GET", key, headers={"If-None-Match": etag}), 304)
    expect_raw(ctx.raw("GET", key, headers={"If-None-Match": '"0123456789abcdef0123456789abcdef"'}), 200)


@check(
    "cond.get.if-modified-since",
    operation="GetObject (If-Modified-Since)",
    expected="If-Modified-Since a day ahead answers 304; a day back answers 200",
    why="Incremental sync and caches fetch only files changed since a time.",
)
def if_modified_since(ctx: CheckContext) -> None:
    key, _ = _obj(ctx)
    now = datetime.now(UTC)
    future = format_datetime(now + timedelta(days=1), usegmt=True)
    past = format_datetime(now - timedelta(days=1), usegmt=True)
    expect_raw(ctx.raw("GET", key, headers={"If-Modified-Since": future}), 304)
    expect_raw(ctx.raw("GET", key, headers={"If-Modified-Since": past}), 200)


@check(
    "cond.get.if-unmodified-since",
    operation="GetObject (If-Unmodified-Since)",
    expected="If-Unmodified-Since a day back answers 412 PreconditionFailed; a day ahead 200",
    why="Readers that pin by time instead of ETag rely on If-Unmodified-Since.",
)
def if_unmodified_since(ctx: CheckContext) -> None:
    key, _ = _obj(ctx)
    now = datetime.now(UTC)
    past = format_datetime(now - timedelta(days=1), usegmt=True)
    future = format_datetime(now + timedelta(days=1), usegmt=True)
    expect_raw(ctx.raw("GET", key, headers={"If-Unmodified-Since": past}), 412, "PreconditionFailed")
    expect_raw(ctx.raw("GET", key, headers={"If-Unmodified-Since": future}), 200)


@check(
    "cond.head.if-match",
    operation="HeadObject (If-Match)",
    expected="HEAD with a wrong If-Match answers 412; with If-None-Match of the ETag 304",
    why="stat()-based change detection uses conditional HEAD.",
)
def head_conditions(ctx: CheckContext) -> None:
    key, etag = _obj(ctx)
    expect_raw(ctx.raw("HEAD", key, headers={"If-Match": '"0123456789abcdef0123456789abcdef"'}), 412)
    expect_raw(ctx.raw("HEAD", key, headers={"If-None-Match": etag}), 304)


@check(
    "cond.put.if-none-match-star.existing",
    operation="PutObject (If-None-Match: *)",
    expected="PUT with If-None-Match: * on an existing key answers 412 PreconditionFailed; old data stays",
    why="Exclusive create ('xb' mode, create_new) and commit protocols need an atomic create-if-absent.",
)
def put_if_none_match_existing(ctx: CheckContext) -> None:
    key, _ = _obj(ctx)
    expect_error(
        412,
        "PreconditionFailed",
        ctx.client.put_object,
        Bucket=ctx.bucket,
        Key=key,
        Body=b"x",
        IfNoneMatch="*",
    )
    expect_equal(ctx.read(key), BODY, "body after refused PUT")


@check(
    "cond.put.if-none-match-star.new",
    operation="PutObject (If-None-Match: *)",
    expected="PUT with If-None-Match: * on a new key creates it",
    why="Exclusive create must succeed when the file does not exist yet.",
)
def put_if_none_match_new(ctx: CheckContext) -> None:
    key = ctx.key("new")
    ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=BODY, IfNoneMatch="*")
    expect_equal(ctx.read(key), BODY, "body")


@check(
    "cond.put.if-match",
    operation="PutObject (If-Match)",
    expected="PUT with If-Match of the current ETag overwrites; with a stale ETag answers 412",
    why="Compare-and-swap of manifests (table formats) relies on conditional overwrite.",
)
def put_if_match(ctx: CheckContext) -> None:
    key, etag = _obj(ctx)
    ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=b"v2", IfMatch=etag)
    expect_error(
        412, "PreconditionFailed", ctx.client.put_object, Bucket=ctx.bucket, Key=key, Body=b"v3", IfMatch=etag
    )
    expect_equal(ctx.read(key), b"v2", "body")


@check(
    "cond.mpu.complete-if-none-match",
    operation="CompleteMultipartUpload (If-None-Match: *)",
    expected="Completing with If-None-Match: * onto an existing key answers 412 PreconditionFailed",
    why="Exclusive create of large files completes a multipart upload conditionally.",
)
def mpu_if_none_match(ctx: CheckContext) -> None:
    key, _ = _obj(ctx)
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
    etag = ctx.client.upload_part(Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part")[
        "ETag"
    ]
    try:
        expect_error(
            412,
            "PreconditionFailed",
            ctx.client.complete_multipart_upload,
            Bucket=ctx.bucket,
            Key=key,
            UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
            IfNoneMatch="*",
        )
    finally:
        # A target that ignored the condition has completed the upload; the check has failed then.
        with contextlib.suppress(ClientError):
            ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)
    expect_equal(ctx.read(key), BODY, "body")

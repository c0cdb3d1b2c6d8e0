"""Conditional requests: version pinning for readers and exclusive create for writers.

Conditional writes (If-None-Match: * on PUT and CompleteMultipartUpload, If-Match on PUT) are AWS
behaviour since August and November 2024 (S3 user guide, "conditional requests").
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from botocore.exceptions import ClientError

from suites.conformance.catalog import api, check, guide, rfc
from suites.conformance.context import CheckContext, expect_equal, expect_error, expect_raw

BODY = b"conditional body"
STALE = '"0123456789abcdef0123456789abcdef"'  # a well-formed ETag no object here has


def _obj(ctx: CheckContext) -> tuple[str, str]:
    key = ctx.put("obj", BODY)
    return key, ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ETag"]


@check(
    "cond.get.if-match",
    source=api("GetObject", "URI Request Parameters: If-Match"),
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
    source=api("GetObject", "URI Request Parameters: If-Match, Range"),
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
    source=api("GetObject", "URI Request Parameters: If-None-Match"),
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
    source=api("GetObject", "URI Request Parameters: If-Modified-Since"),
    operation="GetObject (If-Modified-Since)",
    expected="If-Modified-Since equal to the object's Last-Modified answers 304 Not Modified; "
    "a day before it answers 200",
    why="Incremental sync and caches fetch only files changed since the time they last saw. The dates "
    "are taken from the object's own Last-Modified, so the check does not depend on the clocks of the "
    "server and the runner agreeing.",
)
def if_modified_since(ctx: CheckContext) -> None:
    key, _ = _obj(ctx)
    modified = ctx.client.head_object(Bucket=ctx.bucket, Key=key)["LastModified"]
    same = format_datetime(modified.astimezone(UTC), usegmt=True)
    before = format_datetime(modified.astimezone(UTC) - timedelta(days=1), usegmt=True)
    expect_raw(ctx.raw("GET", key, headers={"If-Modified-Since": same}), 304)
    expect_raw(ctx.raw("GET", key, headers={"If-Modified-Since": before}), 200)


@check(
    "cond.get.if-modified-since.future",
    source=rfc(2616, "14.25 If-Modified-Since (a date later than the server's current time is invalid)"),
    operation="GetObject (If-Modified-Since in the future)",
    expected="If-Modified-Since a day after the server's current time is ignored: 200 with the body",
    why="AWS documents only 'modified since the time, else 304' and defers to the HTTP RFCs; RFC 2616 "
    "says a future date is invalid and the condition is then ignored, and AWS is reported to answer "
    "200. A store answering 304 makes a client with a fast clock never see updates.",
    documented=False,
)
def if_modified_since_future(ctx: CheckContext) -> None:
    key, _ = _obj(ctx)
    future = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    response = ctx.raw("GET", key, headers={"If-Modified-Since": future})
    expect_equal((response.status, response.body), (200, BODY), "status and body")


@check(
    "cond.get.if-unmodified-since",
    source=api("GetObject", "URI Request Parameters: If-Unmodified-Since"),
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
    source=api("HeadObject", "URI Request Parameters: If-Match, If-None-Match"),
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
    requires="conditional_writes",
    source=guide(
        "conditional-writes", "How to prevent object overwrites with conditional writes: If-None-Match"
    ),
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
    requires="conditional_writes",
    source=guide(
        "conditional-writes", "How to prevent object overwrites with conditional writes: If-None-Match"
    ),
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
    requires="conditional_writes",
    source=guide("conditional-writes", "How to prevent object overwrites with conditional writes: If-Match"),
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
    requires="conditional_writes",
    source=api("CompleteMultipartUpload", "URI Request Parameters: If-None-Match"),
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


def _mpu_upload(ctx: CheckContext, key: str, body: bytes = b"part") -> tuple[str, list[dict[str, Any]]]:
    """A pending one-part multipart upload of ``body`` at ``key``: (upload id, parts list)."""
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
    etag = ctx.client.upload_part(Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=1, Body=body)[
        "ETag"
    ]
    return upload, [{"PartNumber": 1, "ETag": etag}]


@contextlib.contextmanager
def _pending_upload(ctx: CheckContext, key: str, body: bytes = b"part") -> Iterator[Callable[..., Any]]:
    """Yield ``complete(**conditions)`` for a pending upload; the upload is aborted afterwards."""
    upload, parts = _mpu_upload(ctx, key, body)

    def complete(**conditions: str) -> Any:
        return ctx.client.complete_multipart_upload(
            Bucket=ctx.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}, **conditions
        )

    try:
        yield complete
    finally:
        with contextlib.suppress(ClientError):  # NoSuchUpload once completed: nothing to abort
            ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)


@check(
    "cond.put.if-match.missing-key",
    requires="conditional_writes",
    source=guide("conditional-writes", "How to prevent object overwrites with conditional writes: If-Match"),
    operation="PutObject (If-Match on a key that does not exist)",
    expected="PUT with If-Match on a missing key answers 404 NoSuchKey and creates nothing",
    why="Compare-and-swap must not create the file it meant to replace: a writer that lost the race "
    "against a delete has to learn it.",
)
def put_if_match_missing(ctx: CheckContext) -> None:
    key = ctx.key("missing")
    expect_error(
        404, "NoSuchKey", ctx.client.put_object, Bucket=ctx.bucket, Key=key, Body=b"x", IfMatch=STALE
    )
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)


@check(
    "cond.mpu.complete-if-match",
    requires="conditional_writes",
    source=api("CompleteMultipartUpload", "URI Request Parameters: If-Match"),
    operation="CompleteMultipartUpload (If-Match)",
    expected="Completing with If-Match of a stale ETag answers 412 PreconditionFailed and keeps the old "
    "object; with the current ETag it replaces the object",
    why="Compare-and-swap of large files (table-format manifests, checkpoints) completes conditionally.",
)
def mpu_if_match(ctx: CheckContext) -> None:
    key, etag = _obj(ctx)
    with _pending_upload(ctx, key, b"stale writer") as complete:
        expect_error(412, "PreconditionFailed", complete, IfMatch=STALE)
    expect_equal(ctx.read(key), BODY, "body after the refused completion")
    with _pending_upload(ctx, key, b"current writer") as complete:
        complete(IfMatch=etag)
    expect_equal(ctx.read(key), b"current writer", "body after the accepted completion")


@check(
    "cond.mpu.complete-if-match.missing-key",
    requires="conditional_writes",
    source=api("CompleteMultipartUpload", "URI Request Parameters: If-Match"),
    operation="CompleteMultipartUpload (If-Match on a key that does not exist)",
    expected="Completing with If-Match onto a missing key answers 404 NoSuchKey and creates nothing",
    why="A conditional replace must not turn into a create when the target was deleted meanwhile.",
)
def mpu_if_match_missing(ctx: CheckContext) -> None:
    key = ctx.key("missing")
    with _pending_upload(ctx, key) as complete:
        expect_error(404, "NoSuchKey", complete, IfMatch=STALE)
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)


@check(
    "cond.mpu.complete-if-none-match.new",
    requires="conditional_writes",
    source=api("CompleteMultipartUpload", "URI Request Parameters: If-None-Match"),
    operation="CompleteMultipartUpload (If-None-Match: * on a new key)",
    expected="Completing with If-None-Match: * onto a key that does not exist creates the object",
    why="Exclusive create of a large file must succeed when the file is new.",
)
def mpu_if_none_match_new(ctx: CheckContext) -> None:
    key = ctx.key("new")
    with _pending_upload(ctx, key, b"created") as complete:
        complete(IfNoneMatch="*")
    expect_equal(ctx.read(key), b"created", "body")


@check(
    "cond.delete.if-match",
    requires="conditional_writes",
    source=guide("conditional-deletes", "How to check if your object has been modified before deleting it"),
    operation="DeleteObject (If-Match)",
    expected="DELETE with a stale If-Match answers 412 PreconditionFailed and keeps the object; with the "
    "current ETag it answers 204 and the object is gone",
    why="A cleaner that deletes what it inspected must not delete a file rewritten in between.",
)
def delete_if_match(ctx: CheckContext) -> None:
    key, etag = _obj(ctx)
    expect_error(
        412, "PreconditionFailed", ctx.client.delete_object, Bucket=ctx.bucket, Key=key, IfMatch=STALE
    )
    expect_equal(ctx.read(key), BODY, "body after the refused delete")
    response = ctx.client.delete_object(Bucket=ctx.bucket, Key=key, IfMatch=etag)
    expect_equal(response["ResponseMetadata"]["HTTPStatusCode"], 204, "status of the matching delete")
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)


@check(
    "cond.delete.if-match.missing-key",
    requires="conditional_writes",
    source=guide("conditional-deletes", "How to check if your object exists before deleting it"),
    operation="DeleteObject (If-Match on a key that does not exist)",
    expected="DELETE with If-Match on a missing key answers 404 NoSuchKey",
    why="The user guide covers existing objects only; AWS's status table for conditional deletes, as "
    "quoted by implementers, answers 404 NoSuchKey when If-Match is sent for an absent key (an "
    "unconditional delete of a missing key stays a 204).",
    documented=False,
)
def delete_if_match_missing(ctx: CheckContext) -> None:
    key = ctx.key("missing")
    expect_error(404, "NoSuchKey", ctx.client.delete_object, Bucket=ctx.bucket, Key=key, IfMatch=STALE)


@check(
    "cond.delete-objects.etag",
    requires="conditional_writes",
    source=guide("conditional-deletes", "How to check if your object has been modified before deleting it"),
    operation="DeleteObjects (per-object ETag)",
    expected="In a batch delete, an entry whose ETag is stale is reported in Errors as PreconditionFailed "
    "and kept; an entry with the current ETag is Deleted",
    why="rm -r of files inspected earlier must not remove one that changed in between.",
)
def delete_objects_etag(ctx: CheckContext) -> None:
    kept, _ = _obj(ctx)
    gone = ctx.put("gone", b"x")
    gone_etag = ctx.client.head_object(Bucket=ctx.bucket, Key=gone)["ETag"]
    response = ctx.client.delete_objects(
        Bucket=ctx.bucket,
        Delete={"Objects": [{"Key": kept, "ETag": STALE}, {"Key": gone, "ETag": gone_etag}]},
    )
    errors = {e.get("Key"): e.get("Code") for e in response.get("Errors", [])}
    deleted = [d.get("Key") for d in response.get("Deleted", [])]
    expect_equal((errors, deleted), ({kept: "PreconditionFailed"}, [gone]), "Errors and Deleted")
    expect_equal(ctx.read(kept), BODY, "body of the entry with a stale ETag")

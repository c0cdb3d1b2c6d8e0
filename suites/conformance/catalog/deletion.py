"""DeleteObject idempotence and DeleteObjects batches (rm, rm -r, cleanup after failed writes)."""

from __future__ import annotations

from suites.conformance.catalog import api, check, reference
from suites.conformance.context import CheckContext, expect_equal, expect_error


def _left(ctx: CheckContext) -> list[str]:
    return [
        o["Key"] for o in ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix).get("Contents", [])
    ]


@check(
    "delete.idempotent-missing",
    source=api("DeleteObject", "Description"),
    operation="DeleteObject",
    expected="Deleting a key that does not exist answers 204, like deleting one that does",
    why="Retried deletes and cleanup of half-written files must not fail when the key is gone.",
)
def idempotent_missing(ctx: CheckContext) -> None:
    response = ctx.client.delete_object(Bucket=ctx.bucket, Key=ctx.key("never-written"))
    expect_equal(response["ResponseMetadata"]["HTTPStatusCode"], 204, "status")


@check(
    "delete.removes",
    source=api("DeleteObject", "Description"),
    operation="DeleteObject, HeadObject",
    expected="After DeleteObject answers 204, HEAD answers 404",
    why="rm() must really remove the file.",
)
def removes(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"x")
    response = ctx.client.delete_object(Bucket=ctx.bucket, Key=key)
    expect_equal(response["ResponseMetadata"]["HTTPStatusCode"], 204, "status")
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)


@check(
    "delete.batch",
    source=api("DeleteObjects", "Request Body"),
    operation="DeleteObjects",
    expected="DeleteObjects of 3 keys reports all 3 as Deleted and removes them",
    why="Recursive delete removes up to 1000 keys per request.",
)
def batch(ctx: CheckContext) -> None:
    keys = [ctx.put(f"k{index}", b"x") for index in range(3)]
    response = ctx.client.delete_objects(Bucket=ctx.bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    expect_equal(sorted(d["Key"] for d in response.get("Deleted", [])), keys, "Deleted")
    expect_equal(response.get("Errors", []), [], "Errors")
    expect_equal(_left(ctx), [], "keys left")


@check(
    "delete.batch.missing-keys",
    source=api("DeleteObjects", "Description: deleting a key that does not exist is reported as deleted"),
    operation="DeleteObjects",
    expected="Keys that do not exist are reported as Deleted, not as Errors",
    why="A retried batch delete must succeed even though its first attempt removed some keys.",
)
def batch_missing(ctx: CheckContext) -> None:
    present = ctx.put("present", b"x")
    missing = ctx.key("missing")
    response = ctx.client.delete_objects(
        Bucket=ctx.bucket, Delete={"Objects": [{"Key": present}, {"Key": missing}]}
    )
    expect_equal(sorted(d["Key"] for d in response.get("Deleted", [])), sorted([present, missing]), "Deleted")
    expect_equal(response.get("Errors", []), [], "Errors")


@check(
    "delete.batch.quiet",
    source=api("DeleteObjects", "Request Body: Quiet"),
    operation="DeleteObjects (Quiet)",
    expected="In quiet mode the answer lists no Deleted entries, and the keys are gone",
    why="Quiet mode keeps responses small for huge deletes; clients then read only Errors.",
)
def batch_quiet(ctx: CheckContext) -> None:
    keys = [ctx.put(f"k{index}", b"x") for index in range(2)]
    response = ctx.client.delete_objects(
        Bucket=ctx.bucket, Delete={"Objects": [{"Key": k} for k in keys], "Quiet": True}
    )
    expect_equal(response.get("Deleted", []), [], "Deleted entries in quiet mode")
    expect_equal(_left(ctx), [], "keys left")


@check(
    "delete.batch.special-keys",
    source=api("DeleteObjects", "Request Body: Object Key"),
    operation="DeleteObjects",
    expected="Keys with spaces, '+', '%' and unicode are deleted by a batch request",
    why="Batch delete puts keys in an XML body; escaping bugs leave files behind.",
)
def batch_special(ctx: CheckContext) -> None:
    keys = sorted(ctx.put(tail, b"x") for tail in ("sp ace", "pl+us", "pct%41", "uni-ü", "amp&lt"))
    response = ctx.client.delete_objects(Bucket=ctx.bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    expect_equal(sorted(d["Key"] for d in response.get("Deleted", [])), keys, "Deleted")
    expect_equal(_left(ctx), [], "keys left")


@check(
    "delete.bucket-not-empty",
    source=reference("ErrorResponses", "List of error codes: BucketNotEmpty"),
    operation="DeleteBucket",
    expected="Deleting a bucket that still holds keys answers 409 BucketNotEmpty and keeps the data",
    why="A store that deletes non-empty buckets turns a cleanup mistake into data loss.",
)
def bucket_not_empty(ctx: CheckContext) -> None:
    name = ctx.new_bucket()
    ctx.client.put_object(Bucket=name, Key="keep", Body=b"x")
    expect_error(409, "BucketNotEmpty", ctx.client.delete_bucket, Bucket=name)
    expect_equal(ctx.client.head_object(Bucket=name, Key="keep")["ContentLength"], 1, "kept object size")


@check(
    "delete.bucket-empty",
    source=api("DeleteBucket", "Response Syntax (HTTP/1.1 204)"),
    operation="DeleteBucket, HeadBucket",
    expected="Deleting an empty bucket answers 204; HEAD on it then answers 404",
    why="Test harnesses and temporary workspaces create and remove buckets.",
)
def bucket_empty(ctx: CheckContext) -> None:
    name = ctx.new_bucket()
    response = ctx.client.delete_bucket(Bucket=name)
    ctx.created_buckets.remove(name)
    expect_equal(response["ResponseMetadata"]["HTTPStatusCode"], 204, "status")
    expect_error(404, None, ctx.client.head_bucket, Bucket=name)


@check(
    "delete.batch.over-1000-keys",
    source=api("DeleteObjects", "Description: the request can contain a list of up to 1,000 keys"),
    operation="DeleteObjects (1001 keys)",
    expected="A batch delete naming 1001 keys is rejected with 400 (MalformedXML) and deletes nothing",
    why="rm -r splits batches at 1000; a store that accepts more hides a client bug that AWS rejects, "
    "and one that deletes part of an invalid batch loses data.",
)
def batch_over_limit(ctx: CheckContext) -> None:
    kept = ctx.put("k0000", b"x")
    objects = [{"Key": ctx.key(f"k{index:04d}")} for index in range(1001)]
    expect_error(400, None, ctx.client.delete_objects, Bucket=ctx.bucket, Delete={"Objects": objects})
    expect_equal(ctx.read(kept), b"x", "body of a key named in the refused batch")

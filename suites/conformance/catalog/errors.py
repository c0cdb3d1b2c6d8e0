"""Error codes and HTTP statuses that file-access code maps to exceptions."""

from __future__ import annotations

import os

from botocore.exceptions import ClientError

from suites.conformance.catalog import api, check, reference
from suites.conformance.context import (
    CheckContext,
    CheckFailed,
    error_of,
    expect,
    expect_equal,
    expect_error,
    expect_raw,
)


@check(
    "error.no-such-key",
    source=reference("ErrorResponses", "List of error codes: NoSuchKey"),
    operation="GetObject",
    expected="GET of a missing key answers 404 with the XML error code NoSuchKey",
    why="open() of a missing file must raise FileNotFoundError, not a generic I/O error.",
)
def no_such_key(ctx: CheckContext) -> None:
    expect_raw(ctx.raw("GET", ctx.key("missing")), 404, "NoSuchKey")


@check(
    "error.no-such-bucket",
    source=reference("ErrorResponses", "List of error codes: NoSuchBucket"),
    operation="GetObject",
    expected="GET in a missing bucket answers 404 NoSuchBucket",
    why="A typo in the bucket must say 'bucket not found', not 'file not found'.",
)
def no_such_bucket(ctx: CheckContext) -> None:
    expect_raw(ctx.raw("GET", "k", bucket=f"{ctx.name_stem}missing-{os.getpid()}"), 404, "NoSuchBucket")


@check(
    "error.head-bucket-missing",
    source=api("HeadBucket", "Description: 404 Not Found when the bucket does not exist"),
    operation="HeadBucket",
    expected="HEAD of a missing bucket answers 404",
    why="File systems check the bucket once when they are created.",
)
def head_bucket_missing(ctx: CheckContext) -> None:
    expect_error(404, None, ctx.client.head_bucket, Bucket=f"{ctx.name_stem}missing-{os.getpid()}")


@check(
    "error.put-no-such-bucket",
    source=reference("ErrorResponses", "List of error codes: NoSuchBucket"),
    operation="PutObject",
    expected="PUT into a missing bucket answers 404 NoSuchBucket and creates no bucket",
    why="A write to a mistyped bucket must fail, not create a bucket on the fly.",
)
def put_no_such_bucket(ctx: CheckContext) -> None:
    name = f"{ctx.name_stem}missing-put-{os.getpid()}"
    try:
        expect_error(404, "NoSuchBucket", ctx.client.put_object, Bucket=name, Key="k", Body=b"x")
    except AssertionError:
        ctx.created_buckets.append(name)  # the store created it: clean it up
        raise


@check(
    "error.bucket-already-owned",
    source=reference("ErrorResponses", "List of error codes: BucketAlreadyOwnedByYou"),
    operation="CreateBucket (a bucket you own, in the target's region)",
    expected="Re-creating a bucket you own answers 200 OK in us-east-1 (legacy compatibility) and "
    "409 BucketAlreadyOwnedByYou in every other region",
    why="Idempotent setup code treats both answers as success; any other answer breaks it. The "
    "expected answer follows the target's region, so the check runs the same everywhere.",
)
def bucket_already_owned(ctx: CheckContext) -> None:
    name = ctx.new_bucket()
    if ctx.region != "us-east-1":
        expect_error(409, "BucketAlreadyOwnedByYou", ctx.create_bucket, name)
        return
    try:
        response = ctx.create_bucket(name)
    except ClientError as error:
        status, code = error_of(error)
        raise CheckFailed(f"in us-east-1: expected 200, got {status} {code}") from None
    expect_equal(response["ResponseMetadata"]["HTTPStatusCode"], 200, "status in us-east-1")


@check(
    "error.invalid-bucket-name",
    source=reference("ErrorResponses", "List of error codes: InvalidBucketName"),
    operation="CreateBucket",
    expected="CreateBucket with an invalid name (upper case, underscore) answers 400 InvalidBucketName",
    why="Names valid on one store and invalid on AWS make data unportable.",
)
def invalid_bucket_name(ctx: CheckContext) -> None:
    name = f"{ctx.name_stem}Bad_Name"
    expect_error(400, "InvalidBucketName", ctx.create_bucket, name)


@check(
    "error.xml-body",
    source=reference("ErrorResponses", "REST error responses"),
    operation="GetObject",
    expected="Error answers are XML with Code, Message and RequestId; Content-Type is XML",
    why="SDKs parse the error body to raise the right exception.",
)
def xml_body(ctx: CheckContext) -> None:
    response = ctx.raw("GET", ctx.key("missing"))
    expect_equal(response.status, 404, "status")
    for element in (b"<Error>", b"<Code>", b"<Message>", b"<RequestId>"):
        expect(
            element in response.body, f"{element.decode()} missing from error body {response.body[:300]!r}"
        )
    expect(
        "xml" in response.headers.get("content-type", ""),
        f"Content-Type {response.headers.get('content-type')!r}",
    )


@check(
    "error.head-missing-no-body",
    source=api("HeadObject", "Description: a HEAD request has no body, so errors are status codes only"),
    operation="HeadObject",
    expected="HEAD of a missing key answers 404 with an empty body",
    why="A body on a HEAD answer desynchronises keep-alive connections.",
)
def head_no_body(ctx: CheckContext) -> None:
    response = ctx.raw("HEAD", ctx.key("missing"))
    expect_equal((response.status, response.body), (404, b""), "status and body")


@check(
    "error.auth.bad-signature",
    source=reference("ErrorResponses", "List of error codes: SignatureDoesNotMatch"),
    operation="GetObject (SigV4)",
    expected="A request signed with the wrong secret answers 403 SignatureDoesNotMatch",
    why="Wrong credentials must be refused and named; s3conf maps this to AuthenticationError.",
)
def bad_signature(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"x")
    expect_raw(
        ctx.raw("GET", key, secret_key="s3conf-wrong-secret-0000000000000000"), 403, "SignatureDoesNotMatch"
    )


@check(
    "error.auth.unknown-access-key",
    source=reference("ErrorResponses", "List of error codes: InvalidAccessKeyId"),
    operation="GetObject (SigV4)",
    expected="A request with an unknown access key answers 403 InvalidAccessKeyId",
    why="An unknown key must be distinguishable from a wrong secret for a useful error message.",
)
def unknown_access_key(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"x")
    response = ctx.raw("GET", key, access_key="S3CONFUNKNOWNKEY0000", secret_key="s3conf-wrong-secret")
    expect_raw(response, 403, "InvalidAccessKeyId")


@check(
    "error.auth.anonymous-denied",
    source=reference("ErrorResponses", "List of error codes: AccessDenied"),
    operation="GetObject (unsigned)",
    expected="An unsigned GET of a private object answers 403 AccessDenied",
    why="Buckets are private by default; a store serving anonymous reads leaks data.",
)
def anonymous_denied(ctx: CheckContext) -> None:
    import http.client
    from urllib.parse import quote

    key = ctx.put("obj", b"x")
    connection_class = (
        http.client.HTTPSConnection if ctx.endpoint.scheme == "https" else http.client.HTTPConnection
    )
    connection = connection_class(ctx.endpoint.host, ctx.endpoint.port, timeout=30)
    try:
        connection.request("GET", f"/{ctx.bucket}/{quote(key, safe='/~')}")
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()
    expect_equal(response.status, 403, f"status (body {body[:200]!r})")
    expect(b"<Code>AccessDenied</Code>" in body, f"error code in {body[:300]!r}")

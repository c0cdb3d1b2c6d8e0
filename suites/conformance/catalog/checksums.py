"""Integrity checks on upload: Content-MD5, the flexible checksums and the signed payload hash.

A store that accepts a body whose checksum does not match stores corrupted files silently. AWS
answers ``400 BadDigest`` for Content-MD5 and ``x-amz-checksum-*`` mismatches ("The Content-MD5 or
checksum value that you specified did not match what the server received"), ``400 InvalidDigest``
for a malformed Content-MD5 and ``400 XAmzContentSHA256Mismatch`` for a wrong signed payload hash.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import zlib
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from suites.conformance.catalog import api, check, guide, reference
from suites.conformance.context import (
    CheckContext,
    crc32c,
    expect,
    expect_equal,
    expect_error,
    expect_raw,
    make_conformance_client,
)

BODY = b"integrity matters " * 16
OTHER = b"different bytes!!" * 16


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


ALGORITHMS: dict[str, Callable[[bytes], str]] = {
    "crc32": lambda data: _b64(zlib.crc32(data).to_bytes(4, "big")),
    "crc32c": lambda data: _b64(crc32c(data).to_bytes(4, "big")),
    "sha1": lambda data: _b64(hashlib.sha1(data).digest()),
    "sha256": lambda data: _b64(hashlib.sha256(data).digest()),
}


@check(
    "checksum.content-md5.good",
    source=api("PutObject", "URI Request Parameters: Content-MD5"),
    operation="PutObject (Content-MD5)",
    expected="A PUT with the correct Content-MD5 succeeds",
    why="Writers send Content-MD5 so that corruption in transit is refused.",
)
def md5_good(ctx: CheckContext) -> None:
    headers = {"Content-MD5": _b64(hashlib.md5(BODY).digest())}
    expect_raw(ctx.raw("PUT", ctx.key("obj"), headers=headers, body=BODY), 200)


@check(
    "checksum.content-md5.bad-digest",
    source=reference("ErrorResponses", "List of error codes: BadDigest"),
    operation="PutObject (Content-MD5)",
    expected="A PUT whose Content-MD5 does not match the body answers 400 BadDigest and stores nothing",
    why="The whole point of Content-MD5: corrupted uploads must be refused, not stored.",
)
def md5_bad(ctx: CheckContext) -> None:
    key = ctx.key("obj")
    headers = {"Content-MD5": _b64(hashlib.md5(OTHER).digest())}
    expect_raw(ctx.raw("PUT", key, headers=headers, body=BODY), 400, "BadDigest")
    expect_raw(ctx.raw("HEAD", key), 404)


@check(
    "checksum.content-md5.invalid-digest",
    source=reference("ErrorResponses", "List of error codes: InvalidDigest"),
    operation="PutObject (Content-MD5)",
    expected="A Content-MD5 that is not a base64 MD5 answers 400 InvalidDigest",
    why="A malformed digest must be reported as such, not ignored.",
)
def md5_invalid(ctx: CheckContext) -> None:
    expect_raw(
        ctx.raw("PUT", ctx.key("obj"), headers={"Content-MD5": "not-a-digest"}, body=BODY),
        400,
        "InvalidDigest",
    )


@check(
    "checksum.payload-sha256-mismatch",
    source=reference("ErrorResponses", "List of error codes: XAmzContentSHA256Mismatch"),
    operation="PutObject (x-amz-content-sha256)",
    expected="A body that differs from the signed x-amz-content-sha256 answers 400 XAmzContentSHA256Mismatch",
    why="SigV4 signs the payload hash; a store that skips the check accepts tampered or corrupted bodies.",
)
def payload_mismatch(ctx: CheckContext) -> None:
    key = ctx.key("obj")
    expect_raw(ctx.raw("PUT", key, body=BODY, send_body=OTHER), 400, "XAmzContentSHA256Mismatch")
    expect_raw(ctx.raw("HEAD", key), 404)


def _register(algorithm: str, compute: Callable[[bytes], str]) -> None:
    header = f"x-amz-checksum-{algorithm}"

    def good(ctx: CheckContext) -> None:
        key = ctx.key("obj")
        expect_raw(ctx.raw("PUT", key, headers={header: compute(BODY)}, body=BODY), 200)
        response = ctx.raw("HEAD", key, headers={"x-amz-checksum-mode": "ENABLED"})
        expect_equal(response.headers.get(header), compute(BODY), f"{header} returned by HEAD")

    def bad(ctx: CheckContext) -> None:
        key = ctx.key("obj")
        expect_raw(ctx.raw("PUT", key, headers={header: compute(OTHER)}, body=BODY), 400, "BadDigest")
        expect_raw(ctx.raw("HEAD", key), 404)

    good.__module__ = bad.__module__ = __name__
    check(
        f"checksum.{algorithm}.stored",
        operation=f"PutObject, HeadObject ({header}, x-amz-checksum-mode)",
        expected=f"A correct {header} is accepted, stored and returned by HEAD in checksum mode",
        why="End-to-end integrity: readers verify downloads against the checksum the writer sent.",
        source=guide(
            "checking-object-integrity", "Checking object integrity: Using supported checksum algorithms"
        ),
    )(good)
    check(
        f"checksum.{algorithm}.bad-digest",
        operation=f"PutObject ({header})",
        expected=f"A wrong {header} answers 400 BadDigest and stores nothing",
        why="Current AWS SDKs send CRC checksums by default; a store that ignores them keeps corrupt data.",
        source=reference("ErrorResponses", "List of error codes: BadDigest"),
    )(bad)


for _algorithm, _compute in ALGORITHMS.items():
    _register(_algorithm, _compute)


@check(
    "checksum.crc32.upload-part-bad-digest",
    source=reference("ErrorResponses", "List of error codes: BadDigest"),
    operation="CreateMultipartUpload (ChecksumAlgorithm CRC32), UploadPart (x-amz-checksum-crc32)",
    requires="multipart",
    expected="A part whose x-amz-checksum-crc32 does not match its body answers 400 BadDigest",
    why="Multipart writers (s3conf's streaming writer among them) protect each part with one CRC instead "
    "of a signed payload hash; a store that does not verify it keeps corrupted parts.",
)
def upload_part_bad_digest(ctx: CheckContext) -> None:
    key = ctx.key("obj")
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key, ChecksumAlgorithm="CRC32")
    upload_id = upload["UploadId"]
    try:
        expect_error(
            400,
            "BadDigest",
            ctx.client.upload_part,
            Bucket=ctx.bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=1,
            Body=BODY,
            ChecksumCRC32=ALGORITHMS["crc32"](OTHER),
        )
    finally:
        with contextlib.suppress(ClientError):
            ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload_id)


@check(
    "checksum.content-md5.wrong-length",
    source=reference("ErrorResponses", "List of error codes: InvalidDigest"),
    operation="PutObject (Content-MD5)",
    expected="A Content-MD5 that is valid base64 but not 16 bytes long answers 400 InvalidDigest",
    why="Only a well-formed MD5 can protect the upload; a store that accepts a truncated digest as "
    "'no digest' stores unverified bytes while the writer believes they were checked.",
)
def md5_wrong_length(ctx: CheckContext) -> None:
    key = ctx.key("obj")
    ten_bytes = _b64(hashlib.md5(BODY).digest()[:10])
    expect_raw(ctx.raw("PUT", key, headers={"Content-MD5": ten_bytes}, body=BODY), 400, "InvalidDigest")
    expect_raw(ctx.raw("HEAD", key), 404)


# ---- the SDK's default upload path: aws-chunked body with a trailing CRC32 ----

SDK_PATH_WHY = (
    "Current AWS SDKs (request_checksum_calculation='when_supported', the default) upload over TLS as "
    "Content-Encoding: aws-chunked with the CRC32 in a trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER). "
    "botocore uses a plain header over http, so the check moves the checksum to the trailer exactly "
    "as botocore does over https. "
)


_SDK_CLIENTS: dict[str, Any] = {}


def _sdk_default_client(ctx: CheckContext) -> Any:
    """A client with the SDK defaults, sending its checksum as a trailer as it does over TLS.

    One per endpoint for the run (clients are thread-safe and slow to build on a loaded machine).
    """
    cached = _SDK_CLIENTS.get(ctx.endpoint.url)
    if cached is not None:
        return cached
    client = make_conformance_client(
        ctx.endpoint,
        request_checksum_calculation="when_supported",
        response_checksum_validation="when_supported",
    )

    def trailer(params: dict[str, Any], **_: Any) -> None:
        algorithm = params.get("context", {}).get("checksum", {}).get("request_algorithm")
        if isinstance(algorithm, dict):
            algorithm["in"] = "trailer"

    for operation in ("PutObject", "UploadPart"):
        client.meta.events.register(f"before-call.s3.{operation}", trailer)
    _SDK_CLIENTS[ctx.endpoint.url] = client
    return client


def _sdk_put(ctx: CheckContext, name: str, **kwargs: Any) -> str:
    key = ctx.key(name)
    _sdk_default_client(ctx).put_object(Bucket=ctx.bucket, Key=key, Body=BODY, **kwargs)
    return key


@check(
    "checksum.sdk-default.roundtrip",
    source=guide("checking-object-integrity", "Checking object integrity: Using trailing checksums"),
    operation="PutObject (aws-chunked, x-amz-trailer: x-amz-checksum-crc32)",
    expected="An object uploaded as aws-chunked with a trailing checksum reads back as exactly the "
    "decoded bytes, with the decoded length",
    why=SDK_PATH_WHY + "A store that keeps the chunk framing corrupts every file an SDK writes.",
)
def sdk_default_roundtrip(ctx: CheckContext) -> None:
    key = _sdk_put(ctx, "obj")
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)
    expect_equal(head["ContentLength"], len(BODY), "Content-Length")
    expect_equal(ctx.read(key), BODY, "body")


@check(
    "checksum.sdk-default.checksum-stored",
    source=guide("checking-object-integrity", "Checking object integrity: Using trailing checksums"),
    operation="PutObject (trailing x-amz-checksum-crc32), HeadObject (x-amz-checksum-mode)",
    expected="The trailing CRC32 is stored and returned by HEAD in checksum mode",
    why=SDK_PATH_WHY + "Readers verify downloads against the checksum the SDK sent.",
)
def sdk_default_checksum_stored(ctx: CheckContext) -> None:
    key = _sdk_put(ctx, "obj")
    response = ctx.raw("HEAD", key, headers={"x-amz-checksum-mode": "ENABLED"})
    expect_equal(
        response.headers.get("x-amz-checksum-crc32"), ALGORITHMS["crc32"](BODY), "x-amz-checksum-crc32"
    )


@check(
    "checksum.sdk-default.no-content-encoding",
    source=api("PutObject", "URI Request Parameters: Content-Encoding"),
    operation="PutObject (aws-chunked), HeadObject",
    expected="After an aws-chunked upload without a Content-Encoding of its own, HEAD returns no "
    "Content-Encoding (aws-chunked describes the upload, not the object)",
    why=SDK_PATH_WHY + "A stored 'Content-Encoding: aws-chunked' makes HTTP clients and browsers "
    "refuse or mangle the download.",
)
def sdk_default_no_content_encoding(ctx: CheckContext) -> None:
    key = _sdk_put(ctx, "obj")
    encoding = ctx.raw("HEAD", key).headers.get("content-encoding")
    expect(encoding in (None, ""), f"Content-Encoding after the upload: {encoding!r}")


@check(
    "checksum.sdk-default.content-encoding-kept",
    source=api("PutObject", "URI Request Parameters: Content-Encoding"),
    operation="PutObject (Content-Encoding: gzip + aws-chunked), HeadObject",
    expected="After an aws-chunked upload with Content-Encoding: gzip, HEAD returns exactly 'gzip'",
    why=SDK_PATH_WHY + "The SDK sends 'gzip,aws-chunked'; the store must drop only aws-chunked, or "
    "compressed files are served with a wrong encoding.",
)
def sdk_default_content_encoding_kept(ctx: CheckContext) -> None:
    key = _sdk_put(ctx, "obj", ContentEncoding="gzip")
    expect_equal(ctx.raw("HEAD", key).headers.get("content-encoding"), "gzip", "Content-Encoding")


@check(
    "checksum.trailer.bad-digest",
    source=reference("ErrorResponses", "List of error codes: BadDigest"),
    operation="PutObject (aws-chunked, wrong trailing x-amz-checksum-crc32)",
    expected="An aws-chunked upload whose trailing CRC32 does not match the body answers 400 BadDigest "
    "and stores nothing",
    why="The trailer is the only integrity check of an SDK upload; a store that does not verify it "
    "keeps corrupted files.",
)
def trailer_bad_digest(ctx: CheckContext) -> None:
    key = ctx.key("obj")
    trailer = f"x-amz-checksum-crc32:{ALGORITHMS['crc32'](OTHER)}"
    chunked = f"{len(BODY):x}\r\n".encode() + BODY + b"\r\n0\r\n" + trailer.encode() + b"\r\n\r\n"
    headers = {
        "Content-Encoding": "aws-chunked",
        "x-amz-decoded-content-length": str(len(BODY)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }
    expect_raw(ctx.raw("PUT", key, headers=headers, body=chunked, unsigned_trailer=True), 400, "BadDigest")
    expect_raw(ctx.raw("HEAD", key), 404)

"""Presigned URLs: handing one object to a client that has no credentials."""

from __future__ import annotations

import urllib.error
import urllib.request

from suites.conformance.catalog import check, guide, reference
from suites.conformance.context import CheckContext, expect_equal


def _fetch(
    url: str, *, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.read()


def _presign(ctx: CheckContext, method: str, key: str, expires: int = 300) -> str:
    url: str = ctx.client.generate_presigned_url(
        method, Params={"Bucket": ctx.bucket, "Key": key}, ExpiresIn=expires
    )
    return url


@check(
    "presign.get",
    source=guide("ShareObjectPreSignedURL", "Sharing objects with presigned URLs"),
    operation="GetObject (presigned, query-string SigV4)",
    expected="A presigned GET URL returns the object without other credentials",
    why="Handing a file to a browser or a worker without credentials.",
)
def get(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"presigned")
    expect_equal(_fetch(_presign(ctx, "get_object", key)), (200, b"presigned"), "status and body")


@check(
    "presign.get.range",
    source=guide("ShareObjectPreSignedURL", "Sharing objects with presigned URLs"),
    operation="GetObject (presigned, Range)",
    expected="A presigned GET honours a Range header: 206 and the requested bytes",
    why="Readers given a presigned URL still read in fragments.",
)
def get_range(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"0123456789")
    got = _fetch(_presign(ctx, "get_object", key), headers={"Range": "bytes=2-4"})
    expect_equal(got, (206, b"234"), "status and body")


@check(
    "presign.get.special-key",
    source=guide("ShareObjectPreSignedURL", "Sharing objects with presigned URLs"),
    operation="GetObject (presigned)",
    expected="A presigned GET of a key with space, '+' and unicode works",
    why="The signature covers the encoded path; encoding mismatches break exactly these keys.",
)
def get_special(ctx: CheckContext) -> None:
    key = ctx.put("a b+c/é", b"special")
    expect_equal(_fetch(_presign(ctx, "get_object", key)), (200, b"special"), "status and body")


@check(
    "presign.put",
    source=guide("PresignedUrlUploadObject", "Uploading objects with presigned URLs"),
    operation="PutObject (presigned)",
    expected="A presigned PUT URL stores the uploaded body",
    why="Browser and worker uploads without credentials.",
)
def put(ctx: CheckContext) -> None:
    key = ctx.key("uploaded")
    headers = {"Content-Type": "application/octet-stream"}  # urllib would send a form content type
    status, _ = _fetch(
        _presign(ctx, "put_object", key), method="PUT", data=b"uploaded by url", headers=headers
    )
    expect_equal(status, 200, "PUT status")
    expect_equal(ctx.read(key), b"uploaded by url", "body")


@check(
    "presign.tampered-signature",
    source=reference(
        "sigv4-query-string-auth", "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)"
    ),
    operation="GetObject (presigned)",
    expected="Changing one character of the signature answers 403",
    why="A store that ignores presigned signatures serves private data to anyone.",
)
def tampered(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"secret data")
    url = _presign(ctx, "get_object", key)
    marker = "X-Amz-Signature="
    start = url.index(marker) + len(marker)
    flipped = "0" if url[start] != "0" else "1"
    status, _ = _fetch(url[:start] + flipped + url[start + 1 :])
    expect_equal(status, 403, "status")


@check(
    "presign.other-key-denied",
    source=reference(
        "sigv4-query-string-auth", "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)"
    ),
    operation="GetObject (presigned)",
    expected="A URL presigned for one key does not open another key (403)",
    why="The signature must bind the key, or one shared URL exposes the whole bucket.",
)
def other_key(ctx: CheckContext) -> None:
    ctx.put("secret", b"secret data")
    public = ctx.put("public", b"public data")
    url = _presign(ctx, "get_object", public).replace("public?", "secret?", 1)
    status, _ = _fetch(url)
    expect_equal(status, 403, "status")

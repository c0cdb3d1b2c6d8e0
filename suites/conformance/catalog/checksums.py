"""Integrity checks on upload: Content-MD5, the flexible checksums and the signed payload hash.

A store that accepts a body whose checksum does not match stores corrupted files silently. AWS
answers ``400 BadDigest`` for Content-MD5 and ``x-amz-checksum-*`` mismatches ("The Content-MD5 or
checksum value that you specified did not match what the server received"), ``400 InvalidDigest``
for a malformed Content-MD5 and ``400 XAmzContentSHA256Mismatch`` for a wrong signed payload hash.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable

from suites.conformance.catalog import check
from suites.conformance.context import CheckContext, crc32c, expect_equal, expect_raw

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
    operation="PutObject (Content-MD5)",
    expected="A PUT with the correct Content-MD5 succeeds",
    why="Writers send Content-MD5 so that corruption in transit is refused.",
)
def md5_good(ctx: CheckContext) -> None:
    headers = {"Content-MD5": _b64(hashlib.md5(BODY).digest())}
    expect_raw(ctx.raw("PUT", ctx.key("obj"), headers=headers, body=BODY), 200)


@check(
    "checksum.content-md5.bad-digest",
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
    )(good)
    check(
        f"checksum.{algorithm}.bad-digest",
        operation=f"PutObject ({header})",
        expected=f"A wrong {header} answers 400 BadDigest and stores nothing",
        why="Current AWS SDKs send CRC checksums by default; a store that ignores them keeps corrupt data.",
    )(bad)


for _algorithm, _compute in ALGORITHMS.items():
    _register(_algorithm, _compute)

"""Keys with characters that path and URL code mangle.

S3 keys are arbitrary UTF-8 byte strings up to 1024 bytes; AWS stores them verbatim (no
normalisation of ``//``, ``./`` or ``../`` segments, no Unicode normalisation). A key that comes
back different, or that lists under another name, is a file that cannot be found again.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote_plus

from botocore.exceptions import ClientError

from suites.conformance.catalog import api, check, guide, reference
from suites.conformance.context import CheckContext, CheckFailed, error_of, expect_equal, expect_error

# (check id suffix, key tail, why that key matters)
SPECIAL_KEYS = (
    ("space", "with space/and  two spaces", "Spaces are the commonest special character in file names."),
    ("plus", "a+b/c+d", "'+' means space in form encoding; stores that decode it lose files."),
    ("percent", "100%/%41%2F", "A literal '%' must not be percent-decoded a second time."),
    ("unicode", "données/日本語/😀", "Non-ASCII file names are UTF-8 keys."),
    (
        "double-slash",
        "a//b///c",
        "Keys with empty segments exist in real buckets (Hadoop, joins of prefixes).",
    ),
    ("dot-segment", "a/./b", "'./' is a key segment in S3, not a path step; URL normalisation breaks it."),
    (
        "dotdot-segment",
        "a/../b",
        "'../' is a key segment in S3, not a path step; URL normalisation breaks it.",
    ),
    ("query-chars", "what?x=1#frag", "'?' and '#' end the path in URLs; they must be encoded, never cut."),
    (
        "reserved-chars",
        "semi;colon,comma=eq&amp:colon@at$dollar!bang'quote(paren)*star",
        "RFC 3986 sub-delimiters are legal in keys and are where double-encoding bugs hide.",
    ),
    (
        "tilde-caret",
        "~user/^caret/`tick`/[bracket]{brace}|pipe",
        "Characters botocore and servers escape differently.",
    ),
    ("trailing-dot", "name.", "Names ending in '.' are valid keys (Windows-born data)."),
    ("leading-space", " leading and trailing ", "Leading and trailing blanks are part of the key."),
)


def _long_key(ctx: CheckContext, letter: str, size: int) -> str:
    """A key of exactly ``size`` UTF-8 bytes under the check's prefix, in segments of at most 200 bytes.

    The 1024-byte limit is on the whole key; S3 has no notion of a segment. Short segments keep the
    key-length checks about the key length on stores that keep objects as files (whose names are
    limited to 255 bytes), which ``key.long-segment`` covers on its own.
    """
    room = size - len(ctx.prefix.encode())
    segments = []
    while room > 0:
        length = min(200, room)
        segments.append(letter * length)
        room -= length + 1  # the "/" that joins it to the next segment
    key = ctx.prefix + "/".join(segments)
    return key if len(key.encode()) == size else key[:-1] + letter * 2  # exact size when room ended at "/"


def _roundtrip(ctx: CheckContext, tail: str) -> None:
    key = ctx.put(tail, tail.encode())
    body = ctx.read(key)
    expect_equal(body, tail.encode(), f"GET {key!r}")
    listing = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix)
    expect_equal([o["Key"] for o in listing.get("Contents", [])], [key], "listed keys")


def _register(suffix: str, tail: str, why: str) -> None:
    def run(ctx: CheckContext) -> None:
        _roundtrip(ctx, tail)

    run.__module__ = __name__
    check(
        f"key.{suffix}",
        operation="PutObject, GetObject, ListObjectsV2",
        expected=f"The key {tail!r} is stored, read and listed verbatim",
        why=why,
        source=guide("object-keys", "Naming Amazon S3 objects: Object key naming guidelines"),
    )(run)


for _suffix, _tail, _why in SPECIAL_KEYS:
    _register(_suffix, _tail, _why)


@check(
    "key.max-length-1024",
    source=guide(
        "object-keys",
        "Naming Amazon S3 objects: a key is at most 1,024 bytes of UTF-8",
    ),
    operation="PutObject, GetObject",
    expected="A key of exactly 1024 UTF-8 bytes is accepted and read back",
    why="Deep directory trees produce long keys; the documented limit is 1024 bytes.",
)
def max_length(ctx: CheckContext) -> None:
    key = _long_key(ctx, "k", 1024)
    ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=b"long")
    expect_equal(ctx.read(key), b"long", "GET")


@check(
    "key.max-length-1024.delete",
    source=api("DeleteObject", "Description"),
    operation="PutObject, DeleteObject, HeadObject, ListObjectsV2",
    expected="A key of exactly 1024 UTF-8 bytes can be deleted: then HEAD answers 404 and LIST omits it",
    why="A key that can be written but not removed makes rm -r, rmdir and bucket cleanup fail forever.",
)
def max_length_delete(ctx: CheckContext) -> None:
    key = _long_key(ctx, "d", 1024)

    def listed() -> list[str]:
        contents = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix).get("Contents", [])
        return [item["Key"] for item in contents]

    try:
        ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=b"long")
    except ClientError as error:
        # The PUT's own answer is key.max-length-1024's finding; here what matters is what it left.
        status, code = error_of(error)
        raise CheckFailed(
            f"PutObject answered {status} {code}; keys listed under the prefix afterwards: {len(listed())}"
        ) from error
    ctx.client.delete_object(Bucket=ctx.bucket, Key=key)
    expect_equal(len(listed()), 0, "keys listed after DeleteObject")
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)


@check(
    "key.too-long-1025",
    source=reference("ErrorResponses", "List of error codes: KeyTooLongError"),
    operation="PutObject",
    expected="A key of 1025 bytes is rejected with 400 KeyTooLongError",
    why="A clear error beats a silently truncated key that later collides with another file.",
)
def too_long(ctx: CheckContext) -> None:
    key = _long_key(ctx, "k", 1025)
    expect_error(400, "KeyTooLongError", ctx.client.put_object, Bucket=ctx.bucket, Key=key, Body=b"x")


@check(
    "key.unicode-normalization-distinct",
    source=guide("object-keys", "Naming Amazon S3 objects: Object key naming guidelines"),
    operation="PutObject, ListObjectsV2",
    expected="NFC and NFD spellings of the same name are two different keys",
    why="Keys are bytes; a store that normalises Unicode merges files macOS and Linux keep apart.",
)
def unicode_normalization(ctx: CheckContext) -> None:
    nfc = unicodedata.normalize("NFC", "café")
    nfd = unicodedata.normalize("NFD", "café")
    ctx.put(nfc, b"nfc")
    ctx.put(nfd, b"nfd")
    listing = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix)
    expect_equal(
        sorted(o["Key"] for o in listing.get("Contents", [])), sorted([ctx.key(nfc), ctx.key(nfd)]), "keys"
    )
    expect_equal(
        ctx.client.get_object(Bucket=ctx.bucket, Key=ctx.key(nfd))["Body"].read(), b"nfd", "NFD body"
    )


@check(
    "key.list-encoding-type-url",
    source=api("ListObjectsV2", "URI Request Parameters: encoding-type"),
    operation="ListObjectsV2 (encoding-type=url)",
    expected="With encoding-type=url, listed keys are form-encoded (space as '+', '+' as %2B) and decode "
    "to the stored keys",
    why="Keys with control or XML-hostile characters can only be listed safely URL-encoded; SDKs "
    "(botocore's decode_list_object) decode the answer with unquote_plus, as AWS encodes.",
)
def list_encoding_url(ctx: CheckContext) -> None:
    tails = ["sp ace", "pl+us", "pct%25", "uni-é"]
    keys = sorted(ctx.put(tail, b"x") for tail in tails)
    listing = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix, EncodingType="url")
    encoded = [o["Key"] for o in listing.get("Contents", [])]
    expect_equal(listing.get("EncodingType"), "url", "EncodingType echoed")
    expect_equal(sorted(unquote_plus(k) for k in encoded), keys, "keys decoded with unquote_plus")


@check(
    "key.same-name-file-and-prefix",
    requires="flat_namespace",
    source=guide("object-keys", "Naming Amazon S3 objects: the Amazon S3 data model is a flat structure"),
    operation="PutObject, GetObject",
    expected="Keys 'a' and 'a/b' coexist; each reads back its own bytes",
    why="A file and a directory of the same name are both legal in S3 and appear in real data.",
)
def file_and_prefix(ctx: CheckContext) -> None:
    file_key = ctx.put("a", b"file")
    child_key = ctx.put("a/b", b"child")
    expect_equal(ctx.read(file_key), b"file", "a")
    expect_equal(ctx.read(child_key), b"child", "a/b")


@check(
    "key.bucket-name-prefix",
    source=guide("object-keys", "Naming Amazon S3 objects: Object key naming guidelines"),
    operation="PutObject, GetObject",
    expected="A key starting with the bucket's own name is stored and read back whole",
    why="The Java NIO provider once cut the bucket name off such keys (s3://foo/foobar/x).",
)
def bucket_name_prefix(ctx: CheckContext) -> None:
    key = f"{ctx.bucket}{ctx.prefix}x"
    ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=b"whole")
    expect_equal(ctx.read(key), b"whole", "GET")


@check(
    "key.long-segment",
    requires="flat_namespace",
    source=guide("object-keys", "Naming Amazon S3 objects: the Amazon S3 data model is a flat structure"),
    operation="PutObject, GetObject, DeleteObject (a 900-byte name without '/')",
    expected="A key whose last segment is 900 bytes long is stored, read and deleted like any other",
    why="Keys are flat strings; only file-backed stores limit a path element (255 bytes), which is "
    "what flat_namespace=False declares.",
)
def long_segment(ctx: CheckContext) -> None:
    key = ctx.put("s" * 900, b"long segment")
    expect_equal(ctx.read(key), b"long segment", "GET")
    ctx.client.delete_object(Bucket=ctx.bucket, Key=key)
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=key)

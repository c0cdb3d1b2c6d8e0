"""ListObjectsV2 and ListObjects (v1): what listdir(), walk() and glob() are built on."""

from __future__ import annotations

from typing import Any

from suites.conformance.catalog import api, check, reference
from suites.conformance.context import (
    CheckContext,
    expect,
    expect_equal,
    expect_error,
    make_conformance_client,
)

TREE = ("a/1", "a/2", "a/sub/3", "b/4", "c", "d/", "e/5")


def _tree(ctx: CheckContext) -> list[str]:
    return [ctx.put(name, b"x") for name in TREE]


def _pages(ctx: CheckContext, **kwargs: Any) -> list[dict[str, Any]]:
    pages, token = [], None
    for _ in range(100):
        extra: dict[str, str] = {"ContinuationToken": token} if token else {}
        page = ctx.client.list_objects_v2(Bucket=ctx.bucket, **kwargs, **extra)
        pages.append(page)
        if not page.get("IsTruncated"):
            return pages
        token = page.get("NextContinuationToken")
        expect(bool(token), "IsTruncated without NextContinuationToken")
    raise AssertionError("listing did not end after 100 pages")


def _keys(pages: list[dict[str, Any]]) -> list[str]:
    return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _prefixes(pages: list[dict[str, Any]]) -> list[str]:
    return [p["Prefix"] for page in pages for p in page.get("CommonPrefixes", [])]


@check(
    "list.v2.prefix",
    source=api("ListObjectsV2", "URI Request Parameters: prefix"),
    operation="ListObjectsV2 (prefix)",
    expected="Only keys starting with the prefix are returned, in full",
    why="Every directory listing is a prefix listing.",
)
def prefix(ctx: CheckContext) -> None:
    keys = _tree(ctx)
    expect_equal(
        _keys(_pages(ctx, Prefix=ctx.key("a/"))), [k for k in keys if k.startswith(ctx.key("a/"))], "keys"
    )


@check(
    "list.v2.delimiter",
    source=api("ListObjectsV2", "URI Request Parameters: delimiter"),
    operation="ListObjectsV2 (delimiter)",
    expected="With delimiter '/', direct children are Contents and subdirectories are CommonPrefixes",
    why="listdir() shows one level: files as keys, directories as common prefixes.",
)
def delimiter(ctx: CheckContext) -> None:
    _tree(ctx)
    pages = _pages(ctx, Prefix=ctx.prefix, Delimiter="/")
    expect_equal(_keys(pages), [ctx.key("c")], "contents")
    expect_equal(_prefixes(pages), [ctx.key(p) for p in ("a/", "b/", "d/", "e/")], "common prefixes")


@check(
    "list.v2.delimiter.pagination",
    source=api("ListObjectsV2", "Response Elements: CommonPrefixes, NextContinuationToken"),
    operation="ListObjectsV2 (delimiter, max-keys, continuation-token)",
    expected="Paging a delimited listing with max-keys=1 yields every key and prefix exactly once",
    why="Large directories are listed page by page; a repeated or lost prefix corrupts walk().",
)
def delimiter_pagination(ctx: CheckContext) -> None:
    _tree(ctx)
    pages = _pages(ctx, Prefix=ctx.prefix, Delimiter="/", MaxKeys=1)
    expect_equal(_keys(pages), [ctx.key("c")], "contents")
    expect_equal(_prefixes(pages), [ctx.key(p) for p in ("a/", "b/", "d/", "e/")], "common prefixes")
    expect(len(pages) >= 5, f"max-keys=1 should need at least 5 pages, got {len(pages)}")


@check(
    "list.v2.max-keys",
    source=api("ListObjectsV2", "URI Request Parameters: max-keys"),
    operation="ListObjectsV2 (max-keys)",
    expected="max-keys=2 returns 2 keys, IsTruncated=true, KeyCount=2 and a continuation token",
    why="Paginators stop early or loop forever when truncation is reported wrongly.",
)
def max_keys(ctx: CheckContext) -> None:
    _tree(ctx)
    page = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix, MaxKeys=2)
    expect_equal(len(page.get("Contents", [])), 2, "keys on the page")
    expect_equal(page.get("IsTruncated"), True, "IsTruncated")
    expect_equal(page.get("KeyCount"), 2, "KeyCount")
    expect(bool(page.get("NextContinuationToken")), "no NextContinuationToken")


@check(
    "list.v2.continuation",
    source=api("ListObjectsV2", "URI Request Parameters: continuation-token"),
    operation="ListObjectsV2 (continuation-token)",
    expected="Following continuation tokens with max-keys=3 yields every key once, in order",
    why="A full recursive listing (walk, rm -r, du) depends on correct continuation.",
)
def continuation(ctx: CheckContext) -> None:
    keys = sorted(ctx.put(f"k{index:02d}", b"x") for index in range(11))
    pages = _pages(ctx, Prefix=ctx.prefix, MaxKeys=3)
    expect_equal(_keys(pages), keys, "keys across pages")
    expect_equal(len(pages), 4, "number of pages")


@check(
    "list.v2.max-keys-counts-prefixes",
    source=api("ListObjectsV2", "Response Elements: KeyCount"),
    operation="ListObjectsV2 (delimiter, max-keys)",
    expected="Keys plus common prefixes on a page never exceed max-keys; KeyCount counts both",
    why="Clients size buffers and progress from max-keys and KeyCount.",
)
def max_keys_counts_prefixes(ctx: CheckContext) -> None:
    _tree(ctx)
    page = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix, Delimiter="/", MaxKeys=2)
    returned = len(page.get("Contents", [])) + len(page.get("CommonPrefixes", []))
    expect_equal(returned, 2, "keys + prefixes on the page")
    expect_equal(page.get("KeyCount"), 2, "KeyCount")


@check(
    "list.v2.start-after",
    source=api("ListObjectsV2", "URI Request Parameters: start-after"),
    operation="ListObjectsV2 (start-after)",
    expected="start-after returns only keys sorting strictly after the given key",
    why="Resuming a listing (incremental sync) uses start-after.",
)
def start_after(ctx: CheckContext) -> None:
    keys = sorted(_tree(ctx))
    pages = _pages(ctx, Prefix=ctx.prefix, StartAfter=ctx.key("a/sub/3"))
    expect_equal(_keys(pages), [k for k in keys if k > ctx.key("a/sub/3")], "keys")


@check(
    "list.v2.ordering",
    requires="flat_namespace",
    source=api(
        "ListObjectsV2", "Description: general purpose bucket objects are listed in UTF-8 binary order"
    ),
    operation="ListObjectsV2",
    expected="Keys are listed in ascending order of their UTF-8 bytes",
    why="Merging listings and resuming with start-after assume binary UTF-8 order.",
)
def ordering(ctx: CheckContext) -> None:
    names = ["B", "a", "a-b", "a/b", "a0", "é", "z", "~", "\u4e2d", "😀", "A"]
    for name in names:
        ctx.put(name, b"x")
    expected = sorted((ctx.key(n) for n in names), key=lambda k: k.encode())
    expect_equal(_keys(_pages(ctx, Prefix=ctx.prefix)), expected, "order")


@check(
    "list.v2.entry-fields",
    source=api("ListObjectsV2", "Response Elements: Contents"),
    operation="ListObjectsV2",
    expected="Each entry carries Size, ETag and LastModified matching HEAD",
    why="listdir() with details and glob() avoid one HEAD per file by trusting the listing.",
)
def entry_fields(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"twelve bytes")
    head = ctx.client.head_object(Bucket=ctx.bucket, Key=key)
    (entry,) = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=key)["Contents"]
    expect_equal(entry.get("Size"), 12, "Size")
    expect_equal(entry.get("ETag"), head["ETag"], "ETag")
    expect(entry.get("LastModified") is not None, "no LastModified")
    drift = abs((entry["LastModified"] - head["LastModified"]).total_seconds())
    expect(drift <= 1, f"LastModified differs from HEAD by {drift}s")


@check(
    "list.v2.no-match",
    source=api("ListObjectsV2", "Response Elements: KeyCount"),
    operation="ListObjectsV2",
    expected="A prefix matching nothing gives 200, KeyCount=0, no Contents, IsTruncated=false",
    why="exists() and is_dir() of a missing path rely on an empty, successful listing.",
)
def no_match(ctx: CheckContext) -> None:
    page = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.key("nothing/"))
    expect_equal(
        (page.get("KeyCount"), page.get("Contents", []), page.get("IsTruncated")), (0, [], False), "page"
    )


@check(
    "list.v2.prefix-special-chars",
    source=api("ListObjectsV2", "URI Request Parameters: prefix"),
    operation="ListObjectsV2 (prefix)",
    expected="A prefix containing space, '+' and '%' matches exactly the keys with that prefix",
    why="Directories with special characters must list like any other.",
)
def prefix_special(ctx: CheckContext) -> None:
    inside = ctx.put("dir a+b%c/f", b"x")
    ctx.put("dir a b%c/g", b"x")
    expect_equal(_keys(_pages(ctx, Prefix=ctx.key("dir a+b%c/"))), [inside], "keys")


@check(
    "list.v2.other-delimiter",
    source=api("ListObjectsV2", "URI Request Parameters: delimiter"),
    operation="ListObjectsV2 (delimiter)",
    expected="A delimiter other than '/' ('-') groups keys by that character",
    why="Partitioned datasets (Hive style 'k=v-') and some tools list with custom delimiters.",
)
def other_delimiter(ctx: CheckContext) -> None:
    for name in ("x-1", "x-2", "y-1", "z"):
        ctx.put(name, b"x")
    pages = _pages(ctx, Prefix=ctx.prefix, Delimiter="-")
    expect_equal(_prefixes(pages), [ctx.key("x-"), ctx.key("y-")], "common prefixes")
    expect_equal(_keys(pages), [ctx.key("z")], "contents")


@check(
    "list.v2.no-such-bucket",
    source=reference("ErrorResponses", "List of error codes: NoSuchBucket"),
    operation="ListObjectsV2",
    expected="Listing a missing bucket answers 404 NoSuchBucket",
    why="A missing bucket must surface as 'bucket not found', not as an empty directory.",
)
def no_such_bucket(ctx: CheckContext) -> None:
    expect_error(404, "NoSuchBucket", ctx.client.list_objects_v2, Bucket=f"{ctx.name_stem}missing-0")


@check(
    "list.v1.basic",
    source=api("ListObjects", "Request Syntax"),
    operation="ListObjects (v1)",
    expected="ListObjects v1 with prefix and delimiter returns the same keys and prefixes as v2",
    why="Older clients (Hadoop S3A with list.version=1, many SDKs' defaults) still use v1.",
)
def v1_basic(ctx: CheckContext) -> None:
    _tree(ctx)
    page = ctx.client.list_objects(Bucket=ctx.bucket, Prefix=ctx.prefix, Delimiter="/")
    expect_equal([o["Key"] for o in page.get("Contents", [])], [ctx.key("c")], "contents")
    expect_equal(
        [p["Prefix"] for p in page.get("CommonPrefixes", [])],
        [ctx.key(p) for p in ("a/", "b/", "d/", "e/")],
        "prefixes",
    )


@check(
    "list.v1.marker-pagination",
    source=api("ListObjects", "URI Request Parameters: marker"),
    operation="ListObjects (v1, marker)",
    expected="Paging v1 with max-keys=3 and marker=<last key> yields every key once",
    why="v1 pagination has no token: the client passes the last key as marker.",
)
def v1_marker(ctx: CheckContext) -> None:
    keys = sorted(ctx.put(f"k{index:02d}", b"x") for index in range(8))
    seen: list[str] = []
    marker = ""
    for _ in range(10):
        page = ctx.client.list_objects(Bucket=ctx.bucket, Prefix=ctx.prefix, MaxKeys=3, Marker=marker)
        batch = [o["Key"] for o in page.get("Contents", [])]
        seen += batch
        if not page.get("IsTruncated"):
            break
        marker = page.get("NextMarker") or batch[-1]
    expect_equal(seen, keys, "keys across pages")


@check(
    "list.v1.next-marker-with-delimiter",
    source=api("ListObjects", "Response Elements: NextMarker"),
    operation="ListObjects (v1, delimiter)",
    expected="A truncated v1 listing with a delimiter returns NextMarker",
    why="With a delimiter the last entry may be a prefix; clients need NextMarker to continue.",
)
def v1_next_marker(ctx: CheckContext) -> None:
    _tree(ctx)
    page = ctx.client.list_objects(Bucket=ctx.bucket, Prefix=ctx.prefix, Delimiter="/", MaxKeys=2)
    expect_equal(page.get("IsTruncated"), True, "IsTruncated")
    expect(bool(page.get("NextMarker")), "no NextMarker on a truncated delimited v1 listing")


# ---- request parameters echoed, markers that fall between or after keys, invalid max-keys ----

FLAT = ("bar", "baz", "foo", "quxx")


def _flat(ctx: CheckContext) -> list[str]:
    return [ctx.put(name, b"x") for name in FLAT]


def _names(ctx: CheckContext, page: dict[str, Any]) -> list[str]:
    return [o["Key"].removeprefix(ctx.prefix) for o in page.get("Contents", [])]


@check(
    "list.v1.params-echoed",
    source=api("ListObjects", "Response Elements: Marker, Prefix, Delimiter, MaxKeys"),
    operation="ListObjects (v1, marker, prefix, delimiter, max-keys)",
    expected="The answer echoes Marker, Prefix, Delimiter and MaxKeys exactly as sent",
    why="Pagers check that a page answers the request they sent; a dropped Marker looks like a restart.",
)
def v1_params_echoed(ctx: CheckContext) -> None:
    _flat(ctx)
    marker = ctx.key("bar")
    page = ctx.client.list_objects(
        Bucket=ctx.bucket, Prefix=ctx.prefix, Delimiter="/", Marker=marker, MaxKeys=2
    )
    echoed = (page.get("Marker"), page.get("Prefix"), page.get("Delimiter"), page.get("MaxKeys"))
    expect_equal(echoed, (marker, ctx.prefix, "/", 2), "Marker, Prefix, Delimiter, MaxKeys")
    expect_equal(_names(ctx, page), ["baz", "foo"], "keys after the marker")


@check(
    "list.v2.params-echoed",
    source=api("ListObjectsV2", "Response Elements: ContinuationToken, StartAfter"),
    operation="ListObjectsV2 (continuation-token with start-after)",
    expected="A page requested with a continuation token and start-after echoes both; the token decides "
    "where the page starts",
    why="Clients resume listings by token and check the echo; start-after must not restart the walk.",
)
def v2_params_echoed(ctx: CheckContext) -> None:
    _flat(ctx)
    start = ctx.key("bar")
    first = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix, StartAfter=start, MaxKeys=1)
    expect_equal((_names(ctx, first), first.get("StartAfter")), (["baz"], start), "first page and StartAfter")
    token = first.get("NextContinuationToken")
    expect(bool(token), "no NextContinuationToken on a truncated page")
    second = ctx.client.list_objects_v2(
        Bucket=ctx.bucket, Prefix=ctx.prefix, StartAfter=start, ContinuationToken=token
    )
    expect_equal(
        (second.get("ContinuationToken"), second.get("StartAfter"), second.get("IsTruncated")),
        (token, start, False),
        "ContinuationToken, StartAfter, IsTruncated",
    )
    expect_equal(_names(ctx, second), ["foo", "quxx"], "keys of the second page")


def _register_marker(suffix: str, marker: str, expected_keys: list[str], what: str) -> None:
    def v1(ctx: CheckContext) -> None:
        _flat(ctx)
        page = ctx.client.list_objects(Bucket=ctx.bucket, Prefix=ctx.prefix, Marker=ctx.key(marker))
        got = (_names(ctx, page), page.get("IsTruncated"), page.get("Marker"))
        expect_equal(got, (expected_keys, False, ctx.key(marker)), "keys, IsTruncated, Marker")

    def v2(ctx: CheckContext) -> None:
        _flat(ctx)
        page = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix, StartAfter=ctx.key(marker))
        got = (_names(ctx, page), page.get("IsTruncated"), page.get("StartAfter"))
        expect_equal(got, (expected_keys, False, ctx.key(marker)), "keys, IsTruncated, StartAfter")

    v1.__module__ = v2.__module__ = __name__
    shown = ", ".join(expected_keys) or "nothing"
    check(
        f"list.v1.marker-{suffix}",
        source=api("ListObjects", "URI Request Parameters: marker"),
        operation="ListObjects (v1, marker)",
        expected=f"A marker that {what} (keys {', '.join(FLAT)}) lists {shown}, not truncated",
        why="The marker is a position in key order, not a key that must exist; resuming after a "
        "deleted key must neither fail nor repeat keys.",
    )(v1)
    check(
        f"list.v2.start-after-{suffix}",
        source=api("ListObjectsV2", "URI Request Parameters: start-after"),
        operation="ListObjectsV2 (start-after)",
        expected=f"start-after that {what} (keys {', '.join(FLAT)}) lists {shown}, not truncated",
        why="start-after is a position in key order, not a key that must exist.",
    )(v2)


_register_marker("between-keys", "blah", ["foo", "quxx"], "falls between two keys")
_register_marker("after-last", "zzz", [], "sorts after every key")


def _invalid_max_keys(operation: str) -> Any:
    def run(ctx: CheckContext) -> None:
        client = make_conformance_client(ctx.endpoint)

        def add_invalid(params: dict[str, Any], **_: Any) -> None:
            params["url"] += "&max-keys=blah" if "?" in params["url"] else "?max-keys=blah"

        client.meta.events.register(f"before-call.s3.{operation}", add_invalid)
        call = client.list_objects if operation == "ListObjects" else client.list_objects_v2
        expect_error(400, "InvalidArgument", call, Bucket=ctx.bucket, Prefix=ctx.prefix)

    run.__module__ = __name__
    return run


for _operation, _id in (
    ("ListObjects", "list.v1.max-keys-invalid"),
    ("ListObjectsV2", "list.v2.max-keys-invalid"),
):
    check(
        _id,
        source=reference("ErrorResponses", "List of error codes: InvalidArgument"),
        operation=f"{_operation} (max-keys=blah)",
        expected="A max-keys that is not an integer answers 400 InvalidArgument",
        why="max-keys is documented as an integer but the answer to a non-integer is not; 400 "
        "InvalidArgument is what the error list gives for an invalid argument and what S3 "
        "implementations answer. A store that silently uses its default page size hides the bug.",
        documented=False,
    )(_invalid_max_keys(_operation))

"""ListObjectsV2 and ListObjects (v1): what listdir(), walk() and glob() are built on."""

from __future__ import annotations

from typing import Any

from suites.conformance.catalog import check
from suites.conformance.context import CheckContext, expect, expect_equal, expect_error

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
    operation="ListObjectsV2",
    expected="Listing a missing bucket answers 404 NoSuchBucket",
    why="A missing bucket must surface as 'bucket not found', not as an empty directory.",
)
def no_such_bucket(ctx: CheckContext) -> None:
    expect_error(404, "NoSuchBucket", ctx.client.list_objects_v2, Bucket=f"{ctx.name_stem}missing-0")


@check(
    "list.v1.basic",
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
    operation="ListObjects (v1, delimiter)",
    expected="A truncated v1 listing with a delimiter returns NextMarker",
    why="With a delimiter the last entry may be a prefix; clients need NextMarker to continue.",
)
def v1_next_marker(ctx: CheckContext) -> None:
    _tree(ctx)
    page = ctx.client.list_objects(Bucket=ctx.bucket, Prefix=ctx.prefix, Delimiter="/", MaxKeys=2)
    expect_equal(page.get("IsTruncated"), True, "IsTruncated")
    expect(bool(page.get("NextMarker")), "no NextMarker on a truncated delimited v1 listing")

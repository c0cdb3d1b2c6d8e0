"""Directory markers and implicit directories, the way file-system layers emulate folders.

S3 has no directories: a "directory" is either a zero-byte marker key ending in ``/`` (what
``mkdir`` writes, what the AWS console creates) or merely a prefix other keys share.
"""

from __future__ import annotations

from suites.conformance.catalog import api, check, guide
from suites.conformance.context import CheckContext, expect, expect_equal, expect_error


@check(
    "dir.marker.head",
    source=guide("using-folders", "Organizing objects in the Amazon S3 console by using folders"),
    operation="PutObject, HeadObject",
    expected="A zero-byte key 'd/' answers HEAD 200 with Content-Length 0",
    why="is_dir() checks for the marker written by mkdir().",
)
def marker_head(ctx: CheckContext) -> None:
    key = ctx.put("d/", b"")
    expect_equal(ctx.client.head_object(Bucket=ctx.bucket, Key=key)["ContentLength"], 0, "marker size")


@check(
    "dir.marker.head-without-slash-404",
    source=guide("object-keys", "Naming Amazon S3 objects: the Amazon S3 data model is a flat structure"),
    operation="HeadObject",
    expected="With only 'd/' stored, HEAD 'd' answers 404",
    why="'d' (a file) and 'd/' (a directory) are different paths; confusing them breaks stat().",
)
def marker_without_slash(ctx: CheckContext) -> None:
    ctx.put("d/", b"")
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=ctx.key("d"))


@check(
    "dir.marker.common-prefix",
    source=api("ListObjectsV2", "Response Elements: CommonPrefixes"),
    operation="ListObjectsV2 (delimiter)",
    expected="A marker 'd/' shows up as CommonPrefix 'd/' when its parent is listed with delimiter '/'",
    why="listdir() of the parent must show an empty directory created by mkdir().",
)
def marker_common_prefix(ctx: CheckContext) -> None:
    ctx.put("d/", b"")
    listing = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.prefix, Delimiter="/")
    expect_equal([p["Prefix"] for p in listing.get("CommonPrefixes", [])], [ctx.key("d/")], "common prefixes")
    expect_equal(listing.get("Contents", []), [], "contents")


@check(
    "dir.marker.listed-under-itself",
    requires="flat_namespace",
    source=guide("using-folders", "Organizing objects in the Amazon S3 console by using folders"),
    operation="ListObjectsV2 (prefix)",
    expected="Listing prefix 'd/' with delimiter '/' returns the marker 'd/' itself as a key",
    why="Layers that list a directory must recognise and skip its own marker.",
)
def marker_under_itself(ctx: CheckContext) -> None:
    marker = ctx.put("d/", b"")
    child = ctx.put("d/f", b"x")
    listing = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=marker, Delimiter="/")
    expect_equal([o["Key"] for o in listing.get("Contents", [])], [marker, child], "keys")


@check(
    "dir.implicit.no-marker",
    source=guide("object-keys", "Naming Amazon S3 objects: the Amazon S3 data model is a flat structure"),
    operation="HeadObject, ListObjectsV2",
    expected="With only 'x/f' stored, HEAD 'x/' answers 404 while listing prefix 'x/' finds 'x/f'",
    why="Directories without markers (written by other tools) are found by listing, not by HEAD.",
)
def implicit_directory(ctx: CheckContext) -> None:
    child = ctx.put("x/f", b"x")
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=ctx.key("x/"))
    listing = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=ctx.key("x/"), MaxKeys=1)
    expect_equal([o["Key"] for o in listing.get("Contents", [])], [child], "keys under x/")


@check(
    "dir.marker.delete-keeps-children",
    requires="flat_namespace",
    source=guide("using-folders", "Organizing objects in the Amazon S3 console by using folders"),
    operation="DeleteObject",
    expected="Deleting the marker 'd/' leaves 'd/f' in place",
    why="Deleting a marker is not a recursive delete; losing children would be data loss.",
)
def delete_marker_keeps_children(ctx: CheckContext) -> None:
    marker = ctx.put("d/", b"")
    child = ctx.put("d/f", b"x")
    ctx.client.delete_object(Bucket=ctx.bucket, Key=marker)
    expect_equal(ctx.client.head_object(Bucket=ctx.bucket, Key=child)["ContentLength"], 1, "child size")
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=marker)


@check(
    "dir.marker.with-content",
    source=guide("using-folders", "Organizing objects in the Amazon S3 console by using folders"),
    operation="PutObject, GetObject",
    expected="A key ending in '/' may hold data and reads it back",
    why="Some tools write non-empty 'directory' keys; a store must not drop or reject their bytes.",
)
def marker_with_content(ctx: CheckContext) -> None:
    key = ctx.put("d/", b"not empty")
    expect_equal(ctx.read(key), b"not empty", "GET d/")


@check(
    "dir.nested-markers",
    requires="flat_namespace",
    source=api("ListObjectsV2", "Response Elements: CommonPrefixes"),
    operation="ListObjectsV2 (delimiter)",
    expected="Markers 'a/', 'a/b/' and 'a/b/c/' each list as one level with delimiter '/'",
    why="makedirs() writes a marker per level; walk() must see each level once.",
)
def nested_markers(ctx: CheckContext) -> None:
    for name in ("a/", "a/b/", "a/b/c/"):
        ctx.put(name, b"")
    levels = []
    prefix = ctx.prefix
    for _ in range(3):
        listing = ctx.client.list_objects_v2(Bucket=ctx.bucket, Prefix=prefix, Delimiter="/")
        prefixes = [p["Prefix"] for p in listing.get("CommonPrefixes", [])]
        expect(len(prefixes) == 1, f"expected one subdirectory under {prefix!r}, got {prefixes}")
        prefix = prefixes[0]
        levels.append(prefix)
    expect_equal(levels, [ctx.key("a/"), ctx.key("a/b/"), ctx.key("a/b/c/")], "levels")

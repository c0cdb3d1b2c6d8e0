"""The s3conf file-access layer on the target: our reader, writer and file system pass here.

These run the library itself (not raw S3 calls), so a store that differs in a way the library does
not absorb shows up as a broken file operation, which is what a user would hit.
"""

from __future__ import annotations

import errno

from s3conf.config import S3Config
from s3conf.errors import ConditionalWriteUnsupportedError
from s3conf.fs import S3FileSystem
from s3conf.reader import S3Reader
from s3conf.writer import S3Writer
from suites.conformance.catalog import api, check, guide
from suites.conformance.context import CheckContext, expect, expect_equal

DATA = bytes(range(256)) * 1024  # 256 KiB: sixteen 16 KiB fragments


def _config() -> S3Config:
    return S3Config.resolve(
        {
            "s3.spi.read.max-fragment-size": 16384,
            "s3.spi.read.max-fragment-number": 4,
            "s3.spi.write.multipart-threshold": 5 * 1024 * 1024,
            "s3.spi.write.part-size": 5 * 1024 * 1024,
        },
        env={},
    )


@check(
    "fs.reader.sequential",
    source=api("GetObject", "URI Request Parameters: Range"),
    operation="S3Reader (ranged GET read-ahead)",
    expected="Reading a 256 KiB object through 16 KiB fragments returns every byte in order",
    why="The reference reader must work on the target: this is the file-access path users take.",
)
def reader_sequential(ctx: CheckContext) -> None:
    key = ctx.put("data", DATA)
    with S3Reader(ctx.client, ctx.bucket, key, config=_config()) as reader:
        got = reader.readall()
    expect(got == DATA, f"reader returned {len(got)} bytes that differ from the object")


@check(
    "fs.reader.seek-random",
    source=api("GetObject", "URI Request Parameters: Range"),
    operation="S3Reader (seek, ranged GET)",
    expected="Seeks to the footer, the middle and back return the right bytes",
    why="Parquet-style access (footer first, then column chunks) is the reader's main workload.",
)
def reader_seek(ctx: CheckContext) -> None:
    key = ctx.put("data", DATA)
    with S3Reader(ctx.client, ctx.bucket, key, config=_config()) as reader:
        for offset, length in ((len(DATA) - 8, 8), (100_000, 5000), (3, 10), (len(DATA) - 1, 10)):
            reader.seek(offset)
            got = reader.read(length)
            expect_equal(got, DATA[offset : offset + length], f"read({length}) at {offset}")


@check(
    "fs.reader.empty-object",
    source=api("GetObject", "URI Request Parameters: Range"),
    operation="S3Reader",
    expected="Reading an empty object returns b'' (EOF), not an error",
    why="Marker files (_SUCCESS) are empty; the reader's first ranged GET on them gets a 416.",
)
def reader_empty(ctx: CheckContext) -> None:
    key = ctx.put("empty", b"")
    with S3Reader(ctx.client, ctx.bucket, key, config=_config()) as reader:
        expect_equal(reader.readall(), b"", "content")


@check(
    "fs.writer.multipart",
    source=guide(
        "mpuoverview", "Uploading and copying objects using multipart upload: Multipart upload process"
    ),
    operation="S3Writer (multipart upload)",
    expected="Writing 6 MiB with a 5 MiB threshold stores exactly those bytes",
    why="Large files go through the writer's parallel multipart path.",
)
def writer_multipart(ctx: CheckContext) -> None:
    key = ctx.key("big")
    body = DATA * 24
    with S3Writer(ctx.client, ctx.bucket, key, config=_config()) as writer:
        writer.write(body)
    got = ctx.read(key)
    expect(got == body, f"stored {len(got)} bytes that differ from the {len(body)} written")


@check(
    "fs.writer.create-new-existing",
    requires="conditional_writes",
    source=guide(
        "conditional-writes", "How to prevent object overwrites with conditional writes: If-None-Match"
    ),
    operation="S3Writer (create_new, If-None-Match: *)",
    expected="Exclusive create of an existing key raises FileExistsError and keeps the old bytes",
    why="'xb' mode must never overwrite; on a target without conditional writes it must say so.",
)
def writer_create_new(ctx: CheckContext) -> None:
    key = ctx.put("exists", b"old")
    try:
        with S3Writer(ctx.client, ctx.bucket, key, config=_config(), create_new=True) as writer:
            writer.write(b"new")
    except (FileExistsError, ConditionalWriteUnsupportedError):
        pass  # refused, or refused because the target cannot do conditional writes: both are honest
    else:
        raise AssertionError(
            "exclusive create of an existing key raised neither FileExistsError nor "
            "ConditionalWriteUnsupportedError"
        )
    expect_equal(ctx.read(key), b"old", "body")


@check(
    "fs.filesystem.tree",
    requires="flat_namespace",
    source=guide("using-folders", "Organizing objects in the Amazon S3 console by using folders"),
    operation="S3FileSystem (mkdir, write, listdir, stat, rmdir, rm)",
    expected="mkdir, write, listdir, stat and rmdir behave like a local file system",
    why="The file-system layer is what applications use; it must work end to end on the target.",
)
def filesystem_tree(ctx: CheckContext) -> None:
    fs = S3FileSystem(ctx.bucket, endpoint=ctx.endpoint, client=ctx.client, config=_config())
    root = "/" + ctx.prefix
    fs.mkdir(root + "d/", parents=True)
    fs.write_bytes(root + "d/f.txt", b"hello")
    expect_equal(sorted(fs.listdir(root + "d/")), ["f.txt"], "listdir")
    expect_equal(fs.stat(root + "d/f.txt").size, 5, "stat size")
    try:
        fs.rmdir(root + "d/")
    except OSError as error:
        expect_equal(error.errno, errno.ENOTEMPTY, "rmdir errno")
    else:
        raise AssertionError("rmdir of a non-empty directory succeeded")
    fs.rm(root + "d/f.txt")
    fs.rmdir(root + "d/")
    expect(not fs.exists(root + "d/"), "directory still exists after rmdir")


@check(
    "fs.filesystem.copy-move",
    source=api("CopyObject", "Description"),
    operation="S3FileSystem (copy, move)",
    expected="copy leaves both files, move leaves only the destination, bytes unchanged",
    why="Server-side copy and move are how commit protocols publish files.",
)
def filesystem_copy_move(ctx: CheckContext) -> None:
    fs = S3FileSystem(ctx.bucket, endpoint=ctx.endpoint, client=ctx.client, config=_config())
    root = "/" + ctx.prefix
    fs.write_bytes(root + "a", DATA)
    fs.copy(root + "a", root + "b")
    fs.move(root + "b", root + "c")
    expect_equal((fs.exists(root + "a"), fs.exists(root + "b")), (True, False), "a and b exist")
    expect(fs.read_bytes(root + "c") == DATA, "moved bytes differ")

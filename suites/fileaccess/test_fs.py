"""S3FileSystem against real targets: directory inference, listings over pages, walk, glob, changes, errors.

Objects are laid out with the plain boto3 client (``_put``), so a bug in the file system cannot hide
behind the same bug on the write side.
"""

from __future__ import annotations

import errno
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from s3conf.config import S3Config
from s3conf.errors import (
    BucketNotFoundError,
    DirectoryNotEmptyError,
    InvalidModeError,
    ObjectExistsError,
    ObjectNotFoundError,
    UnsupportedOperationError,
)
from s3conf.fs import EPOCH, S3FileSystem
from s3conf.paths import S3Path
from s3conf.writer import MIN_PART_SIZE

TREE = ["a/b/c.txt", "a/b/d.csv", "a/e.csv", "a/f.txt", "top.csv", ".hidden"]


def _put(s3_client: Any, bucket: str, *keys: str, body: bytes = b"data") -> None:
    for key in keys:
        s3_client.put_object(Bucket=bucket, Key=key, Body=body)


def _keys(s3_client: Any, bucket: str) -> list[str]:
    pages = s3_client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(entry["Key"] for page in pages for entry in page.get("Contents", []))


def _make_fs(
    target: Any, s3_client: Any, bucket: str, spool: Path, config: S3Config | None = None
) -> S3FileSystem:
    return S3FileSystem(
        bucket,
        endpoint=target.endpoint,
        config=config or S3Config(),
        client=s3_client,
        page_size=2,  # every listing below spans several pages
        spool_dir=str(spool),
    )


@pytest.fixture
def fs(target: Any, s3_client: Any, bucket: str, tmp_path: Path) -> S3FileSystem:
    return _make_fs(target, s3_client, bucket, tmp_path)


@pytest.fixture
def tree(fs: S3FileSystem, s3_client: Any, bucket: str) -> S3FileSystem:
    _put(s3_client, bucket, *TREE)
    return fs


def _require(target: Any, capability: str) -> None:
    """Skip when the target's capabilities record says it lacks ``capability`` (data, not names)."""
    if not getattr(target.capabilities, capability):
        pytest.skip(f"{target.name} does not support {capability} (from its capabilities record)")


# -- stat and directory inference ------------------------------------------------------------------


def test_stat_object(fs: S3FileSystem, s3_client: Any, bucket: str) -> None:
    _put(s3_client, bucket, "x/obj", body=b"12345")
    info = fs.stat("/x/obj")
    assert (info.key, info.size, info.is_dir) == ("x/obj", 5, False)
    assert isinstance(info.mtime, datetime)
    assert info.mtime.tzinfo is not None
    assert info.mtime > EPOCH
    assert info.ctime == info.mtime
    assert info.etag


@pytest.mark.parametrize(
    ("path", "is_dir", "exists"),
    [
        ("/a", True, True),
        ("/a/", True, True),
        ("a/b", True, True),
        ("/a/b/c.txt", False, True),
        ("/a/b/c.txt/", False, False),
        ("/a/./b/../e.csv", False, True),
        ("/nope", False, False),
        ("/", True, True),
    ],
    ids=["prefix", "prefix-slash", "relative", "object", "object-as-dir", "dots", "missing", "root"],
)
def test_directories_are_inferred_from_keys(
    tree: S3FileSystem, path: str, is_dir: bool, exists: bool
) -> None:
    assert tree.is_dir(path) is is_dir
    assert tree.exists(path) is exists
    if exists:
        assert tree.stat(path).is_dir is is_dir


def test_directory_without_marker_reports_epoch(tree: S3FileSystem) -> None:
    info = tree.stat("/a/b")
    assert (info.key, info.size, info.mtime, info.etag) == ("a/b/", 0, EPOCH, None)


def test_object_and_prefix_of_the_same_name_are_two_paths(
    target: Any, fs: S3FileSystem, s3_client: Any, bucket: str
) -> None:
    _require(target, "flat_namespace")
    _put(s3_client, bucket, "d", "d/x")
    assert fs.stat("/d").is_dir is False
    assert fs.stat("/d/").is_dir is True
    assert sorted(fs.iterdir("/")) == [
        S3Path(bucket, "/d", endpoint=fs.endpoint),
        S3Path(bucket, "/d/", endpoint=fs.endpoint),
    ]
    assert fs.listdir("/") == ["d"]


# -- listing -----------------------------------------------------------------------------------------


def test_listdir_reads_every_page(fs: S3FileSystem, s3_client: Any, bucket: str) -> None:
    names = [f"f{i}" for i in range(7)]
    _put(s3_client, bucket, *(f"many/{name}" for name in names), "many/sub/x")
    assert fs.listdir("/many") == [*names, "sub"]
    assert sorted(str(p) for p in fs.iterdir("/many/")) == [
        *(f"/many/{name}" for name in names),
        "/many/sub/",
    ]


def test_scandir_sizes(tree: S3FileSystem) -> None:
    entries = {entry.name: (entry.size, entry.is_dir) for entry in tree.scandir("/a")}
    assert entries == {"b": (0, True), "e.csv": (4, False), "f.txt": (4, False)}


def test_walk_is_top_down_and_prunable(tree: S3FileSystem) -> None:
    seen = [(str(d), sorted(dirs), sorted(files)) for d, dirs, files in tree.walk("/")]
    assert seen == [
        ("/", ["a"], [".hidden", "top.csv"]),
        ("/a/", ["b"], ["e.csv", "f.txt"]),
        ("/a/b/", [], ["c.txt", "d.csv"]),
    ]
    pruned = []
    for directory, dirs, _files in tree.walk("/"):
        pruned.append(str(directory))
        dirs.clear()
    assert pruned == ["/"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("*.csv", ["/top.csv"]),
        ("**/*.csv", ["/a/b/d.csv", "/a/e.csv", "/top.csv"]),
        ("/a/*", ["/a/b/", "/a/e.csv", "/a/f.txt"]),
        ("a/?/c.txt", ["/a/b/c.txt"]),
        ("a/[ef].*", ["/a/e.csv", "/a/f.txt"]),
        ("*", ["/.hidden", "/a/", "/top.csv"]),
        ("nothing/*", []),
    ],
    ids=["star", "double-star", "star-includes-dirs", "question", "class", "no-hidden-files", "no-match"],
)
def test_glob(tree: S3FileSystem, pattern: str, expected: list[str]) -> None:
    assert [str(p) for p in tree.glob(pattern)] == expected


# -- changes -----------------------------------------------------------------------------------------


def test_mkdir_writes_a_marker(target: Any, fs: S3FileSystem, s3_client: Any, bucket: str) -> None:
    _require(target, "flat_namespace")
    fs.mkdir("/m")
    assert _keys(s3_client, bucket) == ["m/"]
    assert fs.stat("/m").mtime > EPOCH
    with pytest.raises(FileExistsError, match="m/"):
        fs.mkdir("/m/")
    fs.mkdir("/m", exist_ok=True)
    with pytest.raises(FileNotFoundError, match="x/"):
        fs.mkdir("/x/y")
    fs.mkdir("/x/y", parents=True)
    assert _keys(s3_client, bucket) == ["m/", "x/y/"]
    assert fs.is_dir("/x")


def test_mkdir_refuses_over_an_object(fs: S3FileSystem, s3_client: Any, bucket: str) -> None:
    _put(s3_client, bucket, "taken")
    with pytest.raises(ObjectExistsError, match="taken"):
        fs.mkdir("/taken")


def test_rm(tree: S3FileSystem, s3_client: Any, bucket: str) -> None:
    tree.rm("/a/e.csv")
    assert "a/e.csv" not in _keys(s3_client, bucket)
    with pytest.raises(FileNotFoundError, match=re.escape("a/e.csv")):
        tree.rm("/a/e.csv")
    with pytest.raises(IsADirectoryError):
        tree.rm("/a/b")
    tree.rm("/a", recursive=True)
    assert _keys(s3_client, bucket) == [".hidden", "top.csv"]


def test_rmdir(target: Any, tree: S3FileSystem, s3_client: Any, bucket: str) -> None:
    _require(target, "flat_namespace")
    with pytest.raises(OSError, match="a/b/") as raised:
        tree.rmdir("/a/b")
    assert isinstance(raised.value, DirectoryNotEmptyError)
    assert raised.value.errno == errno.ENOTEMPTY
    tree.mkdir("/empty")
    tree.rmdir("/empty")
    assert "empty/" not in _keys(s3_client, bucket)
    with pytest.raises(FileNotFoundError, match="empty/"):
        tree.rmdir("/empty")


@pytest.mark.parametrize("size", [10, MIN_PART_SIZE + 1], ids=["copy-object", "upload-part-copy"])
def test_copy_and_move(target: Any, s3_client: Any, bucket: str, tmp_path: Path, size: int) -> None:
    if size > 10:
        _require(target, "multipart_copy")
    config = S3Config(multipart_threshold=MIN_PART_SIZE, multipart_part_size=MIN_PART_SIZE)
    fs = _make_fs(target, s3_client, bucket, tmp_path, config)
    data = bytes(range(256)) * (size // 256) + b"z" * (size % 256)
    _put(s3_client, bucket, "src", body=data)
    fs.copy("/src", "/dir/copy")
    assert s3_client.get_object(Bucket=bucket, Key="dir/copy")["Body"].read() == data
    fs.move("/dir/copy", "/moved")
    assert _keys(s3_client, bucket) == ["moved", "src"]
    assert s3_client.get_object(Bucket=bucket, Key="moved")["Body"].read() == data


# -- open --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "payload"),
    [("wb", b"bytes\n"), ("w", "text é\n"), ("xb", b"new")],
    ids=["binary", "text", "exclusive"],
)
def test_open_write(fs: S3FileSystem, s3_client: Any, bucket: str, mode: str, payload: Any) -> None:
    with fs.open("/out/file", mode, encoding=None if "b" in mode else "utf-8") as handle:
        handle.write(payload)
    stored = payload if isinstance(payload, bytes) else payload.encode("utf-8")
    assert s3_client.get_object(Bucket=bucket, Key="out/file")["Body"].read() == stored


@pytest.mark.parametrize("mode", ["wb", "w"], ids=["binary", "text"])
def test_exception_inside_open_with_leaves_nothing(
    fs: S3FileSystem, s3_client: Any, bucket: str, tmp_path: Path, mode: str
) -> None:
    def produce() -> None:
        with fs.open("/out/partial", mode) as handle:
            handle.write(b"half" if "b" in mode else "half")
            raise KeyError("producer failed")

    with pytest.raises(KeyError):
        produce()
    assert _keys(s3_client, bucket) == []
    assert list(tmp_path.iterdir()) == []


def test_open_xb_refuses_existing(target: Any, fs: S3FileSystem, s3_client: Any, bucket: str) -> None:
    _require(target, "conditional_writes")
    _put(s3_client, bucket, "k", body=b"original")
    with pytest.raises(FileExistsError, match="k"), fs.open("/k", "xb") as handle:
        handle.write(b"replacement")
    assert s3_client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"original"


@pytest.mark.parametrize(("mode", "text"), [("rb", False), ("r", True)], ids=["binary", "text"])
def test_open_read(fs: S3FileSystem, s3_client: Any, bucket: str, mode: str, text: bool) -> None:
    _put(s3_client, bucket, "in/file", body=b"line 1\nline 2\n")
    with fs.open("/in/file", mode) as handle:
        assert handle.read() == ("line 1\nline 2\n" if text else b"line 1\nline 2\n")


def test_entropy_injected_on_requested_writes_only(
    target: Any, s3_client: Any, bucket: str, tmp_path: Path
) -> None:
    fs = _make_fs(target, s3_client, bucket, tmp_path, S3Config(entropy_key="_e_", entropy_length=6))
    with fs.open("/chk/_e_/part-0", "wb", inject_entropy=True) as handle:
        handle.write(b"1")
    with fs.open("/chk/_e_/meta", "wb") as handle:
        handle.write(b"2")
    keys = _keys(s3_client, bucket)
    assert "chk/meta" in keys
    keys.remove("chk/meta")
    assert len(keys) == 1
    assert re.fullmatch(r"chk/[0-9A-Za-z]{6}/part-0", keys[0]), keys
    assert fs.stat("/chk/_e_/meta").size == 1


# -- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["r+", "w+", "a", "rb+", "ab", "rw", "rbt", "q"], ids=lambda m: m)
def test_unsupported_modes(fs: S3FileSystem, mode: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(mode))) as raised:
        fs.open("/k", mode)
    assert isinstance(raised.value, InvalidModeError)


def test_missing_key_is_named(fs: S3FileSystem) -> None:
    with pytest.raises(FileNotFoundError, match="no/such/key") as raised:
        fs.stat("/no/such/key")
    assert isinstance(raised.value, ObjectNotFoundError)
    with pytest.raises(FileNotFoundError, match="no/such/dir/"):
        fs.listdir("/no/such/dir")


@pytest.mark.parametrize(
    "operation",
    [
        lambda fs: fs.stat("/k"),
        lambda fs: fs.exists("/k"),
        lambda fs: fs.listdir("/"),
        lambda fs: fs.rm("/k"),
    ],
    ids=["stat", "exists", "listdir", "rm"],
)
def test_missing_bucket_is_named(target: Any, s3_client: Any, tmp_path: Path, operation: Any) -> None:
    missing = "s3conf-missing-bucket-4d1e"
    fs = _make_fs(target, s3_client, missing, tmp_path)
    with pytest.raises(FileNotFoundError, match=missing) as raised:
        operation(fs)
    assert isinstance(raised.value, BucketNotFoundError)


@pytest.mark.parametrize(
    "operation",
    [
        lambda fs: fs.symlink_to("/link", "/target"),
        lambda fs: fs.hardlink_to("/link", "/target"),
        lambda fs: fs.readlink("/link"),
    ],
    ids=["symlink_to", "hardlink_to", "readlink"],
)
def test_links_are_unsupported(fs: S3FileSystem, operation: Any) -> None:
    with pytest.raises(UnsupportedOperationError, match="S3 has no"):
        operation(fs)
    assert fs.is_symlink("/link") is False


def test_other_bucket_paths_are_refused(fs: S3FileSystem) -> None:
    with pytest.raises(ValueError, match="other-bucket"):
        fs.stat(S3Path("other-bucket", "/k"))

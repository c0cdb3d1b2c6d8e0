"""Every path and URI example from the seed documents (Flink S3 file systems, Java NIO.2 S3 provider).

Each row quotes the seed's example; where DESIGN.md overrides the seed (absolute parents, appending to
a non-directory), the row says so in its id.
"""

from __future__ import annotations

import pytest

from s3conf.paths import S3Path
from s3conf.uri import parse_uri

URIS = [
    # uri, bucket, key (raw), path str, is_directory, endpoint name
    ("s3://some-bucket/input/file", "some-bucket", "input/file", "/input/file", False, None),
    (
        "s3x://my-s3-service:9000/some-bucket/input/file",
        "some-bucket",
        "input/file",
        "/input/file",
        False,
        "my-s3-service:9000",
    ),
    ("s3x://myendpoint.com:1000/mybucket", "mybucket", "", "/", True, "myendpoint.com:1000"),
    (
        "s3x://key:secret@endpoint:9000/bucket/objectkey",
        "bucket",
        "objectkey",
        "/objectkey",
        False,
        "endpoint:9000",
    ),
    ("s3://mybucket/foo/./baa", "mybucket", "foo/./baa", "/foo/./baa", False, None),
    ("s3://mybucket/some-object", "mybucket", "some-object", "/some-object", False, None),
    (
        "s3://mybucket/path/to/file/object",
        "mybucket",
        "path/to/file/object",
        "/path/to/file/object",
        False,
        None,
    ),
    (
        "s3://my-bucket/_entropy_/checkpoints/dashboard-job/",
        "my-bucket",
        "_entropy_/checkpoints/dashboard-job/",
        "/_entropy_/checkpoints/dashboard-job/",
        True,
        None,
    ),
    (
        "s3://my-bucket/gf36ikvg/checkpoints/dashboard-job/",
        "my-bucket",
        "gf36ikvg/checkpoints/dashboard-job/",
        "/gf36ikvg/checkpoints/dashboard-job/",
        True,
        None,
    ),
    ("s3://flink-data/checkpoints", "flink-data", "checkpoints", "/checkpoints", False, None),
    ("s3p://flink-data/checkpoints/", "flink-data", "checkpoints/", "/checkpoints/", True, None),
    ("s3a://flink-data/sink/part-0-0", "flink-data", "sink/part-0-0", "/sink/part-0-0", False, None),
    (
        "s3://genomics-data/ena/PRJEB3381/ERR194158/ERR194158.hg38.bam",
        "genomics-data",
        "ena/PRJEB3381/ERR194158/ERR194158.hg38.bam",
        "/ena/PRJEB3381/ERR194158/ERR194158.hg38.bam",
        False,
        None,
    ),
]


@pytest.mark.parametrize(
    ("uri", "expected"),
    [(row[0], row[1:]) for row in URIS],
    ids=[
        "java-s3-input-file",
        "java-s3x-service-port",
        "java-s3x-bucket-only",
        "java-s3x-credentials-pattern",
        "java-dot-segment-uri",
        "java-some-object",
        "java-path-to-file-object",
        "flink-entropy-key-dir",
        "flink-entropy-injected-dir",
        "flink-bucket-endpoint-file",
        "flink-s3p-checkpoint-dir",
        "flink-s3a-sink-file",
        "java-gatk-bam",
    ],
)
def test_seed_uris(uri: str, expected: tuple[str, str, str, bool, str | None]) -> None:
    bucket, key, path, is_directory, endpoint = expected
    parsed = parse_uri(uri)
    assert (parsed.bucket, parsed.key) == (bucket, key)
    assert (parsed.endpoint.name if parsed.endpoint else None) == endpoint
    s3path = S3Path.from_uri(uri)
    assert (str(s3path), s3path.is_directory, s3path.bucket) == (path, is_directory, bucket)
    assert S3Path.from_uri(s3path.as_uri()) == s3path
    assert "secret" not in repr(s3path) + repr(parsed) + s3path.as_uri()


@pytest.mark.parametrize(
    ("text", "is_directory"),
    [
        ("/dir/", True),
        ("/dir/.", True),
        ("/dir/..", True),
        (".", True),
        ("..", True),
        ("dir", False),
        ("/dir", False),
        ("", True),
        ("/", True),
    ],
    ids=[
        "trailing-slash",
        "trailing-dot",
        "trailing-dotdot",
        "dot",
        "dotdot",
        "relative-name",
        "absolute-name",
        "empty",
        "root",
    ],
)
def test_seed_directory_inference(text: str, is_directory: bool) -> None:
    assert S3Path("mybucket", text).is_directory is is_directory


@pytest.mark.parametrize(
    "text", ["/object", "./object", "object", "../object"], ids=["absolute", "dot", "relative", "above-root"]
)
def test_seed_working_directory_is_the_root(text: str) -> None:
    path = S3Path("mybucket", text)
    assert path == S3Path("mybucket", "/object")
    assert path.key == "object"
    assert path.as_uri() == "s3://mybucket/object"


@pytest.mark.parametrize(
    ("base", "other", "expected"),
    [
        ("/this/location/", "some/path", "/this/location/some/path"),
        ("/this/location", "some/path", "/this/location/some/path"),
        ("/this/location/", "/other", "/other"),
        ("/obj", "x", "/obj/x"),
    ],
    ids=["seed-resolve-in-directory", "design-appends-to-non-directory", "absolute-wins", "design-obj-x"],
)
def test_seed_resolution(base: str, other: str, expected: str) -> None:
    assert str(S3Path("mybucket", base) / other) == expected


def test_seed_dot_segment_uri_is_not_the_normalized_key() -> None:
    # The URI's raw key keeps "./"; the path resolves it, so the path's key is "foo/baa".
    uri = "s3://mybucket/foo/./baa"
    assert parse_uri(uri).key == "foo/./baa"
    assert parse_uri(uri) != parse_uri("s3://mybucket/foo/baa")
    assert S3Path.from_uri(uri) == S3Path("mybucket", "/foo/baa")
    assert S3Path.from_uri(uri).key == "foo/baa"


@pytest.mark.parametrize(
    ("text", "parent"),
    [
        ("/a/b/c", "/a/b/"),
        ("/a", "/"),
        ("/", None),
        ("a/b", "a/"),
        ("a", None),
        ("/path/to/file/object", "/path/to/file/"),
    ],
    ids=["nested", "top-level", "root", "relative-nested", "relative-single", "java-object-in-inferred-dir"],
)
def test_design_parents(text: str, parent: str | None) -> None:
    result = S3Path("mybucket", text).parent
    assert (str(result) if result is not None else None) == parent
    if result is not None:
        assert result.is_directory


@pytest.mark.parametrize(
    ("text", "normalized"),
    [
        ("/dir/.", "/dir/"),
        ("/dir/..", "/"),
        ("/..", "/"),
        ("..", ".."),
        ("a/..", ""),
        ("../a/../..", "../.."),
        ("/a/./b/../c/", "/a/c/"),
        ("/foo/./baa", "/foo/baa"),
    ],
    ids=[
        "dot",
        "dotdot",
        "dotdot-at-root",
        "relative-dotdot-kept",
        "to-empty",
        "relative-leading-dotdots",
        "mixed",
        "java-foo-dot-baa",
    ],
)
def test_design_normalize(text: str, normalized: str) -> None:
    assert str(S3Path("mybucket", text).normalize()) == normalized


@pytest.mark.parametrize(
    ("path", "base", "expected"),
    [("/a/b/c", "/a/b", "c"), ("/a/b/c", "/a/b/", "c"), ("/a/b/", "/a", "b/"), ("/a/b", "/a/b", "")],
    ids=["object-base", "directory-base", "keeps-directory-flag", "itself-is-empty"],
)
def test_design_relative_to(path: str, base: str, expected: str) -> None:
    assert str(S3Path("mybucket", path).relative_to(base)) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [("/", ""), ("/d", "d"), ("/d/", "d/"), ("d/./e/..", "d/"), ("/foobar/x", "foobar/x")],
    ids=["root", "object", "prefix", "normalized-directory", "bucket-prefix-of-key"],
)
def test_design_keys(text: str, key: str) -> None:
    assert S3Path("foo", text).key == key

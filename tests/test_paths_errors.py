"""S3Path refuses bad input with the specific error, a message naming the value, and no secret."""

from __future__ import annotations

import operator
import os
from collections.abc import Callable

import pytest

from s3conf.endpoint import Endpoint
from s3conf.errors import InvalidURIError
from s3conf.paths import S3Path
from s3conf.redaction import Secret

SECRET = "wJalrXUtnFEMIK7MDENG"
SIGNED = Endpoint(name="minio", url="http://127.0.0.1:9000", access_key="AKIA", secret_key=Secret(SECRET))


@pytest.mark.parametrize(
    "bucket", ["ab", "Upper", "under_score", "-dash", "a..b", "10.0.0.1", ""], ids=str.__str__
)
def test_bad_bucket_is_named(bucket: str) -> None:
    with pytest.raises(InvalidURIError, match=f"invalid bucket name '{bucket}'"):
        S3Path(bucket, "/k")


@pytest.mark.parametrize("path", [None, b"/k", 3], ids=["none", "bytes", "int"])
def test_non_string_path_is_a_type_error(path: object) -> None:
    with pytest.raises(TypeError, match="path must be a str"):
        S3Path("bkt", path)  # type: ignore[arg-type]


def test_from_uri_reports_bad_uri() -> None:
    with pytest.raises(InvalidURIError, match="unknown scheme 'gs'"):
        S3Path.from_uri("gs://bkt/k")


MINE = S3Path("bkt", "/a/b", endpoint=SIGNED)
OTHERS = [
    S3Path("bkt", "/a"),
    S3Path("other", "/a", endpoint=SIGNED),
    S3Path("bkt", "/a", endpoint=Endpoint(name="x", url="http://127.0.0.1:9001")),
]
OTHER_IDS = ["no-endpoint", "other-bucket", "other-port"]
OPERATIONS: list[Callable[[S3Path, S3Path], object]] = [
    lambda mine, other: mine / other,
    lambda mine, other: mine.joinpath("x", other),
    lambda mine, other: mine.relative_to(other),
    lambda mine, other: mine < other,
    lambda mine, other: mine <= other,
    lambda mine, other: mine > other,
    lambda mine, other: mine >= other,
]
OPERATION_IDS = ["div", "joinpath", "relative_to", "lt", "le", "gt", "ge"]


@pytest.mark.parametrize("other", OTHERS, ids=OTHER_IDS)
@pytest.mark.parametrize("operation", OPERATIONS, ids=OPERATION_IDS)
def test_other_location_is_a_value_error_without_secret(
    operation: Callable[[S3Path, S3Path], object], other: S3Path
) -> None:
    mine = MINE
    with pytest.raises(ValueError, match="different locations") as caught:
        operation(mine, other)
    assert SECRET not in str(caught.value)
    assert not mine.is_relative_to(other)
    assert mine != other


@pytest.mark.parametrize(
    ("path", "base", "message"),
    [
        ("/a/b", "/c", "not relative to '/c'"),
        ("/a/b", "/a/bc", "not relative"),
        ("/a", "/a/b", "not relative"),
        ("/a/b", "a", "absolute '/a/b' to relative 'a'"),
        ("a/b", "/a", "relative 'a/b' to absolute '/a'"),
        ("../a", "a", "not relative"),
    ],
    ids=[
        "sibling",
        "name-prefix-is-not-path-prefix",
        "base-longer",
        "absolute-vs-relative",
        "relative-vs-absolute",
        "leading-dotdot",
    ],
)
def test_relative_to_refusals_name_both_paths(path: str, base: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        S3Path("bkt", path).relative_to(base)
    assert not S3Path("bkt", path).is_relative_to(base)


@pytest.mark.parametrize(
    ("path", "name", "message"),
    [
        ("/", "x", "has no name"),
        ("", "x", "has no name"),
        ("/a/..", "x", "has no name"),
        ("/a", "", "invalid path element ''"),
        ("/a", "b/c", "invalid path element 'b/c'"),
        ("/a", "..", "invalid path element '..'"),
    ],
    ids=["root", "empty", "dotdot", "empty-name", "slash-in-name", "dotdot-name"],
)
def test_with_name_refusals(path: str, name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        S3Path("bkt", path).with_name(name)


@pytest.mark.parametrize("other", [3, None, b"x"], ids=["int", "none", "bytes"])
def test_joining_non_paths_is_a_type_error(other: object) -> None:
    with pytest.raises(TypeError):
        S3Path("bkt", "/a") / other  # type: ignore[operator]
    with pytest.raises(TypeError, match="cannot join"):
        S3Path("bkt", "/a").joinpath(other)  # type: ignore[arg-type]


def test_ordering_against_non_paths_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        S3Path("bkt", "/a") < "/b"  # noqa: B015 - the comparison itself must raise


def test_not_a_local_path() -> None:
    path = S3Path("bkt", "/a")
    assert not isinstance(path, os.PathLike)
    with pytest.raises(TypeError):
        os.fspath(path)  # type: ignore[call-overload]


def test_secret_never_in_text_forms() -> None:
    path = S3Path.from_uri(f"s3x://AKIA:{SECRET}@127.0.0.1:9000/bkt/a/b")
    for text in (repr(path), str(path), path.as_uri(), repr(path.parent), f"{path!r}"):
        assert SECRET not in text
    assert path.endpoint is not None
    assert path.endpoint.secret_key == Secret(SECRET)
    assert path == S3Path("bkt", "/a/b", endpoint=SIGNED)


def test_string_operands_take_the_location_of_the_path() -> None:
    joined = "/x" / S3Path("bkt", "y", endpoint=SIGNED)
    assert joined.endpoint is SIGNED
    assert str(joined) == "/x/y"


def test_ordering_across_locations_names_both_paths_with_their_endpoints() -> None:
    signed, unsigned = MINE, S3Path("bkt", "/a/c")
    with pytest.raises(ValueError, match="cannot order") as raised:
        _ = signed < unsigned
    assert str(raised.value) == (
        "cannot order paths of different locations: S3Path('bkt', '/a/b', endpoint='127.0.0.1:9000') "
        "and S3Path('bkt', '/a/c')"
    )
    assert SECRET not in str(raised.value)
    assert repr(MINE) == "S3Path('bkt', '/a/b', endpoint='127.0.0.1:9000')"
    assert repr(S3Path("bkt", "a/")) == "S3Path('bkt', 'a/')"


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [("/a", "/b", (True, True, False, False)), ("/b", "/a", (False, False, True, True)),
     ("/a", "/a", (False, True, False, True)), ("/a", "/a/", (True, True, False, False))],
    ids=["before", "after", "same", "file-before-directory"],
)  # fmt: skip
def test_order_operators(left: str, right: str, expected: tuple[bool, bool, bool, bool]) -> None:
    a, b = S3Path("bkt", left), S3Path("bkt", right)
    assert (a < b, a <= b, a > b, a >= b) == expected


@pytest.mark.parametrize(
    "compare", [operator.lt, operator.le, operator.gt, operator.ge], ids=lambda f: f.__name__
)
def test_ordering_against_a_string_is_a_type_error(compare: Callable[[object, object], bool]) -> None:
    with pytest.raises(TypeError, match="not supported between instances of 'S3Path' and 'str'"):
        compare(S3Path("bkt", "/a"), "/a")


@pytest.mark.parametrize(
    ("path", "name", "expected"),
    [("/a/b", "c", "/a/c"), ("a/b/", "c", "a/c/"), ("b", "c", "c")],
    ids=["absolute", "directory-relative", "single"],
)
def test_with_name_keeps_the_flags(path: str, name: str, expected: str) -> None:
    renamed = S3Path("bkt", path).with_name(name)
    assert (str(renamed), renamed.is_absolute, renamed.is_directory) == (
        expected,
        expected.startswith("/"),
        expected.endswith("/"),
    )


def test_with_name_on_a_path_without_a_name_names_it() -> None:
    with pytest.raises(ValueError, match="no name") as raised:
        S3Path("bkt", "/a/..").with_name("c")
    assert str(raised.value) == "'/a/..' has no name to replace"


def test_distinct_paths_hash_apart() -> None:
    paths = [
        S3Path("bkt", "/a"),
        S3Path("bkt", "/b"),
        S3Path("other", "/a"),
        S3Path("bkt", "/a/b"),
        S3Path("bkt", "/c/d/"),
    ]
    assert len({hash(path) for path in paths}) == len(paths)

"""``PurePosixPath`` as the oracle where its semantics and ours coincide, and the places they differ.

They coincide on element-wise operations over paths without ``..`` (pathlib drops ``.`` on parsing,
we drop it on :meth:`S3Path.normalize`). They differ where S3 needs more than POSIX: the trailing
``/`` that marks a prefix, ``..`` resolved lexically, the bucket root as working directory, and
parents that stop at the top instead of returning ``.``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath

import pytest
from hypothesis import assume, given

from s3conf.paths import S3Path
from suites.paths.strategies import names, path_strings

BUCKET = "some-bucket"


def _pure(text: str) -> PurePosixPath:
    """pathlib's view of a spelling; POSIX keeps a leading ``//`` as its own root, S3 paths do not."""
    return PurePosixPath("/" + text.lstrip("/") if text.startswith("//") else text)


def _pure_parts(text: str) -> tuple[str, ...]:
    parts = _pure(text).parts
    return parts[1:] if parts[:1] == ("/",) else parts


@given(path_strings(dots=False))
def test_parts_name_suffix_and_absoluteness_agree(text: str) -> None:
    ours, theirs = S3Path(BUCKET, text), _pure(text)
    assert ours.parts == _pure_parts(text)
    assert ours.name == theirs.name
    assert ours.suffix == theirs.suffix
    assert ours.is_absolute == theirs.is_absolute()


@given(path_strings(dots=False))
def test_parent_agrees_below_the_top(text: str) -> None:
    ours = S3Path(BUCKET, text)
    parent = ours.parent
    if len(ours.parts) >= 2 or (ours.is_absolute and ours.parts):
        assert parent is not None
        assert parent.parts == _pure_parts(str(_pure(text).parent))
    else:
        assert parent is None


@given(path_strings())
def test_single_dots_normalize_as_pathlib_parses(text: str) -> None:
    ours = S3Path(BUCKET, text)
    assume(".." not in ours.parts)
    assert ours.normalize().parts == _pure_parts(text)


@given(path_strings(), path_strings())
def test_joining_agrees(left: str, right: str) -> None:
    joined = S3Path(BUCKET, left) / right
    expected = _pure(left) / _pure(right)
    assert tuple(part for part in joined.parts if part != ".") == _pure_parts(str(expected))
    assert joined.is_absolute == expected.is_absolute()


@given(path_strings(), path_strings())
def test_relative_to_agrees_without_dotdot(left: str, right: str) -> None:
    ours, base = S3Path(BUCKET, left), S3Path(BUCKET, right)
    assume(".." not in ours.parts + base.parts)
    assert ours.is_relative_to(base) == _pure(left).is_relative_to(_pure(right))
    if ours.is_relative_to(base):
        assert ours.relative_to(base).parts == _pure_parts(str(_pure(left).relative_to(_pure(right))))


@given(path_strings(dots=False), names())
def test_with_name_agrees(text: str, name: str) -> None:
    ours = S3Path(BUCKET, text)
    if not ours.parts:
        with pytest.raises(ValueError, match="no name"):
            ours.with_name(name)
        return
    assert ours.with_name(name).parts == _pure_parts(str(_pure(text).with_name(name)))


def _s(text: str) -> S3Path:
    return S3Path(BUCKET, text)


def _parent_str(path: S3Path) -> str | None:
    parent = path.parent
    return None if parent is None else str(parent)


DIFFERENCES: list[tuple[Callable[[], object], object, Callable[[], object], object]] = [
    (lambda: str(_s("/a/")), "/a/", lambda: str(PurePosixPath("/a/")), "/a"),
    (lambda: _s("/a/") == _s("/a"), False, lambda: PurePosixPath("/a/") == PurePosixPath("/a"), True),
    (lambda: str(_s("/a/b/..").normalize()), "/a/", lambda: str(PurePosixPath("/a/b/..")), "/a/b/.."),
    (lambda: str(_s("/..").normalize()), "/", lambda: str(PurePosixPath("/..")), "/.."),
    (lambda: _parent_str(_s("a")), None, lambda: str(PurePosixPath("a").parent), "."),
    (lambda: _parent_str(_s("/")), None, lambda: str(PurePosixPath("/").parent), "/"),
    (lambda: _parent_str(_s("/a/b/c")), "/a/b/", lambda: str(PurePosixPath("/a/b/c").parent), "/a/b"),
    (lambda: _s("/a/b").parts, ("a", "b"), lambda: PurePosixPath("/a/b").parts, ("/", "a", "b")),
    (lambda: str(_s("//a")), "/a", lambda: str(PurePosixPath("//a")), "//a"),
    (lambda: _s("/a/./b").parts, ("a", ".", "b"), lambda: PurePosixPath("/a/./b").parts, ("/", "a", "b")),
    (lambda: _s("/a/.").name, ".", lambda: PurePosixPath("/a/.").name, "a"),
    (lambda: _s("a") == _s("/a"), True, lambda: PurePosixPath("a") == PurePosixPath("/a"), False),
    (lambda: _s("../a") == _s("/a"), True, lambda: PurePosixPath("../a") == PurePosixPath("/a"), False),
    (lambda: str(_s("")), "", lambda: str(PurePosixPath("")), "."),
    (
        lambda: str(_s("/a/b/..").relative_to("/a")),
        "",
        lambda: str(PurePosixPath("/a/b/..").relative_to("/a")),
        "b/..",
    ),
]


@pytest.mark.parametrize(
    ("ours", "ours_expected", "pathlib", "pathlib_expected"),
    DIFFERENCES,
    ids=[
        "trailing-slash-kept",
        "object-vs-prefix-differ",
        "dotdot-resolved-lexically",
        "dotdot-at-root-dropped",
        "parent-of-relative-single",
        "parent-of-root",
        "parent-is-a-directory",
        "parts-without-root",
        "leading-double-slash-collapses",
        "dot-kept-until-normalize",
        "name-of-trailing-dot",
        "working-directory-is-root",
        "dotdot-above-root-is-root",
        "empty-path-spelling",
        "relative-to-normalizes",
    ],
)
def test_documented_differences(
    ours: Callable[[], object], ours_expected: object, pathlib: Callable[[], object], pathlib_expected: object
) -> None:
    assert ours() == ours_expected
    assert pathlib() == pathlib_expected

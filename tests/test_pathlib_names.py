"""pathlib's spellings on :class:`S3Path`: ``is_absolute()`` as a method, and a pointer for ``is_dir()``.

Decision (issue 13): ``is_absolute`` stays a property for existing callers and its value is also
callable, as pathlib users write it; ``is_dir``/``is_file``/``exists`` are store queries, which a pure
path cannot answer, so asking for them names where to ask instead of a bare ``AttributeError``.
"""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from s3conf.paths import S3Path


@pytest.mark.parametrize("text", ["/a/b", "a/b", "/", "", "./x/", "../y"], ids=repr)
def test_is_absolute_reads_both_ways_like_pathlib(text: str) -> None:
    path = S3Path("b-1", text)
    expected = PurePosixPath(text).is_absolute()
    assert (path.is_absolute(), bool(path.is_absolute), path.is_absolute == expected) == (
        expected,
        expected,
        True,
    )
    assert repr(path.is_absolute) == repr(expected)
    assert hash(path.is_absolute) == hash(expected)


@pytest.mark.parametrize("name", ["is_dir", "is_file", "exists"])
def test_store_queries_say_where_to_ask(name: str) -> None:
    with pytest.raises(AttributeError, match=r"pure path.*S3FileSystem.*UPath.*is_directory") as raised:
        getattr(S3Path("b-1", "/d/"), name)
    assert name in str(raised.value)
    assert not hasattr(S3Path("b-1", "/d/"), "no_such_attribute")


def test_the_pointer_and_the_plain_attribute_error_word_for_word() -> None:
    path = S3Path("b-1", "/d/")
    with pytest.raises(AttributeError) as raised:
        _ = path.is_dir
    assert str(raised.value) == (
        "S3Path is a pure path (no I/O) and has no is_dir(): ask the store with "
        "s3conf.fs.S3FileSystem(bucket).is_dir(path) or UPath(path.as_uri()).is_dir(); "
        "is_directory tells whether the path is spelled as a directory"
    )
    with pytest.raises(AttributeError) as raised:
        _ = path.no_such_attribute
    assert str(raised.value) == "'S3Path' object has no attribute 'no_such_attribute'"

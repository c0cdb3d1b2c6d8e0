"""Recoverable-writer handles: JSON round trip, refusals naming the value, temporary-object layout."""

from __future__ import annotations

import json

import pytest

from s3conf.errors import InvalidHandleError
from s3conf.multipart import UploadedPart
from s3conf.recoverable_handle import (
    HANDLE_VERSION,
    RecoverableHandle,
    TailObject,
    is_temp_object,
    new_temp_key,
    temp_object_prefix,
)

HANDLE = RecoverableHandle(
    "resume",
    "bucket",
    "dir/name",
    "upload-1",
    (
        UploadedPart(1, '"0f0f"', 5 * 1024 * 1024, "y/Q5Jg=="),
        UploadedPart(2, '"0e0e"', 5 * 1024 * 1024, "AAAAAA=="),
    ),
    TailObject("dir/_name_tmp_0f8fad5b-d9cb-469f-a165-70867728950e", 17, '"abcd"'),
    ("dir/_name_tmp_0f8fad5b-d9cb-469f-a165-70867728950e",),
    "CRC32",
)


def test_a_handle_round_trips_through_json() -> None:
    text = HANDLE.to_json()
    assert RecoverableHandle.from_json(text) == HANDLE
    assert RecoverableHandle.from_json(text.encode()) == HANDLE
    document = json.loads(text)
    assert (document["format"], document["version"], document["size"]) == (
        "s3conf-recoverable",
        HANDLE_VERSION,
        10 * 1024 * 1024 + 17,
    )


def test_a_handle_without_checksums_round_trips() -> None:
    plain = RecoverableHandle("commit", "bucket", "key", "upload-2", (UploadedPart(1, '"0f0f"', 3),))
    assert RecoverableHandle.from_json(plain.to_json()) == plain
    assert "checksum" not in json.loads(plain.to_json())["parts"][0]


def test_a_recovered_streams_handle_with_gaps_and_its_bound_round_trips() -> None:
    gapped = RecoverableHandle(
        "commit", "b", "k", "u", (UploadedPart(1, '"a"', 5), UploadedPart(7, '"b"', 3)), parts_in_flight=4
    )
    assert RecoverableHandle.from_json(gapped.to_json()) == gapped
    assert json.loads(gapped.to_json())["parts_in_flight"] == 4


def test_a_version_1_handle_is_still_read() -> None:
    """As the release before part-number gaps wrote it: no ``parts_in_flight``, parts 1..N."""
    text = (
        '{"bucket":"b","checksum_algorithm":null,"format":"s3conf-recoverable","key":"k","kind":"commit",'
        '"parts":[{"etag":"\\"a\\"","number":1,"size":5}],"size":5,"tail":null,"temp_keys":[],'
        '"upload_id":"u","version":1}'
    )
    handle = RecoverableHandle.from_json(text)
    assert (handle.parts, handle.parts_in_flight) == ((UploadedPart(1, '"a"', 5),), None)


def _changed(**fields: object) -> str:
    document = json.loads(HANDLE.to_json())
    document.update(fields)
    return json.dumps(document)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("{not json", "{not json"),
        ("[1, 2]", "[1, 2]"),
        (_changed(version=3), "version 3"),
        (_changed(version=0), "version 0"),
        (_changed(version=True), "version True"),
        (_changed(format="flink-s3"), "flink-s3"),
        (_changed(kind="pause"), "pause"),
        (_changed(upload_id=""), "upload_id"),
        (_changed(version=1, parts=[{"number": 2, "etag": '"x"', "size": 5}]), r"version 1\) .*\[2\]"),
        (_changed(parts=[{"number": n, "etag": '"x"', "size": 5} for n in (1, 9, 9)]), r"\[1, 9, 9\]"),
        (_changed(parts_in_flight=0), "parts_in_flight = 0"),
        (_changed(parts_in_flight="4"), "parts_in_flight"),
        (_changed(parts=[{"number": 1, "etag": '"x"', "size": -5}]), "-5"),
        (_changed(size=3), "size = 3"),
        (_changed(tail="dir/x"), "dir/x"),
        (_changed(kind="commit"), "commit handle"),
        (_changed(temp_keys=[1]), r"\[1\]"),
        (_changed(checksum_algorithm=32), "checksum_algorithm = 32"),
        (_changed(parts=[{"number": 1, "etag": '"x"', "size": 5, "checksum": 7}]), "checksum = 7"),
    ],
    ids=[
        "not-json",
        "not-object",
        "future-version",
        "version-0",
        "bool-version",
        "other-format",
        "bad-kind",
        "empty-upload-id",
        "v1-parts-not-from-1",
        "parts-not-ascending",
        "parts-in-flight-zero",
        "parts-in-flight-not-int",
        "negative-size",
        "size-mismatch",
        "tail-not-object",
        "commit-with-tail",
        "temp-key-not-string",
        "checksum-algorithm-not-text",
        "part-checksum-not-text",
    ],
)
def test_bad_handles_are_refused_naming_the_value(text: str, named: str) -> None:
    with pytest.raises(InvalidHandleError, match=named):
        RecoverableHandle.from_json(text)


@pytest.mark.parametrize(
    ("key", "temp_prefix", "expected"),
    [
        ("name", "", "_name_tmp_"),
        ("a/b/name", "", "a/b/_name_tmp_"),
        ("a/name", "_tmp/", "_tmp/a/_name_tmp_"),
        ("name", "tmp-", "_tmp-name_tmp_"),
    ],
    ids=["top-level", "nested", "under-prefix", "prefix-without-slash"],
)
def test_temporary_objects_follow_flinks_layout(key: str, temp_prefix: str, expected: str) -> None:
    assert temp_object_prefix(key, temp_prefix) == expected
    fresh = new_temp_key(key, temp_prefix)
    assert fresh.startswith(expected)
    assert is_temp_object(fresh, key, temp_prefix)


def test_temporary_objects_of_a_longer_key_are_not_claimed() -> None:
    longer = new_temp_key("a/name_tmp_x")
    assert not is_temp_object(longer, "a/name")
    assert not is_temp_object("a/_name_tmp_not-a-uuid", "a/name")

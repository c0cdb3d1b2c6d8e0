"""fsspec range reads through ``s3x://``: ``cat_file(start, end)``, ``cat_ranges``, ``open(policy=)``."""

from __future__ import annotations

import random
from typing import Any

import pytest

from s3conf.fsspec import S3XFileSystem
from suites.fileaccess.conftest import counted

KiB = 1024


@pytest.fixture
def fs(target: Any) -> S3XFileSystem:
    endpoint = target.endpoint
    return S3XFileSystem(
        key=endpoint.access_key,
        secret=endpoint.secret_key.reveal(),
        endpoint_protocol="http",
        skip_instance_cache=True,
    )


def test_cat_file_and_cat_ranges_return_exact_bytes_with_few_gets(
    fs: S3XFileSystem, target: Any, s3_client: Any, bucket: str
) -> None:
    data = random.Random(1).randbytes(300 * KiB)
    other = b"0123456789"
    s3_client.put_object(Bucket=bucket, Key="a.bin", Body=data)
    s3_client.put_object(Bucket=bucket, Key="b.bin", Body=other)
    base = f"{target.endpoint.netloc}/{bucket}"
    assert fs.cat_file(f"{base}/a.bin", 10, 20) == data[10:20]
    assert fs.cat_file(f"{base}/a.bin", 299 * KiB) == data[299 * KiB :]
    assert fs.cat_file(f"{base}/a.bin", -5) == data[-5:]
    wire = counted(fs._fs(fs._locate(f"{base}/a.bin")).client)
    paths = [f"{base}/a.bin", f"{base}/b.bin", f"{base}/a.bin", f"{base}/a.bin"]
    got = fs.cat_ranges(paths, [0, 2, 100, 290 * KiB], [50, None, 400, 400 * KiB])
    assert got == [data[0:50], other[2:], data[100:400], data[290 * KiB :]]
    assert wire["GetObject"] == 3  # a.bin: [0, 400) merged, then its tail; b.bin: one


def test_cat_ranges_returns_the_error_in_place_of_a_missing_object(fs: S3XFileSystem, target: Any,
                                                                    bucket: str) -> None:  # fmt: skip
    got = fs.cat_ranges([f"{target.endpoint.netloc}/{bucket}/missing"], [0], [10])
    assert isinstance(got[0], FileNotFoundError)


@pytest.mark.parametrize(
    ("options", "policy"),
    [({}, "adaptive"), ({"policy": "random"}, "random"), ({"cache_type": "none"}, "random"),
     ({"cache_type": "all"}, "whole"), ({"cache_type": "readahead", "policy": "adaptive"}, "adaptive")],
    ids=["default", "policy", "cache-none", "cache-all", "policy-wins"],
)  # fmt: skip
def test_open_passes_the_read_policy_through(
    fs: S3XFileSystem, target: Any, s3_client: Any, bucket: str, *, options: dict[str, str], policy: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="obj", Body=b"x" * 100)
    with fs.open(f"{target.endpoint.netloc}/{bucket}/obj", "rb", **options) as file:
        assert file.raw.policy.name == policy
        assert file.read() == b"x" * 100

"""pandas and pyarrow read and write CSV and Parquet through ``s3x://`` URLs, unchanged.

Each test builds a URL from the running target (``s3x://AK:SK@127.0.0.1:PORT/bucket/key``) and hands it
to the library exactly as a user would; the objects are checked with the plain boto3 client.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import fsspec
import pytest

from s3conf.fsspec import S3XFileSystem

pd = pytest.importorskip("pandas")
pq = pytest.importorskip("pyarrow.parquet")
pa = pytest.importorskip("pyarrow")

FRAME = {"city": ["Oslo", "Lima", "Pune"], "population": [709_000, 10_092_000, 3_124_000]}


@pytest.fixture(autouse=True)
def _http_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_SPI_ENDPOINT_PROTOCOL", "http")  # the local targets speak plain HTTP


def _url(target: Any, bucket: str, key: str, *, credentials: bool = True) -> str:
    endpoint = target.endpoint
    userinfo = f"{endpoint.access_key}:{endpoint.secret_key.reveal()}@" if credentials else ""
    return f"s3x://{userinfo}{endpoint.netloc}/{bucket}/{key}"


def _storage_options(target: Any) -> dict[str, str]:
    return {"key": target.endpoint.access_key, "secret": target.endpoint.secret_key.reveal()}


def test_entry_point_registers_s3x_only() -> None:
    """``s3x`` resolves to us through the entry point; ``s3`` stays with s3fs (checked in the registry,
    without importing s3fs, which the test environment need not have)."""
    from importlib.metadata import entry_points

    from fsspec.registry import known_implementations

    assert isinstance(fsspec.filesystem("s3x"), S3XFileSystem)
    ours = {entry.name: entry.value for entry in entry_points(group="fsspec.specs")}
    assert ours.get("s3x") == "s3conf.fsspec:S3XFileSystem"
    assert set(ours).isdisjoint({"s3", "s3a", "s3p"})
    assert known_implementations["s3"]["class"] == "s3fs.S3FileSystem"


def test_pandas_csv_round_trip(target: Any, s3_client: Any, bucket: str) -> None:
    url = _url(target, bucket, "tables/cities.csv")
    pd.DataFrame(FRAME).to_csv(url, index=False)
    stored = s3_client.get_object(Bucket=bucket, Key="tables/cities.csv")["Body"].read()
    assert stored.decode().splitlines()[0] == "city,population"
    pd.testing.assert_frame_equal(pd.read_csv(url), pd.DataFrame(FRAME))


def test_pandas_parquet_with_storage_options(target: Any, bucket: str) -> None:
    url = _url(target, bucket, "tables/cities.parquet", credentials=False)
    options = _storage_options(target)
    pd.DataFrame(FRAME).to_parquet(url, storage_options=options)
    pd.testing.assert_frame_equal(pd.read_parquet(url, storage_options=options), pd.DataFrame(FRAME))


def test_pyarrow_parquet_through_one_shared_instance(target: Any, s3_client: Any, bucket: str) -> None:
    filesystem = fsspec.filesystem("s3x", **_storage_options(target))
    table = pa.table(FRAME)
    with filesystem.open(_url(target, bucket, "arrow/t.parquet", credentials=False), "wb") as handle:
        pq.write_table(table, handle)
    path = f"{target.endpoint.netloc}/{bucket}/arrow/t.parquet"
    assert pq.read_table(path, filesystem=filesystem).equals(table)
    assert filesystem.ls(f"{target.endpoint.netloc}/{bucket}/arrow", detail=False) == [path]
    assert filesystem.unstrip_protocol(path) == f"s3x://{path}"


def test_paths_keep_the_endpoint_and_never_the_secret(target: Any, s3_client: Any, bucket: str) -> None:
    s3_client.put_object(Bucket=bucket, Key="d/x.csv", Body=b"a\n1\n")
    filesystem = fsspec.filesystem("s3x")
    url = _url(target, bucket, "d")
    listed = filesystem.ls(url, detail=True)
    assert [entry["name"] for entry in listed] == [f"{target.endpoint.netloc}/{bucket}/d/x.csv"]
    assert listed[0]["size"] == 4
    assert listed[0]["created"] == listed[0]["mtime"]
    # listings carry milliseconds, HEAD (behind modified()) whole seconds: the same instant either way
    modified = filesystem.modified(_url(target, bucket, "d/x.csv"))
    assert abs(listed[0]["mtime"] - modified) < timedelta(seconds=1)
    secret = target.endpoint.secret_key.reveal()
    resolved, path = fsspec.core.url_to_fs(url)
    for shown in (repr(filesystem), str(listed), filesystem.unstrip_protocol(url), repr(resolved), path):
        assert secret not in shown
    assert resolved.ls(path, detail=False) == [f"{target.endpoint.netloc}/{bucket}/d/x.csv"]


def test_fsspec_operations(target: Any, s3_client: Any, bucket: str) -> None:
    filesystem = fsspec.filesystem("s3x")
    base = _url(target, bucket, "ops")
    filesystem.pipe(f"{base}/a.txt", b"alpha")
    filesystem.cp_file(f"{base}/a.txt", f"{base}/b.txt")
    assert filesystem.cat(f"{base}/b.txt") == b"alpha"
    assert filesystem.info(f"{base}/b.txt")["type"] == "file"
    assert filesystem.isdir(base)
    filesystem.rm_file(f"{base}/a.txt")
    assert not filesystem.exists(f"{base}/a.txt")
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        filesystem.info(f"{base}/missing.txt")
    with pytest.raises(ValueError, match="'ab'"):
        filesystem.open(f"{base}/b.txt", "ab")

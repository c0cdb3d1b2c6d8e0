"""``UPath("s3x://…")`` from universal_pathlib works as a concrete pathlib path on every target.

universal_pathlib finds :class:`s3conf.upath.S3XPath` through its entry point (no "not explicitly
implemented" warning, which ``filterwarnings = error`` would turn into a failure), and every call goes
through the ``s3x`` fsspec file system: URL credentials, odd keys, directories inferred from keys.
"""

from __future__ import annotations

from typing import Any

import pytest

from s3conf.upath import S3XPath

upath = pytest.importorskip("upath")


@pytest.fixture(autouse=True)
def _http_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_SPI_ENDPOINT_PROTOCOL", "http")


def test_upath_reads_writes_and_lists(target: Any, s3_client: Any, bucket: str) -> None:
    endpoint = target.endpoint
    secret = endpoint.secret_key.reveal()
    s3_client.put_object(Bucket=bucket, Key="d/my file+1.txt", Body=b"hello")
    directory = upath.UPath(f"s3x://{endpoint.access_key}:{secret}@{endpoint.netloc}/{bucket}/d")
    assert isinstance(directory, S3XPath)
    assert directory.is_dir()
    (directory / "new.txt").write_text("written")
    listed = sorted(child.name for child in directory.iterdir())
    assert listed == ["my file+1.txt", "new.txt"]
    odd = directory / "my file+1.txt"
    assert (odd.exists(), odd.is_file(), odd.read_bytes(), odd.stat().st_size) == (True, True, b"hello", 5)
    assert sorted(p.name for p in directory.glob("*.txt")) == listed
    assert not (directory / "missing").exists()
    assert s3_client.get_object(Bucket=bucket, Key="d/new.txt")["Body"].read() == b"written"
    if secret not in endpoint.netloc + bucket:
        assert secret not in str(directory) + repr(directory) + str(list(directory.iterdir()))


def test_upath_with_storage_options(target: Any, s3_client: Any, bucket: str) -> None:
    endpoint = target.endpoint
    s3_client.put_object(Bucket=bucket, Key="k.txt", Body=b"x")
    path = upath.UPath(
        f"s3x://{endpoint.netloc}/{bucket}/k.txt",
        key=endpoint.access_key,
        secret=endpoint.secret_key.reveal(),
    )
    assert (path.read_text(), path.name, str(path.parent)) == (
        "x",
        "k.txt",
        f"s3x://{endpoint.netloc}/{bucket}",
    )

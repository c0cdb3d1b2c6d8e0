"""Failures are not absence: only a 404 or an empty listing reads as "not there" (issue 13, defect 2).

fsspec's default ``exists``/``isfile``/``isdir``/``find``/``glob`` catch every error and answer
``False``/``[]``, so a dead port or rejected credentials looked like a missing file, and a caller would go
on to write, skip or report on a wrong answer. Here each query meets a server that cannot answer (a
port nobody listens on) or credentials the store rejects, and must raise an ``OSError`` that names
``host:port`` and never the secret; s3conf's own :class:`~s3conf.fs.S3FileSystem` is held to the same.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

import fsspec
import pytest

from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.errors import TransferError
from s3conf.fs import S3FileSystem

SECRET = "n0t-the-real-s3cret"

QUERIES: dict[str, Callable[[Any, str], object]] = {
    "exists": lambda fs, url: fs.exists(url),
    "isfile": lambda fs, url: fs.isfile(url),
    "isdir": lambda fs, url: fs.isdir(url),
    "glob": lambda fs, url: fs.glob(url + "/*.csv"),
    "find": lambda fs, url: fs.find(url),
    "walk": lambda fs, url: list(fs.walk(url)),
    "ls": lambda fs, url: fs.ls(url),
}
FS_QUERIES: dict[str, Callable[[S3FileSystem], object]] = {
    "exists": lambda fs: fs.exists("/d/x.csv"),
    "is_file": lambda fs: fs.is_file("/d/x.csv"),
    "is_dir": lambda fs: fs.is_dir("/d/"),
}


@pytest.fixture(autouse=True)
def _http_endpoints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_SPI_ENDPOINT_PROTOCOL", "http")


@pytest.fixture
def dead_port() -> int:
    """A loopback port with nothing listening (bound, read, closed: connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _one_attempt() -> dict[str, Any]:
    return {"config_kwargs": {"retries": {"max_attempts": 1, "mode": "standard"}}}


@pytest.mark.parametrize("query", list(QUERIES.values()), ids=list(QUERIES))
def test_dead_port_raises_naming_host_and_port(dead_port: int, query: Callable[[Any, str], object]) -> None:
    filesystem = fsspec.filesystem("s3x", **_one_attempt())
    url = f"s3x://AK:{SECRET}@127.0.0.1:{dead_port}/some-bucket/d"
    with pytest.raises(TransferError, match=f"127.0.0.1:{dead_port}") as raised:
        query(filesystem, url)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("query", list(QUERIES.values()), ids=list(QUERIES))
def test_rejected_credentials_raise(
    target: Any, s3_client: Any, bucket: str, query: Callable[[Any, str], object]
) -> None:
    if not target.capabilities.auth_enforced:
        pytest.skip(f"{target.name} accepts any credentials")
    s3_client.put_object(Bucket=bucket, Key="d/x.csv", Body=b"a\n1\n")
    filesystem = fsspec.filesystem("s3x")
    url = f"s3x://{target.endpoint.access_key}:{SECRET}@{target.endpoint.netloc}/{bucket}/d"
    with pytest.raises(PermissionError, match=target.endpoint.netloc) as raised:  # HEAD: a bare 403
        query(filesystem, url)
    assert SECRET not in str(raised.value)


def test_only_a_real_404_reads_as_absent(target: Any, s3_client: Any, bucket: str) -> None:
    s3_client.put_object(Bucket=bucket, Key="d/x.csv", Body=b"a\n1\n")
    endpoint = target.endpoint
    filesystem = fsspec.filesystem("s3x", key=endpoint.access_key, secret=endpoint.secret_key.reveal())
    base = f"s3x://{endpoint.netloc}/{bucket}"
    assert (filesystem.exists(f"{base}/d/x.csv"), filesystem.isfile(f"{base}/d/x.csv")) == (True, True)
    assert filesystem.isdir(f"{base}/d")
    missing = f"{base}/nothing/here"
    assert (filesystem.exists(missing), filesystem.isfile(missing), filesystem.isdir(missing)) == (False,) * 3
    assert (filesystem.glob(f"{missing}/*"), filesystem.find(missing), list(filesystem.walk(missing))) == (
        [],
        [],
        [],
    )
    no_bucket = f"s3x://{endpoint.netloc}/s3conf-no-such-bucket-13/x"
    assert (filesystem.exists(no_bucket), filesystem.isdir(no_bucket)) == (False, False)


@pytest.mark.parametrize("query", list(FS_QUERIES.values()), ids=list(FS_QUERIES))
def test_s3filesystem_queries_raise_on_a_dead_port(
    dead_port: int, query: Callable[[S3FileSystem], object]
) -> None:
    endpoint = Endpoint(name="dead", url=f"http://127.0.0.1:{dead_port}", access_key="AK", secret_key=SECRET)
    config = S3Config.resolve({"s3.spi.timeouts.connect": "1"})
    fs = S3FileSystem("some-bucket", endpoint=endpoint, config=config)
    with pytest.raises(TransferError, match=f"127.0.0.1:{dead_port}") as raised:
        query(fs)
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("query", list(FS_QUERIES.values()), ids=list(FS_QUERIES))
def test_s3filesystem_queries_raise_on_rejected_credentials(
    target: Any, s3_client: Any, bucket: str, query: Callable[[S3FileSystem], object]
) -> None:
    if not target.capabilities.auth_enforced:
        pytest.skip(f"{target.name} accepts any credentials")
    s3_client.put_object(Bucket=bucket, Key="d/x.csv", Body=b"a\n1\n")
    endpoint = target.endpoint.with_credentials(target.endpoint.access_key, SECRET)
    fs = S3FileSystem(bucket, endpoint=endpoint)
    with pytest.raises(PermissionError, match=target.endpoint.netloc) as raised:
        query(fs)
    assert SECRET not in str(raised.value)

"""Credentials belong to the URL or instance that gave them (issue 13, defect 3).

Before: credentials were remembered per host for the whole process and file systems cached by access
key, so after one good read a URL with a wrong secret still read, after one bad read the corrected URL
kept failing, and a URL without credentials silently used the last ones for its host. Each order is
played here on a target that checks signatures, through pandas (``fsspec.open``) and through one
shared instance, as query engines use it.
"""

from __future__ import annotations

import pickle
from typing import Any

import fsspec
import pytest

from s3conf.fsspec import S3XFileSystem

pd = pytest.importorskip("pandas")

WRONG = "wr0ng-s3cret"


@pytest.fixture(autouse=True)
def _no_ambient_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Local targets speak HTTP; boto3 finds no credentials of its own (env, files, instance role)."""
    monkeypatch.setenv("S3_SPI_ENDPOINT_PROTOCOL", "http")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def csv_url(target: Any, s3_client: Any, bucket: str) -> Any:
    if not target.capabilities.auth_enforced:
        pytest.skip(f"{target.name} accepts any credentials")
    s3_client.put_object(Bucket=bucket, Key="t/x.csv", Body=b"a\n1\n")
    endpoint = target.endpoint

    def url(secret: str | None) -> str:
        userinfo = f"{endpoint.access_key}:{secret}@" if secret is not None else ""
        return f"s3x://{userinfo}{endpoint.netloc}/{bucket}/t/x.csv"

    url.good = endpoint.secret_key.reveal()  # type: ignore[attr-defined]
    return url


def test_a_wrong_secret_fails_after_a_good_read(csv_url: Any) -> None:
    assert pd.read_csv(csv_url(csv_url.good))["a"].tolist() == [1]
    with pytest.raises(PermissionError) as raised:
        pd.read_csv(csv_url(WRONG))
    assert WRONG not in str(raised.value)


def test_a_corrected_url_works_after_a_failed_one(csv_url: Any) -> None:
    with pytest.raises(PermissionError):
        pd.read_csv(csv_url(WRONG))
    assert pd.read_csv(csv_url(csv_url.good))["a"].tolist() == [1]


def test_a_url_without_credentials_borrows_none(csv_url: Any) -> None:
    assert pd.read_csv(csv_url(csv_url.good))["a"].tolist() == [1]
    with pytest.raises(OSError, match="NoCredentialsError"):
        pd.read_csv(csv_url(None))


def test_one_shared_instance_signs_each_call_with_its_own_url(csv_url: Any) -> None:
    shared = fsspec.filesystem("s3x")
    assert shared.cat(csv_url(csv_url.good)) == b"a\n1\n"
    with pytest.raises(PermissionError):
        shared.cat(csv_url(WRONG))
    with pytest.raises(OSError, match="NoCredentialsError"):
        shared.cat(csv_url(None))
    assert shared.cat(csv_url(csv_url.good)) == b"a\n1\n"
    assert [len(files) for _, _, files in shared.walk(csv_url(csv_url.good).rsplit("/", 1)[0])] == [1]


def test_instances_are_cached_per_secret_and_never_show_it() -> None:
    first = fsspec.filesystem("s3x", key="AK", secret="secret-one")
    assert fsspec.filesystem("s3x", key="AK", secret="secret-one") is first
    second = fsspec.filesystem("s3x", key="AK", secret="secret-two")
    assert second is not first
    via_url, _ = fsspec.core.url_to_fs("s3x://AK:secret-three@127.0.0.1:9/b-1/k")
    assert via_url is not fsspec.filesystem("s3x")
    for instance in (first, second, via_url):
        shown = repr(instance) + str(instance.storage_options) + instance._fs_token
        assert "secret-" not in shown


def test_an_instance_pickles_with_its_credentials(csv_url: Any) -> None:
    """Dask ships file systems to workers by pickle: the copy must sign like the original."""
    resolved, path = fsspec.core.url_to_fs(csv_url(csv_url.good))
    copy = pickle.loads(pickle.dumps(resolved))
    assert isinstance(copy, S3XFileSystem)
    assert copy.cat_file(path) == b"a\n1\n"

"""s3fs's ``storage_options`` mean the same on ``s3x://`` (issue 13, "what users of s3fs expect").

Each option is checked by its effect on a real target: the protocol chosen per instance or per host,
the headers that go on the wire (observed with a botocore ``before-send`` hook on the client the file
system really uses, so no request is faked), unsigned access refused by a store that checks signatures
even when valid credentials sit in the environment, a named profile, and the errors for options that are
unknown or contradict each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import fsspec
import pytest

from s3conf.errors import ConfigError, TransferError
from s3conf.fsspec_locations import locate

pd = pytest.importorskip("pandas")


@pytest.fixture(autouse=True)
def _https_by_default(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """No protocol in the environment (so https is the default) and no ambient AWS credentials."""
    monkeypatch.delenv("S3_SPI_ENDPOINT_PROTOCOL", raising=False)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def stored(target: Any, s3_client: Any, bucket: str) -> str:
    """URL (no credentials) of a small CSV object."""
    s3_client.put_object(Bucket=bucket, Key="o/x.csv", Body=b"a\n7\n")
    return f"s3x://{target.endpoint.netloc}/{bucket}/o/x.csv"


def _keys(target: Any) -> dict[str, str]:
    return {"key": target.endpoint.access_key, "secret": target.endpoint.secret_key.reveal()}


@contextmanager
def _sent_headers(filesystem: Any, url: str) -> Iterator[list[dict[str, str]]]:
    """Headers of every request the file system's own client sends for ``url``."""
    client = filesystem._client(locate(url))[1]
    seen: list[dict[str, str]] = []

    def hook(request: Any, **_: Any) -> None:
        seen.append(
            {
                name.lower(): value.decode() if isinstance(value, bytes) else str(value)
                for name, value in request.headers.items()
            }
        )

    client.meta.events.register("before-send.s3", hook)
    try:
        yield seen
    finally:
        client.meta.events.unregister("before-send.s3", hook)


@pytest.mark.parametrize(
    "protocol_options",
    [
        {"endpoint_protocol": "http"},
        {"use_ssl": False},
        {"client_kwargs": {"use_ssl": False}},
        "endpoint_url",
        "client_kwargs.endpoint_url",
    ],
    ids=[
        "endpoint_protocol",
        "use_ssl",
        "client_kwargs.use_ssl",
        "endpoint_url",
        "client_kwargs.endpoint_url",
    ],
)
def test_http_is_chosen_per_instance(target: Any, stored: str, protocol_options: Any) -> None:
    if protocol_options == "endpoint_url":
        protocol_options = {"endpoint_url": f"http://{target.endpoint.netloc}"}
    elif protocol_options == "client_kwargs.endpoint_url":
        protocol_options = {"client_kwargs": {"endpoint_url": f"http://{target.endpoint.netloc}"}}
    frame = pd.read_csv(stored, storage_options={**_keys(target), **protocol_options})
    assert frame["a"].tolist() == [7]


def test_an_ssl_error_names_host_port_and_the_setting(target: Any, stored: str) -> None:
    options = {**_keys(target), "config_kwargs": {"retries": {"max_attempts": 1}}}
    with pytest.raises(TransferError) as raised:
        fsspec.filesystem("s3x", **options).cat(stored)
    message = str(raised.value)
    assert target.endpoint.netloc in message
    assert "verify=" in message
    assert "endpoint_protocol='http'" in message


def test_the_environment_is_read_per_new_instance(
    target: Any, stored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    https = fsspec.filesystem("s3x", **_keys(target))
    monkeypatch.setenv("S3_SPI_ENDPOINT_PROTOCOL", "http")
    http = fsspec.filesystem("s3x", **_keys(target))
    assert http is not https
    assert http.cat(stored) == b"a\n7\n"


@pytest.mark.parametrize("anonymous", [True, False], ids=["anon", "signed"])
def test_anon_sends_no_signature(target: Any, stored: str, anonymous: bool) -> None:
    options: dict[str, Any] = {"endpoint_protocol": "http"}
    options.update({"anon": True} if anonymous else _keys(target))
    filesystem = fsspec.filesystem("s3x", **options)
    with _sent_headers(filesystem, stored) as seen:
        try:
            filesystem.cat(stored)
        except OSError:  # a private object: refused unsigned (403; rclone: 400 UnsupportedAlgorithm)
            assert anonymous
    assert seen
    assert all(("authorization" in headers) is not anonymous for headers in seen)


def test_anon_ignores_credentials_in_the_environment(
    target: Any, stored: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not target.capabilities.auth_enforced:
        pytest.skip(f"{target.name} serves anyone")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", target.endpoint.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", target.endpoint.secret_key.reveal())
    assert fsspec.filesystem("s3x", endpoint_protocol="http").cat(stored) == b"a\n7\n"
    anonymous = fsspec.filesystem("s3x", endpoint_protocol="http", anon=True)
    # refused, not served with the environment's keys (403 AccessDenied; rclone: 400 UnsupportedAlgorithm)
    with pytest.raises(OSError, match=r"AccessDenied|UnsupportedAlgorithm"):
        anonymous.cat(stored)
    with pytest.raises(OSError, match=target.endpoint.netloc):
        anonymous.info(stored)


def test_a_session_token_goes_with_the_keys(target: Any, stored: str) -> None:
    filesystem = fsspec.filesystem("s3x", endpoint_protocol="http", token="session-tok3n", **_keys(target))
    with _sent_headers(filesystem, stored) as seen:
        try:
            filesystem.cat(stored)
        except PermissionError:
            assert target.capabilities.auth_enforced  # a store with STS rejects an unknown token
    assert seen
    assert all(headers.get("x-amz-security-token") == "session-tok3n" for headers in seen)
    assert "session-tok3n" not in repr(filesystem)


def test_a_named_profile_signs(target: Any, stored: str, tmp_path: Any) -> None:
    (tmp_path / "credentials").write_text(
        f"[s3x-test]\naws_access_key_id = {target.endpoint.access_key}\n"
        f"aws_secret_access_key = {target.endpoint.secret_key.reveal()}\n"
    )
    filesystem = fsspec.filesystem("s3x", endpoint_protocol="http", profile="s3x-test")
    assert filesystem.cat(stored) == b"a\n7\n"


def test_config_kwargs_reach_botocore(target: Any, stored: str) -> None:
    filesystem = fsspec.filesystem(
        "s3x", endpoint_protocol="http", config_kwargs={"connect_timeout": 7, "read_timeout": 11}
    )
    client = filesystem._client(locate(stored))[1]
    assert (client.meta.config.connect_timeout, client.meta.config.read_timeout) == (7, 11)


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"requester_pays": True}, "requester_pays"),
        ({"client_kwargs": {"api_version": "1"}}, "api_version"),
        ({"config_kwargs": {"conect_timeout": 1}}, "conect_timeout"),
        ({"key": "AK"}, "'key' and 'secret'"),
        ({"anon": True, "key": "AK", "secret": "x-s3cret"}, "anon=True"),
        ({"use_ssl": True, "endpoint_protocol": "http"}, "disagree"),
        ({"endpoint_url": "ftp://h:1"}, "endpoint_url"),
        ({"profile": "no-such-profile"}, "no-such-profile"),
        ({"key": "AK", "secret": "x-s3cret", "client_kwargs": {"aws_secret_access_key": "y"}}, "conflicts"),
    ],
    ids=[
        "unknown",
        "client_kwargs",
        "config_kwargs",
        "half-key",
        "anon+key",
        "ssl",
        "scheme",
        "profile",
        "clash",
    ],
)
def test_bad_options_are_refused_by_name(options: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError, match=named.replace("(", r"\(")) as raised:
        pd.read_csv("s3x://127.0.0.1:9/b-1/x.csv", storage_options=options)
    assert "s3cret" not in str(raised.value)

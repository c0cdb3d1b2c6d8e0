"""s3conf.client: what a client is built with, client caching, and the botocore error mapping."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from s3conf.client import (
    clear_client_cache,
    client_for_uri,
    client_pool_size,
    make_client,
    resolve_endpoint,
    translate_error,
)
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.errors import (
    AccessDeniedError,
    AuthenticationError,
    BucketNotFoundError,
    ObjectNotFoundError,
    TransferError,
)

LOCAL = Endpoint(name="local", url="http://127.0.0.1:9000", access_key="AKID", secret_key="s3cr3t-value")


@pytest.fixture(autouse=True)
def fresh_cache() -> None:
    clear_client_cache()


def test_client_carries_endpoint_timeouts_pool_and_addressing() -> None:
    config = S3Config(connect_timeout=3.5, read_timeout=7.0, connection_maximum=80)
    client = make_client(LOCAL, config)
    meta = client.meta
    assert (meta.endpoint_url, meta.region_name) == ("http://127.0.0.1:9000", "us-east-1")
    assert (meta.config.connect_timeout, meta.config.read_timeout) == (3.5, 7.0)
    assert meta.config.max_pool_connections == 80 == client_pool_size(config)
    assert meta.config.s3 == {"addressing_style": "path"}
    assert meta.config.signature_version == "s3v4"
    assert meta.config.retries == {"mode": "standard", "total_max_attempts": 1}  # s3conf retries, once


def test_pool_covers_the_fetch_threads() -> None:
    assert client_pool_size(S3Config(connection_maximum=1)) >= 1
    assert client_pool_size(S3Config(connection_maximum=200)) == 200


@pytest.mark.parametrize(
    ("configured", "protocol", "url"),
    [
        ("minio.local:9000", "http", "http://minio.local:9000"),
        ("minio.local:9000", "https", "https://minio.local:9000"),
        ("http://10.0.0.5:8333", "https", "http://10.0.0.5:8333"),
    ],
    ids=["host-port-http", "host-port-https", "full-url-wins"],
)
def test_configured_endpoint_for_plain_s3_uris(configured: str, protocol: str, url: str) -> None:
    config = S3Config(endpoint=configured, endpoint_protocol=protocol, force_path_style=True)
    resolved = resolve_endpoint(None, config)
    assert resolved is not None
    assert (resolved.url, resolved.region, resolved.path_style) == (url, "us-east-1", True)
    assert make_client(None, config).meta.endpoint_url == url


def test_no_endpoint_means_aws_and_virtual_hosting_left_to_boto3() -> None:
    client = make_client(None, S3Config(region="eu-west-1"))
    assert "amazonaws.com" in client.meta.endpoint_url
    assert client.meta.config.s3 == {"addressing_style": "auto"}


@pytest.mark.parametrize(
    ("endpoint", "expected_key"),
    [(LOCAL, "AKID"), (Endpoint(name="bare", url="http://127.0.0.1:9000"), "CFGKEY")],
    ids=["endpoint-credentials-win", "config-credentials-fill-in"],
)
def test_credential_precedence(endpoint: Endpoint, expected_key: str) -> None:
    config = S3Config(access_key="CFGKEY", secret_key="cfg-secret")
    resolved = resolve_endpoint(endpoint, config)
    assert resolved is not None
    assert resolved.access_key == expected_key
    assert "cfg-secret" not in repr(resolved)


def test_clients_are_cached_per_settings_and_thread_safe() -> None:
    config = S3Config()
    built: list[Any] = []
    threads = [threading.Thread(target=lambda: built.append(make_client(LOCAL, config))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(client) for client in built}) == 1
    assert make_client(LOCAL, S3Config(read_timeout=5.0)) is not built[0]
    assert make_client(LOCAL.with_credentials("OTHER", "x"), config) is not built[0]


@pytest.mark.parametrize(
    ("uri", "url"),
    [
        ("s3x://127.0.0.1:9000/bucket/key", "http://127.0.0.1:9000"),
        ("s3://bucket/key", "http://store.example:7480"),
        ("s3a://bucket/key", "http://store.example:7480"),
    ],
    ids=["s3x-endpoint-in-uri", "s3-configured", "s3a-alias"],
)
def test_client_for_uri(uri: str, url: str) -> None:
    config = S3Config(endpoint="store.example:7480", endpoint_protocol="http")
    assert client_for_uri(uri, config).meta.endpoint_url == url


def client_error(code: str, status: int, message: str = "") -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "GetObject")


@pytest.mark.parametrize(
    ("code", "status", "key", "expected", "named"),
    [
        ("NoSuchKey", 404, "k", ObjectNotFoundError, "s3://b/k"),
        ("404", 404, "k", ObjectNotFoundError, "s3://b/k"),
        ("404", 404, None, BucketNotFoundError, "b"),
        ("NoSuchBucket", 404, "k", BucketNotFoundError, "b"),
        ("AccessDenied", 403, "k", AccessDeniedError, "s3://b/k"),
        ("403", 403, "k", AccessDeniedError, "s3://b/k"),
        ("InvalidAccessKeyId", 403, "k", AuthenticationError, "s3://b/k"),
        ("SignatureDoesNotMatch", 403, "k", AuthenticationError, "s3://b/k"),
        ("InternalError", 500, "k", TransferError, "s3://b/k"),
    ],
    ids=[
        "no-such-key",
        "head-404",
        "head-bucket-404",
        "no-such-bucket",
        "access-denied",
        "head-403",
        "bad-key-id",
        "bad-signature",
        "server-error",
    ],
)
def test_translate_error_maps_codes(
    code: str, status: int, key: str | None, expected: type, named: str
) -> None:
    error = translate_error(client_error(code, status, message="secret is s3cr3t-value"), "b", key)
    assert type(error) is expected
    assert named in str(error)
    assert code in str(error)
    assert "s3cr3t-value" not in str(error) + repr(error)


def test_translate_error_wraps_transport_failures() -> None:
    error = translate_error(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"), "b", "k")
    assert isinstance(error, TransferError)
    assert "s3://b/k" in str(error)


@pytest.mark.parametrize(
    ("make_bucket", "key", "expected"),
    [(True, "absent", ObjectNotFoundError), (False, None, BucketNotFoundError)],
    ids=["missing-key", "missing-bucket"],
)
def test_real_server_errors_translate(
    target: Any, bucket: str, *, make_bucket: bool, key: str | None, expected: type
) -> None:
    client = make_client(target.endpoint, S3Config(connect_timeout=5, read_timeout=10))
    name = bucket if make_bucket else f"{bucket}-absent"

    def request() -> None:
        if key is None:
            client.head_bucket(Bucket=name)
        else:
            client.head_object(Bucket=name, Key=key)

    with pytest.raises(ClientError) as raised:
        request()
    assert isinstance(translate_error(raised.value, name, key), expected)

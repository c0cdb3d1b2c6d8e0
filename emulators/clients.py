"""boto3 clients for a target, and the readiness probe every launcher uses.

Clients are built by :func:`s3conf.client.boto3_client`, the one place in the project that calls
boto3 (targets sit above the I/O layer and may use it); this module only turns keyword settings into a
botocore ``Config`` with the endpoint's addressing style. Unlike ``s3conf.client.make_client`` these
clients are not cached, so tests can register event hooks or pick their own retries.
"""

from __future__ import annotations

from typing import Any

from botocore.config import Config

from emulators.base import wait_until_ready
from s3conf.client import boto3_client as _new_client
from s3conf.endpoint import Endpoint


def boto3_client(endpoint: Endpoint, **config: Any) -> Any:
    """A boto3 S3 client for ``endpoint`` with its addressing style; ``config`` goes to botocore.

    Suites use this through the ``s3_client`` fixture; pass e.g. ``retries={"max_attempts": 1}`` to
    see a server's first answer rather than boto3's retried one.
    """
    s3_options: dict[str, Any] = {"addressing_style": endpoint.addressing_style()}
    s3_options.update(config.pop("s3", {}))
    return _new_client(endpoint, Config(s3=s3_options, **config))  # type: ignore[arg-type]


def probe_client(endpoint: Endpoint) -> Any:
    """A client that fails fast: short timeouts, no retries (readiness polling retries instead)."""
    return boto3_client(
        endpoint, connect_timeout=2, read_timeout=5, retries={"max_attempts": 1, "mode": "standard"}
    )


def list_buckets_probe(client: Any) -> str | None:
    """One authenticated ``ListBuckets`` through a :func:`probe_client`; returns the ``Server`` header.

    Succeeding proves the S3 gateway is up *and* has loaded the credentials, which a listening socket
    does not. The header is a version hint for servers that have no other way to tell.
    """
    response = client.list_buckets()
    headers: dict[str, str] = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    return headers.get("server")


def wait_for_s3(endpoint: Endpoint, **wait: Any) -> str | None:
    """Poll :func:`list_buckets_probe` on ``endpoint`` until it answers; return the ``Server`` header.

    The one readiness wait every launcher uses (process, container, in-process); ``wait`` holds
    :func:`emulators.base.wait_until_ready`'s keyword arguments (deadline, description, crash check,
    log tail, secrets to redact).
    """
    client = probe_client(endpoint)
    server: str | None = wait_until_ready(lambda: list_buckets_probe(client), **wait)
    return server

"""boto3 clients for a target, and the readiness probe every launcher uses.

The targets layer needs only ``s3conf.endpoint``; it builds plain boto3 clients itself instead of
going through ``s3conf.client`` (an I/O-layer module the targets must not depend on).
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from s3conf.endpoint import Endpoint


def boto3_client(endpoint: Endpoint, **config: Any) -> Any:
    """A boto3 S3 client for ``endpoint`` with its addressing style; ``config`` goes to botocore.

    Suites use this through the ``s3_client`` fixture; pass e.g. ``retries={"max_attempts": 1}`` to
    see a server's first answer rather than boto3's retried one.
    """
    s3_options: dict[str, Any] = {"addressing_style": endpoint.addressing_style()}
    s3_options.update(config.pop("s3", {}))
    session: Any = boto3.session.Session()
    return session.client("s3", config=Config(s3=s3_options, **config), **endpoint.client_kwargs())  # type: ignore[arg-type]


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

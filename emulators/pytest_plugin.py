"""PLACEHOLDER (moto only) until the real targets plugin lands; same fixture names and values.

Fixtures: ``target`` (session) -> RunningTarget, ``s3_client`` -> boto3 client, ``bucket`` -> fresh
bucket name. Replaced wholesale by the targets work (issue 4).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config

from s3conf.endpoint import Endpoint


@dataclass(frozen=True)
class RunningTarget:
    name: str
    endpoint: Endpoint
    capabilities: Any = None
    emulator: Any = None


@pytest.fixture(scope="session", params=["moto"], ids=["moto"])
def target() -> Iterator[RunningTarget]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = Endpoint(name="moto", url=f"http://{host}:{port}", access_key="testing", secret_key="testing")
    yield RunningTarget("moto", endpoint)
    server.stop()


@pytest.fixture
def s3_client(target: RunningTarget) -> Any:
    return boto3.client(
        "s3", config=Config(s3={"addressing_style": "path"}), **target.endpoint.client_kwargs()
    )


@pytest.fixture
def bucket(s3_client: Any) -> Iterator[str]:
    name = f"s3conf-{uuid.uuid4().hex[:16]}"
    s3_client.create_bucket(Bucket=name)
    yield name
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for obj in page.get("Contents", []):
            s3_client.delete_object(Bucket=name, Key=obj["Key"])
    s3_client.delete_bucket(Bucket=name)

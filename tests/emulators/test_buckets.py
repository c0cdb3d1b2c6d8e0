"""Bucket names are legal everywhere, and cleanup leaves nothing behind (pending uploads included)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from emulators.buckets import create_bucket, delete_bucket, unique_bucket_name
from emulators.pytest_plugin import RunningTarget

S3_BUCKET_RULE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@pytest.mark.parametrize(
    "prefix", ["", "a", "team-42.", "x" * 40], ids=["none", "short", "dotted", "longest"]
)
def test_unique_names_follow_the_s3_rules(prefix: str) -> None:
    names = {unique_bucket_name(prefix) for _ in range(50)}
    assert len(names) == 50
    assert all(S3_BUCKET_RULE.match(name) and name.startswith(prefix) for name in names)


def test_delete_bucket_removes_objects_and_pending_uploads(target: RunningTarget, s3_client: Any) -> None:
    name = unique_bucket_name(target.bucket_prefix)
    create_bucket(s3_client, name, target.endpoint)
    for key in ("a", "dir/b", "dir/sub/c"):
        s3_client.put_object(Bucket=name, Key=key, Body=key.encode())
    if target.capabilities.multipart:
        s3_client.create_multipart_upload(Bucket=name, Key="pending")

    delete_bucket(s3_client, name, target.capabilities)

    with pytest.raises(ClientError) as caught:
        s3_client.head_bucket(Bucket=name)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_bucket_fixture_gives_an_empty_prefixed_bucket(
    target: RunningTarget, s3_client: Any, bucket: str
) -> None:
    assert bucket.startswith(target.bucket_prefix + "s3conf-")
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0

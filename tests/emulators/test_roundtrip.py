"""Every selected target serves a put/get/list/delete round trip through the ``bucket`` fixture.

Unavailable targets (no Docker engine, no AWS opt-in, no external endpoint) are skipped with their
launcher's reason, which is the behaviour other suites rely on.
"""

from __future__ import annotations

from typing import Any

from emulators.pytest_plugin import RunningTarget


def test_put_get_list_delete(target: RunningTarget, s3_client: Any, bucket: str) -> None:
    assert bucket.startswith(target.bucket_prefix + "s3conf-")
    body = b"hello \x00 s3conf" * 100
    s3_client.put_object(Bucket=bucket, Key="dir/a b+c.txt", Body=body)
    s3_client.put_object(Bucket=bucket, Key="dir/second", Body=b"")

    assert s3_client.get_object(Bucket=bucket, Key="dir/a b+c.txt")["Body"].read() == body
    listed = s3_client.list_objects_v2(Bucket=bucket, Prefix="dir/")
    assert sorted(item["Key"] for item in listed["Contents"]) == ["dir/a b+c.txt", "dir/second"]

    s3_client.delete_object(Bucket=bucket, Key="dir/a b+c.txt")
    listed = s3_client.list_objects_v2(Bucket=bucket)
    assert [item["Key"] for item in listed.get("Contents", [])] == ["dir/second"]


def test_endpoint_reports_server_version(target: RunningTarget) -> None:
    assert target.endpoint.version, f"{target.name} started without a version"
    assert target.endpoint.name == target.name

"""Fresh, uniquely named buckets and their complete removal.

Targets can be real shared stores, so every test gets its own bucket and leaves nothing behind:
pending multipart uploads are aborted (they are invisible to listings and billed on AWS), every
object version and delete marker is removed where the target has versioning, and only then is the
bucket deleted.

>>> name = unique_bucket_name("team-")
>>> name.startswith("team-s3conf-"), 3 <= len(name) <= 63
(True, True)
"""

from __future__ import annotations

import secrets
from typing import Any

from emulators.base import Capabilities
from s3conf.endpoint import Endpoint
from s3conf.errors import TargetError
from s3conf.s3errors import NO_BUCKET_CODES, UNIMPLEMENTED_CODES, error_code, status_and_code

BUCKET_STEM = "s3conf-"
_DELETE_BATCH = 1000


def unique_bucket_name(prefix: str = "") -> str:
    """``<prefix>s3conf-<16 hex>``: legal everywhere (lowercase, no dots added, 3-63 characters)."""
    return f"{prefix}{BUCKET_STEM}{secrets.token_hex(8)}"


def create_bucket(client: Any, name: str, endpoint: Endpoint) -> Any:
    """Create ``name``, return the response; outside ``us-east-1`` the region is the location constraint.

    AWS rejects a CreateBucket without ``LocationConstraint`` sent to any other region (and one naming
    ``us-east-1``), so this is the only way the project creates buckets.
    """
    if endpoint.region and endpoint.region != "us-east-1":
        return client.create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": endpoint.region}
        )
    return client.create_bucket(Bucket=name)


def empty_bucket(client: Any, name: str, capabilities: Capabilities) -> None:
    """Abort pending uploads and delete every key (every version, where versioning exists)."""
    if capabilities.multipart:
        for upload in _pending_uploads(client, name):
            client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    if capabilities.versioning:
        from botocore.exceptions import ClientError

        try:
            delete_all_versions(client, name)
        except ClientError as error:
            # Declared (or, for an external store, assumed) but not there: no versions to delete.
            if error_code(error) not in UNIMPLEMENTED_CODES:
                raise
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        _delete_batches(client, name, [{"Key": item["Key"]} for item in page.get("Contents", [])])


def delete_all_versions(client: Any, name: str) -> None:
    """Delete every object version and delete marker in ``name`` (a bucket with versioning on)."""
    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        entries = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        _delete_batches(client, name, entries)


def delete_bucket(client: Any, name: str, capabilities: Capabilities) -> None:
    """Empty ``name`` completely, then delete it."""
    empty_bucket(client, name, capabilities)
    client.delete_bucket(Bucket=name)


def remove_bucket(client: Any, name: str, capabilities: Capabilities) -> str | None:
    """:func:`delete_bucket` for cleanup that must go on: ``None`` when the bucket is gone, else why not.

    A bucket that is already gone (``NoSuchBucket``) counts as removed. Every other failure is
    returned as ``"<status> <code>"`` (or the error's text) for the caller to report as a leftover;
    nothing is swallowed silently.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        delete_bucket(client, name, capabilities)
    except ClientError as error:
        status, code = status_and_code(error)
        return None if code in NO_BUCKET_CODES else f"{status} {code}".strip()
    except (BotoCoreError, TargetError) as error:
        return str(error)
    return None


def _delete_batches(client: Any, name: str, entries: list[dict[str, str]]) -> None:
    for start in range(0, len(entries), _DELETE_BATCH):
        batch = entries[start : start + _DELETE_BATCH]
        response = client.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})
        errors = response.get("Errors", [])
        if errors:
            first = errors[0]
            raise TargetError(
                f"could not delete {len(errors)} key(s) from bucket {name!r}, "
                f"e.g. {first.get('Key')!r}: {first.get('Code')} {first.get('Message')}"
            )


def _pending_uploads(client: Any, name: str) -> list[dict[str, Any]]:
    """Every pending multipart upload in ``name``.

    rclone (gofakes3) answers ``NoSuchUpload`` instead of an empty list when there are none; that
    answer means "none" here, and any other error still propagates.
    """
    from botocore.exceptions import ClientError

    uploads: list[dict[str, Any]] = []
    try:
        for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=name):
            uploads.extend(page.get("Uploads", []))
    except ClientError as error:
        if error_code(error) != "NoSuchUpload":
            raise
    return uploads

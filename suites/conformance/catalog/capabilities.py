"""The capability flags each target declares, verified against the live server.

A capability that is declared missing makes the checks that need it skip, and a skip cannot reveal
a wrong flag (moto once declared no virtual-host addressing while both addressing checks passed on
it). So every flag gets one check here that runs on every target, probes the feature directly, and
fails when the probe and the declaration disagree, in either direction. The checks never skip.
"""

from __future__ import annotations

import contextlib
import urllib.error
import urllib.request
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from emulators.buckets import delete_all_versions
from suites.conformance.catalog import Source, api, check, guide
from suites.conformance.context import CheckContext, CheckFailed

Probe = Callable[[CheckContext], bool]


def _conditional_writes(ctx: CheckContext) -> bool:
    key = ctx.put("obj", b"first")
    try:
        ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=b"second", IfNoneMatch="*")
    except ClientError:
        return ctx.read(key) == b"first"
    return False


def _complete_one(ctx: CheckContext, key: str, upload: str, etag: str) -> None:
    parts = [{"PartNumber": 1, "ETag": etag}]
    ctx.client.complete_multipart_upload(
        Bucket=ctx.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
    )


def _multipart(ctx: CheckContext) -> bool:
    key = ctx.key("mpu")
    try:
        upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
        etag = ctx.client.upload_part(Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"p")[
            "ETag"
        ]
        _complete_one(ctx, key, upload, etag)
    except ClientError:
        return False
    return ctx.read(key) == b"p"


def _multipart_copy(ctx: CheckContext) -> bool:
    source = ctx.put("src", b"copied")
    key = ctx.key("dst")
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
    try:
        result = ctx.client.upload_part_copy(
            Bucket=ctx.bucket,
            Key=key,
            UploadId=upload,
            PartNumber=1,
            CopySource={"Bucket": ctx.bucket, "Key": source},
        )
        etag = result.get("CopyPartResult", {}).get("ETag")
        if not etag:
            ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)
            return False
        _complete_one(ctx, key, upload, etag)
    except ClientError:
        with contextlib.suppress(ClientError):
            ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)
        return False
    return ctx.read(key) == b"copied"


def _versioning(ctx: CheckContext) -> bool:
    name = ctx.new_bucket()
    try:
        ctx.client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    except ClientError:
        return False
    try:
        for body in (b"v1", b"v2"):
            ctx.client.put_object(Bucket=name, Key="k", Body=body)
        versions = ctx.client.list_object_versions(Bucket=name, Prefix="k").get("Versions", [])
    except ClientError:
        return False
    finally:
        delete_all_versions(ctx.client, name)  # whatever the flag says, so the bucket can go
    return len(versions) == 2


def _presigned_urls(ctx: CheckContext) -> bool:
    key = ctx.put("obj", b"presigned")
    url = ctx.client.generate_presigned_url(
        "get_object", Params={"Bucket": ctx.bucket, "Key": key}, ExpiresIn=300
    )
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return bool(response.status == 200 and response.read() == b"presigned")
    except urllib.error.HTTPError:
        return False


def _virtual_host_addressing(ctx: CheckContext) -> bool:
    key = ctx.put("obj", b"virtual")
    response = ctx.raw("GET", None, virtual_host=True, query={"list-type": "2", "prefix": ctx.prefix})
    return response.status == 200 and f"<Key>{key}</Key>".encode() in response.body


def _object_tagging(ctx: CheckContext) -> bool:
    key = ctx.put("obj", b"tagged")
    try:
        ctx.client.put_object_tagging(
            Bucket=ctx.bucket, Key=key, Tagging={"TagSet": [{"Key": "probe", "Value": "1"}]}
        )
        tags = ctx.client.get_object_tagging(Bucket=ctx.bucket, Key=key).get("TagSet", [])
    except ClientError:
        return False
    return tags == [{"Key": "probe", "Value": "1"}]


def _auth_enforced(ctx: CheckContext) -> bool:
    key = ctx.put("obj", b"secret")
    return ctx.raw("GET", key, secret_key="not-the-secret-key").status == 403


def _bucket_lifecycle(ctx: CheckContext) -> bool:
    try:
        name = ctx.new_bucket()
    except (ClientError, BotoCoreError):
        return False
    return ctx.remove_bucket(name) is None


def _flat_namespace(ctx: CheckContext) -> bool:
    try:
        file_key = ctx.put("d", b"file")
        child_key = ctx.put("d/child", b"child")
        return ctx.read(file_key) == b"file" and ctx.read(child_key) == b"child"
    except ClientError:
        return False


def _part_number_gaps(ctx: CheckContext) -> bool:
    key = ctx.key("mpu")
    first, last = b"g" * (5 * 1024 * 1024), b"after a gap"  # every part but the last is at least 5 MiB
    upload = ctx.client.create_multipart_upload(Bucket=ctx.bucket, Key=key)["UploadId"]
    try:
        parts = [
            {"PartNumber": number, "ETag": ctx.client.upload_part(
                Bucket=ctx.bucket, Key=key, UploadId=upload, PartNumber=number, Body=body)["ETag"]}
            for number, body in ((1, first), (5, last))
        ]  # fmt: skip
        ctx.client.complete_multipart_upload(
            Bucket=ctx.bucket, Key=key, UploadId=upload, MultipartUpload={"Parts": parts}
        )
    except ClientError:
        with contextlib.suppress(ClientError):
            ctx.client.abort_multipart_upload(Bucket=ctx.bucket, Key=key, UploadId=upload)
        return False
    return ctx.read(key) == first + last


PROBES: dict[str, tuple[Probe, Source, str]] = {
    "conditional_writes": (
        _conditional_writes,
        guide("conditional-writes", "How to prevent object overwrites with conditional writes"),
        "PUT with If-None-Match: * onto an existing key is refused and keeps the old bytes",
    ),
    "multipart": (
        _multipart,
        guide("mpuoverview", "Uploading and copying objects using multipart upload"),
        "create, upload a part, complete: the object holds the part",
    ),
    "multipart_copy": (
        _multipart_copy,
        api("UploadPartCopy", "Description"),
        "UploadPartCopy answers a CopyPartResult ETag and the completed copy holds the source",
    ),
    "versioning": (
        _versioning,
        guide("Versioning", "Retaining multiple versions of objects with S3 Versioning"),
        "after enabling versioning, two PUTs of one key list two versions",
    ),
    "presigned_urls": (
        _presigned_urls,
        guide("ShareObjectPreSignedURL", "Sharing objects with presigned URLs"),
        "a presigned GET URL returns the object",
    ),
    "virtual_host_addressing": (
        _virtual_host_addressing,
        guide("VirtualHosting", "Virtual hosting of buckets: Virtual-hosted-style requests"),
        "a ListObjectsV2 addressed as bucket.host lists the bucket",
    ),
    "object_tagging": (
        _object_tagging,
        api("PutObjectTagging", "Description"),
        "PutObjectTagging then GetObjectTagging returns the tag set",
    ),
    "auth_enforced": (
        _auth_enforced,
        api("GetObject", "Description (requests are authenticated with Signature Version 4)"),
        "a GET signed with a wrong secret key answers 403",
    ),
    "bucket_lifecycle": (
        _bucket_lifecycle,
        api("CreateBucket", "Description"),
        "a new bucket can be created and deleted",
    ),
    "flat_namespace": (
        _flat_namespace,
        guide("object-keys", "Naming Amazon S3 objects: the Amazon S3 data model is a flat structure"),
        "an object d and an object d/child coexist",
    ),
    "part_number_gaps": (
        _part_number_gaps,
        guide(
            "mpuoverview",
            "Multipart upload process: the part numbers you choose need not be consecutive (1, 5, 14)",
        ),
        "parts 1 and 5 complete into one object holding both, in order",
    ),
}


def _register(flag: str, probe: Probe, source: Source, feature: str) -> None:
    def run(ctx: CheckContext) -> None:
        declared = bool(getattr(ctx.capabilities, flag))
        works = probe(ctx)
        if works != declared:
            said = "declares" if declared else "declares no"
            seen = "works" if works else "does not work"
            raise CheckFailed(f"the target {said} {flag}, but the probe ({feature}) {seen}")

    run.__module__ = __name__
    check(
        f"capability.{flag.replace('_', '-')}",
        source=source,
        operation=f"capability flag {flag}",
        expected=f"The declared flag matches the server: {feature} exactly when {flag} is true (AWS: true)",
        why="Capability flags decide which checks and tests skip; a wrong flag hides failures or "
        "reports a working feature as missing.",
    )(run)


for _flag, (_probe, _source, _feature) in PROBES.items():
    _register(_flag, _probe, _source, _feature)

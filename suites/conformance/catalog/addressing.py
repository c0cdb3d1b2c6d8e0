"""Path-style and virtual-hosted-style addressing.

AWS serves both ``https://s3.region.amazonaws.com/bucket/key`` (path style, deprecated for new
buckets but still served) and ``https://bucket.s3.region.amazonaws.com/key`` (virtual hosted, the
SDK default). Self-hosted stores usually need path style; a store that supports virtual hosting
must route on the Host header. The virtual-hosted checks connect to the endpoint's address and send
``Host: bucket.<endpoint host>``, so they need no DNS set-up.
"""

from __future__ import annotations

from suites.conformance.catalog import check, guide
from suites.conformance.context import CheckContext, expect_equal, expect_raw, make_conformance_client


@check(
    "addressing.path-style",
    source=guide("VirtualHosting", "Virtual hosting of buckets: Path-style requests"),
    operation="GetObject (path style)",
    expected="GET /bucket/key returns the object",
    why="Path style is how clients reach self-hosted stores and IP endpoints (s3x://host:port/bucket/key).",
)
def path_style(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"path style")
    response = ctx.raw("GET", key)
    expect_equal((response.status, response.body), (200, b"path style"), "status and body")


@check(
    "addressing.path-style.boto3",
    source=guide("VirtualHosting", "Virtual hosting of buckets: Path-style requests"),
    operation="PutObject, GetObject (SDK, path style)",
    expected="An SDK client forced to path style reads and writes",
    why="s3.path.style.access / s3.spi.force-path-style clients use this mode.",
)
def path_style_sdk(ctx: CheckContext) -> None:
    client = make_conformance_client(ctx.endpoint, addressing_style="path")
    key = ctx.key("obj")
    client.put_object(Bucket=ctx.bucket, Key=key, Body=b"sdk")
    expect_equal(client.get_object(Bucket=ctx.bucket, Key=key)["Body"].read(), b"sdk", "body")


@check(
    "addressing.virtual-hosted.get",
    source=guide("VirtualHosting", "Virtual hosting of buckets: Virtual-hosted-style requests"),
    operation="GetObject (virtual-hosted style)",
    expected="GET /key with Host: bucket.<endpoint> returns the object",
    why="SDKs default to virtual-hosted addressing; a store reached by DNS name should route it.",
    requires="virtual_host_addressing",
)
def virtual_hosted_get(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"virtual")
    response = ctx.raw("GET", key, virtual_host=True)
    expect_equal((response.status, response.body), (200, b"virtual"), "status and body")


@check(
    "addressing.virtual-hosted.list",
    source=guide("VirtualHosting", "Virtual hosting of buckets: Virtual-hosted-style requests"),
    operation="ListObjectsV2 (virtual-hosted style)",
    expected="GET /?list-type=2&prefix=... with Host: bucket.<endpoint> lists the bucket",
    why="Listing through virtual-hosted addressing is what the SDKs' default mode does.",
    requires="virtual_host_addressing",
)
def virtual_hosted_list(ctx: CheckContext) -> None:
    key = ctx.put("obj", b"virtual")
    response = ctx.raw("GET", None, virtual_host=True, query={"list-type": "2", "prefix": ctx.prefix})
    expect_raw(response, 200)
    expect_equal(
        response.body.count(f"<Key>{key}</Key>".encode()), 1, "occurrences of the key in the listing"
    )


@check(
    "addressing.dotted-bucket",
    source=guide(
        "bucketnamingrules", "General purpose bucket naming rules (periods; virtual hosting over TLS)"
    ),
    operation="CreateBucket, PutObject (path style)",
    expected="A bucket name with dots works in path style",
    why="Dotted bucket names (domain-like) exist; they cannot use virtual hosting over TLS.",
)
def dotted_bucket(ctx: CheckContext) -> None:
    name = f"{ctx.name_stem}dotted.{ctx.prefix.strip('/').split('/')[-1][:12]}".lower()
    ctx.create_bucket(name)
    ctx.client.put_object(Bucket=name, Key="k", Body=b"dots")
    expect_equal(ctx.client.get_object(Bucket=name, Key="k")["Body"].read(), b"dots", "body")

"""Catalog checks whose verdict depends on the target's settings, run against moto directly.

The region decides what re-creating an owned bucket answers, and a capability check must fail when
the declared flag is wrong in either direction: both are proved here by running the catalog's own
check bodies with a context whose region or capabilities differ from moto's defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from emulators.buckets import create_bucket, remove_bucket, unique_bucket_name
from emulators.moto_target import MotoEmulator
from s3conf.endpoint import Endpoint
from suites.conformance.catalog import get_check
from suites.conformance.context import CheckContext, CheckFailed, make_conformance_client


@pytest.fixture(scope="module", params=["us-east-1", "eu-west-1"])
def moto_in_region(request: pytest.FixtureRequest) -> Iterator[tuple[MotoEmulator, Endpoint]]:
    emulator = MotoEmulator(region=request.param)
    with emulator as endpoint:
        yield emulator, endpoint


@pytest.fixture
def context(moto_in_region: tuple[MotoEmulator, Endpoint]) -> Iterator[CheckContext]:
    emulator, endpoint = moto_in_region
    client = make_conformance_client(endpoint)
    bucket = unique_bucket_name()
    create_bucket(client, bucket, endpoint)
    ctx = CheckContext(
        client=client, bucket=bucket, prefix="live/", endpoint=endpoint, capabilities=emulator.capabilities
    )
    yield ctx
    assert ctx.cleanup() == []
    assert remove_bucket(client, bucket, emulator.capabilities) is None


def test_bucket_re_create_follows_the_region(context: CheckContext) -> None:
    """200 in us-east-1, 409 BucketAlreadyOwnedByYou elsewhere: moto does both, so the check passes in
    both regions (SeaweedFS answers 409 in us-east-1, and its strict xfail in the catalog run shows the
    check failing on that)."""
    assert context.endpoint.region in ("us-east-1", "eu-west-1")
    get_check("error.bucket-already-owned").run(context)


@pytest.mark.parametrize("flag", ["virtual_host_addressing", "conditional_writes", "object_tagging"])
def test_a_wrong_capability_flag_fails_its_check(context: CheckContext, flag: str) -> None:
    """moto supports these; its declaration passes, the opposite declaration fails with the flag named."""
    check = get_check(f"capability.{flag.replace('_', '-')}")
    declared = dataclasses.replace(context.capabilities, **{flag: True})
    check.run(dataclasses.replace(context, capabilities=declared, prefix="right/"))
    wrong = dataclasses.replace(context.capabilities, **{flag: False})
    with pytest.raises(CheckFailed, match=flag):
        check.run(dataclasses.replace(context, capabilities=wrong, prefix="wrong/"))

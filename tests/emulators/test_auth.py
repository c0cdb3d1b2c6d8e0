"""Servers that claim to check credentials really reject wrong ones.

Targets whose capabilities say ``auth_enforced=False`` (moto, LocalStack) are skipped: that is data
from the launcher, not a branch on the target's name.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from emulators.clients import boto3_client
from emulators.pytest_plugin import RunningTarget

WRONG = {
    "wrong-secret": lambda key: (key, "not-the-secret-0123456789"),
    "unknown-key": lambda key: ("AKIAS3CONFUNKNOWN000", "not-the-secret-0123456789"),
}


@pytest.mark.parametrize("credentials", list(WRONG.values()), ids=list(WRONG))
def test_wrong_credentials_are_rejected(target: RunningTarget, credentials: object) -> None:
    if not target.capabilities.auth_enforced:
        pytest.skip(f"{target.name} declares auth_enforced=False")
    access_key, secret_key = credentials(target.endpoint.access_key)  # type: ignore[operator]
    wrong = target.endpoint.with_credentials(access_key, secret_key)
    client = boto3_client(wrong, retries={"max_attempts": 1})
    with pytest.raises(ClientError) as caught:
        client.list_buckets()
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert caught.value.response["Error"]["Code"] in {
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AccessDenied",
    }


def test_right_credentials_are_accepted(target: RunningTarget) -> None:
    assert isinstance(boto3_client(target.endpoint).list_buckets()["Buckets"], list)

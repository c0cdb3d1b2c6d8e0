"""s3conf.checksums without a server: checksum values, refusals, and which requests go unsigned."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config

from s3conf.checksums import CHECKSUM_ALGORITHM, _unsign_checksummed, part_checksum


@pytest.mark.parametrize(
    "body",
    [b"", b"abc", bytearray(b"x" * 70_000), memoryview(b"y" * 9000)],
    ids=["empty", "bytes", "bytearray", "view"],
)
def test_crc32_is_zlibs_big_endian_base64(body: Any) -> None:
    expected = base64.b64encode(zlib.crc32(body).to_bytes(4, "big")).decode()
    assert part_checksum("CRC32", body) == expected


def test_the_chosen_algorithm_is_computable_here() -> None:
    assert len(base64.b64decode(part_checksum(CHECKSUM_ALGORITHM, b"data"))) == 4


def test_an_unknown_algorithm_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"'MD4'.*CRC32"):
        part_checksum("MD4", b"data")


def _request(headers: dict[str, str], s3: dict[str, Any] | None) -> AWSRequest:
    request = AWSRequest(method="PUT", url="http://127.0.0.1:1/b/k", data=b"body", headers=headers)
    request.context["client_config"] = Config(s3=s3) if s3 is not None else Config()
    return request


def _signs_payload(request: AWSRequest) -> Any:
    return (request.context["client_config"].s3 or {}).get("payload_signing_enabled")


@pytest.mark.parametrize(
    ("headers", "s3", "expected"),
    [
        ({"x-amz-checksum-crc32": "AAAAAA=="}, None, False),
        ({"x-amz-checksum-crc32c": "AAAAAA=="}, {"addressing_style": "path"}, False),
        ({}, None, None),
        ({"Content-MD5": "AAAAAAAAAAAAAAAAAAAAAA=="}, None, None),
        ({"x-amz-checksum-crc32": "AAAAAA=="}, {"payload_signing_enabled": True}, True),
    ],
    ids=[
        "checksummed",
        "checksummed-keeps-other-s3-settings",
        "no-checksum",
        "md5-only",
        "explicit-signing-wins",
    ],
)
def test_only_checksummed_bodies_go_unsigned(headers: dict[str, str], s3: Any, expected: Any) -> None:
    request = _request(headers, s3)
    _unsign_checksummed(request)
    assert _signs_payload(request) is expected
    if s3 is not None and "addressing_style" in s3:
        assert request.context["client_config"].s3["addressing_style"] == "path"

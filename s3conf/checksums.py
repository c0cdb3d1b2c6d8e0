"""One verified checksum per uploaded body, instead of a SigV4 payload hash the store may not check.

botocore signs the SHA-256 of every request body when the endpoint is plain ``http`` (and, with
``awscrt`` installed, reads the body through Python callbacks to do it). Profiling the streaming
writer (issue 17) put that hash first among its CPU costs: about 1 s of CPU per GiB here, more than
the copy into the part buffer. It buys less than it seems: the conformance catalog
(``checksum.payload-sha256-mismatch``) observes that SeaweedFS, rclone and moto accept a body whose
signed hash is wrong, so on those stores it verifies nothing.

So every body the writer and the multipart engine upload carries one flexible checksum,
``x-amz-checksum-crc32``, computed once, on the pool thread that sends the part, and s3conf's clients
send the payload as ``UNSIGNED-PAYLOAD``: the rule botocore itself applies over TLS ("a checksum header
and https are enough"), applied over http too. The CRC comes from ISA-L (``isal``, a dependency where
it has wheels: about 0.13 s of CPU per GiB here) or else :func:`zlib.crc32` (about 0.45 s/GiB, and it
releases the GIL on large buffers); SHA-256 costs about 1 s/GiB and MD5 (``Content-MD5``) 2.4 s/GiB.
CRC32C would be as cheap only with ``awscrt``, whose presence also switches botocore to its CRT
signer, which copies every body into a ``BytesIO``; so one algorithm everywhere, CRC32.

What the stores do with the header (catalog ``checksum.crc32.bad-digest`` for PutObject and
``checksum.crc32.upload-part-bad-digest`` for UploadPart): AWS and SeaweedFS refuse a mismatch with
``400 BadDigest``; rclone and moto store without checking, as they do with the signed hash. So
integrity against corruption is verified where it was before (AWS) and now also on SeaweedFS. What is
given up: over
plain http a man in the middle could alter a body and fix its CRC (a CRC is not a MAC; the headers,
the checksum included, stay signed). Callers who want the signed hash back set botocore's
``s3={"payload_signing_enabled": True}`` in the client config (storage option ``config_kwargs``): an
explicit choice there always wins.

What the check costs the store (issue 17, ``reports/samples/bench/write.md``): a perf profile of
SeaweedFS receiving the writer's parts puts verifying the CRC32 at about 1 % of its CPU, while MD5 for
its own ETags takes 42-54 % whatever a client sends; SeaweedFS spent the same CPU per GiB for a client
sending no checksum (obstore). Dropping the header would save that store nothing worth the lost check.

>>> part_checksum("CRC32", b"123456789")
'y/Q5Jg=='
>>> checksum_parameter("CRC32")
'ChecksumCRC32'
"""

from __future__ import annotations

import base64
import importlib
import zlib
from collections.abc import Callable
from typing import Any

from botocore.config import Config

__all__ = [
    "CHECKSUM_ALGORITHM",
    "checksum_parameter",
    "part_checksum",
    "unsigned_checksummed_payloads",
]

try:  # ISA-L's CRC32 (PCLMULQDQ): the same values as zlib's, three to four times faster here
    _crc32: Callable[[Any], int] = importlib.import_module("isal.isal_zlib").crc32
except ImportError:  # pragma: no cover - depends on what is installed
    _crc32 = zlib.crc32

_CHECKSUMS: dict[str, Callable[[Any], int]] = {"CRC32": _crc32}

CHECKSUM_ALGORITHM = "CRC32"
"""The algorithm uploads use: verified by AWS and SeaweedFS, the cheapest to compute here."""

_CHECKSUM_HEADERS = tuple(
    f"x-amz-checksum-{name}" for name in ("crc32", "crc32c", "crc64nvme", "sha1", "sha256")
)
_HANDLER_ID = "s3conf-unsigned-checksummed-payload"


def checksum_parameter(algorithm: str) -> str:
    """The botocore parameter (``ChecksumCRC32``...) that carries a value of ``algorithm``."""
    return f"Checksum{algorithm}"


def part_checksum(algorithm: str, body: Any) -> str:
    """Base64 of the big-endian checksum of ``body`` (any buffer), as the ``x-amz-checksum-*`` header wants.

    Raises:
        ValueError: ``algorithm`` is not one this installation computes.
    """
    compute = _CHECKSUMS.get(algorithm)
    if compute is None:
        raise ValueError(
            f"checksum algorithm {algorithm!r} is not available here (have {sorted(_CHECKSUMS)})"
        )
    return base64.b64encode((compute(body) & 0xFFFFFFFF).to_bytes(4, "big")).decode("ascii")


def unsigned_checksummed_payloads(client: Any) -> None:
    """Make ``client`` send ``UNSIGNED-PAYLOAD`` for PutObject/UploadPart bodies that carry a checksum.

    Idempotent (one handler per client). Requests without an ``x-amz-checksum-*`` header and clients
    whose config sets ``s3.payload_signing_enabled`` explicitly are left exactly as botocore signs them.
    """
    events = getattr(getattr(client, "meta", None), "events", None)
    if events is None:
        return
    for operation in ("PutObject", "UploadPart"):
        event = f"before-sign.s3.{operation}"
        events.register(event, _unsign_checksummed, unique_id=f"{_HANDLER_ID}-{operation}")


def _unsign_checksummed(request: Any, **_: Any) -> None:
    headers = request.headers
    if not any(name in headers for name in _CHECKSUM_HEADERS):
        return
    context = request.context
    config = context.get("client_config")
    if config is None:
        return
    s3: Any = dict(getattr(config, "s3", None) or {})
    if s3.get("payload_signing_enabled") is not None:
        return
    # botocore's S3 signer reads this flag from the request's client config (for http and https alike);
    # the context is per request, so the client's own config is untouched.
    unsigned: Any = {**s3, "payload_signing_enabled": False}
    context["client_config"] = config.merge(Config(s3=unsigned))

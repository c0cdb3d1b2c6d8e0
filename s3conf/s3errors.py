"""S3 error codes and HTTP statuses: the one place that reads them and knows what they mean.

The library (``client``, ``writer``, ``reader``, ``fs``), the targets layer and the conformance suite all
ask the same questions of an S3 answer: which error code is it, which status, does it mean "not
found", "these credentials are wrong", "precondition failed"? Each used to parse the botocore error
itself and keep its own sets of codes, and the sets had drifted apart (one knew ``ExpiredToken``, another
``AuthenticationError``). They all read it here now. The module is core-layer: it needs neither boto3
nor a network, so it works on botocore ``ClientError`` objects and raw XML bodies alike.

Codes come from the S3 API reference, "Error responses" (List of error codes):
https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html#ErrorCodeList

>>> response = {"Error": {"Code": "NoSuchKey"}, "ResponseMetadata": {"HTTPStatusCode": 404}}
>>> class FakeError(Exception):
...     def __init__(self, response): self.response = response
>>> error_code(FakeError(response)), error_status(FakeError(response))
('NoSuchKey', 404)
>>> error_code(FakeError({"Error": {}, "ResponseMetadata": {"HTTPStatusCode": 412}}))
'412'
>>> is_auth_failure(403, "SignatureDoesNotMatch"), is_auth_failure(403, "AccessDenied")
(True, False)
>>> xml_error_code(b"<Error><Code>NoSuchBucket</Code></Error>")
'NoSuchBucket'
"""

from __future__ import annotations

from typing import Any, Protocol

#: The object (or version) is not there. HEAD answers carry no body, so botocore reports the status.
NOT_FOUND_CODES = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchVersion"})
#: The bucket is not there.
NO_BUCKET_CODES = frozenset({"NoSuchBucket"})
#: The credentials themselves are wrong (unknown key, bad signature, expired or invalid token): no
#: request with them can succeed, so a run stops instead of failing every check.
AUTH_CODES = frozenset(
    {
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "InvalidToken",
        "ExpiredToken",
        "InvalidSecurity",
        "AuthenticationError",
    }
)
#: The credentials are valid but not allowed to do this.
DENIED_CODES = frozenset({"AccessDenied", "403", "Forbidden", "AllAccessDisabled", "AccountProblem"})
#: A conditional request (If-Match, If-None-Match, If-Unmodified-Since) was refused.
PRECONDITION_CODES = frozenset({"PreconditionFailed", "412"})
#: The server does not implement the requested feature (e.g. a conditional write header).
UNIMPLEMENTED_CODES = frozenset({"NotImplemented", "501"})
#: Worth retrying: throttling and the server's own failures.
TRANSIENT_CODES = frozenset(
    {"SlowDown", "RequestTimeout", "Throttling", "ThrottlingException", "InternalError", "ServiceUnavailable"}
)


class _HasResponse(Protocol):
    response: Any


def error_code(error: _HasResponse) -> str:
    """The S3 error code of a botocore ``ClientError`` (``NoSuchKey``...), else its HTTP status as text.

    HEAD answers and some servers' errors have no XML body; the status is then the best code there is
    (``"404"``), and ``"Unknown"`` when there is not even a status.
    """
    code = str(error.response.get("Error", {}).get("Code") or "")
    if code:
        return code
    status = error_status(error)
    return str(status) if status else "Unknown"


def error_status(error: _HasResponse) -> int | None:
    """The HTTP status of a botocore ``ClientError``, if the response had one."""
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return int(status) if status else None


def status_and_code(error: _HasResponse) -> tuple[int, str]:
    """``(status, code)`` exactly as the server sent them: 0 and ``""`` where absent (no fallback)."""
    return error_status(error) or 0, str(error.response.get("Error", {}).get("Code") or "")


def is_auth_failure(status: int | None, code: str) -> bool:
    """Whether an answer means "these credentials are wrong" (not merely "not allowed")."""
    return code in AUTH_CODES or status == 401


def xml_error_code(body: bytes) -> str | None:
    """The ``<Code>`` of an S3 XML error body, or ``None`` when the body has none."""
    start = body.find(b"<Code>")
    end = body.find(b"</Code>", start)
    if start < 0 or end < 0:
        return None
    return body[start + len(b"<Code>") : end].decode("utf-8", "replace")

"""What a check body gets: a client, a bucket, a unique key prefix and a raw-HTTP helper.

Most checks share one bucket per target session (creating a bucket per check is slow on real servers
and costs quota on shared stores); each check writes only under its own unique key prefix, so checks
never see each other's keys. Checks that need an empty bucket or bucket-level operations create their
own with :meth:`CheckContext.new_bucket`, which applies the run's bucket prefix and deletes it after.

boto3 hides the details some checks are about (it retries, follows its own range and checksum
policies, and turns statuses into exceptions), so :meth:`CheckContext.raw` sends one exact request
signed with botocore's SigV4 and returns status, headers and body untouched.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from emulators.base import Capabilities
from emulators.buckets import BUCKET_STEM, create_bucket, remove_bucket, unique_bucket_name
from emulators.clients import boto3_client
from s3conf.endpoint import Endpoint
from s3conf.s3errors import AUTH_CODES, status_and_code, xml_error_code

# Answers that mean "these credentials are wrong": the run stops instead of failing every check.
AUTH_ERROR_CODES = AUTH_CODES
AUTH_EXIT_CODE = 3


class CheckFailed(AssertionError):  # noqa: N818 - reads as "the check failed" in reports
    """The target behaved differently from AWS S3; the message says how."""


def make_conformance_client(endpoint: Endpoint, *, addressing_style: str | None = None, **config: Any) -> Any:
    """A boto3 client that sends exactly what a check asks for.

    Retries are off (a flaky answer is a finding, not noise to hide) and botocore's automatic
    request checksums are limited to operations that require them, so checksum checks control
    every checksum header themselves. ``config`` overrides these botocore settings (the checks of the
    SDK's default checksum path turn checksums back on).
    """
    settings: dict[str, Any] = {
        "retries": {"max_attempts": 1, "mode": "standard"},
        "signature_version": "s3v4",
        "request_checksum_calculation": "when_required",
        "response_checksum_validation": "when_required",
        "connect_timeout": 10,
        "read_timeout": 60,
    }
    settings.update(config)
    return boto3_client(
        endpoint, s3={"addressing_style": addressing_style or endpoint.addressing_style()}, **settings
    )


@dataclass(frozen=True)
class RawResponse:
    """An HTTP answer as the server sent it (header names lower-cased)."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def error_code(self) -> str | None:
        """The ``<Code>`` of an S3 XML error body, if there is one."""
        return xml_error_code(self.body)


@dataclass
class CheckContext:
    """Everything a check body may use; one per (target, check)."""

    client: Any
    bucket: str
    prefix: str
    endpoint: Endpoint
    capabilities: Capabilities = field(default_factory=Capabilities)
    bucket_prefix: str = ""
    created_buckets: list[str] = field(default_factory=list)

    @property
    def name_stem(self) -> str:
        """What every bucket name this run uses starts with: the run's prefix and ``s3conf-``."""
        return f"{self.bucket_prefix}{BUCKET_STEM}"

    @property
    def region(self) -> str:
        """The target's signing region (region-dependent checks compare against it)."""
        return self.endpoint.region or "us-east-1"

    def key(self, name: str = "obj") -> str:
        """A key under this check's private prefix."""
        return f"{self.prefix}{name}"

    def put(self, name: str, body: bytes = b"", **kwargs: Any) -> str:
        """PUT ``body`` at :meth:`key` ``(name)`` and return the full key."""
        key = self.key(name)
        self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **kwargs)
        return key

    def read(self, key: str) -> bytes:
        """GET the whole object at the full ``key`` (as :meth:`put` returns it) and return its bytes."""
        body: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body

    def new_bucket(self) -> str:
        """Create a fresh bucket (in the target's region) named with the run's prefix; see :meth:`cleanup`."""
        name = unique_bucket_name(self.bucket_prefix)
        self.create_bucket(name)
        return name

    def create_bucket(self, name: str) -> Any:
        """CreateBucket ``name`` in the target's region, remembered for :meth:`cleanup` once it exists."""
        response = create_bucket(self.client, name, self.endpoint)
        if name not in self.created_buckets:
            self.created_buckets.append(name)
        return response

    def remove_bucket(self, name: str) -> str | None:
        """Empty and delete ``name``; ``None`` when it is gone, else why it is not (a leftover)."""
        reason = remove_bucket(self.client, name, self.capabilities)
        if reason is None and name in self.created_buckets:
            self.created_buckets.remove(name)
        return reason

    def cleanup(self) -> list[str]:
        """Empty and delete the buckets this check created; return those left behind, with why.

        On a store that keeps objects as files (``flat_namespace`` false, e.g. rclone) a failed or
        aborted upload can leave an empty directory for the check's prefix, which no listing shows
        and which blocks the bucket's deletion; when nothing is listed under the prefix, deleting
        the prefix as a key removes that directory.
        """
        if not self.capabilities.flat_namespace:
            listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix=self.prefix, MaxKeys=1)
            if not listed.get("Contents"):  # only an empty directory can be left: remove it
                self.client.delete_object(Bucket=self.bucket, Key=self.prefix)
        leftovers = []
        for name in list(self.created_buckets):
            reason = self.remove_bucket(name)
            if reason is not None:
                leftovers.append(f"{name} ({reason})")
        self.created_buckets.clear()
        return leftovers

    def raw(
        self,
        method: str,
        key: str | None = None,
        *,
        bucket: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        query: Mapping[str, str] | None = None,
        virtual_host: bool = False,
        secret_key: str | None = None,
        access_key: str | None = None,
        send_body: bytes | None = None,
        content_length: str | None = None,
        midway: Callable[[], None] | None = None,
        timeout: float = 60,
        unsigned_trailer: bool = False,
    ) -> RawResponse:
        """Send one SigV4-signed request and return the raw answer.

        Args:
            method: HTTP method.
            key: Object key (percent-encoded here, exactly once); ``None`` for a bucket request.
            bucket: Bucket; defaults to the shared one. ``""`` addresses the service (ListBuckets).
            headers: Extra request headers, signed.
            body: Request body, whose SHA-256 is signed.
            query: Query parameters.
            virtual_host: Put the bucket in the Host header (``bucket.host``) instead of the path;
                the TCP connection still goes to the endpoint's address.
            secret_key: Sign with this secret instead of the endpoint's (authentication checks).
            access_key: Sign with this access key instead of the endpoint's.
            send_body: Send these bytes instead of ``body`` (payload-hash mismatch checks).
            content_length: Send this ``Content-Length`` value instead of the body's length
                (malformed-request checks; ``""`` sends an empty value).
            midway: Called after the first half of the body is sent and before the rest, so a
                check can make another request finish while this one is still uploading.
            timeout: Seconds to wait for the answer.
            unsigned_trailer: Sign as ``STREAMING-UNSIGNED-PAYLOAD-TRAILER`` (an ``aws-chunked`` body
                with a trailing checksum, which the caller encodes), as SDKs upload over TLS.
        """
        bucket = self.bucket if bucket is None else bucket
        path = ""
        host = self.endpoint.netloc if self.endpoint.port not in (80, 443) else self.endpoint.host
        if virtual_host and bucket:
            host = f"{bucket}.{host}"
        elif bucket:
            path = f"/{bucket}"
        if key is not None:
            path += "/" + quote(key, safe="/~")
        path = path or "/"
        query_string = urlencode(sorted((query or {}).items()), quote_via=quote)
        url = f"{self.endpoint.scheme}://{host}{path}" + (f"?{query_string}" if query_string else "")
        request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
        if unsigned_trailer:
            request.context["checksum"] = {"request_algorithm": {"in": "trailer"}}
        ak = access_key or self.endpoint.access_key or ""
        sk = secret_key
        if sk is None and self.endpoint.secret_key is not None:
            sk = self.endpoint.secret_key.reveal()
        S3SigV4Auth(Credentials(ak, sk or ""), "s3", self.endpoint.region).add_auth(request)
        conn_class = (
            http.client.HTTPSConnection if self.endpoint.scheme == "https" else http.client.HTTPConnection
        )
        connection = conn_class(self.endpoint.host, self.endpoint.port, timeout=timeout)
        try:
            target = path + (f"?{query_string}" if query_string else "")
            payload = body if send_body is None else send_body
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            sent = {name.lower() for name in request.headers}
            for name, value in request.headers.items():
                connection.putheader(name, value)
            if "host" not in sent:
                connection.putheader("Host", host)
            if content_length is not None:
                connection.putheader("Content-Length", content_length)
            elif method in ("PUT", "POST") or payload:
                connection.putheader("Content-Length", str(len(payload)))
            if midway is None:
                connection.endheaders(payload or None)
            else:
                half = len(payload) // 2
                connection.endheaders(payload[:half])
                midway()
                connection.send(payload[half:])
            response = connection.getresponse()
            data = response.read()
            return RawResponse(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
        finally:
            connection.close()


# ---- assertion helpers: failures read as findings in the report ----


def expect_equal(actual: object, expected: object, what: str) -> None:
    """Fail with ``what: expected X, got Y`` unless equal."""
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def expect(condition: bool, message: str) -> None:
    """Fail with ``message`` unless ``condition``."""
    if not condition:
        raise CheckFailed(message)


def error_of(error: ClientError) -> tuple[int, str]:
    """(HTTP status, S3 error code) of a botocore ``ClientError``, as sent (0 and "" where absent)."""
    return status_and_code(error)


def expect_error(status: int, code: str | None, call: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    """Call ``call`` and fail unless it raises the S3 error ``code`` with HTTP ``status``.

    ``code=None`` checks the status only (HEAD answers carry no body, hence no code).
    """
    try:
        call(*args, **kwargs)
    except ClientError as error:
        got_status, got_code = error_of(error)
        if got_status != status or (code is not None and got_code != code):
            raise CheckFailed(
                f"expected {status} {code or ''}, got {got_status} {got_code}".rstrip()
            ) from None
        return
    raise CheckFailed(f"expected {status} {code or ''}, but the request succeeded".rstrip())


def expect_raw(response: RawResponse, status: int, code: str | None = None) -> None:
    """Fail unless a raw answer has ``status`` (and the XML error ``code`` when given)."""
    got_code = response.error_code()
    if response.status != status or (code is not None and got_code != code):
        raise CheckFailed(f"expected {status} {code or ''}, got {response.status} {got_code or ''}".rstrip())


@contextmanager
def own_bucket(ctx: CheckContext) -> Iterator[str]:
    """A fresh bucket for one check, deleted afterwards (also on failure)."""
    name = ctx.new_bucket()
    try:
        yield name
    finally:
        ctx.remove_bucket(name)  # a bucket that stays is reported by cleanup() as a leftover


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), for the checksum checks; botocore needs awscrt for it.

    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _crc32c_table() -> list[int]:
    table = []
    for index in range(256):
        value = index
        for _ in range(8):
            value = (value >> 1) ^ 0x82F63B78 if value & 1 else value >> 1
        table.append(value)
    return table


_CRC32C_TABLE = _crc32c_table()

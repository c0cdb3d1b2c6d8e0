"""boto3 S3 clients built from an :class:`~s3conf.endpoint.Endpoint` (or configuration) and an
:class:`~s3conf.config.S3Config`, and the one mapping from botocore errors to :mod:`s3conf.errors`.

Decisions:

* **Where the endpoint comes from.** An explicit ``Endpoint`` (an ``s3x://`` URI or a launcher) wins;
  otherwise ``s3.spi.endpoint`` (``host[:port]`` takes ``s3.spi.endpoint-protocol``, a full URL is
  used as given); otherwise AWS. Credentials carried by the endpoint win over ``s3.access-key`` /
  ``s3.secret-key``; with neither, boto3's own chain (env, profile, instance role) decides.
* **Addressing.** Path style when the endpoint asks for it or ``s3.spi.force-path-style`` is true.
* **Connection pool** = max(``s3.connection.maximum``, the shared fetch pool's threads), so read-ahead
  threads never queue for a connection (urllib3 would otherwise warn and discard connections).
* **One retry layer per request.** botocore's own retries are off (``total_max_attempts=1``); s3conf
  registers botocore's *standard* retry policy (3 attempts: throttling, 5xx, dropped connections) on
  the client's ``needs-retry`` event for every operation except ``GetObject``, which the reader retries
  itself because a GET can also fail in its body, where botocore cannot see it. So a GET is tried
  ``attempts`` times (3), not 3 x 3 as when both layers retried.
* **Timeouts per request.** ``s3.spi.timeouts.read`` bounds the wait for response bytes;
  ``s3.spi.timeouts.write`` replaces it for uploads (``PutObject``, ``UploadPart``,
  ``CompleteMultipartUpload``), whose answer comes only after the server has taken every byte. Set
  through botocore's per-request ``read_timeout`` (request context) on botocore versions that have
  it; older ones keep the read timeout for every request.
* **A deadline per operation.** ``s3.spi.timeouts.operation`` (default 300 s) bounds one operation
  with all its retries: a botocore call, or a whole fragment fetch of the reader (which opens
  :func:`operation_deadline` around its attempts). No retry starts past it, and every request's read
  timeout is cut to what is left. So with the defaults a dead server fails an operation in at most
  300 s (plus at most one connect timeout, 60 s, for a connection attempt begun just before the
  deadline), instead of 3 x 3 x 180 s.
* **A checksummed upload body is not hashed again for the signature.** A PutObject/UploadPart that
  carries an ``x-amz-checksum-*`` header (the writer and the multipart engine send one CRC per body)
  goes as ``UNSIGNED-PAYLOAD``, over http as botocore already does over https; an explicit
  ``s3.payload_signing_enabled`` in the client config wins (:mod:`s3conf.checksums`).
* **Caching.** Clients are cached per (endpoint, credentials, settings) because building one costs
  tens of milliseconds and boto3 clients are thread-safe; :func:`clear_client_cache` drops them.
"""

from __future__ import annotations

import contextlib
import datetime
import email.utils
import errno
import math
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

import boto3
import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError, NoCredentialsError, SSLError
from botocore.parsers import DEFAULT_TIMESTAMP_PARSER
from botocore.retries import quota, standard

from s3conf.checksums import unsigned_checksummed_payloads
from s3conf.client_options import ClientOptions
from s3conf.endpoint import Endpoint, endpoint_url
from s3conf.errors import (
    AccessDeniedError,
    AuthenticationError,
    BucketNotFoundError,
    ObjectNotFoundError,
    S3ConfError,
    TransferError,
)
from s3conf.fetchpool import fetch_worker_count
from s3conf.s3errors import (
    AUTH_CODES,
    DENIED_CODES,
    NO_BUCKET_CODES,
    NOT_FOUND_CODES,
)

# Re-exported (the alias marks it for mypy): reader, ranged_get and fs import these from here.
from s3conf.s3errors import error_code as error_code  # noqa: PLC0414
from s3conf.s3errors import error_status as error_status  # noqa: PLC0414

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

    from s3conf.config import S3Config

_cache: dict[tuple[Any, ...], S3Client] = {}
_cache_lock = threading.Lock()

#: Attempts per request for operations botocore retries for us (its standard default).
REQUEST_ATTEMPTS = 3
#: Operations the reader retries itself (botocore must not retry them too).
SELF_RETRIED_OPERATIONS = frozenset({"GetObject"})
#: Operations whose response waits for an upload: they get ``s3.spi.timeouts.write``.
UPLOAD_OPERATIONS = frozenset({"PutObject", "UploadPart", "CompleteMultipartUpload"})

_deadlines = threading.local()


@contextlib.contextmanager
def operation_deadline(deadline: float) -> Iterator[None]:
    """Bound every request this thread makes inside the block by ``deadline`` (``time.monotonic()``).

    The reader wraps a fragment fetch (all its attempts) in one of these; requests made inside get
    their read timeout cut to the time left, and botocore starts no retry past it. Nested blocks keep
    the earliest deadline.
    """
    previous = getattr(_deadlines, "outer", None)
    _deadlines.outer = deadline if previous is None else min(previous, deadline)
    try:
        yield
    finally:
        _deadlines.outer = previous


def enter_call(operation_timeout: float) -> None:
    """Start a request made outside botocore's call pipeline (no ``before-call``): set its deadline.

    The same rule as a botocore call (:class:`_RequestPolicy`): ``operation_timeout`` from now, or the
    enclosing :func:`operation_deadline` when that is nearer. Used by :mod:`s3conf.directget`.
    """
    deadline = time.monotonic() + operation_timeout
    outer = getattr(_deadlines, "outer", None)
    _deadlines.call = deadline if outer is None else min(deadline, outer)


def remaining_seconds() -> float:
    """Seconds left before the current call's deadline in this thread (``inf`` outside any call)."""
    deadline = getattr(_deadlines, "call", None)
    return math.inf if deadline is None else deadline - time.monotonic()


class _RequestPolicy:
    """The client's event hooks: per-call deadline, per-request read/write timeouts, one retry layer."""

    def __init__(self, config: S3Config) -> None:
        self._operation = config.operation_timeout
        self._read = config.read_timeout
        self._write = config.write_timeout
        adapter = standard.RetryEventAdapter()
        detector = standard.ThrottlingErrorDetector(adapter)
        self._retries = standard.RetryHandler(
            retry_policy=standard.RetryPolicy(
                retry_checker=standard.StandardRetryConditions(max_attempts=REQUEST_ATTEMPTS),
                retry_backoff=standard.ExponentialBackoff(),
            ),
            retry_event_adapter=adapter,
            # botocore's stubs type this as RetryQuota; at run time the handler needs the checker.
            retry_quota=standard.RetryQuotaChecker(quota.RetryQuota(), detector),  # type: ignore[arg-type]
        )

    def register(self, client: Any) -> None:
        client.meta.events.register("before-call.s3", self.start_call)
        client.meta.events.register("before-send.s3", self.before_send)
        client.meta.events.register("needs-retry.s3", self.needs_retry)

    def start_call(self, **_: Any) -> None:
        """A new API call: its deadline is the operation timeout, or the enclosing operation's."""
        enter_call(self._operation)

    def before_send(self, request: Any, event_name: str, **_: Any) -> None:
        """Give this attempt the read (or write) timeout, cut to the time left before the deadline."""
        operation = event_name.rsplit(".", 1)[-1]
        wanted = self._write if operation in UPLOAD_OPERATIONS else self._read
        context = getattr(request, "context", None)
        if isinstance(context, dict):
            context["read_timeout"] = max(0.001, min(wanted, remaining_seconds()))

    def needs_retry(self, operation: Any, **kwargs: Any) -> float | None:
        """botocore's standard decision, except for self-retried operations and past the deadline."""
        if operation.name in SELF_RETRIED_OPERATIONS:
            return None
        delay: float | None = self._retries.needs_retry(operation=operation, **kwargs)
        if delay is not None and delay >= remaining_seconds():
            return None
        return delay


def resolve_endpoint(endpoint: Endpoint | None, config: S3Config) -> Endpoint | None:
    """The endpoint a client for ``config`` talks to: ``endpoint`` if given, else the configured one.

    Returns ``None`` for AWS (no endpoint configured), leaving the URL to boto3.

    >>> from s3conf.config import S3Config
    >>> resolve_endpoint(None, S3Config(endpoint="localhost:9000", endpoint_protocol="http")).url
    'http://localhost:9000'
    >>> resolve_endpoint(None, S3Config()) is None
    True
    """
    if endpoint is not None:
        if endpoint.access_key is None and config.access_key is not None and config.secret_key is not None:
            endpoint = endpoint.with_credentials(config.access_key, config.secret_key)
        return endpoint
    if config.endpoint is None:
        return None
    return Endpoint(
        name=config.endpoint,
        url=endpoint_url(config.endpoint, config.endpoint_protocol),
        region=config.region or "us-east-1",
        access_key=config.access_key,
        secret_key=config.secret_key,
        path_style=config.force_path_style,
    )


def client_pool_size(config: S3Config) -> int:
    """HTTP connections per client: enough for the configured maximum and every fetch thread."""
    return max(config.connection_maximum, fetch_worker_count(config))


def make_client(
    endpoint: Endpoint | None, config: S3Config, options: ClientOptions | None = None
) -> S3Client:
    """A (cached, thread-safe) boto3 S3 client for ``endpoint`` (or the configured endpoint) and ``config``.

    Args:
        endpoint: where the store is, with credentials; ``None`` means ``s3.spi.endpoint`` or AWS.
        config: timeouts, pool size, path style, region and fallback credentials.
        options: session token, unsigned access, TLS verification, profile, botocore ``Config`` overrides.
    """
    resolved = resolve_endpoint(endpoint, config)
    path_style = config.force_path_style or (resolved is not None and resolved.path_style)
    addressing: Literal["auto", "virtual", "path"] = (
        "path" if path_style else ("virtual" if resolved is not None else "auto")
    )
    key = (
        resolved.url if resolved is not None else None,
        resolved.region if resolved is not None else config.region,
        resolved.access_key if resolved is not None else config.access_key,
        resolved.secret_key if resolved is not None else config.secret_key,
        addressing,
        config.connect_timeout,
        config.read_timeout,
        config.write_timeout,
        config.operation_timeout,
        client_pool_size(config),
        options.cache_key() if options is not None else None,
    )
    with _cache_lock:
        client = _cache.get(key)
        if client is None:
            client = _build(resolved, config, addressing, options or ClientOptions())
            _cache[key] = client
        return client


def new_client(endpoint: Endpoint | None, config: S3Config, options: ClientOptions | None = None) -> S3Client:
    """Like :func:`make_client`, but a new client every call (tests that own their endpoint, soaks)."""
    resolved = resolve_endpoint(endpoint, config)
    path_style = config.force_path_style or (resolved is not None and resolved.path_style)
    addressing: Literal["auto", "virtual", "path"] = (
        "path" if path_style else ("virtual" if resolved is not None else "auto")
    )
    return _build(resolved, config, addressing, options or ClientOptions())


def _build(
    endpoint: Endpoint | None,
    config: S3Config,
    addressing: Literal["auto", "virtual", "path"],
    options: ClientOptions,
) -> S3Client:
    settings: dict[str, Any] = dict(
        signature_version=UNSIGNED if options.anonymous else "s3v4",
        max_pool_connections=client_pool_size(config),
        connect_timeout=config.connect_timeout,
        read_timeout=config.read_timeout,
        retries={"mode": "standard", "total_max_attempts": 1},  # retried by _RequestPolicy or the reader
        # Checksums only when an operation requires them: S3-compatible stores differ in the new
        # default CRC trailers, and some (rclone) send the whole object's checksum with a ranged GET.
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
        s3={"addressing_style": addressing},
    )
    for name, value in options.config_kwargs:
        merge = name == "s3" and isinstance(value, dict)
        settings[name] = {**settings["s3"], **value} if merge else value
    botocore_config = Config(**settings)
    kwargs: dict[str, Any] = {}
    if endpoint is not None:
        kwargs.update(endpoint.client_kwargs())
    else:
        if config.region is not None:
            kwargs["region_name"] = config.region
        if config.access_key is not None and config.secret_key is not None:
            kwargs["aws_access_key_id"] = config.access_key
            kwargs["aws_secret_access_key"] = config.secret_key.reveal()
    if options.anonymous:
        kwargs.pop("aws_access_key_id", None)
        kwargs.pop("aws_secret_access_key", None)
    elif options.session_token is not None and "aws_access_key_id" in kwargs:
        kwargs["aws_session_token"] = options.session_token.reveal()
    if options.verify is not None:
        kwargs["verify"] = options.verify
    client = boto3_client(None, botocore_config, profile=options.profile, **kwargs)
    _RequestPolicy(config).register(client)
    unsigned_checksummed_payloads(client)
    return client


def fast_timestamp(value: Any) -> Any:
    """botocore's timestamp parser, with the ISO 8601 form of listings read by the standard library.

    A ListObjectsV2 page of 1000 keys has 1000 ``LastModified`` values; botocore reads each with
    ``dateutil``'s general parser, which cost most of a listing's time here (issue 18). The ISO form
    with ``Z`` is read by :meth:`datetime.fromisoformat`; anything else goes to botocore's parser.

    >>> fast_timestamp("2026-12-02T22:17:16.000Z").isoformat()
    '2026-12-02T22:17:16+00:00'
    >>> fast_timestamp("Wed, 02 Dec 2026 22:17:16 GMT") == fast_timestamp("2026-12-02T22:17:16Z")
    True
    >>> http = "Wed, 02 Dec 2026 22:17:16 GMT"
    >>> fast_timestamp(http) == DEFAULT_TIMESTAMP_PARSER(http), fast_timestamp(http).utcoffset()
    (True, datetime.timedelta(0))
    """
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        try:
            return datetime.datetime.fromisoformat(value[:-1]).replace(tzinfo=datetime.UTC)
        except ValueError:
            pass
    if isinstance(value, str) and value.endswith(" GMT") and len(value) == len(_HTTP_DATE_SHAPE):
        # An HTTP date (a HEAD's Last-Modified), ``Thu, 03 Dec 2026 17:52:41 GMT``: dateutil took
        # 0.26 ms of a direct HEAD's 0.93 of client CPU; the email parser reads it whatever the locale
        try:
            return email.utils.parsedate_to_datetime(value).replace(tzinfo=datetime.UTC)
        except (TypeError, ValueError):
            pass
    return DEFAULT_TIMESTAMP_PARSER(value)


#: An IMF-fixdate (RFC 9110), the only HTTP date form :func:`fast_timestamp` reads itself.
_HTTP_DATE_SHAPE = "Sun, 06 Nov 1994 08:49:37 GMT"


def boto3_client(
    endpoint: Endpoint | None, botocore_config: Config, *, profile: str | None = None, **client_kwargs: Any
) -> S3Client:
    """A new, uncached boto3 S3 client: the one place in the project that builds one.

    :func:`make_client` (the library's cached clients), ``emulators.clients`` (targets, tests) and the
    conformance suite all come here, so the endpoint's URL, region and credentials reach boto3 one way.

    Args:
        endpoint: where the store is (its URL, region and credentials); ``None`` when ``client_kwargs``
            say it all, or to leave the URL to boto3 (AWS).
        botocore_config: timeouts, retries, addressing style, checksum policy.
        profile: the AWS profile of the session (``None``: boto3's default chain).
        client_kwargs: extra ``boto3.client`` arguments; they win over the endpoint's.
    """
    kwargs: dict[str, Any] = endpoint.client_kwargs() if endpoint is not None else {}
    kwargs.update(client_kwargs)
    # A session per client: boto3's default session is not safe to share between threads.
    core = botocore.session.get_session()
    core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=fast_timestamp)
    session = boto3.session.Session(botocore_session=core, profile_name=profile)
    client: S3Client = session.client("s3", config=botocore_config, **kwargs)
    return client


def clear_client_cache() -> None:
    """Forget every cached client (new credentials or settings take effect on the next call)."""
    with _cache_lock:
        _cache.clear()


def client_for_uri(uri: str, config: S3Config) -> S3Client:
    """The client for an ``s3://``/``s3a://``/``s3p://`` (configured endpoint) or ``s3x://`` URI.

    ``s3x://`` URIs carry their endpoint (``host:port``, protocol from ``s3.spi.endpoint-protocol``,
    optional credentials); the key part of the URI is not needed to build a client.

    Raises:
        InvalidURIError: the URI does not name an S3 location.
    """
    from s3conf.uri import parse_uri

    parsed = parse_uri(uri, protocol=config.endpoint_protocol)
    return make_client(parsed.endpoint, config)


def translate_error(
    error: Exception, bucket: str, key: str | None = None, *, endpoint: str | None = None
) -> S3ConfError:
    """Map a botocore error to the :mod:`s3conf.errors` exception a file API caller expects.

    Returns the exception (the caller writes ``raise translate_error(e, b, k) from e``), so the
    traceback keeps the botocore error. Messages name ``s3://bucket/key`` and the S3 error code, and
    never the server's message text, which can echo request details.

    Args:
        error: usually a ``ClientError``; anything else becomes a :class:`TransferError`.
        bucket: the bucket of the request.
        key: the key, or ``None`` for bucket-level requests (then a 404 means the bucket is missing).
        endpoint: ``host:port`` of an ``s3x`` endpoint; locations are then ``s3x://host:port/bucket/key``.

    >>> from botocore.exceptions import ClientError
    >>> response = {"Error": {"Code": "NoSuchKey"}, "ResponseMetadata": {"HTTPStatusCode": 404}}
    >>> e = ClientError(response, "GetObject")
    >>> translate_error(e, "b", "k")
    ObjectNotFoundError(2, 'no such key (NoSuchKey)')
    >>> str(translate_error(e, "b", "k"))
    "[Errno 2] no such key (NoSuchKey): 's3://b/k'"
    """
    where = f"s3x://{endpoint}" if endpoint else "s3:/"
    location = f"{where}/{bucket}/{key}" if key is not None else f"{where}/{bucket}"
    if not isinstance(error, ClientError):
        return TransferError(errno.EIO, transport_failure(error, endpoint), location)
    code = error_code(error)
    status = error_status(error)
    operation = getattr(error, "operation_name", "request")
    if code in NO_BUCKET_CODES or (code in NOT_FOUND_CODES and key is None):
        return BucketNotFoundError(errno.ENOENT, f"no such bucket ({code})", bucket)
    if code in NOT_FOUND_CODES or (status == 404 and key is not None):
        return ObjectNotFoundError(errno.ENOENT, f"no such key ({code})", location)
    if code in AUTH_CODES:
        return AuthenticationError(errno.EACCES, f"credentials rejected ({code}) by {operation}", location)
    if code in DENIED_CODES or status == 403:
        return AccessDeniedError(errno.EACCES, f"access denied ({code}) by {operation}", location)
    return TransferError(errno.EIO, f"{operation} failed ({code}, HTTP {status})", location)


def transport_failure(error: Exception, endpoint: str | None) -> str:
    """Why a request got no S3 answer, naming ``host:port`` and, where it helps, the setting to change.

    botocore's connection errors carry the URL they tried (``endpoint_url``), which names the server even
    when the caller did not pass ``endpoint``; the URL never holds credentials.

    >>> from botocore.exceptions import EndpointConnectionError
    >>> transport_failure(EndpointConnectionError(endpoint_url="http://127.0.0.1:9/b/k"), None)
    'request to 127.0.0.1:9 failed (EndpointConnectionError)'
    """
    url = getattr(error, "kwargs", {}).get("endpoint_url")
    hostport = urlsplit(url).netloc if isinstance(url, str) and url else endpoint
    reason = f"request to {hostport} failed" if hostport else "request failed"
    reason += f" ({type(error).__name__})"
    if isinstance(error, SSLError):
        reason += (
            "; TLS failed: give a CA bundle (storage option verify='/path/ca.pem' or AWS_CA_BUNDLE), "
            "or use plain HTTP if the server has no TLS (endpoint_protocol='http' / use_ssl=False / "
            "S3_SPI_ENDPOINT_PROTOCOL=http)"
        )
    elif isinstance(error, NoCredentialsError):
        reason += (
            "; no credentials: put them in the URL (s3x://KEY:SECRET@host:port/...), pass storage options "
            "key/secret, set s3.access-key/s3.secret-key, or anon=True for unsigned requests"
        )
    return reason

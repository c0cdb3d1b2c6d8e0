"""A reader's GETs after its first: botocore's request, captured once, re-signed and sent per range.

``client.get_object`` costs 3-4 ms of client CPU per call on the project's machine, whatever the size
of the range (profiled with cProfile/py-spy, see the commit that added this module): user-agent
assembly (twice per call), endpoint-ruleset resolution, parameter validation and serialisation, about
ten event emissions, header parsing into a model (``Last-Modified`` through dateutil), then the signing.
A reader sends many GETs for one object that differ only in ``Range`` and the time of signing, so it
pays that once: the first GET of a reader goes through botocore entirely (endpoint rules, region
redirects, user agent, every handler), its final prepared request is captured on the way out
(``before-send``), and later GETs of the same reader copy it with a new ``Range``/``If-Match``. GETs
started while that first one is still in botocore (a read-ahead issued with the first read, when the size
is already known) wait for it rather than each going through botocore too.
Later readers start from a captured request too. The first GET of *another* object of the same bucket
is derived from the last request the client sent there (:meth:`CapturedRequest.for_key`: the key
written into the URL exactly as botocore writes it; a URL it cannot rewrite derives nothing), so only a
client's first GET of a bucket pays the pipeline: a dataset of many Parquet files, many small objects.
The fsspec layer also hands a reader's request to the next reader of the object with what it remembers
of it (:meth:`DirectGet.adopt`). Only the request is shared, held weakly and only on the client that
sent it, with the fast signer once it was checked against botocore's signature (S3 signs the URL path
as it is, so the check holds for any key of the bucket); connections come from the client's pool as before.
(Sharing those too, through the client, was tried: the short soak then found sockets to a faulty proxy
left open after the client was closed.) Whatever a caller's hooks add to the first GET of a bucket
(``before-call``/``before-sign`` headers) is copied to the others, as it already was to a reader's later
GETs.

* **Signing** is botocore's own: the client's :class:`~botocore.signers.RequestSigner` signs each copy
  (credentials refreshed as usual, ``choose-signer``/``before-sign`` handlers run), so session tokens,
  anonymous (``UNSIGNED``) clients and the signing region behave exactly as in a botocore call.
* **Sending** is botocore's own HTTP session (the client's connection pool, proxies, TLS settings,
  timeouts), after the ``before-send.s3.GetObject`` event: the hooks that count requests on the wire
  (tests, benchmarks) and set the per-request read timeout see every GET, and a hook that answers
  instead of the network (a stubber) is honoured, as botocore does.
* **Errors** (status >= 300) are parsed by the client's own parser into the same modelled
  :class:`~botocore.exceptions.ClientError` botocore raises (``NoSuchKey``, ``PreconditionFailed``,
  ``InvalidRange``...), so the reader's retries and :func:`s3conf.client.translate_error` are unchanged.
  Transport failures are botocore's exceptions from its HTTP session, retried by the reader as before.
* **Success** returns the fields the reader reads (``Body`` as a :class:`~botocore.response.StreamingBody`,
  ``ETag``, ``ContentRange``, ``ContentLength``, ``ResponseMetadata``).
* **Events**: a direct GET is a request on the wire, not an API call, so it emits the two wire-level
  events botocore emits for every request it sends, ``before-send.s3.GetObject`` and
  ``response-received.s3.GetObject`` (with ``parsed_response``, error or not), and neither call-level
  one: ``before-call``'s handlers build a new request, the cost this module avoids, and an
  ``after-call`` without its ``before-call`` made hooks that pair them (requests in flight) count
  below zero. Count bytes received on ``response-received``: it sees every GET, direct or not.

The short path is taken only for requests it can reproduce: SigV4 or unsigned clients, and a captured
GET without a body. Anything else keeps every GET on ``client.get_object``.
"""

from __future__ import annotations

import contextlib
import email.parser
import hashlib
import hmac
import http.client
import socket
import threading
import time
import weakref
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

import botocore
from botocore.auth import SIGNED_HEADERS_BLACKLIST, SIGV4_TIMESTAMP
from botocore.awsrequest import AWSPreparedRequest, AWSRequest, HeadersDict
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.hooks import first_non_none_response
from botocore.response import StreamingBody
from botocore.utils import percent_encode
from urllib3 import HTTPConnectionPool
from urllib3.util.timeout import Timeout

from s3conf.client import enter_call

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["CapturedRequest", "DirectBody", "DirectGet"]

#: Headers of the captured request that belong to one request only (set again for each copy).
_PER_REQUEST = frozenset(
    {
        "authorization",
        "x-amz-date",
        "x-amz-security-token",
        "x-amz-content-sha256",
        "range",
        "if-match",
        "amz-sdk-invocation-id",
    }
)
_SIGNERS = frozenset({"s3v4", botocore.UNSIGNED})
_UNSIGNED_HEADERS = frozenset(SIGNED_HEADERS_BLACKLIST) | {"authorization"}

_capture = threading.local()
#: Clients whose emitter has the capture hook. Weak, so that a client that reuses a collected one's
#: ``id()`` is not taken for it (keyed on ids, such a client's GETs all went through botocore).
_hooked: weakref.WeakSet[Any] = weakref.WeakSet()
_hooked_lock = threading.Lock()
#: Per client (weakly) and bucket, the last GET request botocore sent: the first GET of another object of
#: that bucket is derived from it (:meth:`CapturedRequest.for_key`) instead of paying the call pipeline.
_prototypes: weakref.WeakKeyDictionary[Any, dict[str, CapturedRequest]] = weakref.WeakKeyDictionary()


def _on_send(request: Any, **_: Any) -> None:
    slot = getattr(_capture, "slot", None)
    if slot is not None:
        slot.append(request)


class CapturedRequest:
    """The request botocore sent for one object's first GET, to copy for the next GETs of that object.

    Read-only once made (each GET copies ``headers`` and ``context``; only :attr:`signer` is set, once,
    when a reader's check of it passes), so the readers of one object, and through :meth:`for_key` of
    its bucket, can share it; it belongs to the client that sent it: another client (other credentials,
    endpoint or settings) never uses it (:meth:`DirectGet.adopt`).
    """

    __slots__ = ("_client", "bucket", "context", "headers", "key", "signer", "url")

    def __init__(
        self,
        client: Any,
        bucket: str,
        key: str,
        url: str,
        *,
        headers: dict[str, Any],
        context: dict[str, Any],
    ) -> None:
        self._client = weakref.ref(client)  # a remembered request does not keep its client alive
        self.bucket = bucket
        self.key = key
        self.url = url
        self.headers = headers
        self.context = context
        #: Set once a reader's fast signer produced botocore's own signature for this request; S3's
        #: SigV4 signs the URL path as it is (botocore's ``S3SigV4Auth`` does not normalise it), so it
        #: signs the request for any other key of the bucket as botocore would.
        self.signer: _FastSigner | None = None

    def sent_by(self, client: Any) -> bool:
        return self._client() is client

    def for_key(self, key: str) -> CapturedRequest | None:
        """The same GET for another key of the bucket, or ``None`` when its URL cannot be derived.

        botocore writes the key into the URL as the greedy label of ``/{Bucket}/{Key+}``
        (``percent_encode(key, safe="/~")``, after the bucket's path or host): a URL that ends with this
        request's key written that way, with no query, gets the other key written the same way. Any
        other URL (a query, an access point, a key botocore wrote otherwise) derives nothing, and the
        other object's first GET goes through botocore.
        """
        client = self._client()
        if client is None or not key or not self.key:
            return None
        if key == self.key:
            return self
        written = percent_encode(self.key, safe="/~")
        if "?" in self.url or not self.url.endswith("/" + written):
            return None
        url = self.url[: len(self.url) - len(written)] + percent_encode(key, safe="/~")
        context = dict(self.context)
        if isinstance(context.get("input_params"), dict):  # what botocore's handlers would see
            context["input_params"] = {**context["input_params"], "Key": key}
        redirect = context.get("s3_redirect")
        if isinstance(redirect, dict) and isinstance(redirect.get("params"), dict):
            context["s3_redirect"] = {**redirect, "params": {**redirect["params"], "Key": key}}
        derived = CapturedRequest(client, self.bucket, key, url, headers=self.headers, context=context)
        if self.signer is not None:
            derived.signer = self.signer.for_url(url)
        return derived


class DirectGet:
    """Ranged GETs of one object: the first through ``client.get_object``, the rest re-signed copies.

    Args:
        client: the reader's boto3 client.
        bucket: the bucket.
        key: the key.
    """

    def __init__(self, client: S3Client, bucket: str, key: str) -> None:
        self._client: Any = client
        self._bucket = bucket
        self._key = key
        self._template: CapturedRequest | None = None
        self._fast: _FastSigner | None = None
        self._checked = False  # whether the fast signer was compared with botocore's yet
        self._pool: HTTPConnectionPool | None = None
        self._target = ""
        self._connect_timeout: float | None = None
        self._learning = threading.Lock()  # held by the first GET while it captures the template
        self._tried = False  # whether a first GET has been through botocore (learned or not)
        meta: Any = getattr(client, "meta", None)
        signer: Any = getattr(client, "_request_signer", None)
        endpoint: Any = getattr(client, "_endpoint", None)
        self._usable = (
            meta is not None
            and getattr(signer, "signature_version", None) in _SIGNERS
            and getattr(endpoint, "http_session", None) is not None
        )
        if self._usable:
            with _hooked_lock:
                if client not in _hooked:
                    meta.events.register("before-send.s3.GetObject", _on_send, unique_id="s3conf-directget")
                    _hooked.add(client)
                prototype = _prototypes.get(client, {}).get(bucket)
            derived = prototype.for_key(key) if prototype is not None else None
            if derived is not None:
                self._start_from(derived)

    @property
    def captured(self) -> CapturedRequest | None:
        """The request the GETs copy, once captured (or adopted); for the next reader of the object."""
        return self._template

    def adopt(self, captured: CapturedRequest) -> bool:
        """Start from the request another reader of this object captured, if this client sent it.

        The first GET then skips botocore's call pipeline too (3-4 ms of CPU and about as much time on
        the project's machine): pyarrow opens a Parquet file once to plan and once to read, and the
        fsspec layer's footer GET is another reader of the same object before both.

        Returns:
            whether it was adopted (``False`` for another client's request, or once a GET was made).
        """
        if not self._usable or not captured.sent_by(self._client):
            return False
        with self._learning:
            if self._template is not None or self._tried:
                return False
            self._start_from(captured)
            return True

    def _start_from(self, captured: CapturedRequest) -> None:
        """Copy ``captured`` for this object's GETs; with its verified signer, sign them without botocore."""
        self._template = captured
        if captured.signer is not None:
            self._checked = True
            self._pool, self._target = self._connection_pool(captured.url)
            self._fast = captured.signer

    @property
    def ready(self) -> bool:
        """Whether the next GET can skip botocore's call pipeline."""
        return self._template is not None

    @property
    def path(self) -> str:
        """How the next GET is made: ``botocore``, ``session`` (re-signed, botocore's HTTP session) or
        ``connection`` (re-signed by the verified fast signer, on a pooled connection)."""
        if self._template is None:
            return "botocore"
        return "connection" if self._fast is not None and self._pool is not None else "session"

    def get_object(self, range_header: str, if_match: str | None, operation_timeout: float) -> dict[str, Any]:
        """One ranged GET; through botocore until a request has been captured, then directly.

        Args:
            range_header: the ``Range`` value.
            if_match: the ``If-Match`` value, or ``None``.
            operation_timeout: bound of this request when no enclosing operation sets a nearer one.

        Raises:
            botocore.exceptions.ClientError: the store answered with an error (modelled, as botocore's).
            botocore.exceptions.BotoCoreError: the request got no answer.
        """
        template = self._template
        if template is None and self._usable and not self._tried:
            # GETs started while the first one is in botocore (a reader's read-ahead, issued at once) wait
            # for its template rather than each paying botocore's 3-4 ms of CPU, all competing for the GIL.
            with self._learning:
                if self._template is None and not self._tried:
                    try:
                        return self._through_botocore(range_header, if_match)
                    finally:
                        self._tried = True
            template = self._template
        if template is None:
            return self._through_botocore(range_header, if_match)
        enter_call(operation_timeout)
        headers = dict(template.headers)
        headers["Range"] = range_header
        if if_match is not None:
            headers["If-Match"] = if_match
        client = self._client
        fast = self._fast
        if fast is not None:
            fast.sign(headers, client._request_signer._credentials.get_frozen_credentials(), _now())
        else:  # botocore signs; the first time, the fast signer is checked against it (and the pool found)
            headers = self._sign_with_botocore(headers, template)
            fast = self._fast  # this request is signed already: it may still go on a pooled connection
        prepared, answered = announce(client, "GetObject", "GET", template, headers)
        pool = self._pool if answered is None else None  # a hook's answer stands for the network
        try:
            if pool is not None and fast is not None:
                response, body = self._send(pool, prepared, fast.host)
            else:
                http = answered if answered is not None else client._endpoint.http_session.send(prepared)
        except Exception as error:  # no answer: botocore says so with the exception, then raises it
            _received(client, None, None, error)
            raise
        if pool is not None and fast is not None:
            return self._answer(response.status, response.headers, body, response.read)
        return self._answer(
            http.status_code, http.headers, StreamingBody(http.raw, http.headers.get("content-length")),
            lambda: http.content,
        )  # fmt: skip

    def _answer(self, status: int, headers: Any, body: Any, content: Any) -> dict[str, Any]:
        """The response as botocore's parsed GetObject, or the modelled ``ClientError`` it raises."""
        client = self._client
        model = client.meta.service_model.operation_model("GetObject")
        if status >= 300:
            raw = {"headers": headers, "status_code": status, "body": content(), "context": {}}
            body.close()
            parsed = client._response_parser.parse(raw, model.output_shape)
            _received(client, raw, parsed)
            code = parsed.get("Error", {}).get("Code")
            raise client.exceptions.from_code(code)(parsed, "GetObject")
        length = headers.get("content-length")
        parsed = {
            "Body": body,
            "ETag": headers.get("etag"),
            "ContentRange": headers.get("content-range"),
            "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers},
        }
        if length is not None:  # as botocore: absent when the header is (a chunked answer)
            parsed["ContentLength"] = int(length)
        _received(client, {"headers": headers, "status_code": status, "body": body, "context": {}}, parsed)
        return parsed

    def _sign_with_botocore(self, headers: dict[str, str], template: CapturedRequest) -> dict[str, str]:
        """Sign with the client's ``RequestSigner``; the first time, check the fast signer against it."""
        request = AWSRequest(method="GET", url=template.url, headers=headers, stream_output=True)
        request.context = dict(template.context)
        self._client._request_signer.sign("GetObject", request)
        signed = {
            name: value.decode("utf-8") if isinstance(value, bytes) else value
            for name, value in request.headers.items()
        }
        if not self._checked:
            self._checked = True
            self._fast = self._verified_signer(headers, signed, template.url)
            if self._fast is not None and template.signer is None:
                template.signer = self._fast  # for the next readers of this object and of its bucket
        return signed

    def _verified_signer(
        self, unsigned: dict[str, str], signed: dict[str, str], url: str
    ) -> _FastSigner | None:
        """A fast signer for ``url`` if it produces exactly botocore's ``Authorization``, else ``None``."""
        fast = checked_signer(self._client, unsigned, signed, url)
        if fast is not None:
            self._pool, self._target = self._connection_pool(url)
        return fast

    def _connection_pool(self, url: str) -> tuple[HTTPConnectionPool | None, str]:
        route = connection_route(self._client, url)
        if route is None:
            return None, ""
        self._connect_timeout = route.connect_timeout
        return route.pool, route.target

    def _send(self, pool: HTTPConnectionPool, prepared: Any, host: str) -> tuple[Any, DirectBody]:
        return send_on(Route(pool, self._target, self._connect_timeout), prepared, host)

    def _through_botocore(self, range_header: str, if_match: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"Bucket": self._bucket, "Key": self._key, "Range": range_header}
        if if_match is not None:
            kwargs["IfMatch"] = if_match
        if not self._usable:
            return dict(self._client.get_object(**kwargs))
        sent: list[Any] = []
        _capture.slot = sent
        try:
            response = dict(self._client.get_object(**kwargs))
        finally:
            _capture.slot = None
        if sent:
            self._learn(sent[-1])
        return response

    def _learn(self, prepared: Any) -> None:
        """Keep the last request botocore sent as the template of the next ones, if it can be reproduced."""
        if prepared.body or prepared.method != "GET":
            return
        authorization = prepared.headers.get("Authorization")
        if isinstance(authorization, bytes):
            authorization = authorization.decode("latin-1")
        if authorization is not None and not authorization.startswith("AWS4-HMAC-SHA256 "):
            return
        headers = {
            name: value.decode("utf-8") if isinstance(value, bytes) else value
            for name, value in prepared.headers.items()
            if name.lower() not in _PER_REQUEST
        }
        template = CapturedRequest(
            self._client,
            self._bucket,
            self._key,
            prepared.url,
            headers=headers,
            context=dict(prepared.context or {}),
        )
        self._template = template
        self._checked = authorization is None  # unsigned: botocore's signer (a no-op) stays
        with _hooked_lock:
            _prototypes.setdefault(self._client, {})[self._bucket] = template


def checked_signer(
    client: Any, unsigned: dict[str, str], signed: dict[str, str], url: str, method: str = "GET"
) -> _FastSigner | None:
    """A fast signer for ``url``, if signing ``unsigned`` at ``signed``'s date gives exactly the
    ``Authorization`` botocore put on ``signed`` (with the client's current credentials), else ``None``."""
    authorization = signed.get("Authorization", "")
    payload = signed.get("X-Amz-Content-SHA256") or signed.get("x-amz-content-sha256")
    date = signed.get("X-Amz-Date")
    if not authorization.startswith("AWS4-HMAC-SHA256 Credential=") or payload is None or date is None:
        return None
    try:
        scope = authorization.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        region, service = scope[2], scope[3]
    except IndexError:
        return None
    fast = _FastSigner(url, region, service, payload)
    mine = dict(unsigned)
    fast.sign(mine, client._request_signer._credentials.get_frozen_credentials(), date, method=method)
    return fast if mine["Authorization"] == authorization else None


def announce(
    client: Any, operation: str, method: str, request: CapturedRequest, headers: dict[str, str]
) -> tuple[Any, Any]:
    """The prepared copy of ``request`` with ``headers``, after ``before-send.s3.<operation>``; and the
    answer a hook gave instead of the network (as botocore honours it), or ``None``."""
    prepared: Any = AWSPreparedRequest(
        method,
        request.url,
        HeadersDict(headers),  # type: ignore[arg-type]  # botocore passes HeadersDict itself
        None,
        method == "GET",  # stream the body of a GET; a HEAD has none
        context=dict(request.context),
    )
    answers = client.meta.events.emit(f"before-send.s3.{operation}", request=prepared)
    return prepared, first_non_none_response(answers)


class Route(NamedTuple):
    """Where a direct request goes: the client's own pool for its URL, the request target (path and query),
    and the pool's connect timeout."""

    pool: HTTPConnectionPool
    target: str
    connect_timeout: float | None


def connection_route(client: Any, url: str) -> Route | None:
    """The client's own urllib3 pool for ``url`` when requests need no proxy (``None`` otherwise)."""
    session: Any = client._endpoint.http_session
    try:
        if session._proxy_config.proxy_url_for(url) is not None:
            return None
        pool = session._manager.connection_from_url(url)
    except (AttributeError, TypeError, ValueError):
        return None
    if not isinstance(pool, HTTPConnectionPool) or not callable(getattr(pool, "_get_conn", None)):
        return None
    timeout = pool.timeout
    connect = timeout.connect_timeout if isinstance(timeout, Timeout) else None
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Route(pool, target, connect if isinstance(connect, int | float) else None)


def send_on(route: Route, prepared: Any, host: str) -> tuple[Any, DirectBody]:
    """Send ``prepared`` on a connection of the client's pool and read the status and headers.

    The request is written as ``http.client`` writes it (request line, ``Host``, ``Accept-Encoding:
    identity``, the headers in order) in one ``sendall``, and the answer read by :class:`_Response`:
    ``http.client``'s per-header validation and state machine cost a fifth of a small GET's CPU.

    Transport failures are raised as the botocore exceptions the client's own session raises, so the
    reader retries and words them as before.
    """
    method = prepared.method
    head = _request_head(route.target, host, prepared.headers.items(), method)
    pool: Any = route.pool
    connection: Any = pool._get_conn()
    connected = connection.sock is not None
    try:
        if route.connect_timeout is not None:
            connection.timeout = route.connect_timeout
        if connection.sock is None:
            connection.connect()
        read_timeout = (prepared.context or {}).get("read_timeout")
        if read_timeout is not None:
            connection.sock.settimeout(read_timeout)
        connection.sock.sendall(head)
        response = _Response(connection.sock, method=method)
        try:
            response.begin()
        except BaseException:
            response.close()  # its file object holds the socket open until it is closed
            raise
        if response.will_close:  # as http.client does: the response keeps the socket, the pool forgets it
            connection.close()
    except (OSError, http.client.HTTPException) as error:
        fresh = not connected and connection.sock is None
        connection.close()
        pool._put_conn(connection)
        url = prepared.url
        if isinstance(error, TimeoutError):
            raise (ConnectTimeoutError if fresh else ReadTimeoutError)(endpoint_url=url) from error
        if fresh:
            raise EndpointConnectionError(endpoint_url=url) from error
        raise ConnectionClosedError(endpoint_url=url) from error
    return response, DirectBody(response, connection, pool)


def _received(
    client: Any,
    response_dict: dict[str, Any] | None,
    parsed: dict[str, Any] | None,
    exception: BaseException | None = None,
    operation: str = "GetObject",
) -> None:
    """``response-received.s3.<operation>``, as botocore emits it after each request it sends (wire level):
    the response, or the exception that stood for it."""
    client.meta.events.emit(
        f"response-received.s3.{operation}",
        response_dict=response_dict,
        parsed_response=parsed,
        context={},
        exception=exception,
    )


def _signed_host(parts: Any) -> str:
    """The ``host`` botocore signs: lower-case, IPv6 in brackets, the port unless it is the default."""
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None and parts.port != {"http": 80, "https": 443}.get(parts.scheme):
        host = f"{host}:{parts.port}"
    return host


def _now() -> str:
    return time.strftime(SIGV4_TIMESTAMP, time.gmtime())


# -- the short path: a fast SigV4 signer and a request on one of the client's pooled connections --------


class _FastSigner:
    """SigV4 for the captured GET's headers, trusted only once it matched botocore's own signature.

    botocore's signer costs about 0.3 ms per request (header objects, URL parsing, two event emissions);
    the canonical request of a reader's GETs differs only in ``Range``, ``If-Match`` and the date, so it
    is assembled from parts computed once. :meth:`DirectGet._verify` compares its ``Authorization`` with
    botocore's for the same request and time before any request is sent with it.
    """

    def __init__(self, url: str, region: str, service: str, payload_hash: str) -> None:
        parts = urlsplit(url)
        self.path = parts.path or "/"
        self.query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
        self.host = _signed_host(parts)
        self.region = region
        self.service = service
        self.payload_hash = payload_hash
        self._keys: dict[tuple[str, str], bytes] = {}

    def for_url(self, url: str) -> _FastSigner:
        """This signer for another URL of the same endpoint (another key of the bucket)."""
        return _FastSigner(url, self.region, self.service, self.payload_hash)

    def _key(self, secret: str, day: str) -> bytes:
        key = self._keys.get((secret, day))
        if key is None:
            key = f"AWS4{secret}".encode()
            for part in (day, self.region, self.service, "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._keys = {(secret, day): key}
        return key

    def sign(
        self,
        headers: dict[str, str],
        credentials: Any,
        amz_date: str,
        method: str = "GET",
        path: str | None = None,
    ) -> None:
        """Add the date, payload hash, token and ``Authorization`` headers to ``headers``; ``path``: another
        key's URL path on the same endpoint, without a query (the signing key is kept per signer)."""
        headers["X-Amz-Date"] = amz_date
        headers["X-Amz-Content-SHA256"] = self.payload_hash
        if credentials.token:
            headers["X-Amz-Security-Token"] = credentials.token
        signed = {"host": self.host}
        for name, value in headers.items():
            lower = name.lower()
            if lower not in _UNSIGNED_HEADERS:
                signed[lower] = " ".join(value.split())
        names = sorted(signed)
        target = (path, "") if path else (self.path, self.query)
        canonical = "\n".join(
            (method, *target, *(f"{n}:{signed[n]}" for n in names), "", ";".join(names), self.payload_hash)
        )
        day = amz_date[:8]
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(
            self._key(credentials.secret_key, day), to_sign.encode(), hashlib.sha256
        ).hexdigest()
        headers["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credentials.access_key}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )


class _Response(http.client.HTTPResponse):
    """:class:`http.client.HTTPResponse` whose headers are split without the ``email`` parser.

    ``http.client`` parses every response's header block with ``email.parser`` (about 0.25 ms of CPU
    per response on the project's machine, a fifth of a small GET's client CPU: profiled with py-spy
    on the random-records workload). An S3 answer's headers are plain ``Name: value`` lines, which
    split the way ``email``'s ``compat32`` policy does (name kept, value stripped of leading blanks and
    the line end) into the same :class:`http.client.HTTPMessage`; a block with anything else (folded
    lines, a line without ``:``) goes to the ``email`` parser as before.
    """

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()
            if status != http.client.CONTINUE:
                break
            http.client._read_headers(self.fp)
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _headers(http.client._read_headers(self.fp))
        encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(encoding and encoding.lower() == "chunked")
        if self.chunked:
            self.chunk_left = None
        self.will_close = self._check_close()
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            with contextlib.suppress(ValueError):
                self.length = int(length) if int(length) >= 0 else None
        if status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED) or 100 <= status < 200:
            self.length = 0
        if self._method == "HEAD":
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


def _headers(lines: list[bytes]) -> http.client.HTTPMessage:
    """The header block ``lines`` as ``http.client.parse_headers`` would give it (see :class:`_Response`)."""
    fields = []
    for line in lines:
        if line in (b"\r\n", b"\n", b""):  # the blank line that ends the block
            break
        if line[:1] in (b" ", b"\t") or b":" not in line:
            parser = email.parser.Parser(_class=http.client.HTTPMessage)
            parsed: http.client.HTTPMessage = parser.parsestr(b"".join(lines).decode("iso-8859-1"))
            return parsed
        name, _, value = line.decode("iso-8859-1").partition(":")
        fields.append((name, value.lstrip(" \t").rstrip("\r\n")))
    message = http.client.HTTPMessage()
    message._headers = fields  # type: ignore[attr-defined]  # email.message.Message's own list
    return message


def _request_head(target: str, host: str, headers: Any, method: str = "GET") -> bytes:
    """The request line and headers of a GET (or HEAD), as ``http.client`` would send them.

    Raises:
        ValueError: a header name or value that would break the request (a line break in it), as
            ``http.client`` refuses it.
    """
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "Accept-Encoding: identity"]
    lines += [f"{name}: {value}" for name, value in headers]
    for line in lines:
        if "\r" in line or "\n" in line:
            raise ValueError(f"a header of the {method} of {target!r} holds a line break: {line!r}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class DirectBody:
    """A GET's body read straight from :class:`http.client.HTTPResponse` on a pooled connection.

    :func:`~s3conf.ranged_get.read_body` reads it with ``read`` into fresh ``bytes`` chunks;
    :meth:`release_conn` hands a fully read connection back to the client's pool, :meth:`close`
    discards it (a body abandoned midway leaves the connection unusable).
    """

    def __init__(self, response: http.client.HTTPResponse, connection: Any, pool: Any) -> None:
        self.fp = response
        self._connection = connection
        self._pool: Any = pool

    def read(self, amount: int | None = None) -> bytes:
        return self.fp.read(amount)

    def release_conn(self) -> None:
        """Give the connection back to the pool (the body has been read to its end)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool._put_conn(self._connection)

    def close(self) -> None:
        """Close the response and its connection; the pool opens a new one when it is next used."""
        self.fp.close()
        pool, self._pool = self._pool, None
        if pool is not None:
            self._connection.close()
            pool._put_conn(self._connection)

    def abort(self) -> None:
        """Shut the socket down from another thread, so a read blocked on it returns at once."""
        sock = getattr(self._connection, "sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

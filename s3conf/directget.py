"""A reader's GETs after its first: botocore's request, captured once, re-signed and sent per range.

``client.get_object`` costs 3-4 ms of client CPU per call on the project's machine, whatever the size
of the range (profiled with cProfile/py-spy, see the commit that added this module): user-agent
assembly (twice per call), endpoint-ruleset resolution, parameter validation and serialisation, about
ten event emissions, header parsing into a model (``Last-Modified`` through dateutil), then the signing.
A reader sends many GETs for one object that differ only in ``Range`` and the time of signing, so it
pays that once: the first GET of a reader goes through botocore entirely (endpoint rules, region
redirects, user agent, every handler), its final prepared request is captured on the way out
(``before-send``), and later GETs of the same reader copy it with a new ``Range``/``If-Match``:

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
  ``ETag``, ``ContentRange``, ``ContentLength``, ``ResponseMetadata``) and emits
  ``after-call.s3.GetObject`` with them, so counters of received bytes keep working. ``before-call`` is
  not emitted (its handlers build a new request, which is the cost this module avoids).

The short path is taken only for requests it can reproduce: SigV4 or unsigned clients, and a captured
GET without a body. Anything else keeps every GET on ``client.get_object``.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import botocore
from botocore.awsrequest import AWSRequest
from botocore.endpoint import convert_to_response_dict
from botocore.hooks import first_non_none_response
from botocore.response import StreamingBody

from s3conf.client import enter_call

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["DirectGet"]

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

_capture = threading.local()
_registered: set[int] = set()
_registered_lock = threading.Lock()


def _on_send(request: Any, **_: Any) -> None:
    slot = getattr(_capture, "slot", None)
    if slot is not None:
        slot.append(request)


class _Template:
    __slots__ = ("context", "headers", "url")

    def __init__(self, url: str, headers: dict[str, Any], context: dict[str, Any]) -> None:
        self.url = url
        self.headers = headers
        self.context = context


class DirectGet:
    """Ranged GETs of one object: the first through ``client.get_object``, the rest re-signed copies.

    Args:
        client: the reader's boto3 client.
        bucket: the bucket.
        key: the key.
    """

    def __init__(self, client: S3Client, bucket: str, key: str) -> None:
        self._client = client
        self._bucket = bucket
        self._key = key
        self._template: _Template | None = None
        meta: Any = getattr(client, "meta", None)
        signer: Any = getattr(client, "_request_signer", None)
        endpoint: Any = getattr(client, "_endpoint", None)
        self._usable = (
            meta is not None
            and getattr(signer, "signature_version", None) in _SIGNERS
            and getattr(endpoint, "http_session", None) is not None
        )
        if self._usable:
            with _registered_lock:
                if id(client) not in _registered:
                    meta.events.register("before-send.s3.GetObject", _on_send, unique_id="s3conf-directget")
                    _registered.add(id(client))

    @property
    def ready(self) -> bool:
        """Whether the next GET can skip botocore's call pipeline."""
        return self._template is not None

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
        if template is None:
            return self._through_botocore(range_header, if_match)
        enter_call(operation_timeout)
        request = AWSRequest(method="GET", url=template.url, headers=template.headers, stream_output=True)
        request.context = dict(template.context)
        request.headers["Range"] = range_header
        if if_match is not None:
            request.headers["If-Match"] = if_match
        client: Any = self._client
        client._request_signer.sign("GetObject", request)
        prepared = request.prepare()
        model = client.meta.service_model.operation_model("GetObject")
        events = client.meta.events
        answered = first_non_none_response(events.emit("before-send.s3.GetObject", request=prepared))
        http = answered if answered is not None else client._endpoint.http_session.send(prepared)
        if http.status_code >= 300:
            parsed = client._response_parser.parse(convert_to_response_dict(http, model), model.output_shape)
            code = parsed.get("Error", {}).get("Code")
            raise client.exceptions.from_code(code)(parsed, "GetObject")
        headers = http.headers
        length = headers.get("content-length")
        parsed = {
            "Body": StreamingBody(http.raw, length),
            "ETag": headers.get("etag"),
            "ContentRange": headers.get("content-range"),
            "ContentLength": int(length) if length is not None else 0,
            "ResponseMetadata": {"HTTPStatusCode": http.status_code, "HTTPHeaders": headers},
        }
        events.emit("after-call.s3.GetObject", http_response=http, parsed=parsed, model=model, context={})
        return parsed

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
        self._template = _Template(prepared.url, headers, dict(prepared.context or {}))

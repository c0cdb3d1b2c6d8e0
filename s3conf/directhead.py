"""HEADs of a bucket's objects re-signed and sent on a pooled connection, once one went through botocore.

``client.head_object`` costs 3-6 ms of client CPU per call on the project's machine (the call pipeline
:mod:`s3conf.directget` describes), and ``stat``, ``exists``, ``info`` and ``rm`` of many paths are one
HEAD each: ``info`` of 200 small objects ran at 0.6x s3fs, all of it CPU, with 64 threads fighting for the
GIL. The HEADs of one bucket differ only in the key and the time of signing, so, as a reader's GETs do,
they pay that once per client and bucket:

* The first HEAD of a bucket goes through botocore entirely (endpoint rules, region redirects, user
  agent, every handler); its final request is captured on the way out (``before-send``) and kept for the
  client and bucket (weakly, as :mod:`s3conf.directget` keeps GETs). HEADs started meanwhile wait for it.
* A later HEAD copies it for its key (:meth:`~s3conf.directget.CapturedRequest.for_key`), is signed by
  the fast SigV4 signer, which was first checked to produce the very ``Authorization`` botocore put on the
  captured request, and goes out on one of the client's pooled connections, after
  ``before-send.s3.HeadObject`` (a hook's answer stands for the network, as in botocore).
* Only the two definitive answers are read here: ``200`` is parsed by the client's own parser into the
  dict botocore returns (``ContentLength``, ``LastModified``, ``ETag``, ``Metadata``...), and ``404`` into
  the ``ClientError`` botocore raises. Anything else (a redirect, a refusal, a server error, a dropped
  connection) is asked again through ``client.head_object``, whose handlers follow redirects and retry
  as configured: the fast path never words an answer botocore would word otherwise.
* Both ends emit the wire-level events botocore emits per request (``before-send`` and
  ``response-received``), so hooks counting requests or bytes see every HEAD.

Anything the fast path cannot reproduce (another signature version, an unsigned client, a URL with a
query, a key botocore writes otherwise) keeps every HEAD on ``client.head_object``.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError
from urllib3 import HTTPHeaderDict

from s3conf.client import enter_call
from s3conf.directget import (
    _PER_REQUEST,
    _UNSIGNED_HEADERS,
    CapturedRequest,
    Route,
    _capture,
    _FastSigner,
    _now,
    _on_send,
    _received,
    announce,
    checked_signer,
    connection_route,
    send_on,
)

__all__ = ["DirectHead"]

_OPERATION = "HeadObject"

_hooked: weakref.WeakSet[Any] = weakref.WeakSet()
_lock = threading.Lock()
#: Per client (weakly) and bucket: the captured HEAD, its checked signer and the connection route.
_learned: weakref.WeakKeyDictionary[Any, dict[str, _Learned]] = weakref.WeakKeyDictionary()


class _Learned:
    """A bucket's captured HEAD with the fast signer checked against it and where to send copies."""

    __slots__ = ("request", "route", "signer")

    def __init__(self, request: CapturedRequest, signer: _FastSigner, route: Route) -> None:
        self.request = request
        self.signer = signer
        self.route = route


class DirectHead:
    """HEADs of one bucket's objects for one client: through botocore until one is captured, then direct.

    Args:
        client: a boto3 S3 client.
        bucket: the bucket.
        operation_timeout: the deadline of each direct HEAD (``s3.operation.timeout``), as a botocore call
            gets one from ``before-call``; an enclosing :func:`~s3conf.client.operation_deadline` that is
            nearer wins.
    """

    def __init__(self, client: Any, bucket: str, *, operation_timeout: float) -> None:
        self._client = client
        self._bucket = bucket
        self._operation_timeout = operation_timeout
        self._response_parser: Any = None
        self._learning = threading.Lock()  # held by the HEAD that captures, so others wait for it
        self._tried = False
        meta: Any = getattr(client, "meta", None)
        signer: Any = getattr(client, "_request_signer", None)
        endpoint: Any = getattr(client, "_endpoint", None)
        self._usable = (
            meta is not None
            and getattr(signer, "signature_version", None) == "s3v4"
            and getattr(endpoint, "http_session", None) is not None
        )
        if self._usable:
            with _lock:
                if client not in _hooked:
                    meta.events.register(
                        f"before-send.s3.{_OPERATION}", _on_send, unique_id="s3conf-directhead"
                    )
                    _hooked.add(client)

    @property
    def direct(self) -> bool:
        """Whether the next HEAD skips botocore's call pipeline."""
        return self._known() is not None

    def head_object(self, key: str) -> dict[str, Any]:
        """``client.head_object(Bucket=bucket, Key=key)``'s answer, directly when it can be.

        Raises:
            botocore.exceptions.ClientError: as ``client.head_object`` raises it (``404`` included).
            botocore.exceptions.BotoCoreError: as ``client.head_object`` raises it.
        """
        learned = self._known()
        if learned is None and self._usable and not self._tried:
            with self._learning:
                if self._known() is None and not self._tried:
                    try:
                        return self._through_botocore(key, capture=True)
                    finally:
                        self._tried = True
            learned = self._known()
        request = learned.request.for_key(key) if learned is not None else None
        if learned is None or request is None:
            return self._through_botocore(key, capture=False)
        answer = self._direct(learned, request)
        return answer if answer is not None else self._through_botocore(key, capture=False)

    def _known(self) -> _Learned | None:
        with _lock:
            return _learned.get(self._client, {}).get(self._bucket)

    def _direct(self, learned: _Learned, request: CapturedRequest) -> dict[str, Any] | None:
        """The answer to one direct HEAD, or ``None`` when botocore must be asked instead."""
        client = self._client
        headers = dict(request.headers)
        path = urlsplit(request.url).path  # for_key derives URLs without a query
        learned.signer.sign(
            headers,
            client._request_signer._credentials.get_frozen_credentials(),
            _now(),
            method="HEAD",
            path=path,
        )
        enter_call(self._operation_timeout)  # no before-call: without it, a deadline left by this thread's
        # last call would cut the read timeout that before-send sets
        prepared, answered = announce(client, _OPERATION, "HEAD", request, headers)
        if answered is not None:  # a hook's answer stands for the network, whatever it says
            return self._parsed(answered.status_code, answered.headers)
        route = learned.route
        try:
            response, body = send_on(
                Route(route.pool, path, route.connect_timeout), prepared, learned.signer.host
            )
            response.read()  # a HEAD's answer has no body: this ends it, as http.client does
            body.release_conn()
        except BotoCoreError as error:  # the transport failed: botocore asks again, with its own retries
            _received(client, None, None, error, operation=_OPERATION)
            return None
        if response.status not in (200, 404):  # a redirect, a refusal, a server error: botocore's to word
            raw = {"headers": response.headers, "status_code": response.status, "body": b"", "context": {}}
            _received(client, raw, None, operation=_OPERATION)
            return None
        return self._parsed(response.status, response.headers)

    def _parsed(self, status: int, headers: Any) -> dict[str, Any]:
        """The answer as botocore's parsed HeadObject, or the modelled ``ClientError`` it raises.

        The headers go to the parser in a case-insensitive dict, as botocore hands them over (its own
        ``HeadersDict``): the parser asks for each of HeadObject's 40-odd header members, and
        ``http.client``'s message answers ``in`` by lower-casing every header in turn.
        """
        client = self._client
        raw = {"headers": HTTPHeaderDict(headers.items()), "status_code": status, "body": b"", "context": {}}
        model = client.meta.service_model.operation_model(_OPERATION)
        parsed: dict[str, Any] = self._parser().parse(raw, model.output_shape)
        parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0  # as botocore's retry handler adds
        _received(client, raw, parsed, operation=_OPERATION)
        if status >= 300:
            code = parsed.get("Error", {}).get("Code")
            raise client.exceptions.from_code(code)(parsed, _OPERATION)
        return parsed

    def _parser(self) -> Any:
        """The parser botocore's own calls on this client use (``client._response_parser`` is another one,
        made without the session's defaults: its timestamps went through dateutil, a quarter of a HEAD's
        CPU)."""
        parser = self._response_parser
        if parser is None:
            factory = getattr(getattr(self._client, "_endpoint", None), "_response_parser_factory", None)
            protocol = self._client.meta.service_model.metadata.get("protocol")
            try:
                parser = factory.create_parser(protocol) if factory is not None else None
            except (KeyError, TypeError):
                parser = None
            self._response_parser = parser = parser or self._client._response_parser
        return parser

    def _through_botocore(self, key: str, *, capture: bool) -> dict[str, Any]:
        if not capture:
            return dict(self._client.head_object(Bucket=self._bucket, Key=key))
        sent: list[Any] = []
        _capture.slot = sent
        try:
            response = dict(self._client.head_object(Bucket=self._bucket, Key=key))
        finally:
            _capture.slot = None
        if sent:
            self._learn(sent[-1], key)
        return response

    def _learn(self, prepared: Any, key: str) -> None:
        """Keep botocore's HEAD for the bucket's next ones, if the fast signer reproduces its signature."""
        if prepared.body or prepared.method != "HEAD":
            return
        signed = {
            name: value.decode("utf-8") if isinstance(value, bytes) else value
            for name, value in prepared.headers.items()
        }
        try:
            names = set(
                signed.get("Authorization", "").split("SignedHeaders=", 1)[1].split(",", 1)[0].split(";")
            )
        except IndexError:
            return
        # What botocore signed, and what it never signs (User-Agent); not what its handlers add after
        # signing (amz-sdk-request: this attempt's number), which the fast signer would sign
        unsigned = {
            name: value
            for name, value in signed.items()
            if name.lower() not in _PER_REQUEST
            and (name.lower() in names or name.lower() in _UNSIGNED_HEADERS)
        }
        fast = checked_signer(self._client, unsigned, signed, prepared.url, method="HEAD")
        if fast is None:
            return
        route = connection_route(self._client, prepared.url)
        if route is None:
            return
        request = CapturedRequest(
            self._client,
            self._bucket,
            key,
            prepared.url,
            headers=unsigned,
            context=dict(prepared.context or {}),
        )
        with _lock:
            _learned.setdefault(self._client, {})[self._bucket] = _Learned(request, fast, route)

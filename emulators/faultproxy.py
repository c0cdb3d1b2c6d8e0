"""A loopback HTTP proxy that forwards to any S3 target and injects faults on chosen requests.

A client signs its requests for the proxy's ``host:port`` and the proxy forwards them with the same
``Host`` header, so signatures stay valid and the target answers for real; only what the rules say is
changed on the way back. It exists because the faults that matter to file-access code (a server that
resets mid-body, stalls, answers with the wrong ``Content-Range``, swaps the object's ETag, ignores
``If-Match``, sends a whole object for a range) cannot be produced on demand by a healthy server, and
mocking S3 instead would test our idea of S3 rather than S3.

Each :class:`Fault` matches requests (method, path, ranged or not, after letting ``skip`` matches
through, at most ``times`` times) and says what to do: stall before answering, drop request headers
(a store that ignores ``If-Match``), drop the ``Range`` (a store that answers ranges with the whole
object), override the status, rewrite response headers, truncate the body, reset the connection after N
body bytes, or stall mid-body. Every request is logged (:attr:`FaultProxy.log`), so tests count what
was really sent on the wire instead of trusting the client's own counters.

>>> rule = Fault(method="GET", ranged=True, rewrite=shift_content_range(100))
>>> rule.rewrite([("Content-Range", "bytes 0-99/1000"), ("ETag", '"x"')])
[('Content-Range', 'bytes 100-199/1000'), ('ETag', '"x"')]
>>> set_header("ETag", '"other"')([("ETag", '"x"')])
[('ETag', '"other"')]

Use it as a context manager around any endpoint::

    with FaultProxy(target.endpoint) as proxy:
        proxy.add(Fault(method="GET", reset_after=1000))
        client = boto3_client(proxy.endpoint)
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import re
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from s3conf.endpoint import Endpoint

__all__ = ["Fault", "FaultProxy", "LoggedRequest", "set_header", "shift_content_range", "strip_header"]

Headers = list[tuple[str, str]]

#: Hop-by-hop and per-connection headers the proxy sets itself.
_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "server", "date", "content-length"}
)
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


def shift_content_range(delta: int, *, total_delta: int = 0) -> Callable[[Headers], Headers]:
    """A header rewrite that moves ``Content-Range`` by ``delta`` bytes (and its total by ``total_delta``)."""

    def rewrite(headers: Headers) -> Headers:
        out: Headers = []
        for name, value in headers:
            match = _CONTENT_RANGE.fullmatch(value.strip()) if name.lower() == "content-range" else None
            if match is not None:
                first, last, total = match.groups()
                shown = total if total == "*" else str(int(total) + total_delta)
                out.append((name, f"bytes {int(first) + delta}-{int(last) + delta}/{shown}"))
            else:
                out.append((name, value))
        return out

    return rewrite


def set_header(header: str, value: str) -> Callable[[Headers], Headers]:
    """A header rewrite that sets ``header`` to ``value`` (replacing it, or adding it)."""

    def rewrite(headers: Headers) -> Headers:
        return [*((n, v) for n, v in headers if n.lower() != header.lower()), (header, value)]

    return rewrite


def strip_header(header: str) -> Callable[[Headers], Headers]:
    """A header rewrite that removes ``header``."""
    return lambda headers: [(n, v) for n, v in headers if n.lower() != header.lower()]


class _QuietServer(ThreadingHTTPServer):
    """A client hanging up mid-answer is routine under faults (it timed out, or was closed): not an error."""

    def handle_error(self, request: object, client_address: object) -> None:
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@dataclass
class Fault:
    """One rule: which requests it matches and what it does to them.

    Matching: ``method`` (``"GET"``...), ``path_contains`` (a substring of path and query, e.g. a key or
    ``"uploadId"``), ``ranged`` (``True``: only requests with a ``Range`` header; ``False``: only
    without). The first ``skip`` matches pass untouched; then the rule applies ``times`` times
    (``None``: forever).

    Actions, in the order they happen:
        reset_before: reset the connection (TCP RST) after reading the request, without forwarding it:
            the target never sees the request (a link that drops before the store commits anything).
        stall: seconds to wait before forwarding (the client sees no answer; ends early on proxy close).
        drop_request_headers: request headers not forwarded (``("If-Match",)``: a store that ignores it).
        full_body: forward without ``Range``, so the target answers ``200`` with the whole object.
        status: the status sent instead of the target's (the target's body is kept unless ``body``).
        body: a body sent instead of the target's.
        rewrite: response headers in, response headers out (see :func:`shift_content_range`).
        truncate_body: send only this many body bytes (headers still announce the full length), then
            close the connection.
        reset_after: send this many body bytes, then reset the connection (TCP RST).
        stall_body_after: send this many body bytes, then wait ``stall_body`` seconds before the rest.
    """

    method: str | None = None
    path_contains: str | None = None
    ranged: bool | None = None
    skip: int = 0
    times: int | None = 1
    reset_before: bool = False
    stall: float = 0.0
    drop_request_headers: tuple[str, ...] = ()
    full_body: bool = False
    status: int | None = None
    body: bytes | None = None
    rewrite: Callable[[Headers], Headers] | None = None
    truncate_body: int | None = None
    reset_after: int | None = None
    stall_body_after: int | None = None
    stall_body: float = 0.0
    seen: int = field(default=0, init=False)
    applied: int = field(default=0, init=False)

    def matches(self, method: str, path: str, headers: dict[str, str]) -> bool:
        """Whether the request is of the kind this rule targets (ignoring skip/times)."""
        if self.method is not None and method != self.method:
            return False
        if self.path_contains is not None and self.path_contains not in path:
            return False
        return self.ranged is None or self.ranged == ("range" in headers)

    def describe(self) -> str:
        """A short label for logs and summaries: the actions this rule takes."""
        actions = [
            f"{name}={value!r}"
            for name in ("reset_before", "stall", "drop_request_headers", "full_body", "status",
                         "truncate_body", "reset_after", "stall_body_after")
            if (value := getattr(self, name)) not in (None, 0, 0.0, (), False)
        ]  # fmt: skip
        if self.rewrite is not None:
            actions.append("rewrite")
        return ",".join(actions) or "pass"


@dataclass(frozen=True)
class LoggedRequest:
    """One request as it crossed the proxy: what was asked, what was answered, which rule applied."""

    method: str
    path: str
    range: str | None
    status: int
    fault: str | None


class FaultProxy:
    """Forward every request to ``upstream``, applying the first matching :class:`Fault` to each.

    Args:
        upstream: the target's endpoint; :attr:`endpoint` is the same with the proxy's URL.
        timeout: seconds the proxy waits for the target.
    """

    def __init__(self, upstream: Endpoint, *, timeout: float = 30.0) -> None:
        parts = urlsplit(upstream.url)
        if parts.scheme != "http":
            raise ValueError(f"the fault proxy forwards plain http only, got {upstream.url!r}")
        self.upstream = upstream
        self._upstream_address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._timeout = timeout
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self.log: list[LoggedRequest] = []
        self._arrived = 0
        self._stalled_bodies = 0
        self._arrival = threading.Condition(self._lock)
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="faultproxy", daemon=True
        )
        self._thread.start()

    # -- public -------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def endpoint(self) -> Endpoint:
        """The upstream endpoint with the proxy's URL (path-style: the proxy has no bucket hostnames)."""
        return dataclasses.replace(
            self.upstream, name=f"{self.upstream.name}+faults", url=self.url, path_style=True
        )

    def add(self, *faults: Fault) -> None:
        """Append rules; the first rule that matches (and has applications left) wins."""
        with self._lock:
            self._faults.extend(faults)

    def clear(self) -> None:
        """Remove every rule (the log stays)."""
        with self._lock:
            self._faults.clear()

    def requests(self, method: str | None = None, *, path_contains: str | None = None) -> list[LoggedRequest]:
        """Logged requests, optionally only of one method and path substring."""
        with self._lock:
            return [
                r for r in self.log
                if (method is None or r.method == method)
                and (path_contains is None or path_contains in r.path)
            ]  # fmt: skip

    def wait_for_arrivals(self, count: int, *, timeout: float = 10.0) -> bool:
        """Wait until ``count`` requests have reached the proxy (logged or not yet answered).

        Lets a test act while requests are known to be stalled inside the proxy, without sleeping.
        """
        with self._arrival:
            return self._arrival.wait_for(lambda: self._arrived >= count, timeout)

    def wait_for_stalled_bodies(self, count: int, *, timeout: float = 10.0) -> bool:
        """Wait until ``count`` answers have sent their headers and are stalled mid-body."""
        with self._arrival:
            return self._arrival.wait_for(lambda: self._stalled_bodies >= count, timeout)

    def faults_injected(self) -> int:
        """How many requests a rule changed."""
        with self._lock:
            return sum(1 for r in self.log if r.fault is not None)

    def close(self) -> None:
        """Stop serving, end every stall, and close every client connection."""
        self._closing.set()
        self._server.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    # -- internals ----------------------------------------------------------------------------------

    def _pick(self, method: str, path: str, headers: dict[str, str]) -> Fault | None:
        with self._lock:
            self._arrived += 1
            self._arrival.notify_all()
            for fault in self._faults:
                if not fault.matches(method, path, headers):
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                if fault.times is not None and fault.applied >= fault.times:
                    continue
                fault.applied += 1
                return fault
        return None

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.log.append(entry)

    @contextlib.contextmanager
    def _tracked(self, connection: socket.socket) -> Iterator[None]:
        with self._lock:
            self._connections.add(connection)
        try:
            yield
        finally:
            with self._lock:
                self._connections.discard(connection)

    def _resign(self, method: str, path: str, headers: Headers, body: bytes | None) -> Headers:
        """Sign a request whose signed headers a rule changed, with the upstream's credentials.

        SigV4 signs ``Range`` and ``If-Match``, so a forwarded request without them would be refused by
        any store that checks signatures; the proxy signs it again, as the client would have signed it.
        """
        upstream = self.upstream
        if upstream.access_key is None or upstream.secret_key is None:
            return headers
        kept = {n: v for n, v in headers if n.lower() not in ("authorization", "x-amz-date")}
        request = AWSRequest(method=method, url=f"{self.url}{path}", data=body or b"", headers=kept)
        credentials = Credentials(upstream.access_key, upstream.secret_key.reveal())
        S3SigV4Auth(credentials, "s3", upstream.region).add_auth(request)
        return list(request.headers.items())

    def _forward(
        self, method: str, path: str, headers: Headers, body: bytes | None
    ) -> tuple[int, Headers, bytes]:
        connection = http.client.HTTPConnection(*self._upstream_address, timeout=self._timeout)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            answer = connection.getresponse()
            data = answer.read()
            return answer.status, [(n, v) for n, v in answer.getheaders()], data
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                self._track = proxy._tracked(self.connection)
                self._track.__enter__()

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    self._track.__exit__(None, None, None)

            def do_GET(self) -> None:
                self._serve()

            def do_PUT(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def do_HEAD(self) -> None:
                self._serve()

            def do_DELETE(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: object) -> None:  # the proxy keeps its own log
                return

            def _read_request_body(self) -> bytes | None:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    pieces: list[bytes] = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(pieces)
                        pieces.append(self.rfile.read(size))
                        self.rfile.readline()
                length = self.headers.get("Content-Length")
                return self.rfile.read(int(length)) if length else None

            def _serve(self) -> None:
                method, path = self.command, self.path
                lower = {name.lower(): value for name, value in self.headers.items()}
                body = self._read_request_body()
                fault = proxy._pick(method, path, lower)
                if fault is not None and fault.reset_before:
                    proxy._record(LoggedRequest(method, path, lower.get("range"), 0, fault.describe()))
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if fault is not None and fault.stall and proxy._closing.wait(fault.stall):
                    self.close_connection = True
                    return
                dropped = {h.lower() for h in fault.drop_request_headers} if fault is not None else set()
                if fault is not None and fault.full_body:
                    dropped.add("range")
                forwarded = [
                    (n, v) for n, v in self.headers.items()
                    if n.lower() not in dropped and n.lower() not in ("content-length", "transfer-encoding")
                ]  # fmt: skip
                if dropped:
                    forwarded = proxy._resign(method, path, forwarded, body)
                try:
                    status, headers, data = proxy._forward(method, path, forwarded, body)
                except OSError:
                    proxy._record(LoggedRequest(method, path, lower.get("range"), 502, "upstream-failed"))
                    self.send_error(502)
                    return
                if fault is not None:
                    status = fault.status if fault.status is not None else status
                    data = fault.body if fault.body is not None else data
                    headers = fault.rewrite(headers) if fault.rewrite is not None else headers
                proxy._record(
                    LoggedRequest(
                        method, path, lower.get("range"), status, fault.describe() if fault else None
                    )
                )
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in _HOP_HEADERS:
                        self.send_header(name, value)
                length = str(len(data))
                if method == "HEAD":  # no body, but the length is the object's: keep the target's
                    length = next((v for n, v in headers if n.lower() == "content-length"), length)
                self.send_header("Content-Length", length)
                self.end_headers()
                if method == "HEAD":
                    return
                self._send_body(data, fault)

            def _send_body(self, data: bytes, fault: Fault | None) -> None:
                if fault is None:
                    self.wfile.write(data)
                    return
                if fault.reset_after is not None:
                    self.wfile.write(data[: fault.reset_after])
                    self.wfile.flush()
                    # SO_LINGER with a zero timeout: close() sends RST instead of FIN.
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.close_connection = True
                    return
                if fault.stall_body_after is not None:
                    self.wfile.write(data[: fault.stall_body_after])
                    self.wfile.flush()
                    with proxy._arrival:
                        proxy._stalled_bodies += 1
                        proxy._arrival.notify_all()
                    if proxy._closing.wait(fault.stall_body):
                        self.close_connection = True
                        return
                    data = data[fault.stall_body_after :]
                if fault.truncate_body is not None:
                    self.wfile.write(data[: fault.truncate_body])
                    self.wfile.flush()
                    self.close_connection = True
                    return
                self.wfile.write(data)

        return Handler

"""A passthrough TCP tap that records what an S3 client puts on the wire, for the ``write`` workload.

The paired ratios of a benchmark say which uploader was faster, not why; on a local target whose
server does most of the work per byte, the why is in the requests: how many, how large, how many at
once, which checksum and payload-signing headers (a store may verify them, which costs it CPU). The
tap forwards bytes unchanged in both directions (so signatures stay valid: clients sign the tap's own
``host:port``) and parses only the request heads and body lengths of the client's stream.

It is used outside the clock, one upload per contender, and never in timed runs: it adds a copy of
every byte through Python.

>>> operation("PUT", "/b/k?partNumber=3&uploadId=x")
'UploadPart'
>>> operation("POST", "/b/k?uploads=")
'CreateMultipartUpload'
>>> payload_mode({"x-amz-content-sha256": "UNSIGNED-PAYLOAD"})
'unsigned'
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["TappedRequest", "WireTap", "operation", "payload_mode", "wire_facts"]

_READ = 1 << 20
_CHECKSUM_PREFIX = "x-amz-checksum-"


@dataclass(frozen=True)
class TappedRequest:
    """One request as the client sent it: request line parts, headers (names lower-cased), body bytes."""

    method: str
    target: str
    headers: dict[str, str]
    body_bytes: int
    connection: int


def operation(method: str, target: str) -> str:
    """The S3 operation a write-path request is (``Other`` for anything else)."""
    query = parse_qs(urlsplit(target).query, keep_blank_values=True)
    if method == "PUT":
        return "UploadPart" if "partNumber" in query else "PutObject"
    if method == "POST":
        if "uploads" in query:
            return "CreateMultipartUpload"
        if "uploadId" in query:
            return "CompleteMultipartUpload"
    if method == "DELETE" and "uploadId" in query:
        return "AbortMultipartUpload"
    return "Other"


def payload_mode(headers: dict[str, str]) -> str:
    """How the body is covered by the signature: ``unsigned``, ``signed`` (SHA-256) or ``streaming``."""
    value = headers.get("x-amz-content-sha256", "")
    if value.startswith("STREAMING-"):
        return "streaming"
    if value == "UNSIGNED-PAYLOAD":
        return "unsigned"
    return "signed" if value else "none"


@dataclass
class WireTap:
    """Listen on a loopback port and forward every connection to ``upstream`` (host, port), recording.

    Connections are numbered in the order they were accepted; a client that keeps its connections
    alive reuses them across uploads, so :func:`wire_facts` counts the ones an upload's requests used.
    """

    upstream: tuple[str, int]
    requests: list[TappedRequest] = field(default_factory=list)
    connections: int = 0
    peak_bodies_in_flight: int = 0
    _in_flight: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._threads: list[threading.Thread] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, name="wire-tap", daemon=True).start()

    def reset(self) -> None:
        """Forget what was recorded (connections already open keep their numbers)."""
        with self._lock:
            self.requests = []
            self.connections = 0
            self.peak_bodies_in_flight = 0

    def close(self) -> None:
        """Stop accepting and end every open connection (clients keep theirs alive between uploads)."""
        self._closed = True
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            sockets = list(self._sockets)
        _shutdown(*sockets)
        for thread in list(self._threads):
            thread.join(timeout=5)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                number = self.connections
            thread = threading.Thread(target=self._serve, args=(client, number), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, client: socket.socket, number: int) -> None:
        """One connection: answers flow back on a second thread, requests are parsed on this one."""
        with client, socket.create_connection(self.upstream) as server:
            with self._lock:
                self._sockets.update((client, server))
            answers = threading.Thread(target=_pipe, args=(server, client), daemon=True)
            answers.start()
            try:
                self._requests(client, server, number)
            finally:
                _shutdown(client, server)
                answers.join()
                with self._lock:
                    self._sockets.difference_update((client, server))

    def _requests(self, source: socket.socket, sink: socket.socket, number: int) -> None:
        stream = _Stream(source, sink)
        try:
            while (head := stream.until(b"\r\n\r\n")) is not None:
                lines = head.decode("latin-1").split("\r\n")
                method, target = lines[0].split(" ")[:2]
                headers = {}
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    headers[name.strip().lower()] = value.strip()
                self._bodies(+1)
                try:
                    body = stream.body(headers)
                finally:
                    self._bodies(-1)
                if body is None:
                    return
                with self._lock:
                    self.requests.append(TappedRequest(method, target, headers, body, number))
        except (OSError, ValueError):
            return

    def _bodies(self, change: int) -> None:
        with self._lock:
            self._in_flight += change
            self.peak_bodies_in_flight = max(self.peak_bodies_in_flight, self._in_flight)


class _Stream:
    """The client's bytes: forwarded to ``sink`` as they arrive, parsed from a local buffer."""

    def __init__(self, source: socket.socket, sink: socket.socket) -> None:
        self._source = source
        self._sink = sink
        self._buffer = bytearray()

    def _more(self) -> bool:
        data = self._source.recv(_READ)
        if not data:
            return False
        self._sink.sendall(data)
        self._buffer += data
        return True

    def until(self, marker: bytes) -> bytes | None:
        """The bytes up to ``marker`` (consumed with it), or ``None`` at the end of the stream."""
        while (index := self._buffer.find(marker)) < 0:
            if not self._more():
                return None
        found = bytes(self._buffer[:index])
        del self._buffer[: index + len(marker)]
        return found

    def skip(self, count: int) -> bool:
        """Consume ``count`` bytes (forwarded, not kept beyond the buffer)."""
        while count > 0:
            if not self._buffer and not self._more():
                return False
            taken = min(count, len(self._buffer))
            del self._buffer[:taken]
            count -= taken
        return True

    def body(self, headers: dict[str, str]) -> int | None:
        """Consume one request body; its length on the wire (``None`` if the stream ended early)."""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            total = 0
            while (line := self.until(b"\r\n")) is not None:
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while (trailer := self.until(b"\r\n")) is not None and trailer:
                        continue  # trailer fields (a trailing checksum), up to the empty line
                    return total
                if not self.skip(size + 2):
                    return None
                total += size
            return None
        length = int(headers.get("content-length", "0"))
        return length if self.skip(length) else None


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(_READ):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        _shutdown(source, sink)


def _shutdown(*sockets: socket.socket) -> None:
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _checksums(headers: dict[str, str]) -> list[str]:
    """Flexible checksums a request carries: ``crc32`` as a header, ``crc32 (trailer)`` after the body."""
    found = [n.removeprefix(_CHECKSUM_PREFIX) for n in headers if n.startswith(_CHECKSUM_PREFIX)]
    trailer = headers.get("x-amz-trailer", "")
    if trailer.startswith(_CHECKSUM_PREFIX):
        found.append(f"{trailer.removeprefix(_CHECKSUM_PREFIX)} (trailer)")
    return [name for name in found if name != "algorithm"]


def wire_facts(tap: WireTap) -> dict[str, Any]:
    """What one upload put on the wire: operations, body sizes, parallelism and integrity headers.

    >>> tap = WireTap.__new__(WireTap)
    >>> tap.requests = [TappedRequest("PUT", "/b/k?partNumber=1&uploadId=u",
    ...     {"x-amz-checksum-crc32": "AAAAAA==", "x-amz-content-sha256": "UNSIGNED-PAYLOAD"}, 8 << 20, 1)]
    >>> tap.peak_bodies_in_flight = 1
    >>> facts = wire_facts(tap)
    >>> facts["operations"], facts["data_mib"], facts["checksums"], facts["payload"]
    ({'UploadPart': 1}, [8.0], ['crc32'], ['unsigned'])
    """
    operations = Counter(operation(r.method, r.target) for r in tap.requests)
    data = [r for r in tap.requests if operation(r.method, r.target) in ("UploadPart", "PutObject")]
    return {
        "operations": dict(sorted(operations.items())),
        "data_mib": sorted({round(r.body_bytes / (1 << 20), 2) for r in data}),
        "connections": len({r.connection for r in tap.requests}),
        "peak_bodies_in_flight": tap.peak_bodies_in_flight,
        "checksums": sorted({name for r in data for name in _checksums(r.headers)}),
        "content_md5": any("content-md5" in r.headers for r in data),
        "payload": sorted({payload_mode(r.headers) for r in data}),
        "expect_continue": any(r.headers.get("expect", "").lower() == "100-continue" for r in data),
    }

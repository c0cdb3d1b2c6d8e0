"""The one interface every S3 target implements, and the helpers launchers share.

A target is anything that can hand out an :class:`~s3conf.endpoint.Endpoint`: an in-process
emulator, a local server binary, a container, real AWS or a vendor's URL. Suites only ever see the
:class:`Emulator` interface plus a :class:`Capabilities` record, so differences between targets live
in data, never in ``if name == ...`` branches.

>>> free_port() > 0
True
>>> Capabilities().multipart, Capabilities(versioning=False).versioning
(True, False)
>>> sorted(Capabilities.field_names())[:3]
['auth_enforced', 'bucket_lifecycle', 'conditional_writes']
"""

from __future__ import annotations

import dataclasses
import socket
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from s3conf.endpoint import Endpoint
from s3conf.errors import TargetError, TargetUnavailableError
from s3conf.redaction import Secret, redact

#: How often readiness is re-checked: short enough to add little to a start, long enough not to spin.
POLL_INTERVAL_SECONDS = 0.1


@dataclass(frozen=True)
class Capabilities:
    """What a target is known to support, so suites can skip instead of failing on purpose.

    The defaults describe real AWS S3; a launcher turns off what its server lacks. Values are
    declarations (from the server's documentation and our conformance runs); the conformance suite is
    what checks them.

    Attributes:
        conditional_writes: honours ``If-None-Match: *`` on PUT (exclusive create).
        multipart: multipart uploads (create/upload part/complete/abort/list).
        multipart_copy: ``UploadPartCopy`` for server-side copies above 5 GiB.
        versioning: bucket versioning and ``ListObjectVersions``.
        presigned_urls: query-string signed URLs.
        virtual_host_addressing: ``bucket.host`` addressing works (needs DNS/wildcard hosts).
        object_tagging: ``Put/GetObjectTagging``.
        auth_enforced: wrong credentials are rejected (false for emulators that accept any key).
        bucket_lifecycle: the bucket can be created and deleted by the suite (false for shared stores
            where the suite must stay inside a pre-made bucket).
        flat_namespace: an object ``d``, a marker ``d/`` and keys under ``d/`` can coexist (false for
            servers that store objects as files in a real file system, such as ``rclone serve s3``).
        part_number_gaps: a multipart upload completes from parts numbered with gaps (1, 5, 14), as
            S3 documents; the recoverable writer relies on it after a recovery (false for
            ``rclone serve s3``, which wants 1..N).
    """

    conditional_writes: bool = True
    multipart: bool = True
    multipart_copy: bool = True
    versioning: bool = True
    presigned_urls: bool = True
    virtual_host_addressing: bool = True
    object_tagging: bool = True
    auth_enforced: bool = True
    bucket_lifecycle: bool = True
    flat_namespace: bool = True
    part_number_gaps: bool = True

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        """The capability names, for tables and reports."""
        return tuple(field.name for field in dataclasses.fields(cls))

    def as_dict(self) -> dict[str, bool]:
        """Capability name -> supported, for JSON reports."""
        return dataclasses.asdict(self)


class Emulator(ABC):
    """A startable S3 target: ``with emulator as endpoint: ...`` always stops what it started.

    Subclasses implement :meth:`available`, :meth:`_start` and :meth:`_stop`; this base makes
    :meth:`start` idempotent, refuses to start an unavailable target with the reason, and guarantees
    :meth:`stop` runs on ``with`` exit even when the body raised (including ``KeyboardInterrupt``).
    """

    #: The registry name (``--target NAME``).
    name: str = ""
    #: Declared capabilities; launchers override.
    capabilities: Capabilities = Capabilities()
    #: Prepended to every bucket name the suites create (needed on shared stores such as AWS).
    bucket_prefix: str = ""

    def __init__(self) -> None:
        self._endpoint: Endpoint | None = None

    @abstractmethod
    def available(self) -> tuple[bool, str]:
        """Whether this target can run here, and if not, precisely why (shown as the skip reason).

        Must be cheap and must not start anything; it may look for binaries, packages, a Docker
        engine or credentials.
        """

    @abstractmethod
    def _start(self) -> Endpoint:
        """Start the server and return its endpoint once it answers S3 requests."""

    @abstractmethod
    def _stop(self) -> None:
        """Stop the server and release every process, port and temporary file it holds."""

    @property
    def launch_flags(self) -> tuple[str, ...]:
        """Flags the server runs with (recorded in reports so results can be reproduced)."""
        return ()

    @property
    def endpoint(self) -> Endpoint | None:
        """The running endpoint, or ``None`` when not started."""
        return self._endpoint

    @property
    def pids(self) -> tuple[int, ...]:
        """Process ids of children this target launched (empty for in-process or remote targets)."""
        return ()

    def start(self) -> Endpoint:
        """Start (once) and return the endpoint.

        Raises:
            TargetUnavailableError: when :meth:`available` says no; the message is its reason.
            TargetError: when the server does not come up; names the command and quotes its log.
        """
        if self._endpoint is not None:
            return self._endpoint
        ok, reason = self.available()
        if not ok:
            raise TargetUnavailableError(f"target {self.name!r} is not available: {reason}")
        try:
            self._endpoint = self._start()
        except BaseException:
            self._stop()
            raise
        return self._endpoint

    def stop(self) -> None:
        """Stop the target if it runs; safe to call any number of times."""
        self._endpoint = None
        self._stop()

    def __enter__(self) -> Endpoint:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._endpoint is not None else "stopped"
        return f"<{type(self).__name__} {self.name!r} {state}>"


def free_port(host: str = "127.0.0.1") -> int:
    """An ephemeral port that was free a moment ago.

    The kernel picks it by binding port 0; the socket is then closed so the server can bind it. Another
    process may grab it in between (a small race), which is why launchers retry a start once when the
    server reports the address in use.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def free_ports(count: int, host: str = "127.0.0.1", *, exclude: Collection[int] = ()) -> list[int]:
    """``count`` distinct free ports, none in ``exclude``, all held open together so none repeats.

    >>> len(set(free_ports(3)))
    3
    """
    held: list[socket.socket] = []
    ports: list[int] = []
    try:
        while len(ports) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.append(sock)
            sock.bind((host, 0))
            port = int(sock.getsockname()[1])
            if port not in exclude:
                ports.append(port)
        return ports
    finally:
        for sock in held:
            sock.close()


def port_is_listening(port: int, host: str = "127.0.0.1") -> bool:
    """Whether something accepts TCP connections on ``host:port`` (used to prove ports are released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def wait_until_ready(
    probe: Callable[[], Any],
    *,
    deadline_seconds: float,
    describe: str,
    still_alive: Callable[[], str | None] = lambda: None,
    log_tail: Callable[[], str] = lambda: "",
    secrets: Iterable[Secret | str | None] = (),
) -> Any:
    """Call ``probe`` until it returns without raising, or fail with a useful error.

    Polling a real request is the only honest readiness signal: a listening socket does not mean the
    S3 gateway behind it has loaded its identities. ``still_alive`` returns a reason string when the
    server process has died, so a crash is reported at once instead of after the whole deadline.

    Args:
        probe: raises while the server is not ready; its return value is returned.
        deadline_seconds: give up after this long.
        describe: what is being started (the command line, secrets already redacted).
        still_alive: ``None`` while the server lives, else why it is gone (e.g. its exit code).
        log_tail: the last lines of the server log, quoted in the error.
        secrets: redacted from the quoted error text.

    Raises:
        TargetError: the server died or the deadline passed; names ``describe`` and quotes the log.
    """
    deadline = time.monotonic() + deadline_seconds
    last_error: BaseException | None = None
    while True:
        dead = still_alive()
        if dead is not None:
            reason = f"exited before becoming ready ({dead})"
            break
        try:
            return probe()
        except Exception as error:  # any failure means "not ready yet"
            last_error = error
        if time.monotonic() >= deadline:
            reason = f"not ready after {deadline_seconds:g} s (last probe error: {last_error!r})"
            break
        time.sleep(POLL_INTERVAL_SECONDS)
    dead = still_alive() if "exited" not in reason else None
    if dead is not None:
        reason += f"; then exited ({dead})"
    tail = log_tail().rstrip()
    message = f"{describe}: {reason}"
    if tail:
        message += "\n--- last log lines ---\n" + tail
    raise TargetError(redact(message, secrets))

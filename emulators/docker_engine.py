"""The Docker engine container targets run on: found when running, started here when allowed.

A running engine (``DOCKER_HOST`` or the default socket) is always used as it is. When none answers,
the tests, ``s3conf conformance`` and ``s3conf targets build-images`` may start Debian's ``dockerd``
themselves, on three conditions: it is installed, we are root, and ``S3CONF_START_DOCKERD`` is not
``0``. Whatever starts it must stop it, yet several processes on one machine (parallel test
sessions, a child pytest) may use that engine at once; so every user holds a *lease* (a file named
by its pid in a shared directory), and the engine s3conf started is stopped by whichever user
releases the last live lease. Leases of processes that died (SIGKILL) are pruned by the next user.
An engine s3conf did not start is never stopped.

>>> engine_unreachable_reason("unix:///nonexistent/docker.sock")
'no Docker engine: socket /nonexistent/docker.sock does not exist (DOCKER_HOST=unix:///nonexistent/docker.sock)'
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import importlib.util
import json
import os
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from emulators.process import pid_is_running
from s3conf.errors import TargetUnavailableError

#: Where leases and the record of an engine s3conf started live (root only, like ``dockerd``).
LEASE_DIR = Path(os.environ.get("S3CONF_DOCKERD_STATE", "/run/s3conf-dockerd"))
#: How long a freshly started ``dockerd`` may take to answer.
ENGINE_START_SECONDS = 60.0
#: How long a stopping ``dockerd`` gets before SIGKILL.
ENGINE_STOP_SECONDS = 30.0


class _ProcessState:
    """This process's side of the protocol: how many users hold its lease, the dockerd it started."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: Users in this process (fixtures, running container targets, CLI commands); the lease
        #: file exists while this is above zero.
        self.users = 0
        #: The dockerd this process spawned (reaped when it is stopped here; if another process
        #: stops it later, it was reparented to init when this one exited).
        self.dockerd: int | None = None


_STATE = _ProcessState()


def first_line(error: BaseException) -> str:
    """The first line of an error's text; for engine API errors, the engine's own explanation."""
    explanation = getattr(error, "explanation", None)
    text = str(explanation or error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def engine_unreachable_reason(docker_host: str | None) -> str | None:
    """Why no Docker engine answers at ``docker_host`` (``None``: something accepts connections).

    Checked with a plain socket before the SDK is used: when the engine is missing, the SDK's own
    connection attempt leaks its socket (a ``ResourceWarning``) and says less than this does.
    """
    host = docker_host or "unix:///var/run/docker.sock"
    origin = f"DOCKER_HOST={docker_host}" if docker_host else "DOCKER_HOST unset, default socket"
    address: str | tuple[str, int]
    if host.startswith("unix://"):
        path = host.removeprefix("unix://")
        if not os.path.exists(path):
            return f"no Docker engine: socket {path} does not exist ({origin})"
        family, address = socket.AF_UNIX, path
    elif host.startswith(("tcp://", "http://", "https://")):
        netloc = urlsplit(host.replace("tcp://", "http://", 1))
        family, address = socket.AF_INET, (netloc.hostname or "localhost", netloc.port or 2375)
    else:
        return None  # ssh:// and npipe:// are left to the SDK
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(3)
        try:
            sock.connect(address)
        except OSError as error:
            return f"no Docker engine answering at {host} ({origin}): {error}"
    return None


def docker_client() -> tuple[Any | None, str]:
    """A connected Docker SDK client, or ``None`` and the precise reason there is none."""
    if importlib.util.find_spec("docker") is None:
        return None, "the docker SDK is not installed (pip install 's3conf[containers]')"
    unreachable = engine_unreachable_reason(os.environ.get("DOCKER_HOST"))
    if unreachable is not None:
        return None, unreachable
    import docker
    from docker.errors import DockerException
    from requests.exceptions import RequestException

    try:
        client = docker.from_env(timeout=120)
        client.ping()
    except (DockerException, RequestException) as error:
        return None, f"the Docker engine did not answer: {first_line(error)}"
    return client, "ok"


def dockerd_we_may_start() -> tuple[str | None, str]:
    """The ``dockerd`` this process may start, or ``None`` and why not."""
    if os.environ.get("DOCKER_HOST"):
        return None, "DOCKER_HOST names another engine"
    if os.environ.get("S3CONF_START_DOCKERD", "1") == "0":
        return None, "S3CONF_START_DOCKERD=0"
    path = shutil.which("dockerd") or next(
        (p for p in ("/usr/sbin/dockerd", "/usr/bin/dockerd") if os.access(p, os.X_OK)), None
    )
    if path is None:
        return None, "dockerd is not installed (apt-get install -y docker.io)"
    if os.geteuid() != 0:
        return None, f"{path} needs root to start"
    return path, path


def image_in_engine_store(image: str) -> bool:
    """Whether ``image`` is in the default engine's image store on disk (read while it is stopped).

    Lets a published-image target say whether it could run before anything starts the engine: a
    missing image then skips at once instead of starting ``dockerd`` only to find it absent.
    """
    try:
        settings = json.loads(Path("/etc/docker/daemon.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        settings = {}
    root = Path(settings.get("data-root", "/var/lib/docker") if isinstance(settings, dict) else "")
    reference = image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"
    for store in root.glob("image/*/repositories.json"):
        try:
            repositories = json.loads(store.read_text(encoding="utf-8")).get("Repositories", {})
        except (OSError, ValueError, AttributeError):
            continue
        if any(reference in tags or f"docker.io/{reference}" in tags for tags in repositories.values()):
            return True
    return False


def engine_reason() -> str:
    """The skip reason when no engine answers: why not, and whether a run here would start one."""
    _, reason = docker_client()
    path, why_not = dockerd_we_may_start()
    if path is not None:
        return f"{reason}; test and conformance runs start {path} themselves"
    return f"{reason}; not started here: {why_not}"


@contextlib.contextmanager
def _state_lock() -> Iterator[None]:
    LEASE_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (LEASE_DIR / "lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _live_leases() -> list[int]:
    pids = []
    for lease in LEASE_DIR.glob("lease-*"):
        pid = int(lease.name.removeprefix("lease-"))
        if pid_is_running(pid):
            pids.append(pid)
        else:
            lease.unlink(missing_ok=True)
    return pids


def _started_pid() -> int | None:
    record = LEASE_DIR / "dockerd.pid"
    try:
        pid = int(record.read_text())
    except (FileNotFoundError, ValueError):
        return None
    if pid_is_running(pid):
        return pid
    record.unlink(missing_ok=True)
    return None


def acquire_engine(*, start: bool = True) -> tuple[Any | None, str]:
    """A client of a running engine, starting ``dockerd`` when none runs and that is allowed.

    Every successful call is one use of this process's lease; give it back with
    :func:`release_engine` (the exit hook gives back whatever is left). Returns ``None`` and the
    reason when there is no engine; then nothing is held. The check and the lease are taken under
    the shared lock, so an engine another process is stopping is never taken for a running one.
    """
    path, why_not = dockerd_we_may_start()
    shared = os.access(LEASE_DIR.parent, os.W_OK)
    with _STATE.lock, _state_lock() if shared else contextlib.nullcontext():
        client, reason = docker_client()
        if client is None:
            if path is None:
                return None, f"{reason}; not started here: {why_not}"
            if not start:
                return None, reason
            if _started_pid() is None:
                _start_dockerd(path)
        _STATE.users += 1
        if shared:
            (LEASE_DIR / f"lease-{os.getpid()}").touch()
    if client is not None:
        return client, reason
    deadline = time.monotonic() + ENGINE_START_SECONDS
    while time.monotonic() < deadline:
        client, reason = docker_client()
        if client is not None:
            return client, "ok"
        time.sleep(0.2)
    release_engine()
    return None, f"{path} did not answer within {ENGINE_START_SECONDS:g} s: {reason} (log {_log_path()})"


def _log_path() -> Path:
    return LEASE_DIR / "dockerd.log"


def _start_dockerd(path: str) -> None:
    # posix_spawn, not Popen: the engine may outlive this process (another one still holds a lease),
    # and a Popen object would warn at exit about a child it never waited for.
    log = os.open(_log_path(), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        pid = os.posix_spawn(
            path,
            [path],
            dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                (os.POSIX_SPAWN_DUP2, log, 1),
                (os.POSIX_SPAWN_DUP2, log, 2),
            ],
            setsid=True,
        )
    finally:
        os.close(log)
    _STATE.dockerd = pid
    (LEASE_DIR / "dockerd.pid").write_text(str(pid))


def release_engine(*, all_uses: bool = False) -> None:
    """Give back one use (``all_uses``: every use) of this process's lease.

    When the lease goes, and no other live process holds one, the engine s3conf started is stopped.
    """
    with _STATE.lock:
        if _STATE.users == 0:
            return
        _STATE.users = 0 if all_uses else _STATE.users - 1
        if _STATE.users > 0 or not LEASE_DIR.exists():
            return
        with _state_lock():
            (LEASE_DIR / f"lease-{os.getpid()}").unlink(missing_ok=True)
            if _live_leases():
                return
            pid = _started_pid()
            if pid is not None:
                _stop_dockerd(pid)
                (LEASE_DIR / "dockerd.pid").unlink(missing_ok=True)


def _stop_dockerd(pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + ENGINE_STOP_SECONDS
    while pid_is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if pid_is_running(pid):
        os.kill(pid, signal.SIGKILL)
    if _STATE.dockerd == pid:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        _STATE.dockerd = None


def engine_started_here() -> int | None:
    """The pid of a ``dockerd`` s3conf started that still runs (for tests and ``s3conf targets``)."""
    with _state_lock():
        return _started_pid()


def require_engine() -> Any:
    """:func:`acquire_engine`, raising :class:`TargetUnavailableError` with the reason when none.

    The caller holds one use of the lease (give it back with :func:`release_engine`).
    """
    client, reason = acquire_engine()
    if client is None:
        raise TargetUnavailableError(reason)
    return client


def _release_at_exit() -> None:
    release_engine(all_uses=True)


atexit.register(_release_at_exit)

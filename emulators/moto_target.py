"""moto's S3 in-process (``ThreadedMotoServer``): the embedded default target.

It needs no binary, no container and no network beyond loopback, so it is what ``pip install
s3conf`` alone can always run. moto does not check signatures (any key works), which the
capabilities record says, so tests that prove auth is enforced skip it. All moto servers in one
process share moto's global backend state; bucket names are unique per test, so that is harmless.
"""

from __future__ import annotations

import importlib.util
import logging
from typing import Any

from emulators.base import Capabilities, Emulator
from emulators.clients import wait_for_s3
from s3conf.endpoint import Endpoint
from s3conf.redaction import Secret

#: moto accepts any credentials; these are the conventional placeholders.
MOTO_KEY = "testing"


class MotoEmulator(Emulator):
    """moto's HTTP server on an ephemeral loopback port, in a thread of this process."""

    name = "moto"
    # virtual_host_addressing: verified by capability.virtual-host-addressing (bucket.127.0.0.1 works).
    capabilities = Capabilities(auth_enforced=False)

    def __init__(self, *, region: str = "us-east-1") -> None:
        super().__init__()
        self.region = region
        self._server: Any = None

    def available(self) -> tuple[bool, str]:
        if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
            return False, "moto[server] is not installed (pip install 'moto[server]')"
        return True, "in-process moto server"

    @property
    def launch_flags(self) -> tuple[str, ...]:
        return ("ThreadedMotoServer", "ip_address=127.0.0.1", "port=0")

    def _start(self) -> Endpoint:
        import moto
        from moto.server import ThreadedMotoServer

        # werkzeug logs every request to stderr at INFO; a test target should be quiet.
        werkzeug_log = logging.getLogger("werkzeug")
        if werkzeug_log.level == logging.NOTSET:
            werkzeug_log.setLevel(logging.WARNING)
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self._server.start()
        host, port = self._server.get_host_and_port()
        endpoint = Endpoint(
            name=self.name,
            url=f"http://{host}:{port}",
            region=self.region,
            access_key=MOTO_KEY,
            secret_key=Secret(MOTO_KEY),
            version=f"moto {moto.__version__}",
        )
        wait_for_s3(
            endpoint,
            deadline_seconds=30,
            describe=f"in-process moto on {host}:{port}",
        )
        return endpoint

    def _stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.stop()
        # ThreadedMotoServer.stop() shuts the loop down but leaves the listening socket open.
        wsgi_server = getattr(server, "_server", None)
        if wsgi_server is not None:
            wsgi_server.server_close()

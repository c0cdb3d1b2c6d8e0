"""Launchers start, serve, and stop without leaving processes, ports or files behind.

These start their own servers (not through the session fixture) so they can watch the stop.
"""

from __future__ import annotations

import pytest

from emulators.base import port_is_listening
from emulators.clients import boto3_client
from emulators.process import live_pids, pid_is_running
from emulators.registry import create_emulator
from s3conf.errors import TargetError

LOCAL_TARGETS = ["moto", "seaweedfs", "rclone"]


@pytest.mark.parametrize("name", LOCAL_TARGETS, ids=LOCAL_TARGETS)
def test_start_serve_stop_releases_everything(name: str) -> None:
    emulator = create_emulator(name)
    with emulator as endpoint:
        assert endpoint.host == "127.0.0.1"
        assert port_is_listening(endpoint.port)
        assert boto3_client(endpoint).list_buckets()["Buckets"] == []
        assert emulator.start() is endpoint, "a second start must return the running endpoint"
        pids = emulator.pids
        workdir = getattr(emulator, "_workdir", None)
    assert not port_is_listening(endpoint.port), f"{name} still listens on {endpoint.port}"
    assert [pid for pid in pids if pid_is_running(pid)] == []
    assert not set(pids) & set(live_pids())
    assert workdir is None or not workdir.exists()
    emulator.stop()  # idempotent


BROKEN = {
    "rclone": ("--no-such-flag-s3conf",),
    "seaweedfs": ("-master.volumeSizeLimitMB=not-a-number",),
}


@pytest.mark.parametrize("name", list(BROKEN), ids=list(BROKEN))
def test_broken_config_names_the_command_and_quotes_the_log(name: str) -> None:
    emulator = create_emulator(name, extra_args=BROKEN[name])
    secret = emulator.secret_key.reveal()  # type: ignore[attr-defined]
    with pytest.raises(TargetError) as caught:
        emulator.start()
    message = str(caught.value)
    assert "exited before becoming ready" in message
    assert BROKEN[name][0] in message, "the command line must be named"
    assert emulator.binary in message  # type: ignore[attr-defined]
    assert "--- last log lines ---" in message
    log_part = message.split("--- last log lines ---", 1)[1]
    assert BROKEN[name][0].lstrip("-").split("=")[0] in log_part, "the server's own complaint is quoted"
    assert secret not in message
    assert [pid for pid in emulator.pids if pid_is_running(pid)] == []
    assert emulator.endpoint is None


def test_secrets_stay_out_of_flags_and_reprs() -> None:
    emulator = create_emulator("rclone")
    with emulator as endpoint:
        secret = endpoint.secret_key.reveal() if endpoint.secret_key else ""
        assert secret
        texts = [repr(endpoint), str(endpoint), repr(emulator), " ".join(emulator.launch_flags)]
        assert all(secret not in text for text in texts)
        assert any("***" in flag for flag in emulator.launch_flags)

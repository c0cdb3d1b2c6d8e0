"""Container targets on the real Docker engine: what runs, where it listens, and that nothing is left.

The engine is the one running (``DOCKER_HOST`` or the default socket), or Debian's ``dockerd`` started
for this session when it is installed and we are root (and stopped at the end); without either, every
test here skips with the reason. ``container:rclone`` is the quickest container to start, so the
lifecycle cases use it; one case runs each locally built target.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from emulators.clients import boto3_client
from emulators.containers import OWNER_PID_LABEL, TARGET_LABEL, labelled, reap_orphans
from emulators.docker_images import ensure_image, scratch_images
from emulators.pytest_plugin import TargetPool
from emulators.registry import create_emulator
from s3conf.errors import TargetError, TargetUnavailableError

REPO = Path(__file__).resolve().parents[2]


def _leftovers(client: Any, pid: int) -> dict[str, list[str]]:
    found = labelled(client, **{OWNER_PID_LABEL: str(pid)})
    return {kind: [str(resource.name) for resource in items] for kind, items in found.items() if items}


@pytest.mark.parametrize("name", ["container:seaweedfs", "container:rclone"])
def test_local_image_target_serves_s3_on_loopback_only(docker_engine: Any, name: str) -> None:
    emulator = create_emulator(name)
    with emulator as endpoint:
        client = boto3_client(endpoint)
        client.create_bucket(Bucket="s3conf-container-roundtrip")
        client.put_object(Bucket="s3conf-container-roundtrip", Key="k", Body=b"value")
        assert client.get_object(Bucket="s3conf-container-roundtrip", Key="k")["Body"].read() == b"value"
        attrs = docker_engine.containers.get(emulator.container.id).attrs
        bindings = [b for per_port in attrs["NetworkSettings"]["Ports"].values() for b in per_port or ()]
        assert bindings, "the S3 port is not published"
        assert {b["HostIp"] for b in bindings} == {"127.0.0.1"}
        assert attrs["Config"]["Labels"][TARGET_LABEL] == name
        shown = json.dumps([attrs["Path"], attrs["Args"], attrs["Config"]["Cmd"]])
        assert emulator.secret_key.reveal() not in shown, "the secret is on the command line"
        assert endpoint.version is not None
        assert f"container s3conf/{name.removeprefix('container:')}:" in endpoint.version
    assert _leftovers(docker_engine, os.getpid()) == {}


def test_anonymous_volumes_go_with_the_container(docker_engine: Any) -> None:
    """An image that declares a ``VOLUME`` gets an anonymous volume per container; stop removes it."""
    base, _ = ensure_image(docker_engine, scratch_images()["rclone"])
    dockerfile = f"FROM {base}\nVOLUME /declared\n".encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    context.seek(0)
    tag = base.replace("s3conf/rclone", "s3conf/rclone-with-volume")
    docker_engine.images.build(fileobj=context, custom_context=True, tag=tag, rm=True, forcerm=True)
    emulator = create_emulator("container:rclone", images={"container:rclone": tag})
    with emulator:
        mounts = emulator.container.attrs["Mounts"]
        volumes = [mount["Name"] for mount in mounts if mount["Type"] == "volume"]
        assert volumes, f"the image's VOLUME made no anonymous volume: {mounts}"
    remaining = {volume.name for volume in docker_engine.volumes.list()}
    assert not set(volumes) & remaining
    assert _leftovers(docker_engine, os.getpid()) == {}


def test_failed_start_quotes_the_server_and_leaves_nothing(docker_engine: Any) -> None:
    emulator = create_emulator("container:rclone", extra_args=("--no-such-flag",))
    with pytest.raises(TargetError, match="unknown flag: --no-such-flag") as failure:
        emulator.start()
    assert "exit code" in str(failure.value)
    assert emulator.secret_key.reveal() not in str(failure.value)
    assert _leftovers(docker_engine, os.getpid()) == {}


def test_minio_without_its_image_skips_with_the_command_to_get_it(docker_engine: Any) -> None:
    from docker.errors import ImageNotFound

    emulator = create_emulator("minio")
    try:
        docker_engine.images.get(emulator.image)
        pytest.skip(f"{emulator.image} is present here, so MinIO runs instead of skipping")
    except ImageNotFound:
        pass
    pool = TargetPool(["minio"], {"minio": emulator})
    with pytest.raises(pytest.skip.Exception) as skipped:
        pool.get("minio")
    reason = str(skipped.value)
    assert "image minio/minio:latest is not present locally" in reason
    assert "`docker pull minio/minio:latest`" in reason
    assert "`docker load -i IMAGE.tar`" in reason
    assert _leftovers(docker_engine, os.getpid()) == {}
    with pytest.raises(TargetUnavailableError):
        emulator.start()


PYTHON_CHILD = """
from pathlib import Path
from emulators.registry import create_emulator
emulator = create_emulator("container:rclone")
emulator.start()
Path({record!r}).write_text(emulator.container.id)
{ending}
"""

PYTEST_CHILD = """
from pathlib import Path

def test_uses_a_container(target, s3_client, bucket):
    s3_client.put_object(Bucket=bucket, Key="k", Body=b"v")
    Path({record!r}).write_text(target.emulator.container.id)
    {ending}
"""

ENDINGS = {
    "normal": "pass",
    # Ctrl-C: KeyboardInterrupt unwinds to pytest's session end / the interpreter's exit hooks.
    "ctrl-c": "import os, signal; os.kill(os.getpid(), signal.SIGINT)",
    # A crash nothing in the process survives: only the reaper can clean up after it.
    "sigkill": "import os, signal; os.kill(os.getpid(), signal.SIGKILL)",
}

# The three endings of a pytest session (a plain script ends the same ways: its exit hooks
# are the same ones pytest's end reaches).
CASES = [
    ("pytest", "normal"),
    ("pytest", "ctrl-c"),
    ("pytest", "sigkill"),
]


@pytest.mark.parametrize(("runner", "ending"), CASES, ids=[f"{r}-{e}" for r, e in CASES])
def test_nothing_labelled_outlives_its_process(
    docker_engine: Any, tmp_path: Path, runner: str, ending: str
) -> None:
    record = tmp_path / "container-id"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("S3CONF_", "PYTEST_"))}
    env["PYTHONPATH"] = str(REPO)
    if runner == "python":
        command = [sys.executable, "-c", PYTHON_CHILD.format(record=str(record), ending=ENDINGS[ending])]
    else:
        test_file = tmp_path / "test_child.py"
        test_file.write_text(textwrap.dedent(PYTEST_CHILD).format(record=str(record), ending=ENDINGS[ending]))
        command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "emulators.pytest_plugin"]
        command += ["--rootdir", str(tmp_path), "-q", "--target", "container:rclone", str(test_file)]
    child = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output, _ = child.communicate(timeout=180)
    assert record.exists(), output.decode(errors="replace")
    if ending == "sigkill":
        assert child.returncode == -signal.SIGKILL
        found = labelled(docker_engine, **{OWNER_PID_LABEL: str(child.pid)})["containers"]
        assert [c.id for c in found] == [record.read_text()], "a killed owner's container vanished by itself"
        reap_orphans(docker_engine)
    assert _leftovers(docker_engine, child.pid) == {}, output.decode(errors="replace")

"""The pieces of the container targets that need no engine: labels, secret files, tags, reasons."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from emulators import containers
from emulators.containers import (
    MANAGED_LABEL,
    OWNER_PID_LABEL,
    OWNER_START_LABEL,
    _archive,
    owner_is_gone,
    owner_labels,
)
from emulators.docker_images import ScratchImage
from emulators.registry import DEFAULT_TARGET_NAMES, TARGET_NAMES, create_emulator, server_name


def test_labels_name_this_process_and_it_is_alive() -> None:
    labels = owner_labels("container:rclone")
    assert labels[MANAGED_LABEL] == "true"
    assert labels[OWNER_PID_LABEL] == str(os.getpid())
    assert not owner_is_gone(labels)


def test_an_ended_owner_is_gone() -> None:
    command = [sys.executable, "-c", "import os; print(os.getpid())"]
    child = subprocess.run(command, check=True, capture_output=True, text=True)
    labels = owner_labels("container:rclone") | {OWNER_PID_LABEL: child.stdout.strip()}
    assert owner_is_gone(labels)


def test_a_reused_pid_is_not_its_old_owner() -> None:
    labels = owner_labels("container:rclone") | {OWNER_START_LABEL: "1"}
    assert owner_is_gone(labels)


def test_another_hosts_resources_are_not_judged() -> None:
    labels = owner_labels("container:rclone") | {"s3conf.owner.host": "elsewhere", OWNER_PID_LABEL: "1"}
    assert not owner_is_gone(labels)


def test_secret_files_are_root_only() -> None:
    with tarfile.open(fileobj=io.BytesIO(_archive("s3conf", {"config.env": b"K=V\n"}))) as tar:
        members = {member.name: member for member in tar.getmembers()}
        assert members["s3conf"].mode == 0o700
        assert members["s3conf/config.env"].mode == 0o400
        extracted = tar.extractfile("s3conf/config.env")
        assert extracted is not None
        assert extracted.read() == b"K=V\n"


@pytest.mark.parametrize(
    ("version", "tag"),
    [
        ("SeaweedFS 4.48", "s3conf/x:4.48"),
        ("rclone v1.75.2", "s3conf/x:v1.75.2"),
        ("v1+dirty", "s3conf/x:v1_dirty"),
    ],
    ids=["seaweedfs", "rclone", "unsafe-characters"],
)
def test_image_tags_carry_the_binary_version(version: str, tag: str) -> None:
    assert ScratchImage("x", "x", "x-bin", lambda path: None).tag(version) == tag


def test_container_twins_are_opt_in_and_share_expectations() -> None:
    twins = sorted(set(TARGET_NAMES) - set(DEFAULT_TARGET_NAMES))
    assert twins == ["container:rclone", "container:seaweedfs"]
    assert [server_name(name) for name in twins] == ["rclone", "seaweedfs"]


@pytest.mark.parametrize("name", ["container:seaweedfs", "container:rclone", "minio"])
def test_without_an_engine_the_reason_names_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str
) -> None:
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'docker.sock'}")
    ok, reason = create_emulator(name).available()
    assert not ok
    assert f"socket {tmp_path / 'docker.sock'} does not exist" in reason
    assert "not started here: DOCKER_HOST names another engine" in reason


@pytest.mark.parametrize("name", ["container:seaweedfs", "minio"])
def test_credentials_are_not_on_the_command_line(name: str) -> None:
    emulator = create_emulator(name)
    secret = emulator.secret_key.reveal()
    assert secret not in " ".join(emulator.launch_flags) + " ".join(emulator.environment().values())
    assert any(secret in content.decode() for content in emulator.secret_files().values())


@pytest.mark.parametrize(("in_store", "expected"), [(False, False), (True, True)], ids=["absent", "present"])
def test_a_stopped_engine_is_started_only_for_an_image_it_holds(
    monkeypatch: pytest.MonkeyPatch, in_store: bool, expected: bool
) -> None:
    monkeypatch.setattr(containers, "docker_client", lambda: (None, "no Docker engine: socket gone"))
    monkeypatch.setattr(
        containers, "dockerd_we_may_start", lambda: ("/usr/sbin/dockerd", "/usr/sbin/dockerd")
    )
    monkeypatch.setattr(containers, "image_in_engine_store", lambda image: in_store)
    ok, reason = create_emulator("minio").available()
    assert ok is expected
    if expected:
        assert "starting this target starts /usr/sbin/dockerd" in reason
    else:
        assert "`docker pull minio/minio:latest`" in reason
        assert "none is started for it" in reason

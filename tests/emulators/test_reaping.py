"""No server outlives the process that launched it: normal session end, Ctrl-C, plain exit.

Each case runs in a child Python process (rclone is the quickest real server to start), records the
pids it launched in a file, and the test checks from outside that they are gone afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from emulators.base import port_is_listening
from emulators.process import pid_is_running

REPO = Path(__file__).resolve().parents[2]

START_AND_RECORD = """
from pathlib import Path
from emulators.registry import create_emulator
emulator = create_emulator("rclone")
endpoint = emulator.start()
Path({pid_file!r}).write_text(" ".join(map(str, emulator.pids)) + " " + str(endpoint.port))
Path({workdir_file!r}).write_text(str(emulator._workdir))
"""

ENDINGS = {
    # KeyboardInterrupt unwinds to interpreter exit, where the atexit hook reaps the child.
    "ctrl-c": "import os, signal\nos.kill(os.getpid(), signal.SIGINT)",
    # A script that forgets to stop its target.
    "forgotten-stop": "pass",
}


def _recorded(pid_file: Path) -> tuple[list[int], int]:
    *pids, port = (int(value) for value in pid_file.read_text().split())
    assert pids, "the child did not launch a server"
    return pids, port


@pytest.mark.parametrize("ending", list(ENDINGS.values()), ids=list(ENDINGS))
def test_children_are_reaped_at_interpreter_exit(tmp_path: Path, ending: str) -> None:
    pid_file, workdir_file = tmp_path / "pids", tmp_path / "workdir"
    script = START_AND_RECORD.format(pid_file=str(pid_file), workdir_file=str(workdir_file)) + ending + "\n"
    result = subprocess.run(
        [sys.executable, "-c", script], check=False, cwd=REPO, capture_output=True, text=True, timeout=120
    )
    pids, port = _recorded(pid_file)
    assert [pid for pid in pids if pid_is_running(pid)] == [], result.stderr
    assert not port_is_listening(port)
    assert not Path(workdir_file.read_text()).exists(), "the server's work directory was left behind"


def test_no_server_outlives_a_pytest_session(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"
    test_file = tmp_path / "test_uses_target.py"
    test_file.write_text(
        textwrap.dedent(
            f"""
            from pathlib import Path

            def test_uses_bucket(target, s3_client, bucket):
                s3_client.put_object(Bucket=bucket, Key="k", Body=b"v")
                assert s3_client.get_object(Bucket=bucket, Key="k")["Body"].read() == b"v"
                Path({str(pid_file)!r}).write_text(
                    " ".join(map(str, target.emulator.pids)) + " " + str(target.endpoint.port)
                )
            """
        )
    )
    result = _run_pytest(tmp_path, "--target", "rclone", str(test_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    pids, port = _recorded(pid_file)
    assert [pid for pid in pids if pid_is_running(pid)] == []
    assert not port_is_listening(port)


def test_unknown_target_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "test_nothing.py").write_text("def test_nothing():\n    pass\n")
    result = _run_pytest(tmp_path, "--target", "moto", "--target", "no-such-store", str(tmp_path))
    assert result.returncode == pytest.ExitCode.USAGE_ERROR
    assert "no-such-store" in result.stderr
    assert "known targets" in result.stderr


def _run_pytest(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in a child process with only our plugin, rooted in ``tmp_path``, no S3CONF_* settings."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("S3CONF_", "PYTEST_"))}
    env["PYTHONPATH"] = str(REPO)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "emulators.pytest_plugin"]
    command += ["--rootdir", str(tmp_path), "-q", *args]
    return subprocess.run(
        command, check=False, cwd=tmp_path, capture_output=True, text=True, timeout=180, env=env
    )

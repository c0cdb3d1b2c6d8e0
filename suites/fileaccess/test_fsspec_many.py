"""Many small objects through ``s3x://`` (issue 18): multi-path calls and listings, counted on the wire.

Multi-path ``cat``/``cat_ranges``/``info``/``exists``/``rm``/``get``/``put`` run on a bounded pool:
each test checks the answer per path, that a failing path is reported (``on_error`` "raise", "omit",
"return") and never read as absence, and that no more requests run at once than
``s3.connection.maximum``. ``find`` and ``glob`` are held to the fewest listing requests: one flat
listing under the pattern's literal prefix, as many requests as pages and no more.
"""

from __future__ import annotations

import fnmatch
import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from s3conf.config import S3Config
from s3conf.fsspec import S3XFileSystem
from suites.fileaccess.conftest import WireCounter, counted

PREFIXES = 4
PER_PREFIX = 6
KEYS = [f"p{p:02d}/f{f:02d}.bin" for p in range(PREFIXES) for f in range(PER_PREFIX)] + ["top.bin"]


def _body(key: str) -> bytes:
    return key.encode() * 3


def _fs(target: Any, **options: Any) -> S3XFileSystem:
    endpoint = target.endpoint
    return S3XFileSystem(
        key=endpoint.access_key,
        secret=endpoint.secret_key.reveal(),
        endpoint_protocol="http",
        skip_instance_cache=True,
        **options,
    )


@pytest.fixture
def fs(target: Any) -> S3XFileSystem:
    return _fs(target)


@pytest.fixture
def base(target: Any, s3_client: Any, bucket: str) -> str:
    """``host:port/bucket`` holding :data:`KEYS`."""
    for key in KEYS:
        s3_client.put_object(Bucket=bucket, Key=key, Body=_body(key))
    return f"{target.endpoint.netloc}/{bucket}"


def _wire(fs: S3XFileSystem, base: str, *, page_size: int | None = None) -> WireCounter:
    one = fs._fs(fs._locate(base + "/x"))
    if page_size is not None:
        one.page_size = page_size
    return counted(one.client)


def _pages(count: int, page_size: int) -> int:
    return max(1, -(-count // page_size))


# -- listings ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page_size", [5, 1000], ids=["pages", "one-page"])
def test_find_is_one_flat_listing_of_as_many_requests_as_pages(
    fs: S3XFileSystem, base: str, page_size: int
) -> None:
    wire = _wire(fs, base, page_size=page_size)
    assert fs.find(base) == sorted(f"{base}/{key}" for key in KEYS)
    assert wire.counts == {"ListObjectsV2": _pages(len(KEYS), page_size)}


@pytest.mark.parametrize(
    ("pattern", "listed"),
    [("*/f01*.bin", len(KEYS)), ("p02/f0*.bin", PER_PREFIX), ("p0*/f03.bin", len(KEYS) - 1),
     ("p01/f0[12].bin", PER_PREFIX), ("**/f05.bin", len(KEYS))],
    ids=["star-dir", "literal-dir-partial-name", "partial-dir", "class", "double-star"],
)  # fmt: skip
def test_glob_lists_once_under_the_longest_literal_prefix(
    fs: S3XFileSystem, base: str, pattern: str, listed: int
) -> None:
    """``listed``: the keys under the pattern's literal prefix, which is all the listing may page through."""
    page_size = 5
    wire = _wire(fs, base, page_size=page_size)
    shell = pattern.replace("**/", "*/")
    expected = sorted(f"{base}/{key}" for key in KEYS if fnmatch.fnmatchcase(key, shell))
    assert expected, "the pattern must match something for the count to mean anything"
    assert fs.glob(f"{base}/{pattern}") == expected
    assert wire.counts == {"ListObjectsV2": _pages(listed, page_size)}


def test_find_maxdepth_one_is_one_delimiter_listing(fs: S3XFileSystem, base: str) -> None:
    wire = _wire(fs, base, page_size=1000)
    assert fs.find(base, maxdepth=1) == [f"{base}/top.bin"]
    assert fs.find(base, maxdepth=1, withdirs=True) == [f"{base}/p{p:02d}" for p in range(PREFIXES)] + [
        f"{base}/top.bin"
    ]
    assert wire.counts == {"ListObjectsV2": 2}


def test_glob_of_one_level_keeps_directories(fs: S3XFileSystem, base: str) -> None:
    assert fs.glob(f"{base}/p0*") == [f"{base}/p{p:02d}" for p in range(PREFIXES)]
    assert fs.glob(f"{base}/p01/*", detail=True)[f"{base}/p01/f00.bin"]["size"] == len(_body("p01/f00.bin"))


# -- multi-path reads ----------------------------------------------------------------------------------
def test_cat_of_many_paths_returns_each_object_in_one_get_each(fs: S3XFileSystem, base: str) -> None:
    wire = _wire(fs, base)
    wanted = [f"{base}/{key}" for key in reversed(KEYS)]
    got = fs.cat(wanted)
    assert list(got) == wanted  # the caller's order
    assert got == {path: _body(path.split("/", 2)[2]) for path in wanted}
    assert wire.counts == {"GetObject": len(KEYS)}


def test_cat_recursive_and_glob_expand_to_the_files(fs: S3XFileSystem, base: str) -> None:
    assert fs.cat(f"{base}/p01", recursive=True) == {
        f"{base}/p01/f{f:02d}.bin": _body(f"p01/f{f:02d}.bin") for f in range(PER_PREFIX)
    }
    assert fs.cat(f"{base}/p0*/f02.bin") == {
        f"{base}/p{p:02d}/f02.bin": _body(f"p{p:02d}/f02.bin") for p in range(PREFIXES)
    }
    assert fs.cat(f"{base}/top.bin") == _body("top.bin")  # one plain path: bytes, not a dict


@pytest.fixture
def dead_host() -> str:
    """``127.0.0.1:port`` with nothing listening (connections are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return f"127.0.0.1:{port}"


def _one_attempt(target: Any) -> S3XFileSystem:
    return _fs(target, config_kwargs={"retries": {"max_attempts": 1, "mode": "standard"}})


@pytest.mark.parametrize("call", ["cat", "info"])
def test_on_error_reports_each_failing_path(target: Any, base: str, dead_host: str, call: str) -> None:
    fs = _one_attempt(target)
    good, missing, dead = f"{base}/top.bin", f"{base}/missing.bin", f"{dead_host}/bucket/k.bin"
    run = getattr(fs, call)
    with pytest.raises(FileNotFoundError, match=r"missing\.bin"):
        run([good, missing])
    returned = run([good, missing, dead], on_error="return")
    values = list(returned.values()) if call == "cat" else returned
    assert isinstance(values[1], FileNotFoundError)
    assert "missing.bin" in str(values[1])
    assert isinstance(values[2], OSError)
    assert not isinstance(values[2], FileNotFoundError)
    assert dead_host in str(values[2])
    omitted = run([good, missing], on_error="omit")
    assert (list(omitted) if call == "cat" else [entry["name"] for entry in omitted]) == [good]
    with pytest.raises(OSError, match=dead_host):  # omit leaves out what is missing, not what failed
        run([good, dead], on_error="omit")
    with pytest.raises(ValueError, match="'ignore'"):
        run([good], on_error="ignore")


def test_info_exists_and_sizes_of_many(fs: S3XFileSystem, base: str) -> None:
    paths = [f"{base}/{key}" for key in KEYS]
    assert [entry["size"] for entry in fs.info(paths)] == [len(_body(key)) for key in KEYS]
    assert fs.sizes(paths[:3]) == [len(_body(key)) for key in KEYS[:3]]
    assert fs.exists([paths[0], f"{base}/nope", f"{base}/p01"]) == [True, False, True]


def test_exists_of_many_raises_when_a_server_cannot_answer(target: Any, base: str, dead_host: str) -> None:
    with pytest.raises(OSError, match=dead_host):
        _one_attempt(target).exists([f"{base}/top.bin", f"{dead_host}/bucket/k"])


class _Concurrency:
    """The most requests a client had on the wire at once (``before-send`` to ``response-received``, which
    botocore emits for every request it sends, as the reader's direct GETs do)."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self._lock = threading.Lock()

    def enter(self, **_: Any) -> None:
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.01)  # hold the slot, so requests that can overlap do

    def leave(self, **_: Any) -> None:
        with self._lock:
            self.now -= 1


@pytest.mark.parametrize("maximum", [1, 3])
def test_multi_path_calls_stay_within_the_connection_maximum(
    target: Any, base: str, tmp_path: Path, maximum: int
) -> None:
    fs = _fs(target, config=S3Config().with_values({"s3.connection.maximum": maximum}))
    client = fs._fs(fs._locate(base + "/x")).client
    concurrency = _Concurrency()
    client.meta.events.register("before-send.s3", concurrency.enter)
    client.meta.events.register("response-received.s3", concurrency.leave)
    paths = [f"{base}/{key}" for key in KEYS]
    assert len(fs.cat(paths)) == len(KEYS)
    assert len(fs.info(paths)) == len(KEYS)
    assert fs.cat_ranges(paths, 0, 4) == [_body(key)[:4] for key in KEYS]
    fs.get(paths, [str(tmp_path / key.replace("/", "_")) for key in KEYS])
    assert concurrency.peak == maximum  # bounded, and with more than one allowed, used
    assert concurrency.now == 0


# -- multi-path transfers ------------------------------------------------------------------------------
def test_get_and_put_of_many_files(fs: S3XFileSystem, base: str, tmp_path: Path) -> None:
    fs.get(f"{base}/p01/", str(tmp_path / "down") + "/", recursive=True)
    names = sorted(p.name for p in (tmp_path / "down").iterdir())
    assert names == [f"f{f:02d}.bin" for f in range(PER_PREFIX)]
    assert (tmp_path / "down" / "f03.bin").read_bytes() == _body("p01/f03.bin")
    wire = _wire(fs, base)
    fs.put(str(tmp_path / "down") + "/", f"{base}/up/", recursive=True)
    assert wire["PutObject"] == PER_PREFIX
    assert fs.cat(f"{base}/up/f03.bin") == _body("p01/f03.bin")
    with pytest.raises(FileNotFoundError, match=r"missing\.bin"):
        fs.get([f"{base}/top.bin", f"{base}/missing.bin"], [str(tmp_path / "a"), str(tmp_path / "b")])
    assert not (tmp_path / "b").exists()  # no empty local file for a missing object


def test_rm_of_many_deletes_in_batches_after_checking_each(fs: S3XFileSystem, base: str) -> None:
    wire = _wire(fs, base)
    doomed = [f"{base}/p00/f{f:02d}.bin" for f in range(PER_PREFIX)]
    fs.rm(doomed)
    assert wire.counts == {"HeadObject": PER_PREFIX, "DeleteObjects": 1}
    assert fs.exists(doomed) == [False] * PER_PREFIX
    with pytest.raises(FileNotFoundError, match=r"gone\.bin"):
        fs.rm([f"{base}/top.bin", f"{base}/gone.bin"])
    assert fs.exists(f"{base}/top.bin")  # nothing deleted when a path is missing
    fs.rm([f"{base}/p01", f"{base}/p02"], recursive=True)
    assert fs.find(base) == sorted(f"{base}/{key}" for key in KEYS if key.startswith(("p03", "top")))


# -- S3FileSystem equivalents --------------------------------------------------------------------------
def test_s3filesystem_many_path_calls(target: Any, base: str, bucket: str) -> None:
    from s3conf.fs import S3FileSystem

    fs = S3FileSystem(bucket, endpoint=target.endpoint)
    wire = counted(fs.client)
    keys = [f"/{key}" for key in KEYS[:5]]
    assert [stat.size for stat in fs.stat_many(keys)] == [len(_body(key[1:])) for key in keys]
    assert fs.read_bytes_many(keys) == [_body(key[1:]) for key in keys]
    got = fs.read_bytes_many([keys[0], "/missing.bin"], on_error="return")
    assert got[0] == _body(keys[0][1:])
    assert isinstance(got[1], FileNotFoundError)
    assert fs.stat_many([keys[0], "/missing.bin"], on_error="omit")[0].key == keys[0][1:]
    with pytest.raises(FileNotFoundError, match=r"missing\.bin"):
        fs.rm_many([keys[0], "/missing.bin"])
    assert fs.exists(keys[0])  # nothing deleted when one path is missing
    wire.counts.clear()
    fs.rm_many(keys)
    assert wire.counts == {"HeadObject": len(keys), "DeleteObjects": 1}
    assert not any(fs.exists(key) for key in keys)

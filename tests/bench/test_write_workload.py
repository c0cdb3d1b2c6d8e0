"""The ``write`` bench workload: a tiny interleaved run on a private moto server, then its report."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from emulators.clients import boto3_client
from s3conf.cli import main
from s3conf.endpoint import Endpoint
from suites.bench.write_report import render
from suites.bench.write_workload import (
    BASELINE,
    WriteSample,
    measure,
    observe_wire,
    paired_ratios,
    processes_cpu_seconds,
)

MiB = 1024 * 1024


@pytest.fixture
def moto_bucket() -> Iterator[tuple[Endpoint, Any, str]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = Endpoint(name="moto-write", url=f"http://{host}:{port}", access_key="ak", secret_key="sk")
    client = boto3_client(endpoint)
    bucket = f"s3conf-write-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    try:
        yield endpoint, client, bucket
    finally:
        # moto's backend is process-wide, not per server: a bucket left here shows up in every later
        # moto target of the session (tests/emulators/test_lifecycle.py expects none).
        for item in client.list_objects_v2(Bucket=bucket).get("Contents", []):
            client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)
        server.stop()


def test_every_contender_uploads_the_whole_object_and_the_report_pairs_them(
    moto_bucket: tuple[Endpoint, Any, str],
) -> None:
    endpoint, client, bucket = moto_bucket
    names = ("s3conf:streaming", "s3conf:spooled", "boto3:upload_fileobj", "pandas:s3x")
    samples, skipped, parquet_size = measure(
        endpoint, bucket, client, object_size=9 * MiB, repeats=2, seed=3, names=names, frame_rows=1000
    )
    assert skipped.keys() <= {"s3fs:write", "obstore:put", "pandas:s3fs"}
    assert sorted((s.contender, s.repeat) for s in samples) == sorted((n, r) for n in names for r in (0, 1))
    assert all(s.bytes == 9 * MiB for s in samples if not s.contender.startswith("pandas:"))
    assert parquet_size > 0
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0, "uploads are deleted after timing"
    streaming = [s for s in samples if s.contender == BASELINE]
    assert all(s.peak_buffered_bytes is not None and s.peak_buffered_bytes <= 8 * 8 * MiB for s in streaming)

    document = {
        "run": {
            "command": "s3conf bench --workloads write",
            "target": "moto",
            "machine": "test",
            "repeats": 2,
            "seed": 3,
            "object_size": 9 * MiB,
            "frame_rows": 1000,
            "parquet_bytes": parquet_size,
            "started": "t0",
            "finished": "t1",
        },
        "samples": [vars(s) for s in samples],
        "skipped": skipped,
    }
    markdown = render(document)
    assert "s3conf bench --workloads write" in markdown
    assert "streaming writer vs `boto3:upload_fileobj`" in markdown
    assert "| s3conf:spooled |" in markdown
    assert "On the wire" not in markdown, "a run saved without wire facts renders without the section"


def test_the_wire_pass_records_what_each_uploader_sends(moto_bucket: tuple[Endpoint, Any, str]) -> None:
    endpoint, client, bucket = moto_bucket
    # Over 2 s on a loaded machine because moto hashes every part in-process: the one test that checks
    # the writer's headers as they reach a store. One uploader only; the tap's parsing of other
    # clients' framing and signing modes is covered in tests/bench/test_wire_tap.py.
    names = ("s3conf:streaming", "pandas:s3x")
    wire = observe_wire(endpoint, bucket, client, object_size=9 * MiB, seed=3, names=names)

    assert set(wire) == {"s3conf:streaming"}, "pandas rows are not tapped"
    ours = wire["s3conf:streaming"]
    assert ours["operations"] == {"CompleteMultipartUpload": 1, "CreateMultipartUpload": 1, "UploadPart": 2}
    assert ours["data_mib"] == [1.0, 8.0]
    assert (ours["checksums"], ours["payload"], ours["content_md5"]) == (["crc32"], ["unsigned"], False)
    assert ours["expect_continue"] is False
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount") == 0, "tapped uploads are deleted"

    document = {
        "run": {
            "command": "s3conf bench --workloads write", "target": "moto", "machine": "test", "repeats": 1,
            "seed": 3, "object_size": 9 * MiB, "frame_rows": 0, "parquet_bytes": 0,
            "started": "t0", "finished": "t1",
        },
        "samples": [vars(WriteSample(BASELINE, 0, 0, 9 * MiB, 2.0, 0.1, None, 1.0))],
        "skipped": {},
        "wire": wire,
    }  # fmt: skip
    markdown = render(document)
    requests = "1 CompleteMultipartUpload, 1 CreateMultipartUpload, 2 UploadPart"
    assert f"| s3conf:streaming | {requests} | 1, 8 |" in markdown
    assert "| 0.50 | 1.00 (baseline) |" in markdown, "server cores busy: 1.0 CPU s over 2.0 s"


def test_paired_ratios_only_pair_samples_of_the_same_repeat() -> None:
    samples = [
        WriteSample("a", 0, 0, 1, 2.0, 0.1),
        WriteSample("b", 0, 1, 1, 4.0, 0.1),
        WriteSample("b", 1, 2, 1, 9.0, 0.1),  # no baseline in repeat 1: not paired
    ]
    assert paired_ratios(samples, "a") == {"b": [2.0]}


def test_the_committed_sample_rebuilds_from_its_results(tmp_path: Path) -> None:
    samples = Path(__file__).resolve().parents[2] / "reports" / "samples" / "bench"
    assert main(["report", "bench", str(samples / "write-results.json"), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "write.md").read_text() == (samples / "write.md").read_text()


def test_server_cpu_is_read_for_live_processes_only() -> None:
    busy = subprocess.Popen([sys.executable, "-c", "sum(range(10**7))"])
    busy.wait()
    assert processes_cpu_seconds(()) is None, "an in-process target has no server CPU of its own"
    assert processes_cpu_seconds((busy.pid,)) is None, "a reaped process cannot be read"
    own = processes_cpu_seconds((os.getpid(),))
    assert own is not None
    assert 0 < own <= time.process_time() + 0.05

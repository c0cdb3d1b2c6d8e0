"""The ``bulk`` bench workload: a tiny interleaved run on a private moto server, then its table."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from emulators.clients import boto3_client
from s3conf.endpoint import Endpoint
from suites.bench import checkpoint
from suites.bench.bulk import BASELINE, DIRECTIONS, _arguments, flip444, measure, render, summarise


@pytest.fixture
def moto_bucket() -> Iterator[tuple[Endpoint, Any, str]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = Endpoint(name="moto-bulk", url=f"http://{host}:{port}", access_key="ak", secret_key="sk")
    client = boto3_client(endpoint)
    bucket = f"s3conf-bulk-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    try:
        yield endpoint, client, bucket
    finally:
        # moto's backend is process-wide: a bucket left here would show up in later moto targets.
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                client.delete_object(Bucket=bucket, Key=item["Key"])
        client.delete_bucket(Bucket=bucket)
        server.stop()


def test_every_contender_moves_every_byte_both_ways(
    moto_bucket: tuple[Endpoint, Any, str], tmp_path: Path
) -> None:
    endpoint, client, bucket = moto_bucket
    samples = measure(
        endpoint, bucket, client, tmp_path, files=4, min_size=1, max_size=20_000, repeats=1, seed=3,
        progress=lambda _: None,
    )  # fmt: skip
    contenders = {s.contender for s in samples}
    assert {"s5cmd", "builtin", "boto3"} <= contenders  # s3fs only where the peers extra is installed
    assert len(samples) == len(contenders) * len(DIRECTIONS)
    assert all(s.seconds > 0 and s.cpu_seconds >= 0 and s.bytes == samples[0].bytes for s in samples)
    # uploads were deleted after each sample; only the download source remains
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert len(keys) == 4
    assert all(k.startswith("src/") for k in keys)
    rows = summarise(samples)
    assert {(r["contender"], r["direction"]) for r in rows} == {
        (c, d) for c in contenders for d in DIRECTIONS
    }
    assert all(r["cpu_vs_builtin"] == 1.0 for r in rows if r["contender"] == BASELINE)
    claim = flip444(samples)
    assert {(r["direction"], r["versus"]) for r in claim} == {
        (d, c) for c in contenders - {"s5cmd"} for d in DIRECTIONS
    }
    assert all(r["holds"] == (r["cpu_ratio"] >= 2) for r in claim)
    table = render({"run": _run(), "summary": rows, "flip444": claim})
    assert table.count("\n| s5cmd |") == 2
    assert "CPU s/GiB" in table
    assert table.count("\n| upload | ") == len(contenders) - 1  # the claim table: one row per other contender


def _run() -> dict[str, Any]:
    return {
        "command": "python -m suites.bench.bulk", "target": "moto", "machine": "test", "files": 6,
        "bytes": 1, "min_size": 1, "max_size": 2, "repeats": 2, "seed": 3,
    }  # fmt: skip


def test_checkpoint_workload_writes_recovers_and_deletes_each_checkpoint(
    moto_bucket: tuple[Endpoint, Any, str], tmp_path: Path
) -> None:
    endpoint, client, bucket = moto_bucket
    samples = checkpoint.measure(
        endpoint, bucket, tmp_path, files=30, min_size=1, max_size=4096, repeats=1, seed=5,
        progress=lambda _: None,
    )  # fmt: skip
    assert {(s.contender, s.phase) for s in samples} == {
        (c, p) for c in checkpoint.CONTENDERS for p in checkpoint.PHASES
    }
    assert all(s.files == 30 and s.bytes == samples[0].bytes and s.seconds > 0 for s in samples)
    # every checkpoint was recovered byte for byte (measure checks) and then deleted
    assert client.list_objects_v2(Bucket=bucket).get("KeyCount", 0) == 0
    rows = checkpoint.summarise(samples)
    assert all(r["cpu_vs_builtin"] == 1.0 for r in rows if r["contender"] == "builtin")
    run = {**_run(), "distribution": "log-uniform"}
    table = checkpoint.render({"run": run, "summary": rows})
    assert table.count("\n| s5cmd | ") == len(checkpoint.PHASES)
    assert "files/s" in table


def test_workload_defaults_and_the_reproducing_command() -> None:
    args, min_size, max_size, _, command = _arguments(["--workload", "checkpoint", "--seed", "9"])
    assert (args.files, min_size, max_size, args.distribution) == (500, 4096, 1 << 20, "log-uniform")
    assert command[3:5] == ["--workload", "checkpoint"]
    assert _arguments(command[3:])[4] == command  # the printed command reproduces itself
    assert "--workload" not in _arguments(["--seed", "9"])[4]

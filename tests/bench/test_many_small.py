"""The ``many-small`` bench workload: a tiny interleaved run on a private moto server, then its report."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from moto.server import ThreadedMotoServer

from emulators.clients import boto3_client
from s3conf.endpoint import Endpoint
from suites.bench.many_small import OPERATIONS, _upload, measure, object_keys, paired_ratios, render


@pytest.fixture
def moto_bucket() -> Iterator[tuple[Endpoint, Any, str]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = Endpoint(name="moto-many", url=f"http://{host}:{port}", access_key="ak", secret_key="sk")
    client = boto3_client(endpoint)
    bucket = f"s3conf-many-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    try:
        yield endpoint, client, bucket
    finally:
        # moto's backend is process-wide: leave no bucket behind for later moto targets of the session.
        # One DeleteObjects request instead of 240 DeleteObject ones (about a third of this test's time).
        objects = [{"Key": key} for key in object_keys(240)]
        answer = client.delete_objects(Bucket=bucket, Delete={"Objects": objects, "Quiet": True})
        assert not answer.get("Errors"), answer["Errors"]
        client.delete_bucket(Bucket=bucket)
        server.stop()


def test_every_operation_answers_in_full_and_the_report_pairs_them(
    moto_bucket: tuple[Endpoint, Any, str], tmp_path: Path
) -> None:
    endpoint, _, bucket = moto_bucket
    _upload(endpoint, bucket, 240, 100, seed=1)
    names = ("s3x", "s3fs")
    samples, skipped = measure(
        endpoint, bucket, objects=240, object_size=100, repeats=2, seed=3, names=names, scratch=tmp_path
    )  # measure raises when a contender's answer is short (keys, matches or bytes)
    ran = [name for name in names if name not in skipped]
    assert sorted((s.operation, s.contender, s.repeat) for s in samples) == sorted(
        (op, name, r) for op in OPERATIONS for name in ran for r in (0, 1)
    )
    assert {s.answers for s in samples if s.operation == "glob"} == {40}  # f010, f011 under 20 prefixes
    document = {
        "run": {
            "command": "s3conf bench --workloads many-small", "target": "moto", "target_version": None,
            "machine": "test", "commit": "x", "objects": 240, "object_size": 100, "repeats": 2, "seed": 3,
            "notes": ["a note"],
        },
        "samples": [s.__dict__ for s in samples],
        "skipped": skipped,
    }  # fmt: skip
    report = render(document)
    assert report.count("\n| ") == len(OPERATIONS) + 1  # header + one row per operation
    assert "a note" in report
    if "s3fs" in ran:
        assert all(len(paired_ratios(samples)[op]["s3fs"]) == 2 for op in OPERATIONS)

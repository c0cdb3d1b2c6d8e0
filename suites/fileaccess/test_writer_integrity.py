"""What the writer puts on the wire for integrity, and what it really holds in memory, on real targets.

Every uploaded body carries exactly one flexible checksum computed by s3conf; an s3conf client sends
it with an unsigned payload (:mod:`s3conf.checksums` says why) unless its config asks for a signed
payload explicitly, and a plain boto3 client keeps signing it. A multipart upload resumed from its
JSON handle completes with the parts' checksums. The bound on
memory is checked against the allocator, not only the writer's own counter: a child process writes
with ``tracemalloc`` on, so hidden copies of a part (a ``join``, a ``BytesIO``) would show.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from emulators.clients import boto3_client
from s3conf.checksums import CHECKSUM_ALGORITHM, part_checksum
from s3conf.client import new_client
from s3conf.client_options import ClientOptions
from s3conf.config import S3Config
from s3conf.multipart import MultipartUpload
from s3conf.writer import MIN_PART_SIZE, S3Writer

SMALL_PARTS = S3Config(multipart_threshold=MIN_PART_SIZE, multipart_part_size=MIN_PART_SIZE)
CHECKSUM_HEADER = f"x-amz-checksum-{CHECKSUM_ALGORITHM.lower()}"


class _SentBodies:
    """Headers of every PutObject/UploadPart a client sends (a botocore ``before-send`` hook)."""

    def __init__(self, client: Any) -> None:
        self.sent: list[tuple[str, dict[str, str]]] = []
        self.operations: list[str] = []
        client.meta.events.register("before-send.s3", self._record)

    def _record(self, request: Any, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        self.operations.append(operation)
        if operation in ("PutObject", "UploadPart"):
            headers = {
                name.lower(): value.decode() if isinstance(value, bytes) else value
                for name, value in request.headers.items()
            }
            self.sent.append((operation, headers))


@pytest.fixture
def multipart_target(target: Any) -> Any:
    if not target.capabilities.multipart:
        pytest.skip(f"{target.name} has no multipart uploads (capabilities.multipart is false)")
    return target


@pytest.mark.parametrize("size", [10, 2 * MIN_PART_SIZE + 7], ids=["single-put", "multipart"])
def test_each_body_carries_one_checksum_and_an_unsigned_payload(
    multipart_target: Any, s3_client: Any, bucket: str, size: int
) -> None:
    client = new_client(multipart_target.endpoint, SMALL_PARTS)
    sent = _SentBodies(client)
    data = os.urandom(size)
    with S3Writer(client, bucket, "checked", config=SMALL_PARTS) as writer:
        writer.write(data)
    assert s3_client.get_object(Bucket=bucket, Key="checked")["Body"].read() == data
    assert [operation for operation, _ in sent.sent] == (["PutObject"] if size == 10 else ["UploadPart"] * 3)
    for _, headers in sent.sent:
        assert [name for name in headers if name.startswith("x-amz-checksum-")] == [CHECKSUM_HEADER]
        assert "x-amz-sdk-checksum-algorithm" not in headers, "botocore must not add a second checksum"
        assert headers["x-amz-content-sha256"] == "UNSIGNED-PAYLOAD"
    bodies = [data[start : start + MIN_PART_SIZE] for start in range(0, size, MIN_PART_SIZE)]
    assert sorted(headers[CHECKSUM_HEADER] for _, headers in sent.sent) == sorted(  # parts run concurrently
        part_checksum(CHECKSUM_ALGORITHM, body) for body in bodies
    )


@pytest.mark.parametrize(
    "make",
    [
        lambda endpoint: new_client(
            endpoint, SMALL_PARTS, ClientOptions(config_kwargs=(("s3", {"payload_signing_enabled": True}),))
        ),
        boto3_client,
    ],
    ids=["s3conf-client-asking-for-it", "plain-boto3-client"],
)
def test_a_signed_payload_where_the_client_asks_or_is_not_ours(
    multipart_target: Any, bucket: str, make: Any
) -> None:
    client = make(multipart_target.endpoint)
    sent = _SentBodies(client)
    with S3Writer(client, bucket, "signed", config=SMALL_PARTS) as writer:
        writer.write(b"signed body")
    ((_, headers),) = sent.sent
    assert headers["x-amz-content-sha256"] == hashlib.sha256(b"signed body").hexdigest()
    assert [name for name in headers if name.startswith("x-amz-checksum-")] == [CHECKSUM_HEADER]


def test_a_checksummed_upload_resumes_and_completes_from_its_json_handle(
    multipart_target: Any, s3_client: Any, bucket: str
) -> None:
    first, second = os.urandom(MIN_PART_SIZE), os.urandom(999)
    upload = MultipartUpload.create(s3_client, bucket, "resumed", checksum_algorithm=CHECKSUM_ALGORITHM)
    upload.upload_part(1, first)
    handle = json.loads(json.dumps(upload.handle()))
    assert handle["checksum_algorithm"] == CHECKSUM_ALGORITHM
    assert handle["parts"][0]["checksum"] == part_checksum(CHECKSUM_ALGORITHM, first)
    resumed = MultipartUpload.resume(multipart_target.client(), bucket, "resumed", handle)
    resumed.upload_part(2, second)
    resumed.complete()
    assert s3_client.get_object(Bucket=bucket, Key="resumed")["Body"].read() == first + second


def test_an_unavailable_checksum_algorithm_is_refused_before_any_request(target: Any, bucket: str) -> None:
    client = new_client(target.endpoint, SMALL_PARTS)
    sent = _SentBodies(client)
    with pytest.raises(ValueError, match="SHA512"):
        MultipartUpload.create(client, bucket, "never", checksum_algorithm="SHA512")
    assert sent.operations == []


_MEASURED_WRITER = textwrap.dedent(
    """
    import json, os, sys, tracemalloc
    from s3conf.client import make_client
    from s3conf.config import S3Config
    from s3conf.endpoint import Endpoint
    from s3conf.writer import S3Writer

    endpoint = Endpoint(name="t", url=os.environ["T_URL"], access_key=os.environ["T_AK"],
                        secret_key=os.environ["T_SK"], path_style=True)
    config = S3Config(multipart_threshold="5MiB", multipart_part_size="5MiB")
    client = make_client(endpoint, config)
    chunk = memoryview(os.urandom(1024 * 1024))
    S3Writer(client, sys.argv[1], "warm", config=config).close()  # import and build lazily-made things
    tracemalloc.start()
    writer = S3Writer(client, sys.argv[1], "measured", config=config, max_parts_in_flight=int(sys.argv[2]))
    for _ in range(int(sys.argv[3])):
        writer.write(chunk)
    writer.close()
    print(json.dumps({"peak": tracemalloc.get_traced_memory()[1],
                      "counted": writer.stats.buffers.peak_buffered_bytes,
                      "parts": writer.parts_uploaded}))
    """
)
CLIENT_SLACK = 1024 * 1024
"""Memory a client may allocate besides part bodies (requests, responses, connection buffers)."""


def test_allocated_memory_stays_within_parts_in_flight(
    multipart_target: Any, s3_client: Any, bucket: str
) -> None:
    parts_in_flight = 2
    endpoint = multipart_target.endpoint
    secret = endpoint.secret_key.reveal() if endpoint.secret_key is not None else ""
    megabytes = 17  # four parts of 5 MiB (the last short): each buffer is recycled
    result = subprocess.run(
        [sys.executable, "-c", _MEASURED_WRITER, bucket, str(parts_in_flight), str(megabytes)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "T_URL": endpoint.url, "T_AK": endpoint.access_key or "", "T_SK": secret},
    )
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    bound = parts_in_flight * MIN_PART_SIZE
    assert measured["parts"] == 4
    assert measured["counted"] <= bound
    assert measured["peak"] <= bound + CLIENT_SLACK, f"traced peak {measured['peak']} > {bound} + slack"
    assert s3_client.head_object(Bucket=bucket, Key="measured")["ContentLength"] == megabytes * 1024 * 1024

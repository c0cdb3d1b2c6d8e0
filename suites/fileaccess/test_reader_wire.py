"""What a reader costs on the wire per GET: connections kept alive, botocore's call pipeline paid once.

Both are CPU per GET on the client (issue 12): a ranged GET that closed its connection made the next
one reconnect (and the store accept), and every ``client.get_object`` ran botocore's whole call
pipeline (3-4 ms of CPU here). Counted on real targets through botocore's own events and urllib3's
connection counter, never timed.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from s3conf.client import new_client
from s3conf.config import S3Config
from s3conf.directget import CapturedRequest
from s3conf.fetchpool import FetchPool
from s3conf.reader import S3Reader

KiB = 1024


def _connections_made(client: Any) -> int:
    """New HTTP connections the client's pool for its endpoint has opened (urllib3's own counter)."""
    pool = client._endpoint.http_session._manager.connection_from_url(client.meta.endpoint_url)
    made: int = pool.num_connections
    return made


def _counted(client: Any, *events: str) -> Counter[str]:
    """How often ``client`` emits each of ``events`` (``before-call``...) for GetObject, from now on."""
    counts: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        counts[event_name.split(".", maxsplit=1)[0]] += 1

    for event in events:
        client.meta.events.register(f"{event}.s3.GetObject", count)
    return counts


@pytest.mark.parametrize("policy", ["random", "sequential"], ids=["random", "sequential"])
def test_ranged_gets_keep_their_connection_alive(target: Any, bucket: str, policy: str) -> None:
    """GETs of ranges that end before the object does hand their connection back for the next one."""
    config = S3Config(read_policy=policy, fragment_size=64 * KiB, fragment_number=1, read_min_fetch=4 * KiB)
    client = new_client(target.endpoint, config)
    data = random.Random(7).randbytes(1024 * KiB)
    client.put_object(Bucket=bucket, Key="obj", Body=data)
    before = _connections_made(client)
    with (
        FetchPool(max_workers=1, max_inflight_bytes=1 << 20) as pool,
        S3Reader(client, bucket, "obj", config=config, pool=pool) as reader,
    ):
        for offset in range(0, len(data) - 8 * KiB, 97 * KiB):  # each read its own GET
            reader.seek(offset)
            assert reader.read(8 * KiB) == data[offset : offset + 8 * KiB]
        gets = reader.stats.get_requests
    assert gets >= 10
    assert _connections_made(client) - before <= 2  # the caller's and at most one pool thread's


def test_gets_after_the_first_skip_botocore_call_pipeline_but_not_the_wire_events(
    target: Any, bucket: str
) -> None:
    """One API call (the first GET: ``before-call``/``after-call``), and per GET one ``before-send`` and one
    ``response-received``, whose lengths add up to the bytes read."""
    config = S3Config(read_policy="random", read_min_fetch=4 * KiB)
    client = new_client(target.endpoint, config)
    data = random.Random(8).randbytes(512 * KiB)
    client.put_object(Bucket=bucket, Key="obj", Body=data)
    events = _counted(client, "before-call", "after-call", "before-send", "response-received")
    received = 0

    def bytes_received(parsed_response: dict[str, Any], **_: Any) -> None:
        nonlocal received
        received += int(parsed_response["ContentLength"])

    client.meta.events.register("response-received.s3.GetObject", bytes_received)
    offsets = [0, 300 * KiB, 100 * KiB, 450 * KiB, 200 * KiB]
    with S3Reader(client, bucket, "obj", config=config) as reader:
        for offset in offsets:
            reader.seek(offset)
            assert reader.read(5 * KiB) == data[offset : offset + 5 * KiB]
        assert reader.stats.get_requests == len(offsets)
        # signed by the fast signer (checked against botocore's once), so the store verified its signatures
        assert reader._direct.path == "connection"
    gets = len(offsets)
    assert events == {"before-call": 1, "after-call": 1, "before-send": gets, "response-received": gets}
    assert received == len(offsets) * 5 * KiB


def test_gets_started_while_the_first_is_in_botocore_wait_for_its_template(target: Any, bucket: str) -> None:
    """A reader that knows the size at once (the fsspec layer's remembered tail) starts its read-ahead with
    its first GET; those GETs wait for the first one's captured request instead of each going through
    botocore's call pipeline (3-4 ms of CPU apiece, all of them competing for the GIL)."""
    piece = 64 * KiB
    config = S3Config(read_policy="whole", fragment_size=piece, fragment_number=8)
    client = new_client(target.endpoint, config)
    data = random.Random(9).randbytes(8 * piece)
    etag = client.put_object(Bucket=bucket, Key="obj", Body=data)["ETag"]
    calls = _counted(client, "before-call", "before-send")
    with (
        FetchPool(max_workers=4, max_inflight_bytes=1 << 20) as pool,
        S3Reader(client, bucket, "obj", config=config, pool=pool) as reader,
    ):
        reader.preload(len(data), etag, len(data) - KiB, data[-KiB:])
        assert reader.read() == data
        gets = reader.stats.get_requests
    assert gets >= 7  # the pieces of [0, size - 1 KiB), in parallel
    assert calls == {"before-call": 1, "before-send": gets}


@pytest.mark.parametrize(
    ("same_client", "calls"), [(True, 0), (False, 1)], ids=["same-client", "other-client"]
)
def test_a_reader_starts_from_the_request_an_earlier_reader_captured_only_on_its_client(
    target: Any, bucket: str, same_client: bool, calls: int
) -> None:
    """The fsspec layer hands the next reader of an object the request its last reader captured: on the
    client that sent it the first GET skips botocore's call pipeline too; another client's reader (other
    credentials, endpoint or settings, whatever they are) goes through its own."""
    config = S3Config(read_policy="random", read_min_fetch=4 * KiB)
    client = new_client(target.endpoint, config)
    data = random.Random(10).randbytes(256 * KiB)
    etag = client.put_object(Bucket=bucket, Key="obj", Body=data)["ETag"]
    with S3Reader(client, bucket, "obj", config=config) as first:
        first.seek(100 * KiB)
        assert first.read(KiB) == data[100 * KiB : 101 * KiB]
        captured = first.captured_request
    assert captured is not None
    second_client = client if same_client else new_client(target.endpoint, config)
    events = _counted(second_client, "before-call", "before-send")
    with S3Reader(second_client, bucket, "obj", config=config) as second:
        second.preload(len(data), etag, len(data), b"", captured)
        for offset in (7 * KiB, 200 * KiB):
            second.seek(offset)
            assert second.read(KiB) == data[offset : offset + KiB]
    assert (events["before-call"], events["before-send"]) == (calls, 2)


@pytest.mark.parametrize(
    "other_key", ["next.bin", "a b/c+d~e%f?g#h=&", "dir/ü/ñ", "semi;colon,comma$(paren)'*@:"]
)
def test_the_first_get_of_another_object_of_the_bucket_is_derived_from_the_last_request(
    target: Any, bucket: str, s3_client: Any, other_key: str
) -> None:
    """A client's first GET of a bucket goes through botocore; the first GET of any other object of that
    bucket copies it with the key written into the URL as botocore writes it, signed by the signer that
    was checked against botocore's (S3 signs the path as it is), so it skips the call pipeline and the
    signing, and the store answers with that object's bytes (a key written or signed wrong would be
    another object, none, or a refused signature)."""
    config = S3Config(read_policy="random", read_min_fetch=4 * KiB)
    client = new_client(target.endpoint, config)
    first = random.Random(11).randbytes(64 * KiB)
    other = random.Random(12).randbytes(64 * KiB)
    client.put_object(Bucket=bucket, Key="first.bin", Body=first)
    client.put_object(Bucket=bucket, Key=other_key, Body=other)
    calls = _counted(client, "before-call", "before-sign", "before-send")
    with S3Reader(client, bucket, "first.bin", config=config) as reader:
        for offset in (0, 40 * KiB):  # the second GET, a copy, checks the fast signer against botocore's
            reader.seek(offset)
            assert reader.read(KiB) == first[offset : offset + KiB]
    assert calls == {"before-call": 1, "before-sign": 2, "before-send": 2}
    with S3Reader(client, bucket, other_key, config=config) as reader:
        assert reader._direct.path == "connection"  # signed by the checked signer, on a pooled connection
        reader.seek(5 * KiB)
        assert reader.read(KiB) == other[5 * KiB : 6 * KiB]
        assert reader.stats.get_requests == 1
    assert calls == {"before-call": 1, "before-sign": 2, "before-send": 3}


def test_a_captured_request_with_a_query_derives_no_other_key() -> None:
    """Only a URL that ends with the key as botocore writes it is rewritten; anything else is left to
    botocore (a query, say ``?versionId=``, belongs to the one object)."""
    owner = S3Config()  # any object a weak reference can point at stands for the client
    plain = CapturedRequest(owner, "b", "k 1", "http://h:9/b/k%201", headers={}, context={})
    derived = plain.for_key("dir/k+2")
    assert derived is not None
    assert derived.url == "http://h:9/b/dir/k%2B2"
    assert plain.for_key("k 1") is plain
    with_query = CapturedRequest(owner, "b", "k", "http://h:9/b/k?versionId=3", headers={}, context={})
    assert with_query.for_key("other") is None
    elsewhere = CapturedRequest(owner, "b", "k", "http://h:9/b/something-else", headers={}, context={})
    assert elsewhere.for_key("other") is None

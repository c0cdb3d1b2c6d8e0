"""HEADs after a bucket's first skip botocore's call pipeline and answer exactly as botocore does.

``stat``, ``exists``, ``info`` and ``rm`` of many paths are a HEAD each (:mod:`s3conf.directhead`).
Counted on real targets through botocore's own events, never timed: the call-level ``before-call`` is
emitted by ``client.head_object`` only, the wire-level ``before-send``/``response-received`` by every
request on the wire.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from emulators.faultproxy import Fault, FaultProxy
from s3conf.client import enter_call, error_status, new_client
from s3conf.config import S3Config
from s3conf.directhead import DirectHead
from s3conf.fs import S3FileSystem

#: Keys botocore percent-encodes in the URL in different ways (a space, non-ASCII, ``+``, ``~``).
KEYS = ["plain", "dir/with space", "ünï/cödé", "a+b", "tilde~1"]


def _counted(client: Any) -> Counter[str]:
    """How often ``client`` emits ``before-call``, ``before-send`` and ``response-received`` for HEADs."""
    counts: Counter[str] = Counter()

    def count(event_name: str, **_: Any) -> None:
        counts[event_name.split(".", maxsplit=1)[0]] += 1

    for event in ("before-call", "before-send", "response-received"):
        client.meta.events.register(f"{event}.s3.HeadObject", count)
    return counts


def _answer(response: dict[str, Any]) -> dict[str, Any]:
    """An answer without what differs per request (request id, date)."""
    return {name: value for name, value in response.items() if name != "ResponseMetadata"}


def _put(client: Any, bucket: str) -> None:
    for key in KEYS:
        client.put_object(Bucket=bucket, Key=key, Body=key.encode(), Metadata={"origin": "s3conf"})


def _learned(endpoint: Any, s3_client: Any, bucket: str) -> tuple[Any, DirectHead]:
    """The objects stored, and a new client whose HEADs of ``bucket`` are direct after a first one."""
    _put(s3_client, bucket)
    client = new_client(endpoint, S3Config())
    heads = DirectHead(client, bucket, operation_timeout=60.0)
    heads.head_object("plain")  # the bucket's first HEAD: through botocore, captured
    assert heads.direct
    return client, heads


def test_heads_after_a_buckets_first_skip_the_call_pipeline_and_answer_as_botocore(
    target: Any, s3_client: Any, bucket: str
) -> None:
    _put(s3_client, bucket)
    client = new_client(target.endpoint, S3Config())
    counts = _counted(client)
    heads = DirectHead(client, bucket, operation_timeout=60.0)
    answers = {key: heads.head_object(key) for key in KEYS}
    with pytest.raises(ClientError) as missing:
        heads.head_object("missing")
    assert heads.direct
    assert counts == {"before-call": 1, "before-send": len(KEYS) + 1, "response-received": len(KEYS) + 1}
    for key, answer in answers.items():
        assert _answer(answer) == _answer(client.head_object(Bucket=bucket, Key=key)), key
        assert answer["ContentLength"] == len(key.encode())
        assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(ClientError) as expected:
        client.head_object(Bucket=bucket, Key="missing")
    assert missing.value.response["Error"] == expected.value.response["Error"]
    assert error_status(missing.value) == 404


def test_an_answer_other_than_found_or_missing_is_asked_again_through_botocore(
    s3_client: Any, bucket: str, fault_proxy: FaultProxy
) -> None:
    """A 503 on the direct HEAD: botocore asks again (its retries, its redirects, its wording of any
    error), so the fast path never words an answer botocore would word otherwise."""
    client, heads = _learned(fault_proxy.endpoint, s3_client, bucket)
    fault = Fault(method="HEAD", status=503)
    fault_proxy.add(fault)
    counts = _counted(client)
    answer = heads.head_object("a+b")
    assert answer["ContentLength"] == len(b"a+b")
    assert fault.applied == 1
    assert counts["before-call"] == 1  # the retry went through client.head_object
    assert counts["before-send"] == 2  # the direct HEAD and botocore's


def test_a_hook_answering_before_send_stands_for_the_network(
    target: Any, s3_client: Any, bucket: str
) -> None:
    """As in botocore (a stubber): the hook's answer is parsed, nothing is sent, botocore is not asked."""
    client, heads = _learned(target.endpoint, s3_client, bucket)
    counts = _counted(client)

    def answer(request: Any, **_: Any) -> AWSResponse:
        return AWSResponse(request.url, 404, {}, None)

    client.meta.events.register_first("before-send.s3.HeadObject", answer)
    with pytest.raises(ClientError) as raised:
        heads.head_object("plain")  # it exists: only the hook says otherwise
    assert error_status(raised.value) == 404
    assert counts["before-call"] == 0


def test_stat_and_exists_of_many_paths_pay_the_call_pipeline_once_per_bucket(
    target: Any, s3_client: Any, bucket: str
) -> None:
    _put(s3_client, bucket)
    client = new_client(target.endpoint, S3Config())
    counts = _counted(client)
    fs = S3FileSystem(bucket, endpoint=target.endpoint, client=client)
    sizes = [stat.size for stat in fs.stat_many(["/" + key for key in KEYS])]
    present = [fs.exists("/" + key) for key in (*KEYS, "missing")]
    assert sizes == [len(key.encode()) for key in KEYS]
    assert present == [True] * len(KEYS) + [False]
    assert counts["before-call"] == 1  # the first HEAD; the others waited for it
    assert counts["before-send"] == 2 * len(KEYS) + 1


def test_a_direct_head_gets_its_own_deadline_not_the_last_calls(
    target: Any, s3_client: Any, bucket: str
) -> None:
    """A thread's last botocore call left its deadline behind; a direct HEAD has no ``before-call`` to set
    a new one, so it sets its own: with the stale one (here long past) its read timeout was cut to 1 ms and
    the HEAD went to botocore after a timeout."""
    client, heads = _learned(target.endpoint, s3_client, bucket)
    counts = _counted(client)
    sent: list[Any] = []
    client.meta.events.register("before-send.s3.HeadObject", lambda request, **_: sent.append(request))
    enter_call(-3600.0)  # as if this thread's last call had started an hour ago
    assert heads.head_object("a+b")["ContentLength"] == len(b"a+b")
    assert counts == {"before-send": 1, "response-received": 1}
    # the read timeout the client's before-send hook gave the request: cut to the HEAD's own deadline
    # (60 s from its start), not to the stale one (1 ms, the least it gives)
    [timeout] = [request.context["read_timeout"] for request in sent]
    assert 59.0 < timeout <= 60.0

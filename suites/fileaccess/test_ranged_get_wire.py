"""One ranged GET on a real connection (``s3conf.ranged_get``): the direct socket path and ``abort``.

A botocore ``StreamingBody`` from the project's client is read straight from the socket into fresh
``bytes`` (``http.client``'s own ``read``), past botocore's own length check; that path is visible in who
reports a short body: our check, naming the byte where it ended, where the ``read()`` fallback would
raise botocore's ``IncompleteReadError``. ``abort`` shuts the socket down from another thread, so a
read blocked on a stalled body returns at once. The fault proxy before the target cuts or stalls
the real answer.
"""

from __future__ import annotations

import errno
import random
import threading
from typing import Any

import pytest

from emulators.faultproxy import Fault, FaultProxy
from s3conf.errors import TransferError
from s3conf.ranged_get import RangedResponse, read_body

SIZE = 1000
SENT = 100  # body bytes the proxy lets through before cutting or stalling the answer


def _get(client: Any, bucket: str) -> RangedResponse:
    answer = client.get_object(Bucket=bucket, Key="obj", Range=f"bytes=0-{SIZE - 1}")
    return RangedResponse(answer, bucket, "obj")


def _read_all(response: RangedResponse, progress: Any = None) -> bytes:
    return read_body(
        response,
        0,
        SIZE,
        cancel=threading.Event(),
        progress=progress or (lambda count: None),
        name="s3://b/obj",
    ).tobytes()


@pytest.fixture
def data(s3_client: Any, bucket: str) -> bytes:
    payload = random.Random(7).randbytes(SIZE)
    s3_client.put_object(Bucket=bucket, Key="obj", Body=payload)
    return payload


def test_the_direct_path_reads_the_exact_bytes(
    data: bytes, bucket: str, fault_proxy: FaultProxy, proxied_client: Any
) -> None:
    first = _get(proxied_client, bucket)
    assert _read_all(first) == data
    first.abort()  # read to its end, its connection is back in the pool: abort leaves it alone
    assert _read_all(_get(proxied_client, bucket)) == data  # the connection handed back works again


def test_a_short_body_is_caught_by_our_length_check_on_the_direct_path(
    data: bytes, bucket: str, fault_proxy: FaultProxy, proxied_client: Any
) -> None:
    fault_proxy.add(Fault(method="GET", truncate_body=SENT))
    response = _get(proxied_client, bucket)
    with pytest.raises(TransferError) as raised:
        _read_all(response)
    assert (raised.value.errno, raised.value.strerror, raised.value.filename) == (
        errno.EIO,
        f"response ended at byte {SENT}, expected {SIZE}",
        "s3://b/obj",
    )
    assert fault_proxy.faults_injected() == 1


def test_abort_ends_a_read_blocked_on_a_stalled_body(
    data: bytes, bucket: str, fault_proxy: FaultProxy, proxied_client: Any
) -> None:
    fault_proxy.add(Fault(method="GET", stall_body_after=SENT, stall_body=60.0))
    response = _get(proxied_client, bucket)
    outcome: list[TransferError] = []

    def reading() -> None:
        try:
            _read_all(response)
        except TransferError as error:
            outcome.append(error)

    reader = threading.Thread(target=reading, daemon=True)
    reader.start()
    assert fault_proxy.wait_for_stalled_bodies(1), "the proxy never stalled the body"
    response.abort()
    reader.join(5)  # the stall lasts 60 s: only the shut-down socket ends the read this soon
    assert not reader.is_alive(), "abort did not end the blocked read"
    # Bytes already received may or may not be read before the shut-down socket reads as closed.
    assert [(error.errno, error.strerror.startswith("response ended at byte ")) for error in outcome] == [
        (errno.EIO, True)
    ]
    assert outcome[0].strerror.endswith(f", expected {SIZE}")
    response.abort()  # a second abort, on a socket already shut down, is harmless

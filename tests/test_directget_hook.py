"""The hook that captures the first GET's request is on every client a reader is given.

It is registered once per client. Kept by ``id()``, a client that took a collected client's id was
taken for it: no hook, so every GET of its readers paid botocore's call pipeline (CI, rclone target).
"""

from __future__ import annotations

from typing import Any

from botocore.hooks import HierarchicalEmitter

from s3conf.directget import DirectGet


class _Part:
    """An attribute holder standing for the parts of a boto3 client ``DirectGet`` looks at."""


_SIGNER = _Part()
_SIGNER.signature_version = "s3v4"  # type: ignore[attr-defined]
_ENDPOINT = _Part()
_ENDPOINT.http_session = object()  # type: ignore[attr-defined]


def _client() -> Any:
    """A client with botocore's event emitter of its own; the client object is allocated first, so that
    it takes the block the last collected client freed (CPython reuses it, and with it the id)."""
    client: Any = _Part()
    client.meta = _Part()
    client.meta.events = HierarchicalEmitter()
    client._request_signer = _SIGNER
    client._endpoint = _ENDPOINT
    return client


def _hooked(client: Any) -> bool:
    return "s3conf-directget" in client.meta.events._unique_id_handlers


def _client_in_a_collected_clients_place() -> Any:
    """A client that took the id of a hooked client collected just before (tried until CPython obliges:
    an allocation in between, a garbage collection, may take the freed block first)."""
    for _ in range(100):
        first = _client()
        DirectGet(first, "bucket", "key")
        assert _hooked(first)
        taken = id(first)
        del first
        client = _client()
        if id(client) == taken:
            return client
    raise AssertionError("no new client reused a collected one's id in 100 tries; the test proves nothing")


def test_a_client_that_reuses_a_collected_clients_id_gets_the_hook() -> None:
    client = _client_in_a_collected_clients_place()
    assert not _hooked(client)
    DirectGet(client, "bucket", "key")
    assert _hooked(client)


def test_the_hook_is_registered_once_per_client() -> None:
    client = _client()
    for _ in range(3):
        DirectGet(client, "bucket", "key")
    assert len(list(client.meta.events._handlers.prefix_search("before-send.s3.GetObject"))) == 1

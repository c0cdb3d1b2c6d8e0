"""Fixtures for the file-access suites: requests counted on the wire, and a fault proxy before any target.

A reader's own counters say what it *meant* to send; these fixtures count what was *sent* (a botocore
``before-send`` hook fires once per HTTP attempt, botocore's own retries included), so a stray HEAD or an
extra GET fails a test even when the reader's bookkeeping misses it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from emulators.faultproxy import FaultProxy
from emulators.pytest_plugin import RunningTarget
from s3conf.client import new_client
from s3conf.config import S3Config


@dataclass
class WireCounter:
    """HTTP requests a client sent, by S3 operation (``GetObject``, ``HeadObject``...)."""

    counts: Counter[str] = field(default_factory=Counter)

    def hook(self, event_name: str, **_: Any) -> None:
        self.counts[event_name.rsplit(".", 1)[-1]] += 1

    def __getitem__(self, operation: str) -> int:
        return self.counts[operation]

    def total(self) -> int:
        return sum(self.counts.values())


def counted(client: Any) -> WireCounter:
    """Count every request ``client`` sends from now on."""
    counter = WireCounter()
    client.meta.events.register("before-send.s3", counter.hook)
    return counter


_COUNTED: dict[str, tuple[Any, WireCounter]] = {}


@pytest.fixture
def wire_client(target: RunningTarget) -> tuple[Any, WireCounter]:
    """A client for ``target`` whose requests are counted, with counts reset for this test.

    One client per target for the session (building one costs tens of milliseconds); no botocore
    retries, so the count is the reader's attempts and nothing else.
    """
    if target.name not in _COUNTED:
        client = target.client(retries={"max_attempts": 1, "mode": "standard"})
        _COUNTED[target.name] = (client, counted(client))
    client, counter = _COUNTED[target.name]
    counter.counts.clear()
    return client, counter


@pytest.fixture
def fault_proxy(target: RunningTarget) -> Iterator[FaultProxy]:
    """A fault proxy in front of ``target`` (no rules yet: add them in the test)."""
    with FaultProxy(target.endpoint) as proxy:
        yield proxy


@pytest.fixture
def proxied_client(fault_proxy: FaultProxy) -> Any:
    """An s3conf client (:func:`s3conf.client.new_client`, default settings) through ``fault_proxy``."""
    return new_client(fault_proxy.endpoint, S3Config())

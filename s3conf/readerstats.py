"""Counters a read-ahead reader keeps, for tests (which prove the algorithm from them) and benchmarks.

They are updated from the caller's thread and from fetch threads, so every change goes through one
lock; reads of single attributes are plain loads. Peaks are recorded at the exact moment the current
value changes, so ``peak_inflight_bytes <= fragment_number * fragment_size`` can be asserted from
counters instead of sampled.

>>> stats = ReaderStats()
>>> stats.add(get_requests=2, bytes_fetched=10)
>>> stats.set_current(cached_bytes=4, inflight_bytes=8)
>>> stats.set_current(cached_bytes=0, inflight_bytes=0)
>>> stats.get_requests, stats.peak_cached_bytes, stats.peak_inflight_bytes, stats.inflight_bytes
(2, 4, 8, 0)
"""

from __future__ import annotations

import threading

_FIELDS = (
    "get_requests",
    "bytes_fetched",
    "bytes_used",
    "bytes_wasted",
    "seconds_blocked",
    "cached_bytes",
    "inflight_bytes",
    "peak_cached_bytes",
    "peak_inflight_bytes",
    "cache_hits",
    "cache_misses",
    "prefetches_issued",
    "prefetches_cancelled",
    "prefetches_declined",
    "retries",
    "full_body_responses",
)


class ReaderStats:
    """Live, thread-safe counters of one reader.

    Attributes:
        get_requests: GET requests issued (each attempt counts; botocore's own transport retries of one
            attempt are invisible here, and clients from :func:`s3conf.client.make_client` make none for
            GETs). There is no HEAD counter: a reader never sends one (the size comes from the first
            GET), which the suites prove by counting requests on the wire, not here.
        bytes_fetched: body bytes received, including bytes of aborted and failed attempts.
        bytes_used: fetched bytes that reached the caller at least once.
        bytes_wasted: fetched bytes dropped without ever reaching the caller. Once the reader is
            closed, ``bytes_fetched == bytes_used + bytes_wasted``.
        seconds_blocked: time the caller spent waiting for bytes (own fetches, in-flight prefetches,
            and cancelled fetches that had to wind down to keep the memory bound).
        cached_bytes: bytes of downloaded fragments held now.
        inflight_bytes: bytes reserved now by fragments cached or in flight (a fragment reserves its full
            length from the moment it is requested).
        peak_cached_bytes: the most ``cached_bytes`` ever held.
        peak_inflight_bytes: the most ``inflight_bytes`` ever held; at most N*S.
        cache_hits: reads served by a fragment already downloaded or in flight.
        cache_misses: reads that had to fetch their fragment synchronously.
        prefetches_issued: prefetches submitted to the fetch pool.
        prefetches_cancelled: prefetches dropped before completion (seek-away, close).
        prefetches_declined: prefetches not issued because the cache or the shared budget was full.
        retries: failed attempts that were retried.
        full_body_responses: ranged GETs the server answered with ``200`` and the whole object.
    """

    __slots__ = ("_lock", *_FIELDS)

    get_requests: int
    bytes_fetched: int
    bytes_used: int
    bytes_wasted: int
    seconds_blocked: float
    cached_bytes: int
    inflight_bytes: int
    peak_cached_bytes: int
    peak_inflight_bytes: int
    cache_hits: int
    cache_misses: int
    prefetches_issued: int
    prefetches_cancelled: int
    prefetches_declined: int
    retries: int
    full_body_responses: int

    def __init__(self) -> None:
        self._lock = threading.Lock()
        for name in _FIELDS:
            setattr(self, name, 0)
        self.seconds_blocked = 0.0

    def add(self, **deltas: float) -> None:
        """Add to counters by name (``stats.add(get_requests=1)``)."""
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def set_current(self, *, cached_bytes: int, inflight_bytes: int) -> None:
        """Record the current cached/in-flight bytes and raise the peaks if they are exceeded."""
        with self._lock:
            self.cached_bytes = cached_bytes
            self.inflight_bytes = inflight_bytes
            self.peak_cached_bytes = max(self.peak_cached_bytes, cached_bytes)
            self.peak_inflight_bytes = max(self.peak_inflight_bytes, inflight_bytes)

    def as_dict(self) -> dict[str, float]:
        """A consistent snapshot, e.g. for a benchmark's ``extra_info``."""
        with self._lock:
            return {name: getattr(self, name) for name in _FIELDS}

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value}" for name, value in self.as_dict().items())
        return f"ReaderStats({shown})"

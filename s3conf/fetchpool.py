"""The process-wide fetch pool: bounded threads and a byte budget shared by every reader.

The Java provider gives each channel its own threads, so ten open files with 50 fragments each can
start 500 downloads at once (its README tells users to lower the fragment number when that happens).
Here every :class:`~s3conf.reader.S3Reader` submits its prefetches to one bounded thread pool and
reserves their bytes against one budget, ``s3.spi.read.max-inflight-bytes``:

* a **prefetch** is only issued when its bytes fit the budget (:meth:`FetchPool.try_reserve_prefetch`);
  when they do not, it is simply not issued now, and the reader asks again on its next read past the
  middle of a fragment. A prefetch never waits for budget, so no caller can block on another reader.
* a **demand** fetch (the bytes the caller is asking for right now) is always allowed, because refusing
  it would deadlock a reader whose neighbours hold the budget; it is counted, so it makes later
  prefetches wait their turn (:meth:`FetchPool.reserve_demand`).

A reservation lasts as long as the fragment lives in a reader's cache (in flight or downloaded), so the
budget bounds memory, not just open requests. **The bound, exactly:** prefetches never take the total
past ``max_inflight_bytes``; demand fetches may, by the bytes being fetched on demand. A demand miss
first drops the reader's fragments outside its new window, so R readers hold at most
``max_inflight_bytes + R x F``, F the largest single fetch their read policy makes (the fragment size S
under ``sequential``; a small object read whole under ``adaptive``). A hard limit that made demand
fetches wait would deadlock a program that reads several files in turn from one thread while each holds
fragments; ``suites/fileaccess/test_reader_budget.py`` measures the bound with 64 readers and a
4-fragment budget.
Demand fetches run in the caller's thread, never in the pool, so a pool busy with other readers'
prefetches cannot stall a read either.

>>> pool = FetchPool(max_workers=2, max_inflight_bytes=100)
>>> pool.try_reserve_prefetch(60), pool.try_reserve_prefetch(60)
(True, False)
>>> pool.reserve_demand(80)  # always granted, even over budget
>>> pool.try_reserve_prefetch(10)
False
>>> pool.release_demand(80); pool.release_prefetch(60)
>>> s = pool.stats
>>> s.peak_prefetch_bytes, s.peak_reserved_bytes, s.prefetches_declined, s.reserved_bytes
(60, 140, 2, 0)
>>> pool.close()
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from s3conf.config import S3Config

T = TypeVar("T")

#: Upper bound on fetch threads, whatever ``s3.connection.maximum`` says: past this, more threads in
#: one Python process only add GIL contention, not throughput.
MAX_FETCH_WORKERS = 64


def fetch_worker_count(config: S3Config) -> int:
    """Threads the shared pool runs for ``config``: the connection maximum, capped.

    The client's connection pool is sized from the same number (:func:`s3conf.client.make_client`),
    so a prefetch thread never waits for a connection.
    """
    return max(1, min(config.connection_maximum, MAX_FETCH_WORKERS))


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool's budget counters.

    Attributes:
        budget_bytes: the configured ``max_inflight_bytes``.
        reserved_bytes: bytes reserved now (prefetch + demand).
        prefetch_bytes: bytes reserved now by prefetches.
        peak_reserved_bytes: the most bytes ever reserved at once (demand may push this over budget).
        peak_prefetch_bytes: the most bytes ever reserved by prefetches at once (never over budget).
        prefetches_granted: prefetch reservations that fitted the budget.
        prefetches_declined: prefetch reservations refused because they did not fit.
        demand_reservations: demand reservations (always granted).
        demand_over_budget: demand reservations that took the total over the budget.
    """

    budget_bytes: int
    reserved_bytes: int
    prefetch_bytes: int
    peak_reserved_bytes: int
    peak_prefetch_bytes: int
    prefetches_granted: int
    prefetches_declined: int
    demand_reservations: int
    demand_over_budget: int


class FetchPool:
    """A bounded thread pool plus an in-flight byte budget, shared by the readers that use it.

    Use :meth:`shared` for the process-wide instance; construct one directly to isolate a group of
    readers (tests, benchmarks), and :meth:`close` it when done.
    """

    _shared: ClassVar[dict[tuple[int, int], FetchPool]] = {}
    _shared_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, *, max_workers: int, max_inflight_bytes: int) -> None:
        if max_workers < 1:
            raise ValueError(f"max_workers must be >= 1, got {max_workers}")
        if max_inflight_bytes < 1:
            raise ValueError(f"max_inflight_bytes must be >= 1, got {max_inflight_bytes}")
        self.max_workers = max_workers
        self.max_inflight_bytes = max_inflight_bytes
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="s3conf-fetch")
        self._lock = threading.Lock()
        self._prefetch = 0
        self._demand = 0
        self._peak_reserved = 0
        self._peak_prefetch = 0
        self._granted = 0
        self._declined = 0
        self._demands = 0
        self._over_budget = 0

    @classmethod
    def shared(cls, config: S3Config) -> FetchPool:
        """The process-wide pool for ``config``'s sizes (one per distinct worker count and budget)."""
        key = (fetch_worker_count(config), config.max_inflight_bytes)
        with cls._shared_lock:
            pool = cls._shared.get(key)
            if pool is None:
                pool = cls(max_workers=key[0], max_inflight_bytes=key[1])
                cls._shared[key] = pool
            return pool

    def __repr__(self) -> str:
        return (
            f"FetchPool(max_workers={self.max_workers}, max_inflight_bytes={self.max_inflight_bytes}, "
            f"reserved={self._prefetch + self._demand})"
        )

    def submit(self, function: Callable[..., T], /, *args: Any) -> Future[T]:
        """Run ``function(*args)`` on a pool thread."""
        return self._executor.submit(function, *args)

    def try_reserve_prefetch(self, nbytes: int) -> bool:
        """Reserve ``nbytes`` for a prefetch if they fit the budget; never waits."""
        with self._lock:
            if self._prefetch + self._demand + nbytes > self.max_inflight_bytes:
                self._declined += 1
                return False
            self._prefetch += nbytes
            self._granted += 1
            self._peak_prefetch = max(self._peak_prefetch, self._prefetch)
            self._peak_reserved = max(self._peak_reserved, self._prefetch + self._demand)
            return True

    def reserve_demand(self, nbytes: int) -> None:
        """Reserve ``nbytes`` for the caller's own read: always granted, counted against the budget."""
        with self._lock:
            self._demand += nbytes
            self._demands += 1
            total = self._prefetch + self._demand
            if total > self.max_inflight_bytes:
                self._over_budget += 1
            self._peak_reserved = max(self._peak_reserved, total)

    def release_prefetch(self, nbytes: int) -> None:
        """Give back a prefetch reservation."""
        with self._lock:
            self._prefetch -= nbytes

    def release_demand(self, nbytes: int) -> None:
        """Give back a demand reservation."""
        with self._lock:
            self._demand -= nbytes

    @property
    def stats(self) -> PoolStats:
        """A consistent snapshot of the budget counters."""
        with self._lock:
            return PoolStats(
                budget_bytes=self.max_inflight_bytes,
                reserved_bytes=self._prefetch + self._demand,
                prefetch_bytes=self._prefetch,
                peak_reserved_bytes=self._peak_reserved,
                peak_prefetch_bytes=self._peak_prefetch,
                prefetches_granted=self._granted,
                prefetches_declined=self._declined,
                demand_reservations=self._demands,
                demand_over_budget=self._over_budget,
            )

    def close(self) -> None:
        """Stop the threads after the queued work; for private pools (the shared one lives on)."""
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> FetchPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

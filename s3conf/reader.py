"""The reader: a seekable raw stream over one object, executing a read policy on the shared pool.

*What* to fetch is a :mod:`~s3conf.readpolicy` policy (``s3.spi.read.policy``: ``adaptive`` by default,
``sequential``, ``random`` or ``whole``); *how* is this engine. For every ``read`` the policy gets the
recent access history, the cache (spans downloaded or in flight) and the size once known, and answers
with spans to fetch now, to prefetch and to drop. The engine:

* fetches the spans the read needs in the caller's thread (the first one) and on the shared
  :class:`~s3conf.fetchpool.FetchPool` (the others), so one large read is several parallel GETs; a
  span still queued when the caller needs it is taken back and fetched in the caller's thread, so a pool
  busy with other readers never delays a read;
* issues prefetches only while they fit both the reader's bound (S x N bytes cached and in flight,
  ``s3.spi.read.max-fragment-size`` x ``max-fragment-number``) and the pool's byte budget;
* drops what the policy drops, cancelling queued fetches and stopping running ones.

Beyond the Java provider:

* **No HEAD on open.** The size comes from ``Content-Range`` of the first GET (``bytes a-b/TOTAL``).
  An empty object answers the first ranged GET with 416 ``InvalidRange``: that reads as 0 bytes.
  Opening does no I/O at all, so a missing key is reported by the first read (or at construction with
  ``eager=True``, which fetches the first fragment right away).
* **``seek(…, SEEK_END)`` before the size is known** issues one suffix GET (the policy's tail, 1 MiB
  for ``adaptive``), which learns the size *and* caches the end of the object: a Parquet footer read
  costs one request.
* **Cancellation.** Seeking is free (no I/O, no cancellation), so ``seek(0, 2); tell(); seek(0)`` loses
  nothing; the next read decides what is out of the window. Dropped prefetches that have not started
  are cancelled; running ones are told to stop at their next chunk, and their bytes count as wasted
  (and stay counted in flight until they have stopped).
* **Failures.** A failed GET is retried with exponential backoff; a fragment that still fails is
  evicted (never cached) and the error reaches the caller as :class:`~s3conf.errors.TransferError`,
  or the mapped error (:class:`~s3conf.errors.ObjectNotFoundError`...). Later GETs carry ``If-Match``
  with the first response's ETag, so an object replaced mid-read fails loudly instead of mixing
  versions.
* **Shared limits and counters.** Prefetches reserve bytes against the pool's budget
  (``s3.spi.read.max-inflight-bytes``) and are skipped when it is full; :class:`ReaderStats` counts
  requests, bytes fetched/used/wasted, time blocked and peak memory.

Servers that answer a ranged GET with ``200`` and the whole body are handled (only the fragment's bytes
are kept and the stream is closed past them) and counted in ``stats.full_body_responses``.
"""

from __future__ import annotations

import errno
import io
import operator
import os
import threading
import time
from collections import deque
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError
from urllib3.exceptions import HTTPError as Urllib3HTTPError

from s3conf.chunks import Chunks, Piece, join, settle_allocator
from s3conf.client import error_code, error_status
from s3conf.directget import CapturedRequest, DirectGet
from s3conf.errors import InvalidURIError, S3ConfError, TransferError
from s3conf.fetchpool import FetchPool
from s3conf.parquet import ParquetPolicy, footer_layout
from s3conf.ranged_get import (
    ByteRange,
    CancelledError,
    RangedResponse,
    RangeNotSatisfiableError,
    changed_error,
    copy_into,
    read_body,
    with_retries,
)
from s3conf.readerstats import ReaderStats
from s3conf.readpolicy import (
    HISTORY,
    Access,
    Cached,
    Plan,
    PolicyConfig,
    ReadPolicy,
    Span,
    make_policy,
    missing,
    pieces,
)
from s3conf.vectored import MergedRange, coalesce

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from mypy_boto3_s3 import S3Client
    from typing_extensions import Buffer

    from s3conf.config import S3Config

__all__ = ["CLOSE_GRACE_SECONDS", "FetchPool", "ReaderStats", "S3Reader", "policy_config"]

#: The longest ``close()`` waits for running fetches to wind down before abandoning them.
CLOSE_GRACE_SECONDS = 1.0

_RESERVED = operator.attrgetter("reserved")
_HELD = operator.attrgetter("held")


def policy_config(config: S3Config) -> PolicyConfig:
    """The policy knobs of ``config``."""
    return PolicyConfig(
        fragment_size=config.fragment_size,
        fragment_number=config.fragment_number,
        min_fetch=config.read_min_fetch,
        initial_window=config.read_initial_window,
        small_object=config.read_small_object,
        tail=min(config.fragment_size, 1024 * 1024),
    )


class _Fragment:
    """One cache slot: bytes ``[start, end)`` being fetched or downloaded, and what the caller used."""

    __slots__ = (
        "cached", "cancel", "data", "end", "error", "fetched", "finished", "future", "held", "prefetch",
        "reserved", "response", "start", "used",
    )  # fmt: skip

    def __init__(self, start: int, end: int, *, prefetch: bool) -> None:
        self.start = start
        self.end = end
        self.reserved = end - start
        self.prefetch = prefetch
        self.future: Future[None] | None = None
        self.data: Chunks | None = None
        self.error: BaseException | None = None
        self.fetched = 0
        self.finished = False
        self.cancel = threading.Event()
        self.used: list[tuple[int, int]] = []
        self.response: RangedResponse | None = None  # the response being read, for close() to abort
        self.cached = Cached(start, end, False)  # what policies see of it, built once, not on every read
        self.held = 0  # the bytes it holds once ready (``data.length``)

    def hold(self, start: int, data: Chunks) -> None:
        """Take ``data`` as the bytes from ``start``: the span becomes ready."""
        self.start, self.end, self.data, self.held = start, start + data.length, data, data.length
        self.cached = Cached(start, self.end, True)

    def mark_used(self, start: int, end: int) -> int:
        """Record that [start, end) reached the caller; return how many of those bytes are new."""
        if not self.used:
            self.used.append((start, end))
            return end - start
        last_start, last_end = self.used[-1]
        if last_start <= start <= last_end < end:  # the common case: a read continuing the last one
            self.used[-1] = (last_start, end)
            return end - last_end
        before = self.used_bytes()
        merged: list[tuple[int, int]] = []
        for a, b in sorted(self.used):
            if b < start or a > end:
                merged.append((a, b))
            else:
                start, end = min(a, start), max(b, end)
        merged.append((start, end))
        self.used = sorted(merged)
        return self.used_bytes() - before

    def used_bytes(self) -> int:
        return sum(b - a for a, b in self.used)


class S3Reader(io.RawIOBase):
    """A seekable, read-only raw stream over one S3 object, with fragment read-ahead.

    Wrap it in :class:`io.BufferedReader` for small reads, or read large blocks from it directly.

    Args:
        client: a boto3 S3 client (:func:`s3conf.client.make_client`).
        bucket: the bucket.
        key: the object key (not empty).
        config: the read policy and its knobs; for the shared pool, its workers and budget.
        pool: the fetch pool; default the process-wide :meth:`FetchPool.shared` for ``config``.
        attempts: GET attempts per fragment before giving up (>= 1).
        backoff: seconds before the first retry; doubled for each further one.
        eager: fetch the first span now, so a missing key or bucket fails here, as ``open`` does.
        policy: a read policy name overriding ``s3.spi.read.policy`` for this reader.
    """

    def __init__(
        self,
        client: S3Client,
        bucket: str,
        key: str,
        *,
        config: S3Config,
        pool: FetchPool | None = None,
        attempts: int = 3,
        backoff: float = 0.05,
        eager: bool = False,
        policy: str | None = None,
    ) -> None:
        super().__init__()
        self._entries: dict[int, _Fragment] = {}
        if not key:
            raise InvalidURIError(f"cannot read s3://{bucket}/: an object key is required")
        if attempts < 1:
            raise ValueError(f"attempts must be >= 1, got {attempts}")
        self._client = client
        self._direct = DirectGet(client, bucket, key)
        self.bucket = bucket
        self.key = key
        self._fragment_size = config.fragment_size
        self._bound = config.fragment_size * config.fragment_number
        self.policy: ReadPolicy = make_policy(policy or config.read_policy, policy_config(config))
        self._history: deque[Access] = deque(maxlen=HISTORY)
        #: Reads continuing the last one up to here need no plan (:attr:`Plan.quiet_until`); 0: plan each.
        self._quiet_until = 0
        self._missed = False
        self._vectored_gap = config.vectored_min_seek
        self._vectored_max = config.vectored_max_merged
        self._pool = pool if pool is not None else FetchPool.shared(config)
        self._attempts = attempts
        self._backoff = backoff
        self._operation_timeout = config.operation_timeout
        self._pos = 0
        self._size: int | None = None
        self._etag: str | None = None
        self._stale = False  # set once the object is found changed (see :attr:`stale`)
        self._zombies: set[_Fragment] = set()
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self.stats = ReaderStats()
        settle_allocator()
        if eager:
            self._learn_size()

    # -- io.RawIOBase -------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """``s3://bucket/key``, as file objects have a name."""
        return f"s3://{self.bucket}/{self.key}"

    @property
    def mode(self) -> str:
        return "rb"

    @property
    def size(self) -> int | None:
        """The object's size, known after the first read (or SEEK_END); ``None`` before."""
        return self._size

    def __repr__(self) -> str:
        return f"S3Reader({self.name!r}, position={self._pos}, size={self._size})"

    def readable(self) -> bool:
        self._check_open()
        return True

    def seekable(self) -> bool:
        self._check_open()
        return True

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        """Move the position; no I/O, except SEEK_END before the size is known (one suffix GET)."""
        self._check_open()
        if whence == os.SEEK_SET:
            position = offset
        elif whence == os.SEEK_CUR:
            position = self._pos + offset
        elif whence == os.SEEK_END:
            if self._size is None:
                self._fetch_tail()
            assert self._size is not None
            position = self._size + offset
        else:
            raise ValueError(f"invalid whence {whence!r} (expected 0, 1 or 2)")
        if position < 0:
            raise ValueError(f"negative seek position {position} in {self.name}")
        self._pos = position
        return position

    def readinto(self, buffer: Buffer) -> int:
        """Fill ``buffer`` from the current position; short only at the end of the object."""
        self._check_open()
        view = memoryview(buffer).cast("B")
        return copy_into(view, self._take(len(view))) if len(view) else 0

    def read(self, size: int | None = -1, /) -> bytes:
        """Up to ``size`` bytes (all the rest if negative), copied at most once from the fragments.

        ``io.RawIOBase.read`` would fill a scratch ``bytearray`` through :meth:`readinto` and copy it
        again into ``bytes``; joining the cached chunks directly saves that second pass, and a read that
        is exactly one received chunk returns it without any copy (:mod:`s3conf.chunks`).
        """
        self._check_open()
        if size is None or size < 0:
            return self.readall()
        return join(self._take(size)) if size else b""

    def readall(self) -> bytes:
        """The rest of the object: one allocation and one copy (``bytes.join`` of the fragments' views)."""
        self._check_open()
        if self._size is None:
            self._learn_size()
        assert self._size is not None
        return join(self._take(max(0, self._size - self._pos)))

    def _take(self, limit: int) -> list[Piece]:
        """Advance over up to ``limit`` bytes; return views of them in the cached spans, in order.

        The policy plans the read once; the loop then serves it span by span, waiting for (or taking
        back and running) the fetches it needs. The views keep their spans' buffers alive until the
        caller has copied them, even if a later plan drops those spans (a span is never written once
        cached, so the bytes cannot change under the view).
        """
        if limit <= 0 or (self._size is not None and self._pos >= self._size):
            return []
        continues = bool(self._history) and self._history[-1].end == self._pos
        self._history.append(Access(self._pos, limit))
        self._missed = False
        if continues and self._size is not None and min(self._pos + limit, self._size) <= self._quiet_until:
            pass  # the last plan promised this read an empty one (Plan.quiet_until)
        elif not self._execute(self._plan()):  # the size was unknown: plan again now that it is known
            if self._size is None or self._pos >= self._size:
                return []
            self._execute(self._plan())
        assert self._size is not None
        pieces: list[Piece] = []
        done = 0
        while done < limit and self._pos < self._size:
            fragment = self._covering(self._pos)
            if fragment is None:  # past what the plan could hold: plan the rest as the next read
                self._history.append(Access(self._pos, limit - done))
                self._execute(self._plan())
                if self._covering(self._pos) is None:  # the policy left it out: fetch it anyway
                    self._execute(Plan(fetch=(Span(self._pos, self._pos + limit - done),)))
                    if self._covering(self._pos) is None:
                        raise self._changed_error(f"no bytes at {self._pos} of {self._size}")
                continue
            data = self._fragment_data(fragment)
            offset = self._pos - fragment.start
            count = min(limit - done, data.length - offset)
            if count <= 0:
                raise self._changed_error(f"bytes from {self._pos} end before the size {self._size}")
            pieces.extend(data.pieces(offset, count))
            self._used(fragment, offset, offset + count)
            done += count
            self._pos += count
        return pieces

    def _plan(self) -> Plan:
        with self._lock:
            cache = [f.cached for f in self._entries.values()]
        return self.policy.plan(tuple(self._history), cache, self._size)

    def _covering(self, position: int) -> _Fragment | None:
        with self._lock:
            for fragment in self._entries.values():
                if fragment.start <= position < fragment.end:
                    return fragment
        return None

    def _execute(self, plan: Plan) -> bool:
        """Drop, fetch and prefetch as ``plan`` says; ``False`` when the size was unknown (plan again).

        With the size unknown only the first span is fetched (in this thread): its response gives the
        size, and the policy plans the rest knowing it.
        """
        demand: list[_Fragment] = []
        sized = self._size is not None
        with self._changed:
            self._quiet_until = plan.quiet_until if sized else 0  # kept only if the plan is carried out whole
            for span in plan.drop:
                fragment = self._entries.get(span.start)
                if fragment is not None and fragment.end == span.end:
                    self._drop(fragment)
            for span in self._uncovered(plan.fetch if sized else plan.fetch[:1]):
                if self._live_bytes() + span.length > self._bound:
                    if not span.start <= self._pos < span.end:
                        self._quiet_until = 0
                        break  # the rest of a large read is planned again when the caller gets there
                    self._make_room(span.length, span)
                fragment = _Fragment(span.start, span.end, prefetch=False)
                self._pool.reserve_demand(fragment.reserved)
                self._entries[span.start] = fragment
                demand.append(fragment)
            for fragment in demand[1:]:  # the caller runs the first; the pool starts the others
                self._submit(fragment)
            if sized:
                self._issue_prefetches(plan.prefetch)
            self._publish()
        if demand:
            if not self._missed:  # a miss is a read that had to wait for a GET, however many it took
                self._missed = True
                self.stats.add(cache_misses=1)
            try:
                self._fragment_data(demand[0])
            except RangeNotSatisfiableError:
                if not sized:
                    self._learn_empty()
                else:
                    raise
        return sized or not plan.fetch

    def _clipped(self, span: Span) -> Span:
        if self._size is None:
            return span
        return Span(min(span.start, self._size), min(span.end, self._size))

    def _make_room(self, length: int, span: Span) -> None:
        """Evict spans outside ``span`` until ``length`` more bytes fit the reader's S x N bound (lock held).

        Whatever the policy keeps, the engine holds at most S x N bytes: spans behind the position go
        first (oldest first), then those ahead (farthest first); a running fetch that is stopped still
        counts until it has stopped, so this waits for it, as a miss in the Java design does.
        """

        def order(fragment: _Fragment) -> tuple[int, int]:
            return (0, fragment.start) if fragment.end <= self._pos else (1, -fragment.start)

        others = [
            f for f in self._entries.values()
            if not (f.start < span.end and span.start < f.end) and (f.finished or f.future is not None)
        ]  # fmt: skip
        for fragment in sorted(others, key=order):
            if self._live_bytes() + length <= self._bound:
                break
            self._drop(fragment)
        while self._zombies and self._live_bytes() + length > self._bound:
            self._changed.wait()

    def _uncovered(self, spans: tuple[Span, ...]) -> list[Span]:
        """The parts of ``spans`` (clipped to the size) that no cache entry holds (lock held).

        A policy plans from a snapshot of the cache; entries added since (a tail read, an earlier span of
        the same plan) must not be fetched twice, nor overlap: a position is always in one entry.
        """
        parts: list[Span] = []
        for span in spans:
            clipped = self._clipped(span)
            if clipped.end > clipped.start:
                held = [f.cached for f in self._entries.values()] + [Cached(*p) for p in parts]
                parts += missing(clipped, held)
        return parts

    def _overlaps(self, span: Span) -> bool:
        return any(f.start < span.end and span.start < f.end for f in self._entries.values())

    def _live_bytes(self) -> int:
        live: int = sum(map(_RESERVED, self._entries.values())) + sum(map(_RESERVED, self._zombies))
        return live

    def _issue_prefetches(self, spans: tuple[Span, ...]) -> None:
        """Start prefetches in order while they fit the reader's S x N bound and the pool (lock held)."""
        for clipped in self._uncovered(spans):
            length = clipped.end - clipped.start
            if self._live_bytes() + length > self._bound or not self._pool.try_reserve_prefetch(length):
                self.stats.add(prefetches_declined=1)
                self._quiet_until = 0  # the policy asks again on the next read
                break
            fragment = _Fragment(clipped.start, clipped.end, prefetch=True)
            self._entries[clipped.start] = fragment
            if not self._submit(fragment):
                self._quiet_until = 0
                break
            self.stats.add(prefetches_issued=1)

    def _submit(self, fragment: _Fragment) -> bool:
        """Run ``fragment``'s fetch on the pool (lock held); ``False`` if the pool is shut down."""
        try:
            fragment.future = self._pool.submit(self._prefetch, fragment)
        except RuntimeError:  # the pool was shut down: the caller fetches on demand instead
            del self._entries[fragment.start]
            self._release(fragment)
            return False
        return True

    # -- vectored reads -----------------------------------------------------------------------------

    def read_ranges(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """The bytes of each ``[start, end)`` range, in the caller's order (cut at the end of the object).

        Nearby ranges are merged into one GET (``s3.spi.read.vectored.min-seek`` and ``max-merged``, as
        S3A's vectored read), merged ranges larger than S are split into S-sized GETs, and the GETs run in
        parallel on the pool, in batches of at most S x N bytes. Every GET goes through the same checks
        as a read (Content-Range, ETag, If-Match, retries); the position and the read history are not
        touched.

        Raises:
            ValueError: a range with a negative start or an end before its start (naming it).
        """
        self._check_open()
        plan = coalesce(ranges, min_gap=self._vectored_gap, max_merged=self._vectored_max)
        count = sum(1 for _ in ranges)
        results = [b""] * count
        if not plan:
            return results
        if self._size is None:
            position = self._pos
            self._pos = plan[0].start
            try:
                first = Span(plan[0].start, min(plan[0].end, plan[0].start + self._fragment_size))
                self._execute(Plan(fetch=(first,)))
            finally:
                self._pos = position
        assert self._size is not None
        batch: list[MergedRange] = []
        for merged in [*plan, None]:
            total = sum(min(m.end, self._size) - m.start for m in batch)
            if batch and (merged is None or total + merged.length > self._bound):
                self._fetch_batch(batch, results)
                batch = []
            if merged is None or merged.start >= self._size:
                continue
            if merged.length > self._bound // 2:  # too large for a batch: a read, under the policy
                for index, start, end in merged.parts:
                    results[index] = self._read_span(start, min(end, self._size))
            else:
                batch.append(merged)
        return results

    def _fetch_batch(self, batch: list[MergedRange], results: list[bytes]) -> None:
        """Fetch a batch of merged ranges in parallel, then copy each requested range out of the cache."""
        size = self._size
        assert size is not None
        spans = pieces([Span(m.start, min(m.end, size)) for m in batch], self._fragment_size)
        demand: list[_Fragment] = []
        with self._changed:
            for fragment in list(self._entries.values()):  # keep only what this batch reads whole
                if not any(s.start <= fragment.start and fragment.end <= s.end for s in spans):
                    self._drop(fragment)
            needed = sum(s.length for s in self._uncovered(spans))
            while self._zombies and self._live_bytes() + needed > self._bound:
                self._changed.wait()
            for span in self._uncovered(spans):
                fragment = _Fragment(span.start, span.end, prefetch=False)
                self._pool.reserve_demand(fragment.reserved)
                self._entries[span.start] = fragment
                demand.append(fragment)
            for fragment in demand[1:]:
                self._submit(fragment)
            self._publish()
        for fragment in demand:
            self._fragment_data(fragment)
        for merged in batch:
            for index, start, end in merged.parts:
                results[index] = self._copy_out(start, min(end, size))

    def _read_span(self, start: int, end: int) -> bytes:
        """``[start, end)`` read as the caller would (policy, read-ahead, bound), the position kept."""
        position = self._pos
        self._pos = start
        try:
            return join(self._take(end - start))
        finally:
            self._pos = position

    def _copy_out(self, start: int, end: int) -> bytes:
        views = []
        position = start
        while position < end:
            fragment = self._covering(position)
            if fragment is None:
                raise self._changed_error(f"bytes {position}-{end - 1} were dropped during a vectored read")
            data = self._fragment_data(fragment)
            offset = position - fragment.start
            count = min(end - position, data.length - offset)
            if count <= 0:
                raise self._changed_error(f"bytes from {position} end before the size {self._size}")
            views.extend(data.pieces(offset, count))
            self._used(fragment, offset, offset + count)
            position += count
        return join(views)

    def close(self) -> None:
        """Cancel prefetches, stop running fetches, and return within :data:`CLOSE_GRACE_SECONDS`.

        Queued prefetches are cancelled; fetches streaming a body have their socket shut down, so they
        stop at once and their connection is never reused. A fetch still waiting for the server's first
        byte cannot be interrupted: it is abandoned, keeping its pool thread and budget reservation
        until its read timeout (cut to ``s3.spi.timeouts.operation``) ends it, then closing its response
        unread. Everything else is released before ``close`` returns.
        """
        if self.closed:
            return
        if hasattr(self, "_changed"):
            with self._changed:
                for fragment in list(self._entries.values()):
                    self._drop(fragment)
                for fragment in self._zombies:
                    if fragment.response is not None:
                        fragment.response.abort()
                self._publish()
                give_up = time.monotonic() + CLOSE_GRACE_SECONDS
                while self._zombies and (left := give_up - time.monotonic()) > 0:
                    self._changed.wait(left)
        super().close()

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError(f"I/O operation on closed reader {self.name}")

    # -- the cache ------------------------------------------------------------------------------------

    def _publish(self) -> None:
        """Report current cached and in-flight bytes to the stats (call with the lock held)."""
        # Twice per read over up to N spans: sums over attrgetters run in C, a Python loop took 18 us.
        cached: int = sum(map(_HELD, self._entries.values()))
        self.stats.set_current(cached_bytes=cached, inflight_bytes=self._live_bytes())

    def _release(self, fragment: _Fragment) -> None:
        if fragment.prefetch:
            self._pool.release_prefetch(fragment.reserved)
        else:
            self._pool.release_demand(fragment.reserved)
        fragment.reserved = 0

    def _drop(self, fragment: _Fragment) -> None:
        """Remove a fragment from the cache, cancelling or stopping its fetch (lock held)."""
        del self._entries[fragment.start]
        self._quiet_until = 0  # the cache no longer holds what the last plan left in it
        if fragment.finished:
            self._release(fragment)
            self.stats.add(bytes_wasted=fragment.fetched - fragment.used_bytes())
            return
        self.stats.add(prefetches_cancelled=1 if fragment.prefetch else 0)
        if fragment.future is not None and fragment.future.cancel():
            fragment.finished = True
            self._release(fragment)
        else:
            fragment.cancel.set()
            self._zombies.add(fragment)

    def _finish(self, fragment: _Fragment, data: Chunks | None, error: BaseException | None) -> None:
        """Record the end of a fetch, from whichever thread ran it."""
        with self._changed:
            fragment.finished = True
            if fragment in self._zombies:
                self._zombies.discard(fragment)
                self._release(fragment)
                self.stats.add(bytes_wasted=fragment.fetched)
            elif self._entries.get(fragment.start) is fragment:
                if data is not None:
                    fragment.hold(fragment.start, data)
                    if len(data) < fragment.reserved:
                        excess = fragment.reserved - len(data)
                        (self._pool.release_prefetch if fragment.prefetch else self._pool.release_demand)(
                            excess
                        )
                        fragment.reserved = len(data)
                else:
                    del self._entries[fragment.start]
                    self._quiet_until = 0
                    self._release(fragment)
                    self.stats.add(bytes_wasted=fragment.fetched)
                    fragment.error = error
            self._publish()
            self._changed.notify_all()

    def _used(self, fragment: _Fragment, start: int, end: int) -> None:
        with self._lock:
            self.stats.add(bytes_used=fragment.mark_used(start, end))

    def _fragment_data(self, fragment: _Fragment) -> Chunks:
        """The bytes of a cached span: ready, awaited, taken back from the pool's queue, or fetched again.

        A span whose fetch failed is fetched again here (with its own retries), unless the failure was
        definitive (missing, denied), which is raised at once.
        """
        started = time.perf_counter()
        blocked = False
        try:
            with self._changed:
                if fragment.data is not None:
                    self.stats.add(cache_hits=1)
                    return fragment.data
                if fragment.future is None and not fragment.finished:
                    pass  # a demand span planned for this thread: run it below
                elif fragment.future is not None and fragment.future.cancel():
                    # Queued behind other readers' work: fetch it here instead of waiting.
                    if fragment.prefetch:
                        self._pool.release_prefetch(fragment.reserved)
                        self._pool.reserve_demand(fragment.reserved)
                    fragment.prefetch, fragment.future = False, None
                else:
                    blocked = True
                    while not fragment.finished:
                        self._changed.wait()
                    if fragment.data is not None:
                        return fragment.data
                    error = fragment.error
                    if isinstance(error, S3ConfError) and not isinstance(error, TransferError):
                        raise error  # definitive (missing, denied): asking again would not help
                    if isinstance(error, RangeNotSatisfiableError):
                        raise error
                    span = self._clipped(Span(fragment.start, fragment.end))
                    fragment = _Fragment(span.start, span.end, prefetch=False)
                    self._pool.reserve_demand(fragment.reserved)
                    self._entries[fragment.start] = fragment
                    self._publish()
            blocked = True
            return self._run_demand(fragment)
        finally:
            if blocked:
                self.stats.add(seconds_blocked=time.perf_counter() - started)

    def _run_demand(self, fragment: _Fragment) -> Chunks:
        try:
            data = self._fetch_fragment(fragment)
        except CancelledError:
            self._finish(fragment, None, None)
            raise ValueError(f"reader {self.name} was closed during a read") from None
        except BaseException as error:
            self._finish(fragment, None, error)
            raise
        self._finish(fragment, data, None)
        return data

    def _prefetch(self, fragment: _Fragment) -> None:
        try:
            data = self._fetch_fragment(fragment)
        except CancelledError:
            self._finish(fragment, None, None)
        except Exception as error:  # kept on the fragment; the caller refetches or re-raises it
            self._finish(fragment, None, error)
        else:
            self._finish(fragment, data, None)

    # -- requests ------------------------------------------------------------------------------------

    def _learn_size(self) -> None:
        """First fetch: plan and serve a one-byte read at the position, whose response gives the size."""
        position = self._pos
        try:
            self._take(1)
        finally:
            self._pos = position

    def _learn_empty(self) -> None:
        """The first GET answered 416: the object is empty, or shorter than the position (lock free)."""
        self._size = 0 if self._pos == 0 else self._probe_size()

    def _probe_size(self) -> int:
        probe = _Fragment(0, 0, prefetch=False)
        try:
            response = self._with_retries(probe, lambda: self._request(ByteRange(0, 1), probe))
            self._read_body(response, probe, 0, min(1, response.total))
            total: int = response.total
            return total
        except RangeNotSatisfiableError:
            return 0
        finally:
            self.stats.add(bytes_wasted=probe.fetched)

    def _fetch_tail(self) -> None:
        """SEEK_END with the size unknown: a suffix GET of the policy's tail learns the size and caches it."""
        length = self.policy.tail_length()
        tail = _Fragment(0, length, prefetch=False)
        self._pool.reserve_demand(length)
        with self._lock:
            self._zombies.add(tail)  # counted as in flight until it becomes a cache entry
            self._publish()
        try:
            response = self._with_retries(tail, lambda: self._request(ByteRange(suffix=length), tail))
        except RangeNotSatisfiableError:
            response = None
        except BaseException:
            self._finish(tail, None, None)
            raise
        if response is None:
            self._finish(tail, None, None)
            if self._size is None:
                self._size = self._probe_size()
            return
        total, first = response.total, response.first
        data: Chunks | None = None
        if total:
            try:
                data = self._read_body(response, tail, first, total)
            except (BotoCoreError, Urllib3HTTPError, OSError):
                data = None  # the size is what matters; the bytes are fetched again on demand
        else:
            response.body.close()
        with self._changed:
            self._size = total
            self._zombies.discard(tail)
            if data is not None and not self._overlaps(Span(first, total)):
                self._recognise_footer(first, data.tobytes(), total)
                tail.hold(first, data)
                self._entries[first] = tail
                self._pool.release_demand(length - len(data))
                tail.reserved, tail.finished = len(data), True
                self.stats.add(bytes_wasted=tail.fetched - len(data))
                tail.fetched = len(data)
            else:
                self._release(tail)
                self.stats.add(bytes_wasted=tail.fetched)
            self._publish()

    def _recognise_footer(self, first: int, data: bytes | bytearray, total: int) -> None:
        """Wrap the adaptive policy in :class:`ParquetPolicy` when ``data`` (the object's end) is a footer."""
        if (
            self.policy.name == "adaptive"
            and first + len(data) == total
            and not isinstance(self.policy, ParquetPolicy)
        ):
            layout = footer_layout(data, total)
            if layout is not None:  # a Parquet file: predict the column chunks read next
                policy = ParquetPolicy(self.policy, layout)
                self.policy = policy
                self._history = deque(self._history, maxlen=policy.history_length())
                self._quiet_until = 0

    def preload(
        self, size: int, etag: str | None, start: int, data: bytes, request: CapturedRequest | None = None
    ) -> None:
        """Seed a reader that has read nothing yet with what an earlier reader of the object learned.

        The size and ETag are taken as if the first GET had answered them (later GETs carry
        ``If-Match: etag``, so an object replaced since fails loudly instead of mixing versions), and
        ``data``, the object's bytes ``[start, size)``, becomes a cache entry (a Parquet footer among
        them is recognised as on a suffix GET). Used by the fsspec layer, whose calls open one
        object several times (pyarrow reads the footer once to plan and once to read). ``request``,
        the GET that earlier reader captured (:attr:`captured_request`), spares this reader's first GET
        botocore's call pipeline when this reader's client sent it (:meth:`DirectGet.adopt`).

        Raises:
            ValueError: the reader has already read, or ``data`` does not end at ``size``.
        """
        if start < 0 or start + len(data) != size:
            raise ValueError(f"preload bytes [{start}, {start + len(data)}) do not end at size {size}")
        with self._changed:
            if self._size is not None or self._entries:
                raise ValueError(f"preload of {self.name} after it has read")
            self._size, self._etag = size, etag
            if request is not None:
                self._direct.adopt(request)
            if data:
                self._recognise_footer(start, data, size)
                entry = _Fragment(start, size, prefetch=False)
                self._pool.reserve_demand(entry.reserved)
                entry.hold(start, Chunks([bytes(data)]))
                entry.finished, entry.fetched = True, len(data)
                self._entries[start] = entry
            self._publish()

    @property
    def captured_request(self) -> CapturedRequest | None:
        """The GET request this reader copies for its ranges, for the next reader of the object."""
        return self._direct.captured

    def known_tail(self, limit: int = 1 << 20) -> tuple[int, str | None, int, bytes] | None:
        """``(size, etag, start, bytes)``: the last (at most ``limit``) bytes of the cached span that ends
        the object, once the size is known.

        ``None`` while the size is unknown; an empty ``bytes`` (and ``start == size``) when no ready
        span ends the object.
        """
        with self._lock:
            if self._size is None or self._stale:
                return None
            for entry in self._entries.values():
                if (
                    entry.data is not None
                    and entry.end == self._size
                    and entry.start + len(entry.data) == entry.end
                ):
                    kept = min(limit, len(entry.data))
                    tail = entry.data.suffix(kept)
                    return self._size, self._etag, self._size - kept, tail
            return self._size, self._etag, self._size, b""

    def _fetch_fragment(self, fragment: _Fragment) -> Chunks:
        start, end = fragment.start, fragment.end

        def attempt() -> Chunks:
            known = self._size
            try:
                response = self._request(ByteRange(start, end), fragment)
            except RangeNotSatisfiableError:
                if known is None:
                    raise  # the first GET of an empty object (or a position past its end)
                raise self._changed_error(f"bytes {start}-{end - 1} of {known} are no longer there") from None
            return self._read_body(response, fragment, start, min(end, response.total))

        data: Chunks = self._with_retries(fragment, attempt)
        return data

    def _request(self, requested: ByteRange, fragment: _Fragment) -> RangedResponse:
        """One GET, checked against the request and the first response; learns size and ETag from the first.

        Raises:
            RangeNotSatisfiableError: the server answered 416.
            TransferError: the response does not answer the request (retried) or the object changed.
        """
        if fragment.cancel.is_set():
            raise CancelledError
        with self._lock:
            size, etag = self._size, self._etag
        self.stats.add(get_requests=1)
        try:
            answer = self._direct.get_object(requested.header, etag, self._operation_timeout)
            response = RangedResponse(answer, self.bucket, self.key)
        except ClientError as error:
            if error_code(error) == "InvalidRange" or error_status(error) == 416:
                raise RangeNotSatisfiableError(self.name) from error
            raise
        with self._lock:
            fragment.response = response
        if fragment.cancel.is_set():  # dropped (or the reader closed) while the request was waiting
            response.abort()
            response.body.close()
            raise CancelledError
        try:
            response.check(requested, size=size, etag=etag, name=self.name)
        except TransferError as error:
            if error.errno == errno.ESTALE:
                self._stale = True
            raise
        if response.full_body:
            self.stats.add(full_body_responses=1)
        with self._lock:
            if self._size is None:
                self._size = response.total
            if self._etag is None:
                self._etag = response.etag
        return response

    def _changed_error(self, detail: str) -> TransferError:
        self._stale = True
        return changed_error(self.name, detail)

    @property
    def stale(self) -> bool:
        """The object changed under this reader: what it knows of it (size, ETag, tail) is of an older
        version, so :meth:`known_tail` no longer offers it."""
        return self._stale

    def _read_body(self, response: RangedResponse, fragment: _Fragment, start: int, end: int) -> Chunks:
        """Bytes [start, end) of the object from ``response``, counted against ``fragment``."""

        def progress(count: int) -> None:
            fragment.fetched += count  # only this fetch's thread writes it
            self.stats.add(bytes_fetched=count)

        return read_body(
            response,
            start,
            end,
            cancel=fragment.cancel,
            progress=progress,
            name=self.name,
        )

    def _with_retries(self, fragment: _Fragment, attempt: Callable[[], Any]) -> Any:
        return with_retries(
            attempt,
            attempts=self._attempts,
            backoff=self._backoff,
            cancel=fragment.cancel,
            on_retry=lambda: self.stats.add(retries=1),
            changed_error=lambda: self._changed_error(f"ETag is no longer {self._etag}"),
            bucket=self.bucket,
            key=self.key,
            deadline=time.monotonic() + self._operation_timeout,
        )

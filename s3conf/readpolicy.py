"""Read policies: *what* a reader fetches, as pure functions of what it has seen.

The reader's engine (:class:`~s3conf.reader.S3Reader`: ranged GETs, the shared pool, the byte budget,
retries, counters) decides *how* to fetch; a policy decides *what*. It gets the access history (the reads
so far, the one being served last), the cache (spans held or in flight) and the object size once known,
and returns a :class:`Plan`: spans to fetch now (the caller waits for them), spans to prefetch, spans to
drop. No I/O, no clock, no state of its own, so every policy is tested on tables of access traces.

Policies (``s3.spi.read.policy``; Hadoop's ``fs.s3a.experimental.input.fadvise`` spelling is accepted):

* ``sequential``: the Java provider's design. Fragments of S bytes; reaching the middle of fragment i
  drops those below and prefetches i+1..i+N-1; a miss keeps only the window [j, j+N-1].
* ``random``: fetch what is read, rounded up to a small minimum (``s3.spi.read.random.min-fetch``),
  never read ahead (S3A's ``random``). Bytes fetched stay close to bytes read. What was read stays
  cached up to S x N bytes and N spans (the nearest kept).
* ``adaptive`` (default): starts as ``random``, unless the first read is at offset 0; each read that
  continues the previous one quadruples a read-ahead window (``s3.spi.read.adaptive.initial-window`` up
  to S x N, at most :data:`ADAPTIVE_MAX_WINDOW`), a far or backward seek resets it (Linux on-demand
  readahead, S3A ``adaptive``, AWS's Analytics Accelerator sequential detector). The window is kept
  full in pieces (half the window while it is small, then S, then a quarter of the window up to
  :data:`ADAPTIVE_MAX_PIECE` once that is larger) aligned to multiples of their size, so they run in
  parallel, each piece consumed is replaced by one new GET, and no GET straddles more of a store's
  chunks than it must (:func:`aligned_pieces`). Objects known to be small (``s3.spi.read.small-object``) are
  fetched whole.
* ``whole``: the whole object, from the first read, in pieces of S fetched in parallel (small objects:
  one GET).

A demand read larger than S is cut into pieces (S-sized; under ``adaptive`` a quarter of the read, see
:func:`large_read_piece`): the engine runs them in parallel, so one large ``read`` (a Parquet column chunk,
``readall``) is not one long serial GET.

>>> policy = make_policy("random", PolicyConfig(fragment_size=8 * MiB, fragment_number=4, min_fetch=16 * KiB))
>>> policy.plan((Access(1000, 100),), (), None).fetch
(Span(start=1000, end=17384),)
>>> parse_policy("normal"), parse_policy("Sequential")
('adaptive', 'sequential')
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple, Protocol

__all__ = [
    "POLICIES",
    "Access",
    "Cached",
    "Plan",
    "PolicyConfig",
    "ReadPolicy",
    "Span",
    "make_policy",
    "parse_policy",
]

KiB = 1024
MiB = 1024 * KiB

#: The adaptive policy's largest read-ahead window (or S, if larger), whatever S x N allows: past a few
#: parallel GETs more read-ahead adds no throughput, and every byte of window is memory the allocator
#: hands out fresh (zero-filled, page-faulted) before the socket fills it.
ADAPTIVE_MAX_WINDOW = 64 * MiB

#: The adaptive policy's largest read-ahead piece once its window is more than four fragments: a quarter
#: of the window, so four GETs stay in flight. Fewer, larger GETs, because a store's cost per GET outweighs
#: its cost per byte: SeaweedFS reads a whole 8 MiB chunk for any range in it (measured: 200 ranged GETs
#: of 1 MiB cost it 2.1 CPU s, 12 of 16 MiB for the same bytes 0.33 s).
ADAPTIVE_MAX_PIECE = 16 * MiB
#: Reads a reader shows its policy: enough for the adaptive window to reach S x N, grown per read (a
#: Parquet policy asks for more: :meth:`s3conf.parquet.ParquetPolicy.history_length`).
HISTORY = 48

#: Canonical policy names, and the spellings accepted for them (S3A's fadvise values included).
POLICIES: dict[str, str] = {
    "adaptive": "adaptive",
    "normal": "adaptive",
    "default": "adaptive",
    "sequential": "sequential",
    "random": "random",
    "whole": "whole",
    "whole-file": "whole",
}


def parse_policy(text: object) -> str:
    """The canonical policy name for ``text`` (case-insensitive); ``ValueError`` naming it otherwise."""
    name = POLICIES.get(str(text).strip().lower())
    if name is None:
        raise ValueError(f"unknown read policy {text!r} (expected one of {', '.join(sorted(POLICIES))})")
    return name


class Span(NamedTuple):
    """Bytes ``[start, end)`` of the object."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start


class Access(NamedTuple):
    """One read the caller made: ``length`` bytes from ``offset``."""

    offset: int
    length: int

    @property
    def end(self) -> int:
        return self.offset + self.length


class Cached(NamedTuple):
    """A span in the reader's cache; ``ready`` once downloaded (else in flight)."""

    start: int
    end: int
    ready: bool = True


_START = operator.itemgetter(0)  # Cached.start, for sums that run in C
_END = operator.itemgetter(1)


@dataclass(frozen=True)
class Plan:
    """What to do for the read being served.

    Attributes:
        fetch: spans the read needs that the cache lacks; the caller waits for them.
        prefetch: spans to fetch in the background, in the order they will be needed (the engine may
            decline some when the byte budget is full; the policy asks again on a later read).
        drop: cached spans to evict, cancelling them if in flight.
        quiet_until: a promise that a read of at least one byte of the object, starting where this one
            ends and ending at or before this offset, would get an empty plan (nothing to fetch,
            prefetch or drop) as long as the cache holds or fetches every span this plan leaves or puts
            in it, and so does every further read that continues the one before it within that bound.
            The engine then serves such reads without asking (a 64 KiB reader of a sequential stream
            paid the adaptive plan on each of its 4096 reads per 256 MiB: half of its thread's CPU).
            ``0``: no promise, plan every read.
    """

    fetch: tuple[Span, ...] = ()
    prefetch: tuple[Span, ...] = ()
    drop: tuple[Span, ...] = ()
    quiet_until: int = 0


@dataclass(frozen=True)
class PolicyConfig:
    """The knobs every policy reads (from :class:`~s3conf.config.S3Config`).

    Attributes:
        fragment_size: S: the largest single GET, and the sequential policy's fragment.
        fragment_number: N: the sequential policy's fragments; S x N bounds every policy's cache.
        min_fetch: the smallest GET a random or seeking read issues.
        initial_window: the adaptive policy's first read-ahead window.
        small_object: objects up to this size are fetched whole by the adaptive policy.
        tail: bytes a ``seek(0, SEEK_END)`` fetches while the size is unknown (a Parquet footer read).
    """

    fragment_size: int = 8 * MiB
    fragment_number: int = 8
    min_fetch: int = 16 * KiB
    initial_window: int = 256 * KiB
    small_object: int = 1 * MiB
    tail: int = 1 * MiB

    @property
    def cache_bytes(self) -> int:
        return self.fragment_size * self.fragment_number


class ReadPolicy(Protocol):
    """What a reader fetches; implementations are pure (same inputs, same plan)."""

    @property
    def name(self) -> str:
        """The canonical policy name."""

    def plan(self, history: Sequence[Access], cache: Sequence[Cached], size: int | None) -> Plan:
        """The plan for ``history[-1]``, the read being served (its bytes clipped to ``size`` if known)."""

    def tail_length(self) -> int:
        """Bytes to fetch for ``seek(0, SEEK_END)`` while the size is unknown."""


# -- helpers shared by the policies -----------------------------------------------------------------


def missing(want: Span, cache: Sequence[Cached]) -> list[Span]:
    """The parts of ``want`` no cached span covers, in order.

    >>> missing(Span(0, 100), [Cached(10, 20), Cached(50, 60)])
    [Span(start=0, end=10), Span(start=20, end=50), Span(start=60, end=100)]
    """
    gaps = []
    position = want.start
    for entry in sorted(cache):
        if entry.end <= position or entry.start >= want.end:
            continue
        if entry.start > position:
            gaps.append(Span(position, entry.start))
        position = max(position, entry.end)
        if position >= want.end:
            break
    if position < want.end:
        gaps.append(Span(position, want.end))
    return gaps


def pieces(spans: Sequence[Span], piece: int) -> tuple[Span, ...]:
    """Each span cut into pieces of at most ``piece`` bytes (the last one shorter).

    >>> pieces([Span(0, 10)], 4)
    (Span(start=0, end=4), Span(start=4, end=8), Span(start=8, end=10))
    """
    out = []
    for span in spans:
        for start in range(span.start, span.end, piece):
            out.append(Span(start, min(span.end, start + piece)))
    return tuple(out)


def aligned_pieces(span: Span, piece: int) -> tuple[Span, ...]:
    """``span`` cut at the multiples of ``piece`` in the object (the first and last pieces may be shorter).

    Stores keep objects in fixed-size chunks or parts (SeaweedFS: 8 MiB, S3 multipart uploads: their part
    size, often a power of two) and read whole chunks for any range inside one, so a GET that straddles
    one more chunk boundary than it must costs the server a whole chunk more (measured on SeaweedFS: 4 MiB
    GETs offset by 512 KiB cost it 0.73 CPU s for 256 MiB, 0.51 s aligned).

    >>> aligned_pieces(Span(3, 13), 4)
    (Span(start=3, end=4), Span(start=4, end=8), Span(start=8, end=12), Span(start=12, end=13))
    """
    out = []
    start = span.start
    while start < span.end:
        end = min(span.end, (start // piece + 1) * piece)
        out.append(Span(start, end))
        start = end
    return tuple(out)


def clip(span: Span, size: int | None) -> Span:
    """``span`` cut at the end of the object when its size is known."""
    if size is None:
        return span
    return Span(min(span.start, size), min(span.end, size))


def covered_until(position: int, cache: Sequence[Cached]) -> int:
    """The end of the contiguous cached run that contains ``position`` (``position`` if none does)."""
    end = position
    for entry in sorted(cache):
        if entry.start <= end < entry.end:
            end = entry.end
    return end


def _drop_over_cap(cache: Sequence[Cached], keep: Span, cap: int, spans: int) -> tuple[Span, ...]:
    """Drop ready spans farthest from ``keep`` until at most ``cap`` bytes and ``spans`` spans remain.

    The span count matters as much as the bytes: the engine looks at every cached span on every read,
    so 250 MiB of 16 KiB records (thousands of spans) made each read cost milliseconds of bookkeeping.
    This runs on every random read, with the cache one span over its count: cached spans never overlap,
    so in start order the farthest from ``keep`` is always the first or the last one left, and taking
    from both ends gives the order a sort by distance would (ties: the later span first) in C-speed
    steps (55 us a read with 51 spans before, for a Python-level distance per span).

    >>> cache = [Cached(0, 10), Cached(20, 30), Cached(40, 50), Cached(90, 100)]
    >>> _drop_over_cap(cache, Span(42, 45), cap=100, spans=2)
    (Span(start=90, end=100), Span(start=0, end=10))
    """
    count = len(cache)
    total = sum(map(_END, cache)) - sum(map(_START, cache))
    if total <= cap and count <= spans:
        return ()
    ordered = sorted(cache)
    low, high = 0, count - 1
    dropped = []
    while (total > cap or count > spans) and low <= high:
        left, right = ordered[low], ordered[high]
        to_left = max(0, keep.start - left.end, left.start - keep.end)
        to_right = max(0, keep.start - right.end, right.start - keep.end)
        if to_right >= to_left:
            victim, high, distance = right, high - 1, to_right
        else:
            victim, low, distance = left, low + 1, to_left
        if distance == 0:
            break
        dropped.append(Span(victim.start, victim.end))
        total -= victim.end - victim.start
        count -= 1
    return tuple(dropped)


def _demand(
    access: Access, cache: Sequence[Cached], size: int | None, minimum: int, piece: int
) -> tuple[Span, ...]:
    want = clip(Span(access.offset, access.offset + max(access.length, minimum)), size)
    return pieces(missing(want, cache), piece)


def _one_get(
    access: Access, cache: Sequence[Cached], size: int | None, minimum: int, piece: int
) -> tuple[tuple[Span, ...], tuple[Span, ...]]:
    """The fetch of a read that must not cost more GETs than it is reads, and the spans it replaces.

    A record that straddles cached spans would leave several gaps, one GET each; when the read fits one
    GET, the downloaded spans it overlaps are dropped and the read is fetched whole instead (a few
    cached bytes fetched again, one request saved).
    """
    want = clip(Span(access.offset, access.offset + max(access.length, minimum)), size)
    gaps = missing(want, cache)
    if len(gaps) <= 1 or want.length > piece:
        return pieces(gaps, piece), ()
    overlapping = [e for e in cache if e.start < want.end and want.start < e.end]
    if not all(e.ready for e in overlapping):
        return pieces(gaps, piece), ()
    return (want,), tuple(Span(e.start, e.end) for e in overlapping)


def large_read_piece(config: PolicyConfig, length: int) -> int:
    """The pieces a read of ``length`` bytes is fetched in by ``adaptive``: S, or a quarter of a large read
    (rounded up, so no sliver is left for a fifth GET; at most :data:`ADAPTIVE_MAX_PIECE`, and never more
    than S x N, the most a reader may hold), so a 32 MiB read (pyarrow's coalesced Parquet scan) is four
    GETs in parallel rather than seven, each of which costs SeaweedFS a whole chunk read or two.

    >>> config = PolicyConfig(fragment_size=5 * MiB, fragment_number=50)
    >>> large_read_piece(config, 1 * MiB) // MiB, large_read_piece(config, 32 * MiB) // MiB
    (5, 8)
    >>> large_read_piece(PolicyConfig(fragment_size=1 * MiB, fragment_number=2), 32 * MiB) // MiB
    2
    """
    quarter = min(ADAPTIVE_MAX_PIECE, -(-length // 4), config.cache_bytes)
    return max(config.fragment_size, quarter)


def _random_plan(
    access: Access, cache: Sequence[Cached], size: int | None, config: PolicyConfig, piece: int | None = None
) -> Plan:
    """Fetch the read (at most one GET when it fits one), keep at most S x N bytes and N spans."""
    fetch, replaced = _one_get(access, cache, size, config.min_fetch, piece or config.fragment_size)
    kept = [e for e in cache if Span(e.start, e.end) not in replaced] if replaced else cache
    keep = Span(access.offset, access.end)
    over = _drop_over_cap(kept, keep, config.cache_bytes, config.fragment_number)
    return Plan(fetch=fetch, drop=replaced + over)


# -- the policies ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RandomPolicy:
    """Fetch what is read, rounded up to ``min_fetch``, in one GET; no read-ahead; keep up to S x N bytes."""

    config: PolicyConfig
    name: str = "random"

    def plan(self, history: Sequence[Access], cache: Sequence[Cached], size: int | None) -> Plan:
        return _random_plan(history[-1], cache, size, self.config)

    def tail_length(self) -> int:
        return min(self.config.tail, 64 * KiB)


@dataclass(frozen=True)
class SequentialPolicy:
    """The Java provider's S x N fragment read-ahead (see the module docstring)."""

    config: PolicyConfig
    name: str = "sequential"

    def _fragment(self, index: int, size: int | None) -> Span:
        s = self.config.fragment_size
        return clip(Span(index * s, (index + 1) * s), size)

    def plan(self, history: Sequence[Access], cache: Sequence[Cached], size: int | None) -> Plan:
        s, n = self.config.fragment_size, self.config.fragment_number
        access = history[-1]
        end = access.end if size is None else min(access.end, size)
        first = access.offset // s
        last = max(first, (max(end, access.offset + 1) - 1) // s)
        needed = [self._fragment(i, size) for i in range(first, last + 1)]
        fetch = tuple(f for f in needed if f.length and missing(f, cache))
        drop: list[Span] = []
        if fetch:  # a miss keeps only the window [first, first + N - 1]
            low, high = first * s, (first + n) * s
            drop += [Span(e.start, e.end) for e in cache if e.start < low or e.start >= high]
        prefetch: tuple[Span, ...] = ()
        middle = last * s + self._fragment(last, size).length // 2
        if end > middle or (end == middle and end > access.offset):
            drop += [
                Span(e.start, e.end) for e in cache if e.end <= first * s and Span(e.start, e.end) not in drop
            ]
            top = last + n - 1
            if size is not None:
                top = min(top, (size - 1) // s if size else -1)
            ahead = [self._fragment(i, size) for i in range(last + 1, top + 1)]
            prefetch = tuple(f for f in ahead if f.length and missing(f, cache))
        return Plan(fetch=fetch, prefetch=prefetch, drop=tuple(drop))

    def tail_length(self) -> int:
        return self.config.fragment_size


@dataclass(frozen=True)
class AdaptivePolicy:
    """Random until reads continue each other, then a read-ahead window quadrupling per sequential read."""

    config: PolicyConfig
    name: str = "adaptive"

    def run_length(self, history: Sequence[Access]) -> int:
        """How many reads in a row (ending with the last) continued the one before.

        A read continues the previous one when it starts inside it or at most ``min_fetch`` bytes
        past its end: small forward skips (a reader stepping over a page header) stay sequential.
        """
        run = 0
        longest = self.longest_run()
        gap = self.config.min_fetch
        for index in range(len(history) - 1, 0, -1):
            previous, current = history[index - 1], history[index]
            if (
                run >= longest
                or not previous.offset <= current.offset <= previous.offset + previous.length + gap
            ):
                break
            run += 1
        return run

    def window_cap(self) -> int:
        """The largest read-ahead window: :data:`ADAPTIVE_MAX_WINDOW` (or S), within S x N."""
        return min(self.config.cache_bytes, max(ADAPTIVE_MAX_WINDOW, self.config.fragment_size))

    def longest_run(self) -> int:
        """The run length at which the window stops growing: counting further changes nothing."""
        return max(1, self.window_cap() // max(1, self.config.initial_window)).bit_length() + 1

    def window(self, history: Sequence[Access]) -> int:
        """The read-ahead window for the last read: 0 after a seek, then base x 4^(run-1), capped.

        The base is the initial window, or twice the last read if that is larger (Linux sizes its first
        readahead from the request the same way): a caller reading 1 MiB at a time would otherwise spend
        its first reads on read-ahead smaller than one read, each read a GET of its own besides. A run
        that goes back to a first read at offset 0 counts one more read (Linux treats a read at the start
        of a file as sequential), and the window quadruples rather than doubles (Linux quadruples small
        windows): every step of the ramp waits for a GET's round trip, 10 ms on SeaweedFS, so a 1 MiB
        reader reached a 64 MiB window after seven of them, and spent a fifth of a 256 MiB read on it.
        """
        run = self.run_length(history)
        if run == len(history) - 1 and history[0].offset == 0:
            run += 1  # reading from the start of the object counts as sequential, as in Linux readahead
        if run == 0:
            return 0
        base = max(self.config.initial_window, 2 * history[-1].length)
        return min(self.window_cap(), base << min(2 * (run - 1), 62))

    def plan(self, history: Sequence[Access], cache: Sequence[Cached], size: int | None) -> Plan:
        config = self.config
        access = history[-1]
        if size is not None and size <= config.small_object:
            return WholePolicy(config).plan(history, cache, size)
        window = self.window(history)
        read_piece = large_read_piece(config, access.length)
        if window == 0:
            return _random_plan(access, cache, size, config, read_piece)
        fetch = _demand(access, cache, size, config.min_fetch, read_piece)
        # Sequential: what lies behind the read is done with; keep the window full in pieces aligned to
        # the step (see aligned_pieces), so each piece read is replaced by one new GET.
        drop = tuple(Span(e.start, e.end) for e in cache if e.end <= access.offset)
        remaining = [e for e in cache if e.end > access.offset]
        served = max(access.end, fetch[-1].end if fetch else access.end)
        ahead_from = covered_until(served, remaining)
        step = max(
            config.min_fetch, min(config.fragment_size, window // 2), min(window // 4, ADAPTIVE_MAX_PIECE)
        )
        reaches_end = size is not None and access.end + window >= size
        # Up to the last multiple of the step inside the window, in pieces aligned to the step.
        end = access.end + window if reaches_end else (access.end + window) // step * step
        prefetch: tuple[Span, ...] = ()
        target = clip(Span(ahead_from, end), size)
        if target.length > 0:
            prefetch = aligned_pieces(target, step)
        held = [*remaining, *(Cached(s.start, s.end) for s in (*fetch, *prefetch))]
        quiet = self._quiet_until(history, held, size, window, step)
        return Plan(fetch=fetch, prefetch=prefetch, drop=drop, quiet_until=quiet)

    def _quiet_until(
        self, history: Sequence[Access], held: Sequence[Cached], size: int | None, window: int, step: int
    ) -> int:
        """How far reads continuing ``history[-1]`` get an empty plan (:attr:`Plan.quiet_until`), 0 if none.

        Only once the window can grow no more (any next read's window is the cap), with ``held`` the cache
        after this plan. Such a read (offset ``o``, end ``e``) plans nothing when: its window end, cut down
        to the step, is this one's (``e`` below the next step boundary less the window, and the window not
        yet reaching the object's end unless it does already); what it reads, rounded up to ``min_fetch``,
        is held; and no held span ends at or before ``o`` (it would be dropped).
        """
        access = history[-1]
        config = self.config
        if size is None or window != self.window_cap() or self.run_length(history) + 1 < self.longest_run():
            return 0
        if access.end + window >= size:
            window_bound = size
        else:
            window_bound = min(((access.end + window) // step + 1) * step, size) - window - 1
        covered = covered_until(access.end, held)
        fetch_bound = size if covered >= size else covered - config.min_fetch
        drop_bound = min((e.end for e in held if e.end > access.offset), default=access.end)
        quiet = min(window_bound, fetch_bound, drop_bound)
        return quiet if quiet > access.end else 0

    def tail_length(self) -> int:
        return self.config.tail


@dataclass(frozen=True)
class WholePolicy:
    """The whole object from the first read: one GET when small, S-sized parallel pieces when not."""

    config: PolicyConfig
    name: str = "whole"

    def plan(self, history: Sequence[Access], cache: Sequence[Cached], size: int | None) -> Plan:
        piece = self.config.fragment_size
        access = history[-1]
        if size is None:  # the first GET (one piece, whatever the read) learns the size; the rest follows
            return Plan(fetch=(Span(access.offset, access.offset + piece),))
        everything = missing(Span(0, size), cache)
        need = Span(access.offset, min(size, access.end))
        fetch = tuple(p for p in pieces(everything, piece) if p.start < need.end and p.end > need.start)
        rest = tuple(p for p in pieces(everything, piece) if p not in fetch)
        return Plan(fetch=fetch, prefetch=rest)

    def tail_length(self) -> int:
        return self.config.tail


def make_policy(name: str, config: PolicyConfig) -> ReadPolicy:
    """The policy called ``name`` (any spelling :func:`parse_policy` accepts)."""
    kinds: dict[str, type[RandomPolicy | SequentialPolicy | AdaptivePolicy | WholePolicy]] = {
        "random": RandomPolicy,
        "sequential": SequentialPolicy,
        "adaptive": AdaptivePolicy,
        "whole": WholePolicy,
    }
    return kinds[parse_policy(name)](config)

"""Parquet footer recognition: once the tail of a Parquet file is cached, predict the column chunks read next.

pyarrow reads a Parquet file through a Python file object (``s3x://`` via fsspec) one range at a time:
the footer, then each column chunk it needs, row group after row group, each ``read`` waiting for the one
before. Its own ``S3FileSystem`` issues those ranges in parallel; a reader that only sees one ``read`` at a
time cannot, unless it knows the layout. The footer says where every column chunk is, and a projection
reads the *same* columns in every row group (AWS's Analytics Accelerator prefetches columns the same way).
So when the cached tail holds a Parquet footer, :class:`ParquetPolicy` wraps the adaptive policy: a read
that starts at a column chunk of row group g and covers some but not all of its columns prefetches those
columns' chunks in the other row groups (the following ones first), in parallel, within the reader's bound
and the pool's budget.
A read of whole row groups (``read_row_group``) predicts nothing. A read that spans chunks of more than one
row group is a *scan* (pyarrow coalesces a full read into reads of up to 32 MiB, cut anywhere between two
chunks, so such a read may well start at a chunk and end mid-row-group): it predicts no columns (they would
be every column, one small GET each) but reads all the column data after it ahead (within S x N), in
GETs of half a read, since a scan reads to the end; the adaptive window, built for small reads, would
start that over from 256 KiB at every 32 MiB read. Parsing uses pyarrow when it is installed (it is,
whenever pyarrow reads the file); without it, or on any doubt about the footer, nothing is predicted.
"""

from __future__ import annotations

import bisect
import functools
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from s3conf.readpolicy import (
    HISTORY,
    Access,
    Cached,
    Plan,
    PolicyConfig,
    ReadPolicy,
    Span,
    pieces,
)

__all__ = ["ParquetLayout", "ParquetPolicy", "footer_layout", "footer_length"]

MAGIC = b"PAR1"
#: The most reads a Parquet policy asks the engine to keep (a plan that filters sorts them: 1 ms at this
#: many, once per read-ahead step of a sequential reader, not per read).
MAX_HISTORY = 4096


@dataclass(frozen=True)
class ParquetLayout:
    """Column chunk spans per row group, and an index from chunk start to (row group, column)."""

    row_groups: tuple[tuple[Span, ...], ...]
    starts: tuple[int, ...] = field(default=(), compare=False)
    where: tuple[tuple[int, int], ...] = field(default=(), compare=False)

    @classmethod
    def of(cls, row_groups: Sequence[Sequence[Span]]) -> ParquetLayout:
        chunks = sorted(
            (span.start, g, c) for g, group in enumerate(row_groups) for c, span in enumerate(group)
        )
        return cls(
            tuple(tuple(group) for group in row_groups),
            tuple(start for start, _, _ in chunks),
            tuple((g, c) for _, g, c in chunks),
        )

    def chunk_at(self, offset: int) -> tuple[int, int] | None:
        """``(row group, column)`` of the chunk starting exactly at ``offset``."""
        index = bisect.bisect_left(self.starts, offset)
        if index < len(self.starts) and self.starts[index] == offset:
            return self.where[index]
        return None

    @property
    def data_end(self) -> int:
        """Where the column chunks end (the footer follows)."""
        return max((span.end for group in self.row_groups for span in group), default=0)

    def is_scan(self, access: Access) -> bool:
        """Whether ``access`` spans chunks of more than one row group (a full read's coalesced range)."""
        first = bisect.bisect_left(self.starts, access.offset)
        last = bisect.bisect_left(self.starts, access.end)
        return len({self.where[i][0] for i in range(first, last)}) > 1

    def predict(self, access: Access) -> list[Span]:
        """The chunks a projection starting with ``access`` will read in the other row groups: the
        following ones first, then those before it.

        pyarrow's ``pre_buffer`` (on by default in ``read_table`` and pandas) hands every chunk of a
        projection to its I/O threads at once; through a Python file object they take turns on one lock,
        in no particular order, so the first chunk this reader sees may be one of row group 2 while those
        of row groups 0 and 1 are still to come (observed: they came last, each a GET of its own, after
        every prediction had landed)."""
        found = self.chunk_at(access.offset)
        if found is None or self.is_scan(access):
            return []
        group = found[0]
        columns = [
            c for c, span in enumerate(self.row_groups[group]) if access.offset <= span.start < access.end
        ]
        if len(columns) == len(self.row_groups[group]):
            return []  # a whole row group: a scan, left to sequential detection
        others = [*range(group + 1, len(self.row_groups)), *range(group)]
        return [self.row_groups[g][c] for g in others for c in columns]


class _TailFile(io.RawIOBase):
    """A read-only file of ``size`` bytes of which only ``tail`` (the last bytes) is known."""

    def __init__(self, tail: bytes | bytearray, size: int) -> None:
        super().__init__()
        self._tail, self._size, self._start, self._pos = tail, size, size - len(tail), 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = base + offset
        return self._pos

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Bytes before the tail read as zeros: pyarrow reads a fixed footer block (64 KiB) from the end
        and uses only the metadata, which :func:`footer_layout` checked lies inside the tail."""
        count = max(0, min(len(buffer), self._size - self._pos))
        head = max(0, min(count, self._start - self._pos))
        buffer[:head] = bytes(head)
        offset = self._pos + head - self._start
        buffer[head:count] = self._tail[offset : offset + count - head]
        self._pos += count
        return count


def footer_layout(tail: bytes | bytearray, size: int) -> ParquetLayout | None:
    """The layout of a Parquet file whose last ``len(tail)`` bytes are ``tail``; ``None`` if unsure.

    Parsed once per footer: a pandas call opens the file twice (and the fsspec layer hands the second
    reader the same tail), so the layout is kept for the last few footers seen (keyed on the footer
    bytes and the size, so a changed file never reuses another's layout).

    >>> footer_layout(b"not parquet", 11) is None
    True
    """
    footer = footer_length(tail)
    if len(tail) < 12 or footer is None or size < len(tail):
        return None
    if footer > len(tail):
        return None  # the metadata starts before the cached tail
    return _layout_of_footer(bytes(tail[len(tail) - footer :]), size)


def footer_length(tail: bytes | bytearray) -> int | None:
    """The bytes of the footer (metadata, its length, ``PAR1``) a Parquet file ending in ``tail`` has, as
    its last 8 bytes say; ``None`` when ``tail`` is not the end of a Parquet file.

    >>> footer_length(b"x" * 10 + (10).to_bytes(4, "little") + b"PAR1"), footer_length(b"PAR1")
    (18, None)
    """
    if len(tail) < 8 or tail[-4:] != MAGIC:
        return None
    return int.from_bytes(tail[-8:-4], "little") + 8


@functools.lru_cache(maxsize=16)
def _layout_of_footer(footer: bytes, size: int) -> ParquetLayout | None:
    """The layout of the footer (metadata, its length, ``PAR1``) of a file of ``size`` bytes."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None
    try:
        meta = pq.read_metadata(_TailFile(footer, size))
        groups = []
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            spans = []
            for c in range(group.num_columns):
                chunk = group.column(c)
                start = chunk.data_page_offset
                if chunk.has_dictionary_page and chunk.dictionary_page_offset:
                    start = min(start, chunk.dictionary_page_offset)
                spans.append(Span(start, start + chunk.total_compressed_size))
            groups.append(spans)
    except (OSError, ValueError):  # pyarrow's errors for a footer it cannot read
        return None
    return ParquetLayout.of(groups)


class _Covered:
    """The union of some spans, asked for the parts of a span it lacks in log time.

    A Parquet policy asks this of every chunk it predicts and every span it would drop, against the
    reads of its history (one per column chunk read, hundreds for a wide file): :func:`missing` sorts
    its list on every call.

    >>> _Covered([(10, 20), (15, 30), (50, 60)]).gaps(Span(0, 55))
    [Span(start=0, end=10), Span(start=30, end=50)]
    """

    def __init__(self, spans: Iterable[tuple[int, int]]) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(spans):
            if end <= start:
                continue
            if self.ends and start <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)

    def spans(self) -> list[tuple[int, int]]:
        return list(zip(self.starts, self.ends, strict=True))

    def gaps(self, want: Span) -> list[Span]:
        out, position = [], want.start
        index = bisect.bisect_right(self.ends, position)
        while index < len(self.starts) and self.starts[index] < want.end:
            if self.starts[index] > position:
                out.append(Span(position, self.starts[index]))
            position = max(position, self.ends[index])
            index += 1
        if position < want.end:
            out.append(Span(position, want.end))
        return out


def _read_drops(plan: Plan, read: _Covered) -> tuple[Span, ...]:
    """The drops of ``plan`` that are safe with predicted chunks in the cache: spans already ``read`` whole,
    and spans the plan fetches over (a record straddling cached spans is fetched in one GET instead).

    The policy a Parquet policy wraps drops by position, as if reads came in order: behind a sequential
    read, or farthest from a random one over N spans. pyarrow's I/O threads read the chunks of a
    projection in any order, so those rules dropped predicted chunks before their read came (and the
    prediction fetched them again: 12 of 32 columns through pandas fetched 2.3x the bytes they needed,
    at a third of pyarrow's speed). Each chunk is read once, so what was read can go; the rest stays
    until read, or until the engine's S x N bound evicts it.

    >>> plan = Plan(fetch=(Span(50, 60),), drop=(Span(0, 10), Span(20, 30), Span(55, 70)))
    >>> _read_drops(plan, _Covered([(0, 15)]))
    (Span(start=0, end=10), Span(start=55, end=70))
    """
    return tuple(
        span
        for span in plan.drop
        if not read.gaps(span) or any(f.start < span.end and span.start < f.end for f in plan.fetch)
    )


def _joined(spans: Sequence[Span], cap: int) -> list[Span]:
    """``spans`` with each run of touching neighbours (in list order) joined into spans of at most ``cap``.

    A projection of adjacent columns is one read per row group (pyarrow coalesces chunks closer than
    8 KiB), so its chunks predicted in another row group are one GET too, not one per column.

    >>> _joined([Span(0, 4), Span(4, 8), Span(8, 12), Span(20, 24)], cap=8)
    [Span(start=0, end=8), Span(start=8, end=12), Span(start=20, end=24)]
    """
    out: list[Span] = []
    for span in spans:
        if out and out[-1].end == span.start and span.end - out[-1].start <= cap:
            out[-1] = Span(out[-1].start, span.end)
        else:
            out.append(span)
    return out


@dataclass(frozen=True)
class ParquetPolicy:
    """A policy plus column-chunk prediction from a Parquet layout (pure, like the policy it wraps)."""

    base: ReadPolicy
    layout: ParquetLayout

    @property
    def name(self) -> str:
        return self.base.name

    def plan(self, history: Sequence[Access], cache: Sequence[Cached], size: int | None) -> Plan:
        """The base policy's plan, less what history says was read (chunks are read once: none is dropped
        before its read, nor fetched after it), plus the chunks ``history[-1]`` predicts."""
        access = history[-1]
        scan = self.layout.is_scan(access)
        predicted = [] if scan else self.layout.predict(access)
        plan = self.base.plan(history, cache, size)
        if not (plan.drop or plan.prefetch or scan or predicted):  # most small reads: nothing to filter
            return replace(plan, quiet_until=0)  # no promise of quiet reads: the next may be predictable
        # Built only when there is something to filter: a plan sorts the whole history (1 ms at 4096 reads).
        read = _Covered((a.offset, a.end) for a in history[:-1])
        plan = Plan(
            fetch=plan.fetch,
            prefetch=tuple(part for span in plan.prefetch for part in read.gaps(span)),
            drop=_read_drops(plan, read) if plan.drop else (),
        )
        if scan:
            return self._scan(plan, access, cache, read)
        if not predicted:
            return plan
        held = _Covered([
            *read.spans(), (access.offset, access.end), *((e.start, e.end) for e in cache),
            *((s.start, s.end) for s in (*plan.fetch, *plan.prefetch)),
        ])  # fmt: skip
        extra = [part for span in predicted for part in held.gaps(span)]
        config = self._config()
        cap = max(config.fragment_size if config else 0, access.length)  # the read, or S if larger
        return replace(plan, prefetch=(*plan.prefetch, *_joined(extra, cap)))

    def _config(self) -> PolicyConfig | None:
        """The wrapped policy's knobs (every built-in policy has them; a test double may not)."""
        config = getattr(self.base, "config", None)
        return config if isinstance(config, PolicyConfig) else None

    def history_length(self) -> int:
        """Reads the engine should keep for this policy: one per column chunk (and the base policy's), so
        no chunk read is forgotten and predicted again while the file is read (at most
        :data:`MAX_HISTORY`, which bounds the time a plan takes)."""
        return min(MAX_HISTORY, len(self.layout.starts) + HISTORY)

    def _scan(self, plan: Plan, access: Access, cache: Sequence[Cached], read: _Covered) -> Plan:
        """The read's own fetches and all the column data after it (within S x N), two GETs per read's
        worth; nothing dropped: pyarrow's I/O threads issue a scan's reads in any order, so bytes behind
        this read may be the next one's (the engine's S x N bound evicts what lies behind first).

        All of it, because a scan reads to the end: pyarrow's ``pre_buffer`` hands every coalesced range to
        its I/O threads at once, and its own ``S3FileSystem`` GETs them all in parallel while row group 0
        decodes; reading only the next range ahead left the third range's GETs waiting for the second read.
        Few GETs, because every GET costs a store like SeaweedFS a whole chunk read: with only the next
        range ahead, four GETs per range made a full read 0.91-0.96x pyarrow's own, one GET 1.01-1.03x;
        with all of them ahead, two GETs per range (16 MiB) beat one by 2-3 % and match 8 MiB ones (pyarrow
        ``read_table`` of a 113 MiB file, 50 interleaved rounds on SeaweedFS: 1.07-1.09x pyarrow's own, the
        next range alone 0.99-1.05x)."""
        config = self._config()
        piece, reach = access.length, access.length
        if config is not None:  # at least S a GET, and no more ahead than S x N holds
            piece = max(config.fragment_size, min(config.cache_bytes, access.length) // 2)
            reach = max(0, config.cache_bytes - access.length)
        ahead = Span(access.end, min(self.layout.data_end, access.end + reach))
        held = _Covered([
            *read.spans(), *((e.start, e.end) for e in cache),
            *((s.start, s.end) for s in plan.fetch),
        ])  # fmt: skip
        prefetch = pieces(held.gaps(ahead), piece) if ahead.length > 0 else ()
        return Plan(fetch=plan.fetch, prefetch=prefetch)

    def tail_length(self) -> int:
        return self.base.tail_length()

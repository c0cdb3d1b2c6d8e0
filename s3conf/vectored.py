"""Vectored-read planning: many small ranges become few GETs, and the answers go back exactly.

A caller that knows the ranges it will read (a Parquet reader after the footer, ``fsspec``'s
``cat_ranges``) should not pay one request per range: two ranges a few bytes apart are cheaper as one
GET that also carries the gap. Hadoop S3A's vectored read does the same with two knobs, and so does this
module (``s3.spi.read.vectored.min-seek`` and ``s3.spi.read.vectored.max-merged``):

* ranges whose gap is at most ``min_gap`` bytes are merged (overlapping ranges always are);
* a merged range never grows past ``max_merged`` bytes (``0`` disables merging; a single range larger
  than that is fetched as it is: splitting it is the engine's business, not the planner's).

The plan is pure and exact: :func:`split` cuts each merged buffer back into the requested ranges in
the caller's order, so results never depend on how ranges were grouped.

>>> plan = coalesce([(100, 200), (0, 50), (210, 300)], min_gap=16, max_merged=1 << 20)
>>> [(m.start, m.end) for m in plan]
[(0, 50), (100, 300)]
>>> split(plan, [bytes(range(50)), bytes(200)], 3)[1][:3]
b'\\x00\\x01\\x02'
>>> coalesce([(5, 3)], min_gap=0, max_merged=0)
Traceback (most recent call last):
...
ValueError: invalid range (5, 3): need 0 <= start <= end
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["MergedRange", "coalesce", "split"]


@dataclass(frozen=True)
class MergedRange:
    """One GET of a vectored read: ``[start, end)`` of the object, serving ``parts``.

    Attributes:
        start: first byte of the GET.
        end: one past its last byte.
        parts: ``(index, start, end)`` of each requested range it serves, ``index`` being the range's
            position in the caller's list.
    """

    start: int
    end: int
    parts: tuple[tuple[int, int, int], ...]

    @property
    def length(self) -> int:
        return self.end - self.start


def _checked(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int, int]]:
    checked = []
    for index, (start, end) in enumerate(ranges):
        if not (isinstance(start, int) and isinstance(end, int)) or start < 0 or end < start:
            raise ValueError(f"invalid range {(start, end)!r}: need 0 <= start <= end")
        checked.append((index, start, end))
    return checked


def coalesce(ranges: Iterable[tuple[int, int]], *, min_gap: int, max_merged: int) -> list[MergedRange]:
    """Group ``[start, end)`` ranges into GETs, sorted by offset; empty ranges need no GET.

    Args:
        ranges: half-open byte ranges, in any order, possibly overlapping or repeated.
        min_gap: merge two ranges when at most this many unread bytes separate them (>= 0).
        max_merged: never merge beyond this many bytes per GET (0: never merge distinct ranges).

    Raises:
        ValueError: a range with ``start < 0`` or ``end < start``, or a negative knob.
    """
    if min_gap < 0 or max_merged < 0:
        raise ValueError(f"min_gap and max_merged must be >= 0, got {min_gap} and {max_merged}")
    parts = sorted((p for p in _checked(ranges) if p[2] > p[1]), key=lambda p: (p[1], p[2]))
    merged: list[MergedRange] = []
    group: list[tuple[int, int, int]] = []
    start = end = 0
    for part in parts:
        _, first, last = part
        if group:
            overlapping = first < end
            fits = max(end, last) - start <= max_merged and first - end <= min_gap
            if overlapping or fits:
                group.append(part)
                end = max(end, last)
                continue
            merged.append(MergedRange(start, end, tuple(group)))
        group, start, end = [part], first, last
    if group:
        merged.append(MergedRange(start, end, tuple(group)))
    return merged


def split(
    plan: Sequence[MergedRange], buffers: Sequence[bytes | bytearray | memoryview], count: int
) -> list[bytes]:
    """The requested ranges, in the caller's order, cut from the merged GETs' bodies.

    Args:
        plan: what :func:`coalesce` returned.
        buffers: each merged range's bytes, in plan order (exactly ``length`` bytes each).
        count: how many ranges the caller asked for (empty ranges come back as ``b""``).

    Raises:
        ValueError: a buffer whose length is not its merged range's.
    """
    results = [b""] * count
    for merged, buffer in zip(plan, buffers, strict=True):
        if len(buffer) != merged.length:
            raise ValueError(
                f"GET of [{merged.start}, {merged.end}) returned {len(buffer)} bytes, not {merged.length}"
            )
        view = memoryview(buffer)
        for index, start, end in merged.parts:
            results[index] = bytes(view[start - merged.start : end - merged.start])
    return results

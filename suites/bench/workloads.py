"""Benchmark workloads as data: each is a list of ``(offset, length)`` reads over one object.

A workload is pure: the same name, object size and seed always give the same read plan, so every
contender (our reader at each fragment size x number, the limit, the peers) replays exactly the same
reads and results from different runs can be compared. The four shapes are the access patterns
file-access code actually produces:

- ``sequential``: a full read front to back in ``read_size`` pieces (a copy, a CSV scan);
- ``random``: small records at random offsets (an index lookup, a key-value file);
- ``parquet``: the footer (last 8 bytes, then the metadata block), then a projection of column
  chunks row group by row group, as a Parquet/ORC reader does;
- ``backwards``: the object read from the end to the start (a log tail reader, reverse scans),
  which defeats forward read-ahead.

>>> [r for r in sequential_plan(10, read_size=4)]
[Read(offset=0, length=4), Read(offset=4, length=4), Read(offset=8, length=2)]
>>> backwards_plan(10, read_size=4)
(Read(offset=6, length=4), Read(offset=2, length=4), Read(offset=0, length=2))
>>> plan = parquet_plan(1000, row_groups=2, columns=4, projection=(0, 2), footer_size=100)
>>> plan[:2]
(Read(offset=992, length=8), Read(offset=892, length=100))
>>> [r.offset for r in plan[2:]], {r.length for r in plan[2:]}
([0, 222, 446, 668], {111})
>>> random_plan(1 << 20, records=3, seed=7) == random_plan(1 << 20, records=3, seed=7)
True
>>> WORKLOADS["random"].plan(1 << 20, seed=1)[0].length
16384
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from s3conf.errors import ConfigError

KiB = 1024
MiB = 1024 * KiB


class Read(NamedTuple):
    """One ``seek(offset); read(length)`` issued by a workload."""

    offset: int
    length: int


def sequential_plan(object_size: int, *, read_size: int = 1 * MiB) -> tuple[Read, ...]:
    """Front-to-back reads of ``read_size`` (the last one short), covering the whole object."""
    return tuple(Read(o, min(read_size, object_size - o)) for o in range(0, object_size, read_size))


def backwards_plan(object_size: int, *, read_size: int = 1 * MiB) -> tuple[Read, ...]:
    """The sequential pieces aligned to the end, in reverse order (the first read is the last piece)."""
    reads = []
    end = object_size
    while end > 0:
        start = max(0, end - read_size)
        reads.append(Read(start, end - start))
        end = start
    return tuple(reads)


def random_plan(
    object_size: int, *, records: int = 64, record_size: int = 16 * KiB, seed: int = 0
) -> tuple[Read, ...]:
    """``records`` reads of ``record_size`` at uniformly random offsets (seeded, so replayable)."""
    rng = random.Random(seed)
    span = max(1, object_size - record_size)
    return tuple(Read(rng.randrange(span), min(record_size, object_size)) for _ in range(records))


def parquet_plan(
    object_size: int,
    *,
    row_groups: int = 4,
    columns: int = 8,
    projection: tuple[int, ...] = (0, 3, 5),
    footer_size: int = 64 * KiB,
) -> tuple[Read, ...]:
    """Footer first (the 8-byte tail, then the metadata block), then projected column chunks.

    The body before the footer is cut into ``row_groups`` equal groups, each into ``columns`` equal
    chunks; the reader visits the projected chunks of each row group in file order, skipping the
    other columns, which is what makes read-ahead waste bytes on this shape.
    """
    footer_size = min(footer_size, object_size // 2)
    reads = [Read(object_size - 8, 8), Read(object_size - 8 - footer_size, footer_size)]
    body = object_size - 8 - footer_size
    group_size = body // row_groups
    chunk_size = group_size // columns
    for group in range(row_groups):
        for column in projection:
            reads.append(Read(group * group_size + column * chunk_size, chunk_size))
    return tuple(reads)


@dataclass(frozen=True)
class Workload:
    """A named access pattern; ``plan(object_size, seed)`` gives its reads."""

    name: str
    description: str
    build: Callable[[int, int], tuple[Read, ...]]

    def plan(self, object_size: int, seed: int = 0) -> tuple[Read, ...]:
        """The reads for one object of ``object_size`` bytes (``seed`` matters for ``random`` only)."""
        return self.build(object_size, seed)


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload("sequential", "full read, 1 MiB reads front to back", lambda n, s: sequential_plan(n)),
        Workload("random", "64 records of 16 KiB at random offsets", lambda n, s: random_plan(n, seed=s)),
        Workload(
            "parquet",
            "footer, then columns 0,3,5 of 8 in each of 4 row groups",
            lambda n, s: parquet_plan(n),
        ),
        Workload("backwards", "1 MiB reads from the end to the start", lambda n, s: backwards_plan(n)),
    )
}


def select_workloads(names: list[str] | None) -> list[Workload]:
    """The workloads named (all when ``names`` is empty or ``None``), in the order given.

    >>> [w.name for w in select_workloads(["backwards", "sequential"])]
    ['backwards', 'sequential']
    >>> select_workloads(["zigzag"])
    Traceback (most recent call last):
    ...
    s3conf.errors.ConfigError: unknown workload 'zigzag'; known: sequential, random, parquet, backwards
    """
    if not names:
        return list(WORKLOADS.values())
    for name in names:
        if name not in WORKLOADS:
            raise ConfigError(f"unknown workload {name!r}; known: {', '.join(WORKLOADS)}")
    return [WORKLOADS[name] for name in names]


def requested_bytes(plan: tuple[Read, ...]) -> int:
    """Bytes the workload asks for (the numerator of every throughput figure).

    >>> requested_bytes((Read(0, 5), Read(10, 3)))
    8
    """
    return sum(r.length for r in plan)


def coalesce(plan: tuple[Read, ...], max_part: int) -> list[Read]:
    """Merge reads that touch into parts of at most ``max_part`` bytes, in offset order.

    This is what an oracle that knows the whole plan ahead would fetch: the limit's ranged GETs use
    it, so the limit never fetches a byte the workload does not need.

    >>> coalesce((Read(4, 4), Read(0, 4), Read(20, 2)), max_part=6)
    [Read(offset=0, length=6), Read(offset=6, length=2), Read(offset=20, length=2)]
    """
    spans: list[list[int]] = []
    for read in sorted(plan):
        end = read.offset + read.length
        if spans and read.offset <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([read.offset, end])
    parts = []
    for start, end in spans:
        for offset in range(start, end, max_part):
            parts.append(Read(offset, min(max_part, end - offset)))
    return parts

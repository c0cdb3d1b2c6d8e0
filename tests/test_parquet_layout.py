"""Parquet footer recognition: the layout read from a cached tail, and the chunks a projection predicts."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3conf.parquet import MAX_HISTORY, ParquetLayout, ParquetPolicy, footer_layout
from s3conf.readpolicy import HISTORY, Access, Cached, PolicyConfig, Span, make_policy, missing, pieces

KiB = 1024

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

LAYOUT = ParquetLayout.of([
    [Span(4, 100), Span(100, 300), Span(300, 350)],
    [Span(350, 450), Span(450, 650), Span(650, 700)],
    [Span(700, 800), Span(800, 1000), Span(1000, 1050)],
])  # fmt: skip


def _policy(
    fragment_number: int = 8, fragment_size: int = 1 << 20, layout: ParquetLayout = LAYOUT
) -> ParquetPolicy:
    """A Parquet policy over ``adaptive`` with a tiny minimum fetch and no whole-object shortcut."""
    config = PolicyConfig(
        fragment_size=fragment_size, fragment_number=fragment_number, min_fetch=16, small_object=0
    )
    return ParquetPolicy(make_policy("adaptive", config), layout)


@pytest.fixture(scope="module")
def parquet_file() -> bytes:
    table = pa.table({f"c{i}": list(range(i, i + 3000)) for i in range(6)})
    sink = io.BytesIO()
    pq.write_table(table, sink, row_group_size=1000, compression="none")
    return sink.getvalue()


def test_footer_layout_matches_pyarrows_metadata(parquet_file: bytes) -> None:
    layout = footer_layout(parquet_file[-4096:], len(parquet_file))
    assert layout is not None
    meta = pq.ParquetFile(io.BytesIO(parquet_file)).metadata
    assert len(layout.row_groups) == meta.num_row_groups == 3
    for g, group in enumerate(layout.row_groups):
        assert [s.length for s in group] == [
            meta.row_group(g).column(c).total_compressed_size for c in range(6)
        ]
        assert all(parquet_file[s.start : s.end] for s in group)


@pytest.mark.parametrize(
    ("tail", "size"),
    [(b"PAR1" + b"\x00" * 20, 24), (b"x" * 100 + (5000).to_bytes(4, "little") + b"PAR1", 108), (b"PAR1", 4)],
    ids=["not-a-footer", "metadata-before-the-tail", "too-short"],
)
def test_footer_layout_is_none_when_unsure(tail: bytes, size: int) -> None:
    assert footer_layout(tail, size) is None


@pytest.mark.parametrize(
    ("access", "predicted"),
    [(Access(100, 200), [Span(450, 650), Span(800, 1000)]),
     (Access(4, 296), [Span(350, 450), Span(450, 650), Span(700, 800), Span(800, 1000)]),
     (Access(450, 200), [Span(800, 1000), Span(100, 300)]), (Access(4, 346), []), (Access(101, 10), []),
     (Access(800, 200), [Span(100, 300), Span(450, 650)])],
    ids=["one-column", "two-columns", "second-row-group", "whole-row-group", "not-a-chunk-start",
         "last-row-group"],
)  # fmt: skip
def test_a_projection_predicts_its_columns_in_the_other_row_groups_following_ones_first(
    access: Access, predicted: list[Span]
) -> None:
    assert LAYOUT.predict(access) == predicted


def test_parquet_policy_prefetches_predicted_chunks_it_does_not_hold() -> None:
    policy = _policy()
    base = policy.base
    plan = policy.plan((Access(100, 200),), (Cached(450, 650),), 1100)
    assert plan.fetch == base.plan((Access(100, 200),), (Cached(450, 650),), 1100).fetch
    assert plan.prefetch == (Span(800, 1000),)
    assert policy.name == "adaptive"


@pytest.mark.parametrize(
    ("access", "scan"),
    [(Access(4, 346), False), (Access(4, 400), True), (Access(300, 500), True), (Access(100, 200), False),
     (Access(450, 600), True), (Access(1000, 50), False)],
    ids=["one-row-group", "into-the-next", "cut-mid-row-group", "projection", "from-a-middle-column",
         "last-chunk"],
)  # fmt: skip
def test_a_read_across_row_groups_is_a_scan(access: Access, scan: bool) -> None:
    assert LAYOUT.is_scan(access) is scan
    if scan:
        assert LAYOUT.predict(access) == []


@pytest.mark.parametrize(
    ("fragment_size", "fragment_number", "prefetch"),
    [(200, 8, (Span(700, 900), Span(900, 1050))), (100, 6, (Span(700, 900),)), (100, 4, ())],
    ids=["to-the-footer", "as-far-as-s-x-n-holds", "the-read-fills-s-x-n"],
)
def test_a_scan_reads_the_column_data_ahead_in_halves_of_a_read_and_keeps_what_lies_behind(
    fragment_size: int, fragment_number: int, prefetch: tuple[Span, ...]
) -> None:
    policy = _policy(fragment_number, fragment_size)
    behind = Cached(4, 300)
    plan = policy.plan((Access(0, 4), Access(300, 400)), (behind, Cached(500, 700)), 1100)
    assert plan.fetch == pieces([Span(300, 500)], fragment_size)  # what the read needs and the cache lacks
    assert plan.prefetch == prefetch  # up to the footer, within S x N, GETs of half a read (at least S)
    assert plan.drop == ()  # a scan's reads may come out of order: the engine's bound evicts


@pytest.mark.parametrize(
    ("history", "cache", "kept", "dropped"),
    [
        # a random read over N = 1 span: the farthest spans go, one of them a predicted chunk not read yet
        ((Access(100, 200), Access(450, 200)), (Cached(100, 300), Cached(450, 650), Cached(800, 1000)),
         Span(800, 1000), Span(100, 300)),
        # sequential reads drop what lies behind, one of them a predicted chunk not read yet
        ((Access(100, 200), Access(700, 100), Access(800, 200)),
         (Cached(100, 300), Cached(450, 650), Cached(700, 800), Cached(800, 1000)),
         Span(450, 650), Span(100, 300)),
    ],
    ids=["random-over-n-spans", "sequential-behind"],
)  # fmt: skip
def test_a_predicted_chunk_is_not_dropped_before_its_read(
    history: tuple[Access, ...], cache: tuple[Cached, ...], kept: Span, dropped: Span
) -> None:
    """pyarrow's I/O threads read a projection's chunks in any order: the base policy's drops by position
    would evict chunks predicted for reads still to come (and the prediction fetch them again)."""
    policy = _policy(fragment_number=1)
    assert {kept, dropped} <= set(policy.base.plan(history, cache, 1100).drop)
    plan = policy.plan(history, cache, 1100)
    assert kept not in plan.drop
    assert dropped in plan.drop


def test_a_chunk_read_before_is_neither_predicted_nor_read_ahead_again() -> None:
    history = (Access(800, 200), Access(100, 200), Access(300, 50), Access(450, 200))
    plan = _policy().plan(history, (), 1100)  # column 1 of row groups 2 and 0 read, then of group 1
    fetched = [*plan.fetch, *plan.prefetch]
    for read in history[:-1]:
        assert not any(s.start < read.end and read.offset < s.end for s in fetched), (read, fetched)


def test_a_parquet_policy_asks_for_a_history_of_one_read_per_chunk_within_a_bound() -> None:
    assert _policy().history_length() == HISTORY + 9
    wide = ParquetLayout.of([[Span(i * 10 + 4, i * 10 + 14)] for i in range(MAX_HISTORY)])
    assert ParquetPolicy(_policy().base, wide).history_length() == MAX_HISTORY


@pytest.mark.parametrize(
    ("fragment_size", "prefetch"),
    [(1 << 20, (Span(350, 650), Span(700, 1000))),
     (150, (Span(350, 450), Span(450, 650), Span(700, 800), Span(800, 1000)))],
    ids=["one-get-per-row-group", "no-get-longer-than-the-read-or-s"],
)  # fmt: skip
def test_adjacent_columns_predicted_in_a_row_group_are_one_get(
    fragment_size: int, prefetch: tuple[Span, ...]
) -> None:
    """pyarrow reads adjacent columns' chunks as one coalesced read: the same columns in the other row
    groups are one GET each (8 adjacent columns of 32 through pandas: 57 GETs before, 8 now)."""
    plan = _policy(fragment_size=fragment_size).plan((Access(4, 296),), (), 1100)
    assert plan.prefetch == prefetch


@st.composite
def _projections(draw: st.DrawFn) -> tuple[ParquetLayout, list[Access]]:
    """A layout of 2-6 row groups of 3-9 columns (1-64 KiB chunks), and the chunk reads of a projection of
    odd, inner columns (no two projected chunks adjacent, so no read continues another) in any order."""
    groups, columns = draw(st.integers(2, 6)), draw(st.integers(3, 9))
    lengths = draw(st.lists(st.integers(KiB, 64 * KiB), min_size=groups * columns, max_size=groups * columns))
    starts = [4 + sum(lengths[:i]) for i in range(len(lengths))]
    spans = [Span(start, start + length) for start, length in zip(starts, lengths, strict=True)]
    layout = ParquetLayout.of([spans[g * columns : (g + 1) * columns] for g in range(groups)])
    projected = draw(st.sets(st.sampled_from(range(1, columns - 1, 2)), min_size=1))
    chunks = [layout.row_groups[g][c] for g in range(groups) for c in sorted(projected)]
    order = draw(st.permutations(chunks))
    return layout, [Access(span.start, span.length) for span in order]


@given(projection=_projections(), number=st.integers(1, 8))
def test_a_projection_read_in_any_order_fetches_each_chunk_once_and_serves_every_read(
    projection: tuple[ParquetLayout, list[Access]], number: int
) -> None:
    """Whatever order pyarrow's I/O threads read a projection's chunks in, and however few spans the base
    policy would keep (N), no chunk is fetched twice: none is dropped before its read, none read is
    predicted again (the engine's own S x N bound is not modelled here)."""
    layout, reads = projection
    policy = _policy(number, 64 * KiB, layout)
    size = layout.data_end + 100
    cache: list[Cached] = []
    history: list[Access] = []
    fetched = 0
    for read in reads:
        history.append(read)
        plan = policy.plan(tuple(history[-policy.history_length() :]), tuple(cache), size)
        for span in plan.drop:
            cache.remove(Cached(span.start, span.end))
        for span in (*plan.fetch, *plan.prefetch):
            fetched += span.length
            cache.append(Cached(span.start, span.end))
        assert not missing(Span(read.offset, read.end), cache)
    assert fetched <= sum(read.length for read in reads)

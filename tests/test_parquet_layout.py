"""Parquet footer recognition: the layout read from a cached tail, and the chunks a projection predicts."""

from __future__ import annotations

import io

import pytest

from s3conf.parquet import ParquetLayout, ParquetPolicy, footer_layout
from s3conf.readpolicy import Access, Cached, PolicyConfig, Span, make_policy

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

LAYOUT = ParquetLayout.of([
    [Span(4, 100), Span(100, 300), Span(300, 350)],
    [Span(350, 450), Span(450, 650), Span(650, 700)],
    [Span(700, 800), Span(800, 1000), Span(1000, 1050)],
])  # fmt: skip


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
    base = make_policy(
        "adaptive", PolicyConfig(fragment_size=1 << 20, fragment_number=8, min_fetch=16, small_object=0)
    )
    policy = ParquetPolicy(base, LAYOUT)
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


def test_a_scan_reads_the_next_reads_worth_ahead_and_keeps_what_lies_behind() -> None:
    base = make_policy(
        "adaptive", PolicyConfig(fragment_size=200, fragment_number=8, min_fetch=16, small_object=0)
    )
    policy = ParquetPolicy(base, LAYOUT)
    behind = Cached(4, 300)
    plan = policy.plan((Access(0, 4), Access(300, 400)), (behind, Cached(500, 700)), 1100)
    assert plan.fetch == (Span(300, 500),)  # what the read needs and the cache lacks, in pieces of S
    assert plan.prefetch == (Span(700, 1050),)  # the next 400 bytes, up to the footer, in one GET
    assert plan.drop == ()  # a scan's reads may come out of order: the engine's bound evicts

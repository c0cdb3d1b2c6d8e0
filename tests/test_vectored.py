"""Vectored-read planning: merging rules (S3A's min seek / max merged size) and exact splitting."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3conf.vectored import coalesce, split

KiB = 1024


@pytest.mark.parametrize(
    ("ranges", "min_gap", "max_merged", "expected"),
    [
        ([(0, 10), (14, 20)], 4, 100, [(0, 20)]),
        ([(0, 10), (15, 20)], 4, 100, [(0, 10), (15, 20)]),
        ([(0, 10), (5, 20)], 0, 0, [(0, 20)]),
        ([(0, 10), (10, 20)], 0, 0, [(0, 10), (10, 20)]),
        ([(0, 60), (60, 120)], 8, 100, [(0, 60), (60, 120)]),
        ([(30, 40), (0, 10), (10, 20)], 0, 100, [(0, 20), (30, 40)]),
        ([(0, 0), (5, 5)], 100, 100, []),
        ([(0, 500)], 0, 10, [(0, 500)]),
    ],
    ids=["gap-within", "gap-too-wide", "overlap-always", "zero-disables", "max-merged", "unsorted",
         "empty-ranges", "one-large-range"],
)  # fmt: skip
def test_merging_rules(
    ranges: list[tuple[int, int]], min_gap: int, max_merged: int, expected: list[tuple[int, int]]
) -> None:
    assert [(m.start, m.end) for m in coalesce(ranges, min_gap=min_gap, max_merged=max_merged)] == expected


@pytest.mark.parametrize("bad", [(-1, 5), (5, 4)], ids=["negative", "reversed"])
def test_invalid_ranges_name_the_range(bad: tuple[int, int]) -> None:
    with pytest.raises(ValueError, match=str(bad[0])):
        coalesce([(0, 1), bad], min_gap=0, max_merged=10)


def test_a_buffer_of_the_wrong_length_is_refused() -> None:
    plan = coalesce([(0, 10)], min_gap=0, max_merged=10)
    with pytest.raises(ValueError, match="returned 9 bytes"):
        split(plan, [bytes(9)], 1)


ranges = st.lists(
    st.tuples(st.integers(0, 4000), st.integers(0, 600)).map(lambda t: (t[0], t[0] + t[1])), max_size=25
)


@given(ranges=ranges, min_gap=st.integers(0, 300), max_merged=st.integers(0, 3000))
def test_split_returns_exactly_the_requested_bytes(
    ranges: list[tuple[int, int]], min_gap: int, max_merged: int
) -> None:
    data = bytes(i % 251 for i in range(5000))
    plan = coalesce(ranges, min_gap=min_gap, max_merged=max_merged)
    assert len(plan) <= len([r for r in ranges if r[1] > r[0]])
    for first, second in itertools.pairwise(plan):
        assert second.start >= first.end  # sorted, never overlapping
        # maximal: the rules forbade merging each neighbour pair
        assert second.start - first.end > min_gap or second.end - first.start > max_merged
    got = split(plan, [data[m.start : m.end] for m in plan], len(ranges))
    assert got == [data[s:e] for s, e in ranges]

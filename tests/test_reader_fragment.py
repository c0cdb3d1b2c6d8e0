"""The reader's cache slot: what it records of the bytes that reached the caller."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from s3conf.reader import _Fragment


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 12)), max_size=12))
def test_a_fragment_counts_each_byte_the_caller_used_once(reads: list[tuple[int, int]]) -> None:
    """``mark_used`` (with its fast path for a read continuing the last one) against a set of offsets."""
    fragment = _Fragment(0, 64, prefetch=False)
    seen: set[int] = set()
    for start, length in reads:
        new = set(range(start, start + length)) - seen
        assert fragment.mark_used(start, start + length) == len(new)
        seen |= new
        assert fragment.used_bytes() == len(seen)
        assert fragment.used == sorted(fragment.used)

"""Spare fragment buffers live inside the fetch pool's budget: reserved plus spare bytes never exceed it."""

from __future__ import annotations

import pytest

from s3conf.fetchpool import FetchPool


@pytest.fixture
def pool() -> FetchPool:
    return FetchPool(max_workers=1, max_inflight_bytes=100)


def test_a_spare_is_kept_only_in_the_room_the_reservations_leave(pool: FetchPool) -> None:
    assert pool.try_reserve_prefetch(70)
    assert not pool.keep_spare(bytearray(40))  # 70 reserved + 40 > 100
    assert pool.keep_spare(bytearray(30))
    assert (pool.stats.spare_bytes, pool.spare_lengths) == (30, {30: 1})


def test_a_reservation_makes_the_pool_forget_spares_smallest_first(pool: FetchPool) -> None:
    for length in (10, 20, 40):
        assert pool.keep_spare(bytearray(length))
    assert pool.try_reserve_prefetch(45)  # 70 held + 45 > 100: the 10 and the 20 go
    assert pool.spare_lengths == {40: 1}
    pool.reserve_demand(50)  # always granted; no room is left for any spare
    stats = pool.stats
    assert (stats.spare_bytes, stats.reserved_bytes) == (0, 95)


def test_take_gives_a_kept_buffer_of_exactly_that_length_once(pool: FetchPool) -> None:
    kept = bytearray(b"x" * 25)
    assert pool.keep_spare(kept)
    assert pool.take_spare(24) is None
    assert pool.take_spare(25) is kept
    assert pool.take_spare(25) is None
    assert pool.stats.spare_bytes == 0

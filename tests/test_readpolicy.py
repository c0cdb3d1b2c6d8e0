"""The read policies as pure functions, replayed on tables of access traces (no server).

``simulate`` plays the engine's part: it applies each plan to a cache where every fetch completes at
once, so a trace gives the GETs and bytes each policy would cost, and the invariants every policy owes
the engine (a read is always covered after its fetches, the cache stays bounded) are checked on
hypothesis-generated traces too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from s3conf.config import S3Config
from s3conf.reader import policy_config
from s3conf.readpolicy import (
    Access,
    AdaptivePolicy,
    Cached,
    Plan,
    PolicyConfig,
    ReadPolicy,
    Span,
    make_policy,
    missing,
    parse_policy,
)

KiB = 1024
MiB = 1024 * KiB
CONFIG = PolicyConfig(fragment_size=1 * MiB, fragment_number=4, min_fetch=16 * KiB, initial_window=256 * KiB)
HISTORY = 32
DEFAULTS = policy_config(S3Config())  # S = 5 MiB, N = 50, initial window 256 KiB


@dataclass
class Replay:
    """What a trace cost under one policy."""

    plans: list[Plan] = field(default_factory=list)
    gets: int = 0
    bytes_fetched: int = 0
    peak_cached: int = 0
    peak_spans: int = 0
    quiet_reads: int = 0


def simulate(
    policy: ReadPolicy, trace: Sequence[tuple[int, int]], size: int, *, skip_quiet: bool = False
) -> Replay:
    """Serve ``trace`` with ``policy`` on a ``size``-byte object whose size the first GET learns.

    With ``skip_quiet``, as the engine: a read continuing the last one within the last applied plan's
    ``quiet_until`` is served without applying a plan, after checking that its plan is indeed empty (the
    engine plans no read at or past the end of the object: such a read is planned here as before).
    """
    cache: list[Cached] = []
    history: list[Access] = []
    known: int | None = None
    replay = Replay()
    quiet = 0

    def apply(plan: Plan) -> None:
        for span in plan.drop:
            assert Cached(span.start, span.end) in cache, f"{policy.name} dropped {span}, which is not cached"
            cache.remove(Cached(span.start, span.end))
        for span in (*plan.fetch, *plan.prefetch):
            got = Span(min(span.start, size), min(span.end, size))
            assert got.length > 0 or span.start >= size, f"{policy.name} planned an empty GET {span}"
            if got.length > 0:
                replay.gets += 1
                replay.bytes_fetched += got.length
                cache.append(Cached(got.start, got.end))

    for offset, length in trace:
        continues = bool(history) and history[-1].end == offset
        history.append(Access(offset, length))
        want = Span(min(offset, size), min(offset + length, size))
        plan = policy.plan(tuple(history[-HISTORY:]), tuple(cache), known)
        replay.plans.append(plan)
        if skip_quiet and continues and known is not None and want.length and want.end <= quiet:
            assert (plan.fetch, plan.prefetch, plan.drop) == ((), (), ()), (
                f"{policy.name}: read {offset}+{length} within quiet_until {quiet} planned {plan}"
            )
            replay.quiet_reads += 1
        else:
            apply(plan)
            quiet = plan.quiet_until if known is not None else 0
        if known is None and (plan.fetch or plan.prefetch):
            known = size  # the first GET's Content-Range
            if missing(want, cache):  # as the engine: plan the read again now that the size is known
                again = policy.plan(tuple(history[-HISTORY:]), tuple(cache), known)
                apply(again)
                quiet = again.quiet_until
        if want.length:
            assert not missing(want, cache), (
                f"{policy.name}: read {offset}+{length} not covered after its fetch"
            )
        replay.peak_cached = max(replay.peak_cached, sum(e.end - e.start for e in cache))
        replay.peak_spans = max(replay.peak_spans, len(cache))
    return replay


def sequential_trace(size: int, read: int) -> list[tuple[int, int]]:
    return [(offset, min(read, size - offset)) for offset in range(0, size, read)]


@pytest.mark.parametrize(
    ("text", "name"),
    [("adaptive", "adaptive"), ("normal", "adaptive"), ("RANDOM", "random"), ("sequential", "sequential"),
     ("whole-file", "whole"), (" whole ", "whole")],
    ids=["adaptive", "s3a-normal", "upper-case", "sequential", "s3a-whole-file", "spaces"],
)  # fmt: skip
def test_policy_names_and_s3a_spellings(text: str, name: str) -> None:
    assert parse_policy(text) == name
    assert make_policy(text, CONFIG).name == name


def test_unknown_policy_names_the_value() -> None:
    with pytest.raises(ValueError, match="'fastest'"):
        parse_policy("fastest")


# -- random ------------------------------------------------------------------------------------------

RANDOM_TRACE = [(5 * MiB, 4 * KiB), (1 * MiB, 64 * KiB), (9 * MiB, 20 * KiB), (5 * MiB, 4 * KiB)]


def test_random_fetches_each_read_rounded_up_and_never_reads_ahead() -> None:
    replay = simulate(make_policy("random", CONFIG), RANDOM_TRACE, 16 * MiB)
    assert [p.fetch for p in replay.plans] == [
        (Span(5 * MiB, 5 * MiB + 16 * KiB),),
        (Span(1 * MiB, 1 * MiB + 64 * KiB),),
        (Span(9 * MiB, 9 * MiB + 20 * KiB),),
        (),  # the first record again: served from the cache
    ]
    assert all(not p.prefetch for p in replay.plans)
    assert replay.gets == 3


@pytest.mark.parametrize("record", [16 * KiB, 20 * KiB, 64 * KiB], ids=["16KiB", "20KiB", "64KiB"])
def test_random_fetches_at_most_one_get_per_read_and_no_extra_bytes_at_or_above_the_minimum(
    record: int,
) -> None:
    trace = [((i * 7919 * KiB) % (60 * MiB), record) for i in range(50)]
    replay = simulate(make_policy("random", CONFIG), trace, 64 * MiB)
    assert replay.gets <= len(trace)
    assert replay.bytes_fetched <= sum(length for _, length in trace)


def test_random_cache_stays_within_s_times_n() -> None:
    trace = [(i * 2 * MiB, 512 * KiB) for i in range(30)]
    replay = simulate(make_policy("random", CONFIG), trace, 64 * MiB)
    assert replay.peak_cached <= CONFIG.cache_bytes + 512 * KiB


# -- sequential (the Java S x N design) -------------------------------------------------------------


def test_sequential_prefetches_the_next_n_minus_1_fragments_past_the_middle() -> None:
    policy = make_policy("sequential", CONFIG)
    replay = simulate(policy, [(0, 100 * KiB), (100 * KiB, 500 * KiB)], 16 * MiB)
    first, second = replay.plans
    assert first.fetch == (Span(0, 1 * MiB),)
    assert not first.prefetch
    assert not second.fetch
    assert second.prefetch == tuple(Span(i * MiB, (i + 1) * MiB) for i in (1, 2, 3))


def test_sequential_miss_keeps_only_the_window_around_it() -> None:
    policy = make_policy("sequential", CONFIG)
    replay = simulate(policy, [(0, 600 * KiB), (10 * MiB, 1)], 16 * MiB)
    assert set(replay.plans[1].drop) == {Span(i * MiB, (i + 1) * MiB) for i in range(4)}
    assert replay.plans[1].fetch == (Span(10 * MiB, 11 * MiB),)


def test_sequential_full_read_costs_one_get_per_fragment() -> None:
    replay = simulate(make_policy("sequential", CONFIG), sequential_trace(10 * MiB, 256 * KiB), 10 * MiB)
    assert replay.gets == 10
    assert replay.bytes_fetched == 10 * MiB


# -- adaptive ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trace", "run"),
    [([(0, 10)], 0), ([(0, 10), (10, 10)], 1), ([(0, 10), (10, 10), (20, 10)], 2),
     ([(0, 10), (10, 10), (5 * MiB, 10)], 0), ([(0, 10), (10, 10), (5, 10)], 0),
     ([(0, 10), (10 + 16 * KiB, 10)], 1), ([(0, 10), (11 + 16 * KiB, 10)], 0),
     ([(0, 10), (0, 10)], 1)],
    ids=["first", "one-follow", "two-follows", "far-seek", "backward", "small-skip", "skip-too-far",
         "re-read"],
)  # fmt: skip
def test_adaptive_detects_sequential_runs(trace: list[tuple[int, int]], run: int) -> None:
    policy = AdaptivePolicy(CONFIG)
    assert policy.run_length([Access(*a) for a in trace]) == run


@pytest.mark.parametrize(
    ("start", "windows"),
    [(5 * KiB, [0, 256 * KiB, 1 * MiB, 4 * MiB, 4 * MiB]),
     (0, [256 * KiB, 1 * MiB, 4 * MiB, 4 * MiB, 4 * MiB])],
    ids=["after-a-seek-from-no-window", "from-the-start-of-the-object-at-once"],
)  # fmt: skip
def test_adaptive_window_quadruples_per_sequential_read_up_to_s_times_n(
    start: int, windows: list[int]
) -> None:
    """A first read at offset 0 counts as sequential (as Linux readahead takes a read at the start of a
    file): each step of the ramp costs a GET's round trip, so the window also grows four-fold per read."""
    policy = AdaptivePolicy(CONFIG)
    history = [Access(start + i * KiB, KiB) for i in range(12)]
    assert [policy.window(history[: i + 1]) for i in range(5)] == windows
    assert policy.window(history) == CONFIG.cache_bytes


def test_adaptive_starts_small_then_reads_ahead_in_parallel_pieces() -> None:
    trace = [(offset + 7, length) for offset, length in sequential_trace(32 * MiB, 1 * MiB)]
    replay = simulate(make_policy("adaptive", CONFIG), trace, 33 * MiB)
    first = replay.plans[0]
    assert first.fetch == (Span(7, 7 + 1 * MiB),)
    assert not first.prefetch  # a read that is not at the start of the object may be a random one
    assert replay.plans[1].prefetch  # the second read continues the first: read-ahead starts
    later = [p for p in replay.plans[8:] if p.prefetch]
    assert later
    assert all(s.length == CONFIG.fragment_size for p in later for s in p.prefetch[:-1])
    assert all(not p.fetch for p in replay.plans[12:]), (
        "a long sequential read should be served by read-ahead"
    )
    assert replay.bytes_fetched == 33 * MiB - 7  # never twice; the read-ahead goes to the object's end


def test_adaptive_falls_back_on_far_seek() -> None:
    trace = [*sequential_trace(8 * MiB, 512 * KiB), (40 * MiB, 8 * KiB)]
    replay = simulate(make_policy("adaptive", CONFIG), trace, 64 * MiB)
    last = replay.plans[-1]
    assert last.fetch == (Span(40 * MiB, 40 * MiB + 16 * KiB),)
    assert not last.prefetch


def test_adaptive_reads_small_objects_whole_once_the_size_is_known() -> None:
    size = 600 * KiB
    replay = simulate(make_policy("adaptive", CONFIG), [(590 * KiB, 10 * KiB), (0, 4), (300 * KiB, 10)], size)
    assert replay.plans[0].fetch == (Span(590 * KiB, 606 * KiB),)  # size unknown: a small read first
    assert replay.plans[1].fetch == (Span(0, 590 * KiB),)  # then the rest of the object in one GET
    assert replay.gets == 2


def test_adaptive_parquet_footer_then_projection_fetches_little_more_than_it_reads() -> None:
    size = 160 * MiB
    chunks = [(rg * 20 * MiB + col * 625 * KiB, 600 * KiB) for rg in range(8) for col in (0, 9, 17)]
    trace = [(size - 64 * KiB, 64 * KiB), *chunks]
    replay = simulate(make_policy("adaptive", CONFIG), trace, size)
    requested = sum(length for _, length in trace)
    assert replay.bytes_fetched <= 1.1 * requested
    assert replay.gets == len(trace)


# -- whole ------------------------------------------------------------------------------------------


def test_whole_fetches_everything_in_fragment_pieces_from_the_first_read() -> None:
    replay = simulate(make_policy("whole", CONFIG), [(0, 10), (3 * MiB, 10)], 3 * MiB + 5)
    assert replay.plans[0].fetch == (Span(0, 1 * MiB),)
    assert replay.plans[1].fetch == (Span(3 * MiB, 3 * MiB + 5),)
    assert replay.plans[1].prefetch == (Span(1 * MiB, 2 * MiB), Span(2 * MiB, 3 * MiB))
    assert replay.bytes_fetched == 3 * MiB + 5


# -- every policy -----------------------------------------------------------------------------------

NAMES = ["sequential", "random", "adaptive", "whole"]
traces = st.lists(st.tuples(st.integers(0, 12 * MiB), st.integers(0, 3 * MiB)), min_size=1, max_size=30)


@pytest.mark.parametrize("name", NAMES)
@given(trace=traces, size=st.integers(1, 12 * MiB))
def test_every_read_is_covered_and_the_cache_stays_bounded(
    name: str, trace: list[tuple[int, int]], size: int
) -> None:
    replay = simulate(make_policy(name, CONFIG), trace, size)
    largest_read = max(length for _, length in trace) + 2 * CONFIG.fragment_size
    bound = size if name == "whole" else CONFIG.cache_bytes + largest_read
    assert replay.peak_cached <= bound


#: Reads that mostly continue each other (a seek now and then), on objects large enough for the window to
#: reach its cap.
streams = st.lists(
    st.tuples(st.booleans(), st.integers(0, 10 * MiB), st.integers(1, 768 * KiB)), min_size=1, max_size=120
)


def _stream(steps: list[tuple[bool, int, int]]) -> list[tuple[int, int]]:
    trace, position = [], 0
    for seek, target, length in steps:
        position = target if seek and target % 7 == 0 else position  # a seek before about one read in 14
        trace.append((position, length))
        position += length
    return trace


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "config",
    [
        CONFIG,
        PolicyConfig(fragment_size=1 * MiB, fragment_number=16, min_fetch=64 * KiB),
        PolicyConfig(fragment_size=1 * MiB, fragment_number=4, min_fetch=3 * MiB),  # a 3 MiB step
    ],
    ids=["cap4MiB", "cap16MiB", "min-fetch3MiB"],
)
@given(steps=streams, size=st.integers(1, 12 * MiB))
@example(steps=[(False, 0, 16 * KiB)] * 400, size=12 * MiB)  # a stream of small reads, always checked
@example(steps=[(False, 0, 200 * KiB)] * 60, size=12 * MiB - 5)  # reads on past the end, too
def test_reads_within_quiet_until_would_get_an_empty_plan(
    name: str, config: PolicyConfig, steps: list[tuple[bool, int, int]], size: int
) -> None:
    """The promise the engine acts on (Plan.quiet_until): every read it serves without a plan would have
    got an empty one, and every read is still covered."""
    simulate(make_policy(name, config), _stream(steps), size, skip_quiet=True)


@pytest.mark.parametrize("read", [16 * KiB, 64 * KiB, 1 * MiB])
def test_a_sequential_stream_is_mostly_served_without_plans(read: int) -> None:
    """Once the window is at its cap, only a read that moves its end past a step boundary, or reaches a
    span's end, is planned."""
    size = 12 * MiB
    replay = simulate(AdaptivePolicy(CONFIG), sequential_trace(size, read), size, skip_quiet=True)
    reads = len(sequential_trace(size, read))
    assert replay.quiet_reads >= reads * 0.7 - 16, f"{replay.quiet_reads} of {reads} reads unplanned"


@pytest.mark.parametrize("name", NAMES)
def test_policies_are_pure(name: str) -> None:
    policy = make_policy(name, CONFIG)
    history = (Access(0, 100), Access(100, 4 * MiB))
    cache = (Cached(0, 1 * MiB), Cached(1 * MiB, 2 * MiB, ready=False))
    assert policy.plan(history, cache, 20 * MiB) == policy.plan(history, cache, 20 * MiB)


@pytest.mark.parametrize("name", ["random", "adaptive"], ids=["random", "adaptive"])
def test_random_reads_keep_at_most_n_spans(name: str) -> None:
    """Thousands of cached records would make every read scan them all: N spans stay, plus the new one."""
    trace = [((i * 7919 * KiB) % (60 * MiB), 16 * KiB) for i in range(3 * CONFIG.fragment_number)]
    replay = simulate(make_policy(name, CONFIG), trace, 64 * MiB)
    assert replay.peak_spans <= CONFIG.fragment_number + 1


@pytest.mark.parametrize("name", ["random", "adaptive"], ids=["random", "adaptive"])
def test_a_record_straddling_cached_spans_costs_one_get(name: str) -> None:
    """Two cached records with a gap between them; a read across both and the gap is one GET, not two."""
    trace = [(1 * MiB, 16 * KiB), (1 * MiB + 40 * KiB, 16 * KiB), (1 * MiB + 8 * KiB, 56 * KiB)]
    replay = simulate(make_policy(name, CONFIG), trace, 64 * MiB)
    assert replay.gets <= len(trace)
    assert replay.plans[-1].fetch == (Span(1 * MiB + 8 * KiB, 1 * MiB + 64 * KiB),)


# -- exact plans at the edges (each kills mutants nox -s mutation found surviving) -------------------

TINY = PolicyConfig(fragment_size=1 * MiB, fragment_number=1, min_fetch=16 * KiB, initial_window=256 * KiB)


@pytest.mark.parametrize("name", ["random", "adaptive"])
@pytest.mark.parametrize(
    ("config", "cache", "read_at", "dropped"),
    [
        # 5 MiB cached, cap 4 MiB: the span farthest from the read goes (not the highest offset), and
        # dropping stops as soon as the cache is at the cap.
        (CONFIG, [(0, 1), (1, 2), (10, 11), (20, 21), (21, 22)], 20, [(0, 1)]),
        # cap 1 MiB: far spans go one by one; the span holding the read stays even over the cap.
        (TINY, [(0, 1), (20, 22)], 20, [(0, 1)]),
        (TINY, [(2, 2.5), (4, 4.5), (20, 21)], 20, [(2, 2.5), (4, 4.5)]),
        # under the cap: nothing goes, even spans behind the read.
        (CONFIG, [(0, 1)], 5, []),
    ],
    ids=["farthest-first", "never-the-read", "until-at-cap", "under-cap"],
)
def test_a_seeking_read_drops_the_farthest_spans_down_to_the_cap(
    name: str,
    config: PolicyConfig,
    cache: list[tuple[float, float]],
    read_at: int,
    dropped: list[tuple[float, float]],
) -> None:
    held = tuple(Cached(int(start * MiB), int(end * MiB)) for start, end in cache)
    plan = make_policy(name, config).plan((Access(read_at * MiB + 100, 10),), held, 64 * MiB)
    assert plan.drop == tuple(Span(int(start * MiB), int(end * MiB)) for start, end in dropped)


@pytest.mark.parametrize("name", ["random", "adaptive", "sequential"])
def test_a_read_near_the_end_fetches_nothing_past_it(name: str) -> None:
    size = 2 * MiB + 3
    plan = make_policy(name, CONFIG).plan((Access(size - 10, 10),), (), size)
    assert plan.fetch[-1].end == size


# Adaptive read-ahead: (history, cache, size, expected fetch, prefetch, drop); window 256 KiB after one
# sequential read (from B, as a read at offset 0 would already count as one), kept full in 128 KiB pieces
# (half the window) aligned to multiples of 128 KiB.
B = 1 * MiB
ADAPTIVE_PLANS = [
    (  # the fetch rounded up to min_fetch counts as served: read-ahead starts after it, in pieces aligned
        # to the step (128 KiB), up to the last multiple of it inside the window (B + 16 KiB + 10 + 256 KiB)
        [(B, 10), (B + 16 * KiB, 10)], [(B, B + 16 * KiB)], 64 * MiB,
        [(B + 16 * KiB, B + 32 * KiB)], [(B + 32 * KiB, B + 128 * KiB), (B + 128 * KiB, B + 256 * KiB)],
        [(B, B + 16 * KiB)],
    ),
    (  # read ahead up to the window's last step boundary, not past it
        [(B, 16 * KiB), (B + 16 * KiB, 16 * KiB)],
        [(B + 16 * KiB, B + 32 * KiB), (B + 32 * KiB, B + 160 * KiB)], 64 * MiB,
        [], [(B + 160 * KiB, B + 256 * KiB)], [],
    ),
    (  # a byte past the start of a piece: the rest of it
        [(B, 16 * KiB), (B + 16 * KiB, 16 * KiB)],
        [(B + 16 * KiB, B + 32 * KiB), (B + 32 * KiB, B + 160 * KiB + 1)], 64 * MiB,
        [], [(B + 160 * KiB + 1, B + 256 * KiB)], [],
    ),
    (  # read ahead to the last boundary inside the window: nothing until the next one enters it
        [(B, 16 * KiB), (B + 16 * KiB, 16 * KiB)],
        [(B + 16 * KiB, B + 32 * KiB), (B + 32 * KiB, B + 256 * KiB)], 64 * MiB,
        [], [], [],
    ),
    (  # read-ahead stops at the end of the object
        [(2 * MiB - 30 * KiB, 10 * KiB), (2 * MiB - 20 * KiB, 10 * KiB)], [], 2 * MiB,
        [(2 * MiB - 20 * KiB, 2 * MiB - 4 * KiB)], [(2 * MiB - 4 * KiB, 2 * MiB)], [],
    ),
    (  # less than a piece of room, but the object ends inside the window: read ahead to its end
        [(2 * MiB - 256 * KiB, 16 * KiB), (2 * MiB - 240 * KiB, 16 * KiB)],
        [(2 * MiB - 240 * KiB, 2 * MiB - 224 * KiB), (2 * MiB - 224 * KiB, 2 * MiB - 90 * KiB)], 2 * MiB,
        [], [(2 * MiB - 90 * KiB, 2 * MiB)], [],
    ),
    (  # one byte left: read ahead that byte
        [(2 * MiB - 40 * KiB, 10 * KiB), (2 * MiB - 30 * KiB, 10 * KiB)], [(2 * MiB - 40 * KiB, 2 * MiB - 1)],
        2 * MiB, [], [(2 * MiB - 1, 2 * MiB)], [],
    ),
    (  # a span ending exactly where the read starts is behind it: dropped
        [(0, 1 * MiB), (1 * MiB, 10)], [(0, 1 * MiB), (1 * MiB, 2 * MiB)], 64 * MiB,
        [], [], [(0, 1 * MiB)],
    ),
    (  # after a seek: no read-ahead, and nothing behind is dropped while under the cap
        [(5 * MiB, 10)], [(0, 1 * MiB)], 64 * MiB, [(5 * MiB, 5 * MiB + 16 * KiB)], [], [],
    ),
    (  # an object of exactly small_object bytes is read whole
        [(0, 10)], [], 1 * MiB, [(0, 1 * MiB)], [], [],
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("history", "cache", "size", "planned"),
    [(*case[:3], case[3:]) for case in ADAPTIVE_PLANS],
    ids=["fetch-counts-as-served", "to-the-last-boundary", "rest-of-a-piece", "nothing-until-a-boundary",
         "tail-shorter-than-a-piece", "end-of-object", "one-byte-left", "behind-is-dropped", "seek-keeps",
         "small-object-whole"],
)  # fmt: skip
def test_adaptive_plans(
    history: list[tuple[int, int]],
    cache: list[tuple[int, int]],
    size: int,
    planned: tuple[list[tuple[int, int]], ...],
) -> None:
    plan = AdaptivePolicy(CONFIG).plan(
        tuple(Access(*a) for a in history), tuple(Cached(*c) for c in cache), size
    )
    fetch, prefetch, drop = ([Span(*span) for span in spans] for spans in planned)
    assert (list(plan.fetch), list(plan.prefetch), list(plan.drop)) == (fetch, prefetch, drop)


@pytest.mark.parametrize(
    ("size", "number", "cap"),
    [(8 * MiB, 32, 64 * MiB), (128 * MiB, 4, 128 * MiB), (1 * MiB, 4, 4 * MiB)],
    ids=["64MiB-at-most", "one-fragment-if-larger", "s-times-n-if-smaller"],
)
def test_the_adaptive_window_grows_up_to_its_cap(size: int, number: int, cap: int) -> None:
    """At most 64 MiB (or S if larger), and never more than S x N; a long run stays at the cap."""
    policy = AdaptivePolicy(
        PolicyConfig(fragment_size=size, fragment_number=number, initial_window=256 * KiB)
    )
    history = [Access(1 + i, 1) for i in range(200)]
    windows = [policy.window(history[: run + 1]) for run in range(1, 12)]
    assert windows[:4] == [min(cap, w) for w in (256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB)]
    assert max(windows) == cap
    assert policy.window(history) == cap


@pytest.mark.parametrize(
    ("name", "tail", "length"),
    [("random", 1 * MiB, 64 * KiB), ("random", 4 * KiB, 4 * KiB), ("adaptive", 3 * MiB, 3 * MiB),
     ("whole", 2 * MiB, 2 * MiB), ("sequential", 4 * KiB, 1 * MiB)],
    ids=["random-capped", "random-small", "adaptive", "whole", "sequential-one-fragment"],
)  # fmt: skip
def test_tail_length(name: str, tail: int, length: int) -> None:
    config = PolicyConfig(fragment_size=1 * MiB, fragment_number=4, tail=tail)
    assert make_policy(name, config).tail_length() == length


def test_whole_fetches_only_the_pieces_the_read_touches() -> None:
    plan = make_policy("whole", CONFIG).plan((Access(0, 1 * MiB),), (), 3 * MiB + 5)
    assert plan.fetch == (Span(0, 1 * MiB),)
    assert plan.prefetch == (Span(1 * MiB, 2 * MiB), Span(2 * MiB, 3 * MiB), Span(3 * MiB, 3 * MiB + 5))


def test_a_window_cap_that_is_no_power_of_two_is_still_reached() -> None:
    """S x N = 5 bytes with a 1-byte initial window and 1-byte reads: the window starts at twice the
    read and grows 2, then 5 (8 capped, not stuck below the cap)."""
    policy = AdaptivePolicy(PolicyConfig(fragment_size=1, fragment_number=5, min_fetch=1, initial_window=1))
    history = [Access(1 + i, 1) for i in range(8)]
    assert [policy.window(history[: i + 1]) for i in range(1, 8)] == [2, 5, 5, 5, 5, 5, 5]


@pytest.mark.parametrize(
    ("read", "windows"),
    [(1 * KiB, [256 * KiB, 1 * MiB, 4 * MiB]), (1 * MiB, [2 * MiB, 8 * MiB, 32 * MiB]),
     (48 * MiB, [64 * MiB, 64 * MiB, 64 * MiB])],
    ids=["small-reads-start-at-the-initial-window", "large-reads-start-at-twice-the-read", "capped"],
)  # fmt: skip
def test_the_adaptive_window_starts_at_twice_the_read_when_larger(read: int, windows: list[int]) -> None:
    policy = AdaptivePolicy(DEFAULTS)
    history = [Access((i + 1) * read, read) for i in range(4)]
    assert [policy.window(history[: i + 1]) for i in range(1, 4)] == windows


def test_adaptive_pieces_grow_to_a_quarter_of_a_large_window() -> None:
    """The defaults (S = 5 MiB, window up to 64 MiB) read a long file ahead in 16 MiB GETs, four in flight:
    fewer GETs than S-sized pieces, each of which costs a store like SeaweedFS a whole chunk read."""
    replay = simulate(make_policy("adaptive", DEFAULTS), sequential_trace(256 * MiB, 1 * MiB), 256 * MiB)
    steady = [s.length for p in replay.plans[12:] for s in p.prefetch]
    assert len(steady) > 1
    assert set(steady[:-1]) == {16 * MiB}
    assert replay.bytes_fetched == 256 * MiB
    assert replay.gets <= 30  # S-sized pieces would take 52 and more


@pytest.mark.parametrize(
    ("name", "length", "gets"),
    [("adaptive", 32 * MiB, 4), ("adaptive", 33 * MiB + 3, 4), ("adaptive", 1 * MiB, 1),
     ("adaptive", 128 * MiB, 8), ("random", 32 * MiB, 7), ("adaptive-small-cache", 32 * MiB, 16)],
    ids=["adaptive-quarters", "adaptive-no-sliver", "adaptive-small-read", "adaptive-16MiB-cap",
         "random-keeps-S", "adaptive-at-most-S-times-N"],
)  # fmt: skip
def test_a_large_read_after_a_seek_is_cut_into_few_pieces(name: str, length: int, gets: int) -> None:
    """``adaptive`` cuts a large read (pyarrow's 32 MiB coalesced Parquet scan) into quarters of at least
    S and at most 16 MiB, covering it exactly; ``random`` keeps S-sized pieces."""
    config = DEFAULTS
    if name == "adaptive-small-cache":  # S x N = 2 MiB: no piece may be larger than what a reader holds
        name, config = "adaptive", PolicyConfig(fragment_size=1 * MiB, fragment_number=2)
    plan = make_policy(name, config).plan((Access(7, length),), (), 512 * MiB)
    assert all(span.length <= config.cache_bytes for span in plan.fetch)
    assert len(plan.fetch) == gets
    assert plan.fetch[0].start == 7
    assert plan.fetch[-1].end == 7 + length
    assert all(a.end == b.start for a, b in zip(plan.fetch, plan.fetch[1:], strict=False))

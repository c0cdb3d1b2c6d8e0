"""The shared task pool: one bound for every caller, and nested fan-out that cannot wait on itself."""

from __future__ import annotations

import threading

import pytest

from s3conf import taskpool
from s3conf.multipath import run_each


def _threads_seen(calls: int, items: int, workers: int) -> set[threading.Thread]:
    """Run ``calls`` concurrent run_each calls of ``items`` slow items; the threads that ran them."""
    seen: set[threading.Thread] = set()
    seen_lock = threading.Lock()
    started = threading.Barrier(calls)

    def work(item: int) -> int:
        with seen_lock:
            seen.add(threading.current_thread())
        threading.Event().wait(0.01)  # hold the thread so the calls overlap
        return item

    def one_call() -> None:
        started.wait()
        assert run_each(work, list(range(items)), workers=workers, on_error="raise") == list(range(items))

    callers = [threading.Thread(target=one_call) for _ in range(calls)]
    for caller in callers:
        caller.start()
    for caller in callers:
        caller.join(timeout=60)
        assert not caller.is_alive()
    return seen


@pytest.mark.parametrize("workers", [2, 3])
def test_concurrent_calls_share_one_bound(workers: int) -> None:
    # Six concurrent calls of ten items each: with a pool per call this was up to 6 x workers threads.
    seen = _threads_seen(calls=6, items=10, workers=workers)
    assert 1 <= len(seen) <= workers, sorted(thread.name for thread in seen)
    assert all(thread.name.startswith("s3conf-task") for thread in seen)


def test_nested_fan_out_runs_inline_instead_of_waiting_on_its_own_queue() -> None:
    # Two workers, two outer tasks that each fan out again: queued inner tasks would wait behind
    # the outer ones forever; inline they complete, in the outer task's own thread.
    def inner(pair: tuple[int, int]) -> tuple[int, threading.Thread]:
        return pair[0] * 10 + pair[1], threading.current_thread()

    def outer(item: int) -> list[int]:
        assert taskpool.in_task()
        results = run_each(inner, [(item, 0), (item, 1), (item, 2)], workers=2, on_error="raise")
        assert all(thread is threading.current_thread() for _, thread in results)  # type: ignore[misc]
        return [value for value, _ in results]  # type: ignore[misc]

    done: list[object] = []

    def run() -> None:
        done.extend(run_each(outer, [1, 2], workers=2, on_error="raise"))

    runner = threading.Thread(target=run)
    runner.start()
    runner.join(timeout=30)
    assert not runner.is_alive(), "nested fan-out deadlocked"
    assert done == [[10, 11, 12], [20, 21, 22]]
    assert not taskpool.in_task()  # the caller's thread is not marked


def test_a_single_worker_runs_in_the_callers_thread() -> None:
    caller = threading.current_thread()
    future = taskpool.submit(threading.current_thread, workers=1)
    assert future.done()
    assert future.result() is caller


def test_a_failure_reaches_the_future() -> None:
    future = taskpool.submit(lambda: 1 // 0, workers=2)
    with pytest.raises(ZeroDivisionError):
        future.result(timeout=10)

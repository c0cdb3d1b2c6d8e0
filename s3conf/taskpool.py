"""The process-wide pool that multi-path calls and the built-in bulk transfer run their tasks on.

Both fan one call out over many objects (``cat``/``info``/``rm`` of many paths, ``copy_files`` of many
files). Each call used to be bounded on its own (bulk built a fresh executor per call), so ten
concurrent ``copy_files`` calls ran ten times ``s3.connection.maximum`` threads. Here every such task,
from any number of callers, runs on one executor per worker count, exactly as the readers' fetch pool
is shared (:meth:`s3conf.fetchpool.FetchPool.shared`): threads are bounded by configuration, not by
how many calls are in flight.

It is not the fetch pool itself: a task here blocks on its reader's prefetches or its upload's parts,
which run on the fetch pool, and a pool whose threads wait on work queued behind them deadlocks. For
the same reason a task that fans out again (a multi-path task whose function is itself a multi-path
call) does not queue behind itself: :func:`submit` runs it inline in the task's own thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

__all__ = ["in_task", "submit"]

T = TypeVar("T")

_executors: dict[int, ThreadPoolExecutor] = {}
_executors_lock = threading.Lock()
_here = threading.local()


def _executor(workers: int) -> ThreadPoolExecutor:
    with _executors_lock:
        executor = _executors.get(workers)
        if executor is None:
            executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="s3conf-task")
            _executors[workers] = executor
        return executor


def in_task() -> bool:
    """Whether the calling thread is running a task of this pool."""
    return bool(getattr(_here, "inside", False))


def _as_task(function: Callable[[], T]) -> T:
    _here.inside = True
    try:
        return function()
    finally:
        _here.inside = False


def _inline(function: Callable[[], T]) -> Future[T]:
    future: Future[T] = Future()
    try:
        future.set_result(function())
    except Exception as error:
        future.set_exception(error)
    return future


def submit(function: Callable[[], T], *, workers: int) -> Future[T]:
    """Run ``function()`` on the shared pool of ``workers`` threads; its future.

    Called from one of the pool's own tasks, or with ``workers`` of 1, it runs at once in the
    calling thread (the future is already done), so nested fan-out never waits on its own queue.
    """
    if workers <= 1 or in_task():
        return _inline(function)
    return _executor(workers).submit(_as_task, function)

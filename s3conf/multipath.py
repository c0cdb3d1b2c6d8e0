"""Run one operation over many paths concurrently, bounded, in order, with errors per path.

Dataset discovery, checkpoint recovery and metadata scans touch thousands of small objects; one
request after another spends the whole time waiting on round trips. :func:`run_each` runs a call per
item on the process-wide task pool (:mod:`s3conf.taskpool`) sized like the connection pool
(``s3.connection.maximum``, capped by :data:`~s3conf.fetchpool.MAX_FETCH_WORKERS`), so no thread ever
waits for a connection and no number of paths or concurrent calls opens more requests than that. Not
the readers' :class:`~s3conf.fetchpool.FetchPool`: a multi-path task blocks on its reader's
prefetches, which run there. Bytes stay inside the read budget
because every whole-object read goes through an :class:`~s3conf.reader.S3Reader`, which reserves what it
fetches against ``s3.spi.read.max-inflight-bytes``.

Errors follow fsspec's ``on_error`` with s3conf's rule that failures are not absence:

* ``"raise"``: the first failure in path order is raised (later tasks are cancelled);
* ``"omit"``: paths that do not exist (``FileNotFoundError``) are left out; any other failure raises,
  because leaving out a path the server refused would read as "not there";
* ``"return"``: the exception takes the path's place in the results.

>>> run_each(lambda x: 10 // x, [1, 2, 5], workers=2, on_error="raise")
[10, 5, 2]
>>> [type(r).__name__ for r in run_each(lambda x: 10 // x, [1, 0], workers=2, on_error="return")]
['int', 'ZeroDivisionError']
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import TypeVar

from s3conf import taskpool
from s3conf.errors import ConfigError

__all__ = ["OMITTED", "ON_ERROR", "check_on_error", "run_each"]

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - an item

#: The ``on_error`` values multi-path calls accept.
ON_ERROR = ("raise", "omit", "return")


class _Omitted:
    """The marker :func:`run_each` puts in place of an omitted (missing) path."""

    def __repr__(self) -> str:
        return "OMITTED"


#: What :func:`run_each` returns for a missing path under ``on_error="omit"``; callers drop it.
OMITTED = _Omitted()


def check_on_error(on_error: str) -> str:
    """``on_error`` if fsspec knows it, else :class:`~s3conf.errors.ConfigError` naming it.

    >>> check_on_error("omit")
    'omit'
    """
    if on_error not in ON_ERROR:
        raise ConfigError(f"on_error must be one of {', '.join(ON_ERROR)}; got {on_error!r}")
    return on_error


def run_each(
    function: Callable[[I], T], items: Sequence[I], *, workers: int, on_error: str
) -> list[T | BaseException | _Omitted]:
    """``function(item)`` for each item, at most ``workers`` at a time, results in item order.

    One item runs in the caller's thread (no pool round trip for a single path), and so do all of
    them when the caller is itself a task of the pool (see :mod:`s3conf.taskpool`).
    """
    check_on_error(on_error)
    width = 1 if len(items) == 1 else max(1, workers)
    futures = [taskpool.submit(partial(function, item), workers=width) for item in items]
    results: list[T | BaseException | _Omitted] = []
    for position, future in enumerate(futures):
        failure = future.exception()
        if failure is None:
            results.append(future.result())
        elif on_error == "return":
            results.append(failure)
        elif on_error == "omit" and isinstance(failure, FileNotFoundError):
            results.append(OMITTED)
        else:
            for later in futures[position + 1 :]:
                later.cancel()
            raise failure
    return results

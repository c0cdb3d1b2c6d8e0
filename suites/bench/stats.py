"""Robust summaries of repeated measurements: median, quartiles, IQR, run count.

Benchmarks on a shared 2-core machine are noisy, so we report medians and the interquartile range,
never means alone (warp and elbencho do the same). The quartiles follow pytest-benchmark's
methods, so our ``stats`` blocks read the same as theirs, and the module needs nothing beyond the
standard library (``s3conf report`` runs without pytest-benchmark installed).

>>> quartiles([1.0, 2.0, 3.0, 4.0])
(1.5, 2.5, 3.5)
>>> quartiles([1.0, 2.0, 3.0])
(1.25, 2.0, 2.75)
>>> iqr([1.0, 2.0, 3.0])
1.5
>>> timing_stats([2.0, 1.0, 4.0])["median"], timing_stats([2.0, 1.0, 4.0])["rounds"]
(2.0, 3)
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def quartiles(values: Sequence[float]) -> tuple[float, float, float]:
    """``(q1, median, q3)`` by pytest-benchmark's rule: halves' medians for an even count, Wikipedia's
    method 3 (weighted neighbours) for an odd one; a single value gives it three times."""
    data = sorted(float(v) for v in values)
    count = len(data)
    if count == 0:
        raise ValueError("quartiles of an empty sequence")
    if count == 1:
        return data[0], data[0], data[0]
    if count % 2 == 0:
        return (
            statistics.median(data[: count // 2]),
            statistics.median(data),
            statistics.median(data[count // 2 :]),
        )
    n, rest = divmod(count, 4)
    if rest == 1:
        q1 = 0.25 * data[n - 1] + 0.75 * data[n]
        q3 = 0.75 * data[3 * n] + 0.25 * data[3 * n + 1]
    else:
        q1 = 0.75 * data[n] + 0.25 * data[n + 1]
        q3 = 0.25 * data[3 * n + 1] + 0.75 * data[3 * n + 2]
    return q1, statistics.median(data), q3


def iqr(values: Sequence[float]) -> float:
    """Interquartile range (``q3 - q1``); 0 for one value."""
    q1, _, q3 = quartiles(values)
    return q3 - q1


def timing_stats(durations: Sequence[float]) -> dict[str, Any]:
    """A pytest-benchmark ``stats`` block for wall-clock durations in seconds.

    The keys are pytest-benchmark's (so ``pytest-benchmark compare`` and other tools read our files);
    ``data`` keeps the raw per-repeat durations.
    """
    data = [float(d) for d in durations]
    q1, median, q3 = quartiles(data)
    spread = q3 - q1
    mean = statistics.fmean(data)
    stddev = statistics.stdev(data) if len(data) > 1 else 0.0
    low_fence, high_fence = q1 - 1.5 * spread, q3 + 1.5 * spread
    inside = [d for d in data if low_fence <= d <= high_fence]
    iqr_outliers = len(data) - len(inside)
    stddev_outliers = sum(1 for d in data if abs(d - mean) > stddev) if stddev else 0
    return {
        "min": min(data),
        "max": max(data),
        "mean": mean,
        "stddev": stddev,
        "rounds": len(data),
        "median": median,
        "iqr": spread,
        "q1": q1,
        "q3": q3,
        "iqr_outliers": iqr_outliers,
        "stddev_outliers": stddev_outliers,
        "outliers": f"{stddev_outliers};{iqr_outliers}",
        "ld15iqr": min(inside) if inside else min(data),
        "hd15iqr": max(inside) if inside else max(data),
        "ops": 1.0 / mean if mean > 0 else math.inf,
        "total": sum(data),
        "iterations": 1,
        "data": data,
    }

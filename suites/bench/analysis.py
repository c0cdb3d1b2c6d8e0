"""From samples to answers: paired ratios to the limit, summaries, the recommendation, comparisons.

Everything here is pure pandas over the saved samples, so reports are reproducible from the JSON and
the tables are tested against golden files.

Method (also printed in every report):

- **Limit.** Per workload and repeat, the limit is the fastest of the ``limit:*`` contenders measured
  in that repeat: one plain GET of the whole object, and the workload's reads, coalesced, fetched as
  plain ranged GETs by ``c`` threads. A contender's *ratio to the limit* in a repeat is
  ``limit seconds / contender seconds`` (1.0 = as fast as the limit), and its summary is the median
  and IQR of those per-repeat ratios. Pairing within a repeat cancels most of the drift a shared
  machine adds between repeats.
- **Recommendation (noise rule, then bytes, then memory).** Among reader configurations, the best is
  the highest median ratio. A configuration is *within noise* of it when its median ratio is at least
  ``best median - max(best IQR, 5% of best median)``. Of those, only the *frugal* ones count: bytes
  fetched at most ``FRUGAL_FETCH`` (1.25) times the fewest any of them fetched, so a random-read
  workload is never told to fetch 228 MiB to serve 1 MiB because that configuration happened to be as
  fast on a loopback store (on a real network and bill, bytes cost). The recommendation is the
  cheapest frugal configuration: the smallest memory bound ``fragment size x fragment number``, then
  the fewest GET requests, then the higher ratio.
- **Edge of the grid.** When every configuration within noise of the best sits on the same edge of the
  measured grid (the largest or smallest fragment size, the largest or smallest fragment number other
  than 1), the optimum may lie outside it, and the recommendation says which way to extend the grid.

>>> fmt_size(256 * 1024), fmt_size(64 * 1024 * 1024), fmt_size(1536)
('256KiB', '64MiB', '1536B')
>>> reader_name(4 * 1024 * 1024, 8)
'reader:S=4MiB,N=8'
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

import pandas as pd

from suites.bench.results import Sample
from suites.bench.workloads import WORKLOADS

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
NOISE_FLOOR = 0.05
#: A configuration within noise is frugal when it fetches at most this many times the fewest bytes.
FRUGAL_FETCH = 1.25
#: Above this many bytes fetched per byte served the recommendation warns about over-fetching.
OVERFETCH_WARNING = 2.0
FRAGMENT_SIZE_KEY = "s3.spi.read.max-fragment-size"
FRAGMENT_NUMBER_KEY = "s3.spi.read.max-fragment-number"


def fmt_size(n: int) -> str:
    """Bytes as the largest binary unit that divides them exactly (fragment sizes are powers of 2)."""
    for unit, size in (("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
        if n >= size and n % size == 0:
            return f"{n // size}{unit}"
    return f"{n}B"


def reader_name(fragment_size: int, fragment_number: int) -> str:
    """The contender name of our reader at one grid cell."""
    return f"reader:S={fmt_size(fragment_size)},N={fragment_number}"


def frame(samples: Iterable[Sample]) -> pd.DataFrame:
    """One row per sample (workloads in canonical order), with throughput (MiB/s of requested bytes),
    CPU s/GiB and the paired ratio to the limit."""
    df = pd.DataFrame([asdict(s) for s in samples])
    rank = {name: i for i, name in enumerate(WORKLOADS)}
    df["_rank"] = df["workload"].map(lambda name: rank.get(name, len(rank)))
    df = df.sort_values(["_rank", "workload", "repeat", "order"], kind="stable").drop(columns="_rank")
    df = df.reset_index(drop=True)
    df["throughput_mib_s"] = df["requested_bytes"] / df["seconds"] / MiB
    df["cpu_s_per_gib"] = df["cpu_seconds"] / (df["requested_bytes"] / GiB)
    limits = df[df["kind"] == "limit"].groupby(["workload", "repeat"])["seconds"].min()
    limit_seconds = df.set_index(["workload", "repeat"]).index.map(limits.to_dict())
    df["ratio_to_limit"] = pd.Series(limit_seconds, index=df.index, dtype="float64") / df["seconds"]
    return df


def _q(p: float) -> object:
    def quantile(series: pd.Series) -> float:
        return float(series.quantile(p))

    quantile.__name__ = f"q{int(p * 100)}"
    return quantile


def summary(df: pd.DataFrame) -> pd.DataFrame:
    """Median, IQR and n per (workload, contender); counters as medians (``NaN`` when unobserved)."""
    grouped = df.groupby(["workload", "contender"], sort=False)
    out = grouped.agg(
        kind=("kind", "first"),
        fragment_size=("fragment_size", "first"),
        fragment_number=("fragment_number", "first"),
        n=("seconds", "size"),
        throughput_mib_s=("throughput_mib_s", "median"),
        throughput_q1=("throughput_mib_s", _q(0.25)),
        throughput_q3=("throughput_mib_s", _q(0.75)),
        ratio=("ratio_to_limit", "median"),
        ratio_q1=("ratio_to_limit", _q(0.25)),
        ratio_q3=("ratio_to_limit", _q(0.75)),
        ttfb_ms=("ttfb_seconds", "median"),
        get_requests=("get_requests", "median"),
        requested_mib=("requested_bytes", "median"),
        fetched_mib=("bytes_fetched", "median"),
        wasted_mib=("bytes_wasted", "median"),
        peak_inflight_mib=("peak_inflight_bytes", "max"),
        cpu_s_per_gib=("cpu_s_per_gib", "median"),
    ).reset_index()
    out["throughput_iqr"] = out.pop("throughput_q3") - out.pop("throughput_q1")
    out["ratio_iqr"] = out.pop("ratio_q3") - out.pop("ratio_q1")
    out["ttfb_ms"] = out["ttfb_ms"] * 1000
    for column in ("requested_mib", "fetched_mib", "wasted_mib", "peak_inflight_mib"):
        out[column] = out[column] / MiB
    out["fetched_per_served"] = out["fetched_mib"] / out["requested_mib"]
    return out


def _edges(group: pd.DataFrame, within: pd.DataFrame) -> list[str]:
    """Which way to extend the grid: edges that every configuration within noise of the best sits on."""
    hints = []
    for column, label, option in (
        ("fragment_size", "fragment size", "--sizes"),
        ("fragment_number", "fragment number", "--numbers"),
    ):
        values = group[column].dropna()
        if values.nunique() < 2:
            continue
        low, high = float(values.min()), float(values.max())
        if (within[column] == high).all():
            shown = fmt_size(int(high)) if column == "fragment_size" else str(int(high))
            hints.append(f"largest {label} measured ({shown}): try larger values with {option}")
        elif (within[column] == low).all() and not (column == "fragment_number" and low <= 1):
            shown = fmt_size(int(low)) if column == "fragment_size" else str(int(low))
            hints.append(f"smallest {label} measured ({shown}): try smaller values with {option}")
    return hints


def recommend(table: pd.DataFrame) -> pd.DataFrame:
    """Per workload: the best reader configuration and the cheapest frugal one within noise of it.

    Columns: ``workload``, ``best``, ``best_ratio``, ``tolerance``, ``recommended``,
    ``recommended_ratio``, ``fragment_size``, ``fragment_number``, ``memory_bound_mib``,
    ``fetched_per_served`` (bytes fetched / bytes the workload read, lower is better),
    ``within_noise``, ``frugal``, and ``warnings`` (a list of sentences: grid edges, over-fetching).
    """
    rows = []
    for workload, group in table[table["kind"] == "reader"].groupby("workload", sort=False):
        best = group.sort_values("ratio", ascending=False, kind="stable").iloc[0]
        tolerance = max(float(best["ratio_iqr"]), NOISE_FLOOR * float(best["ratio"]))
        within = group[group["ratio"] >= best["ratio"] - tolerance].copy()
        fetched = within["fetched_mib"]
        frugal = within[fetched <= FRUGAL_FETCH * fetched.min()] if fetched.notna().any() else within
        frugal = frugal.assign(memory_bound=frugal["fragment_size"] * frugal["fragment_number"])
        frugal = frugal.sort_values(
            ["memory_bound", "get_requests", "ratio"], ascending=[True, True, False], kind="stable"
        )
        pick = frugal.iloc[0]
        warnings = [
            f"the best configuration is at the edge of the grid, {hint}" for hint in _edges(group, within)
        ]
        amplification = float(pick["fetched_per_served"])
        if amplification > OVERFETCH_WARNING:
            warnings.append(
                f"even the recommended configuration fetches {amplification:.1f}x the bytes it serves; "
                "smaller fragment sizes may fetch less"
            )
        rows.append(
            {
                "workload": workload,
                "best": best["contender"],
                "best_ratio": float(best["ratio"]),
                "tolerance": tolerance,
                "recommended": pick["contender"],
                "recommended_ratio": float(pick["ratio"]),
                "fragment_size": int(pick["fragment_size"]),
                "fragment_number": int(pick["fragment_number"]),
                "memory_bound_mib": float(pick["memory_bound"]) / MiB,
                "fetched_per_served": amplification,
                "within_noise": len(within),
                "frugal": len(frugal),
                "warnings": warnings,
            }
        )
    return pd.DataFrame(rows)


def settings(fragment_size: int, fragment_number: int) -> dict[str, str]:
    """The configuration keys and environment variables that select one grid cell.

    >>> settings(4 * MiB, 8)["S3_SPI_READ_MAX_FRAGMENT_SIZE"]
    '4MiB'
    """
    from s3conf.config import env_name

    values = {FRAGMENT_SIZE_KEY: fmt_size(fragment_size), FRAGMENT_NUMBER_KEY: str(fragment_number)}
    return {**values, **{env_name(key): value for key, value in values.items()}}


def heatmap_grid(table: pd.DataFrame, workload: str) -> pd.DataFrame:
    """Median ratio to the limit as a fragment number (rows) x fragment size (columns) grid."""
    readers = table[(table["workload"] == workload) & (table["kind"] == "reader")]
    grid = readers.pivot_table(
        index="fragment_number", columns="fragment_size", values="ratio", aggfunc="first"
    ).sort_index()
    grid = grid.reindex(sorted(grid.columns), axis=1)
    grid.columns = [fmt_size(int(c)) for c in grid.columns]
    grid.index = [int(i) for i in grid.index]
    return grid


def paired_versus(df: pd.DataFrame, workload: str, ours: str, theirs: str) -> tuple[float, float, int]:
    """Median and IQR over repeats of ``theirs seconds / ours seconds`` (> 1: ours is faster), and n."""
    rows = df[df["workload"] == workload].set_index(["repeat", "contender"])["seconds"].unstack()
    if ours not in rows or theirs not in rows:
        return float("nan"), float("nan"), 0
    ratio = (rows[theirs] / rows[ours]).dropna()
    if ratio.empty:
        return float("nan"), float("nan"), 0
    return float(ratio.median()), float(ratio.quantile(0.75) - ratio.quantile(0.25)), len(ratio)


def headline(df: pd.DataFrame, table: pd.DataFrame, workload: str = "sequential") -> dict[str, object]:
    """The sequential claims: best reader vs the single plain GET (goal >= 0.8) and vs s3fs (goal > 1).

    The goal is stated against the single GET (``limit:get``), paired per repeat; the ratio to the
    overall limit (the fastest of the single GET and the ranged GETs) is reported beside it, since on a
    machine where parallel ranged GETs beat one stream that is the stricter figure. Without a
    ``limit:get`` measurement the goal falls back to the overall limit.
    """
    readers = table[(table["workload"] == workload) & (table["kind"] == "reader")]
    if readers.empty:
        return {"workload": workload, "available": False}
    best = readers.sort_values("ratio", ascending=False, kind="stable").iloc[0]
    vs_s3fs, vs_s3fs_iqr, n = paired_versus(df, workload, str(best["contender"]), "peer:s3fs")
    vs_get, vs_get_iqr, get_n = paired_versus(df, workload, str(best["contender"]), "limit:get")
    goal_ratio = vs_get if get_n else float(best["ratio"])
    return {
        "workload": workload,
        "available": True,
        "best": best["contender"],
        "ratio_to_limit": float(best["ratio"]),
        "ratio_to_limit_iqr": float(best["ratio_iqr"]),
        "ratio_to_single_get": vs_get,
        "ratio_to_single_get_iqr": vs_get_iqr,
        "ratio_to_single_get_n": get_n,
        "meets_limit_goal": bool(goal_ratio >= 0.8),
        "vs_s3fs": vs_s3fs,
        "vs_s3fs_iqr": vs_s3fs_iqr,
        "vs_s3fs_n": n,
        "beats_s3fs": bool(n > 0 and vs_s3fs > 1.0),
    }


def compare(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Two runs' summaries side by side: throughput and ratio to limit, with the change in percent.

    Ratios to each run's own limit are the fair comparison across runs (the machine's state differs);
    raw throughput is shown beside them for context.
    """
    keys = ["workload", "contender"]
    merged = before[[*keys, "throughput_mib_s", "ratio"]].merge(
        after[[*keys, "throughput_mib_s", "ratio"]], on=keys, how="outer", suffixes=("_a", "_b")
    )
    merged["ratio_change_pct"] = (merged["ratio_b"] / merged["ratio_a"] - 1) * 100
    merged["throughput_change_pct"] = (merged["throughput_mib_s_b"] / merged["throughput_mib_s_a"] - 1) * 100
    return merged

"""Assemble a bench report (or a comparison of two runs) from saved results files."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

from suites.bench import analysis, plots, results
from suites.bench.report import (
    DIRECTIONS,
    Block,
    compare_table,
    contender_table,
    headline_text,
    reader_table,
    recommendation_lines,
    recommendation_table,
    run_info_lines,
    skipped_text,
    summarize,
    write,
)

METHOD = (
    "**Method.** Contenders (reader configurations, the limit, the peers) run in a shuffled order within "
    "each repeat (seed recorded), and each figure is the median over repeats with its interquartile "
    "range [IQR] and run count n. Throughput is bytes the workload requested divided by wall-clock "
    "seconds (`time.perf_counter`). The *limit* of a workload in a repeat is the fastest `limit:*` "
    "contender of that repeat: `limit:get` is one plain GET of the whole object; `limit:ranged×c` fetches "
    "the workload's reads, coalesced into parts of at most object size / c, with c threads of plain "
    "ranged GETs. Ratios to the limit are taken per repeat (paired) and then summarised, which cancels "
    "most drift from other load on the machine. Time to first byte is until the first read returns. "
    "CPU is `time.process_time` of the whole benchmark process (client threads included, the server "
    "is another process and excluded). GET counts, bytes fetched/wasted and peak bytes in flight come "
    "from the reader's own counters; peers expose none, shown as n/a. Recommendation rule: the cheapest "
    "reader configuration (smallest S×N, then fewest GETs) whose median ratio is within "
    "max(IQR of the best, 5% of the best) of the best configuration's median ratio and whose bytes fetched "
    "are at most 1.25× the fewest fetched by any configuration within noise (so a random-read workload is "
    "never told to fetch far more than it reads); a warning says when the best lies on the edge of the "
    "grid. Peers run with their defaults: s3fs's read-ahead block cache, pyarrow's S3FileSystem "
    "random-access file, obstore's buffered reader, boto3 `download_fileobj` (whole object into memory, "
    "then the reads). moto is not a throughput target: it re-slices the whole object for every ranged "
    "GET, so it measures itself."
)


def default_out_dir(root: Path = Path("reports/bench")) -> Path:
    """``reports/bench/<UTC timestamp>/``."""
    return root / datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")


def build_report(results_path: Path, out_dir: Path) -> Path:
    """Write ``report.md``, ``report.html``, PNGs and a copy of the results into ``out_dir``."""
    run, samples, skipped = results.load(results_path)
    df, table, recommendation = summarize(samples)
    out_dir.mkdir(parents=True, exist_ok=True)
    if results_path.resolve() != (out_dir / "results.json").resolve():
        shutil.copyfile(results_path, out_dir / "results.json")
    head = analysis.headline(df, table)
    blocks = [
        Block("h1", f"s3conf read-ahead benchmark on {run.target}"),
        Block("p", "Reproduce the measurements with:"),
        Block("code", run.command),
        Block("p", "and rebuild this report from the saved results with:"),
        Block("code", f"s3conf report bench {out_dir / 'results.json'}"),
        Block("p", run_info_lines(run)),
        *[Block("p", note) for note in run.notes],
        Block("h2", "Headline"),
        Block("p", headline_text(head)),
        Block("h2", "Recommendation per workload"),
        Block("p", "What to set (configuration keys, or the environment variables beside them):"),
        Block("code", "\n".join(recommendation_lines(recommendation))),
        Block("table", table=recommendation_table(recommendation)),
        Block("p", DIRECTIONS),
    ]
    for workload in dict.fromkeys(table["workload"]):
        blocks.append(Block("h2", f"Workload `{workload}`"))
        grid = analysis.heatmap_grid(table, workload)
        if not grid.empty:
            name = f"heatmap-{workload}.png"
            plots.heatmap(
                grid,
                f"{workload}: reader ratio to the limit, higher is better ({run.target})",
                out_dir / name,
            )
            blocks.append(Block("img", name))
        name = f"contenders-{workload}.png"
        chosen = contender_table(table, recommendation, workload)
        rows = table[(table["workload"] == workload)]
        rows = rows[
            (rows["kind"] != "reader")
            | rows["contender"].isin(recommendation["best"])
            | rows["contender"].isin(recommendation["recommended"])
        ]
        plots.contenders(rows, f"{workload}: limit, peers and our reader ({run.target})", out_dir / name)
        blocks += [
            Block("h3", "Limit, peers and our reader"),
            Block("img", name),
            Block("table", table=chosen),
            Block("h3", "Every reader configuration"),
            Block("table", table=reader_table(table, workload)),
        ]
    blocks += [Block("h2", "Notes"), Block("p", skipped_text(skipped)), Block("p", METHOD)]
    table.to_csv(out_dir / "summary.csv", index=False)
    write(blocks, out_dir, f"s3conf bench on {run.target}")
    return out_dir


def build_compare(before_path: Path, after_path: Path, out_dir: Path) -> Path:
    """A comparison of two saved runs (A = ``before_path``, B = ``after_path``)."""
    run_a, samples_a, _ = results.load(before_path)
    run_b, samples_b, _ = results.load(after_path)
    _, table_a, _ = summarize(samples_a)
    _, table_b, _ = summarize(samples_b)
    comparison = analysis.compare(table_a, table_b)
    blocks = [
        Block("h1", "s3conf benchmark comparison"),
        Block("p", f"A: `{before_path}` ({run_a.target}, {run_a.finished or run_a.started})."),
        Block("p", f"B: `{after_path}` ({run_b.target}, {run_b.finished or run_b.started})."),
        Block(
            "p",
            "Ratios are to each run's own limit, so they compare fairly across machine states; "
            "raw throughput is shown for context. n/a: the contender ran in one run only.",
        ),
        Block("table", table=compare_table(comparison)),
    ]
    out_dir.mkdir(parents=True, exist_ok=True)
    comparison.to_csv(out_dir / "compare.csv", index=False)
    write(blocks, out_dir, "s3conf bench comparison")
    return out_dir

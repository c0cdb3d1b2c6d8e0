"""Bench reports: Markdown + HTML with PNG plots, built only from a saved results file.

A report is a list of blocks (headings, paragraphs, tables, images) rendered twice, to Markdown and
to HTML, so the two never disagree. The display tables are plain DataFrames of strings produced by
the ``*_table`` functions; they are what the golden tests pin.

>>> print(markdown_table(pd.DataFrame({"a": ["1"], "b|c": ["x"]})))
| a | b\\|c |
|---|---|
| 1 | x |
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from suites.bench import analysis
from suites.bench.analysis import fmt_size
from suites.bench.results import RunInfo, Sample, Skipped


@dataclass(frozen=True)
class Block:
    """One piece of a report: ``kind`` is ``h1``/``h2``/``h3``, ``p``, ``code``, ``table`` or ``img``."""

    kind: str
    text: str = ""
    table: pd.DataFrame | None = None


def _num(value: object, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{float(value):.{digits}f}"  # type: ignore[arg-type]


def _median_iqr(median: object, spread: object, digits: int = 2) -> str:
    if _num(median) == "n/a":
        return "n/a"
    return f"{_num(median, digits)} [{_num(spread, digits)}]"


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (pipes escaped); no dependency on ``tabulate``."""

    def cell(value: object) -> str:
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(cell(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def reader_table(table: pd.DataFrame, workload: str) -> pd.DataFrame:
    """Every reader configuration of one workload, best ratio first."""
    rows = table[(table["workload"] == workload) & (table["kind"] == "reader")]
    rows = rows.sort_values(["ratio", "contender"], ascending=[False, True], kind="stable")
    return pd.DataFrame(
        {
            "S": [fmt_size(int(v)) for v in rows["fragment_size"]],
            "N": [str(int(v)) for v in rows["fragment_number"]],
            "ratio to limit ↑, median [IQR]": [
                _median_iqr(m, s) for m, s in zip(rows["ratio"], rows["ratio_iqr"], strict=True)
            ],
            "MiB/s ↑": [_num(v, 0) for v in rows["throughput_mib_s"]],
            "TTFB ms ↓": [_num(v, 1) for v in rows["ttfb_ms"]],
            "GETs ↓": [_num(v, 0) for v in rows["get_requests"]],
            "fetched MiB ↓": [_num(v, 1) for v in rows["fetched_mib"]],
            "wasted MiB ↓": [_num(v, 1) for v in rows["wasted_mib"]],
            "peak in flight MiB ↓ (<= S×N)": [
                f"{_num(p, 1)} (<= {_num(s * n / analysis.MiB, 1)})"
                for p, s, n in zip(
                    rows["peak_inflight_mib"], rows["fragment_size"], rows["fragment_number"], strict=True
                )
            ],
            "CPU s/GiB ↓": [_num(v, 2) for v in rows["cpu_s_per_gib"]],
            "n": [str(int(v)) for v in rows["n"]],
        }
    )


def contender_table(table: pd.DataFrame, recommendation: pd.DataFrame, workload: str) -> pd.DataFrame:
    """The limit, the peers and our best and recommended configurations for one workload."""
    rows = table[(table["workload"] == workload) & (table["kind"] != "reader")]
    picks = recommendation[recommendation["workload"] == workload]
    labels = dict.fromkeys(rows["contender"], "")
    if not picks.empty:
        labels[str(picks.iloc[0]["best"])] = "best reader"
        labels[str(picks.iloc[0]["recommended"])] = (
            "best + recommended" if picks.iloc[0]["best"] == picks.iloc[0]["recommended"] else "recommended"
        )
    chosen = table[(table["workload"] == workload) & table["contender"].isin(labels)]
    chosen = chosen.sort_values(["ratio", "contender"], ascending=[False, True], kind="stable")
    return pd.DataFrame(
        {
            "contender": [f"{c} ({labels[c]})" if labels[c] else c for c in chosen["contender"]],
            "ratio to limit ↑, median [IQR]": [
                _median_iqr(m, s) for m, s in zip(chosen["ratio"], chosen["ratio_iqr"], strict=True)
            ],
            "MiB/s ↑, median [IQR]": [
                _median_iqr(m, s, 0)
                for m, s in zip(chosen["throughput_mib_s"], chosen["throughput_iqr"], strict=True)
            ],
            "TTFB ms ↓": [_num(v, 1) for v in chosen["ttfb_ms"]],
            "GETs ↓": [_num(v, 0) for v in chosen["get_requests"]],
            "fetched MiB ↓": [_num(v, 1) for v in chosen["fetched_mib"]],
            "CPU s/GiB ↓": [_num(v, 2) for v in chosen["cpu_s_per_gib"]],
            "n": [str(int(v)) for v in chosen["n"]],
        }
    )


DIRECTIONS = (
    "↑ higher is better, ↓ lower is better. A ratio to the limit of 1.0 is as fast as the limit; "
    "fetched / served is bytes fetched per byte the workload read (1.0: nothing fetched in vain)."
)


def recommendation_table(recommendation: pd.DataFrame) -> pd.DataFrame:
    """One line per workload: what to configure, what it costs, and the best it was compared with."""
    return pd.DataFrame(
        {
            "workload": recommendation["workload"],
            "recommended": recommendation["recommended"],
            "ratio to limit ↑": [_num(v) for v in recommendation["recommended_ratio"]],
            "memory bound MiB ↓ (S×N)": [_num(v, 1) for v in recommendation["memory_bound_mib"]],
            "fetched / served ↓": [_num(v, 2) for v in recommendation["fetched_per_served"]],
            "best": recommendation["best"],
            "best ratio ↑": [_num(v) for v in recommendation["best_ratio"]],
            "noise tolerance": [_num(v, 3) for v in recommendation["tolerance"]],
            "configs within noise (frugal)": [
                f"{int(w)} ({int(f)})"
                for w, f in zip(recommendation["within_noise"], recommendation["frugal"], strict=True)
            ],
        }
    )


def recommendation_lines(recommendation: pd.DataFrame) -> list[str]:
    """What to set, per workload, as the terminal and the report print it: keys, environment, warnings."""
    lines: list[str] = []
    for row in recommendation.to_dict("records"):
        chosen = analysis.settings(int(row["fragment_size"]), int(row["fragment_number"]))
        keys = [analysis.FRAGMENT_SIZE_KEY, analysis.FRAGMENT_NUMBER_KEY]
        same = (
            "the best"
            if row["best"] == row["recommended"]
            else f"best {row['best']} at {_num(row['best_ratio'])}x"
        )
        lines += [
            f"{row['workload']}: {row['recommended']}, {_num(row['recommended_ratio'])}x the limit "
            f"(higher is better; {same}), fetches {_num(row['fetched_per_served'])}x the bytes it serves "
            "(lower is better)",
            "    " + "  ".join(f"{key}={chosen[key]}" for key in keys),
            "    export " + " ".join(f"{k}={v}" for k, v in chosen.items() if k not in keys),
        ]
        lines += [f"    warning: {warning}" for warning in row["warnings"]]
    return lines


def compare_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """Display form of :func:`suites.bench.analysis.compare`."""
    return pd.DataFrame(
        {
            "workload": comparison["workload"],
            "contender": comparison["contender"],
            "ratio A ↑": [_num(v) for v in comparison["ratio_a"]],
            "ratio B ↑": [_num(v) for v in comparison["ratio_b"]],
            "ratio change % ↑": [_num(v, 1) for v in comparison["ratio_change_pct"]],
            "MiB/s A ↑": [_num(v, 0) for v in comparison["throughput_mib_s_a"]],
            "MiB/s B ↑": [_num(v, 0) for v in comparison["throughput_mib_s_b"]],
            "MiB/s change % ↑": [_num(v, 1) for v in comparison["throughput_change_pct"]],
        }
    )


def headline_text(head: dict[str, object]) -> str:
    """The two sequential claims, stated plainly whether they hold or not."""
    if not head.get("available"):
        return f"No reader configuration was measured on the {head['workload']} workload."
    limit_verdict = "meets" if head["meets_limit_goal"] else "DOES NOT meet"
    overall = (
        f"**{_num(head['ratio_to_limit'])}×** the limit (the fastest of the single GET and the ranged "
        f"GETs; median of per-repeat ratios, IQR {_num(head['ratio_to_limit_iqr'])})"
    )
    if head.get("ratio_to_single_get_n"):
        text = (
            f"Best reader configuration on `{head['workload']}`: **{head['best']}**, at "
            f"**{_num(head['ratio_to_single_get'])}×** the single plain GET of the whole object (single-GET "
            f"seconds / reader seconds, median, IQR {_num(head['ratio_to_single_get_iqr'])}, "
            f"n={head['ratio_to_single_get_n']}): it {limit_verdict} the 0.8× goal; and at {overall}. "
        )
    else:
        text = (
            f"Best reader configuration on `{head['workload']}`: **{head['best']}**, at {overall}; "
            f"it {limit_verdict} the 0.8× goal. "
        )
    if not head["vs_s3fs_n"]:
        return text + "s3fs was not measured in this run, so no comparison with it can be made."
    s3fs_verdict = "beats" if head["beats_s3fs"] else "DOES NOT beat"
    return text + (
        f"Against s3fs with its default read-ahead in the same repeats it is **{_num(head['vs_s3fs'])}×** "
        f"as fast (s3fs seconds / reader seconds, median, IQR {_num(head['vs_s3fs_iqr'])}, "
        f"n={head['vs_s3fs_n']}): it {s3fs_verdict} s3fs."
    )


def render_markdown(blocks: list[Block]) -> str:
    """Markdown for a list of blocks."""
    out = []
    for block in blocks:
        if block.kind in ("h1", "h2", "h3"):
            out.append("#" * int(block.kind[1]) + " " + block.text)
        elif block.kind == "p":
            out.append(block.text)
        elif block.kind == "code":
            out.append("```\n" + block.text + "\n```")
        elif block.kind == "table" and block.table is not None:
            out.append(markdown_table(block.table))
        elif block.kind == "img":
            out.append(f"![{block.text}]({block.text})")
    return "\n\n".join(out) + "\n"


def _inline_html(text: str) -> str:
    parts = html.escape(text).split("**")
    text = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
    parts = text.split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def render_html(blocks: list[Block], title: str) -> str:
    """A standalone HTML page for a list of blocks (images referenced beside it)."""
    body = []
    for block in blocks:
        if block.kind in ("h1", "h2", "h3"):
            body.append(f"<{block.kind}>{_inline_html(block.text)}</{block.kind}>")
        elif block.kind == "p":
            body.append(f"<p>{_inline_html(block.text)}</p>")
        elif block.kind == "code":
            body.append(f"<pre>{html.escape(block.text)}</pre>")
        elif block.kind == "table" and block.table is not None:
            body.append(block.table.to_html(index=False, escape=True, border=0))
        elif block.kind == "img":
            body.append(f'<img src="{html.escape(block.text)}" alt="{html.escape(block.text)}">')
    style = (
        "body{font-family:sans-serif;max-width:72em;margin:2em auto}table{border-collapse:collapse}"
        "td,th{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}img{max-width:100%}"
    )
    return (
        f"<!doctype html>\n<html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write(blocks: list[Block], out_dir: Path, title: str) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    md, page = out_dir / "report.md", out_dir / "report.html"
    md.write_text(render_markdown(blocks))
    page.write_text(render_html(blocks, title))
    return md, page


def run_info_lines(run: RunInfo) -> str:
    """The conditions of a run as one paragraph (target, flags, machine, repeats, seed, sizes)."""
    machine = run.machine
    sizes = ", ".join(f"{w} {fmt_size(s)}" for w, s in run.object_sizes.items())
    load = machine.get("loadavg_at_start")
    return (
        f"Target **{run.target}** (version {run.target_version or 'unknown'}; flags "
        f"`{' '.join(run.target_flags) or 'none recorded'}`). Machine: {machine.get('system', '?')} "
        f"{machine.get('machine', '?')}, {machine.get('cpu', {}).get('count', '?')} CPUs, Python "
        f"{machine.get('python_version', '?')}, load average at start {load or 'n/a'}. "
        f"s3conf commit {machine.get('commit', {}).get('id', 'unknown')[:12]}"
        f"{' with local changes' if machine.get('commit', {}).get('dirty') else ''}; peers: "
        f"{machine.get('peer_versions') or 'none installed'}. "
        f"{run.repeats} repeats, seed {run.seed}, object sizes: {sizes}. "
        f"Started {run.started or '?'}, finished {run.finished or '?'}. "
        + (
            "Every object was read once before measuring (the store is on local disk: page cache warm). "
            if run.warmed
            else "Objects were NOT warmed before measuring. "
        )
    )


def summarize(samples: list[Sample]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Samples -> (per-sample frame, summary table, recommendation)."""
    df = analysis.frame(samples)
    table = analysis.summary(df)
    return df, table, analysis.recommend(table)


def skipped_text(skipped: list[Skipped]) -> str:
    """The contenders not measured, with reasons (or a sentence saying none were skipped)."""
    if not skipped:
        return "No contender was skipped."
    return "Skipped: " + "; ".join(f"`{s.contender}` ({s.reason})" for s in skipped) + "."

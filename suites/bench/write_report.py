"""The Markdown page of a saved ``write`` run (see :mod:`suites.bench.write_workload`).

Built from the saved JSON only, so ``s3conf report bench write-results.json`` rebuilds a committed
sample exactly, and older results (without server CPU or wire facts) still render.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Any

from s3conf.values import format_size
from suites.bench.stats import iqr
from suites.bench.write_workload import BASELINE, CONTENDER_NAMES, GOALS, GiB, MiB, WriteSample, paired_ratios

__all__ = ["rebuild_write_report", "render"]


def render(document: dict[str, Any]) -> str:
    """The Markdown report of a saved ``write`` run."""
    run = document["run"]
    samples = [WriteSample(**s) for s in document["samples"]]
    by_name: dict[str, list[WriteSample]] = {}
    for sample in samples:
        by_name.setdefault(sample.contender, []).append(sample)
    ratios = paired_ratios([s for s in samples if not s.contender.startswith("pandas:")], BASELINE)
    parquet = paired_ratios([s for s in samples if s.contender.startswith("pandas:")], "pandas:s3x")
    lines = [
        f"# s3conf write benchmark on {run['target']}",
        "",
        "Reproduce with:",
        "",
        "```",
        run["command"],
        "```",
        "",
        "and rebuild this page from the saved results with "
        "`s3conf report bench reports/samples/bench/write-results.json`.",
        "",
        f"Target **{run['target']}** ({run.get('target_version') or 'version unknown'}). Machine: "
        f"{run['machine']}. Commit {run.get('commit', 'unknown')}. {run['repeats']} repeats, seed "
        f"{run['seed']}, object {format_size(run['object_size'])} written from memory in 1 MiB "
        f"`write()` calls; Parquet frame {run['frame_rows']} rows ({run['parquet_bytes'] / MiB:.1f} MiB "
        f"file). Started {run['started']}, finished {run['finished']}.",
        "",
        *[line for note in run.get("notes", []) for line in (note, "")],  # a paragraph per note
        "## Headline (paired ratios: contender seconds / streaming seconds in the same repeat)",
        "",
    ]
    for name, goal in GOALS.items():
        values = ratios.get(name)
        if not values:
            lines.append(f"- vs `{name}`: not measured ({document['skipped'].get(name, 'no samples')})")
            continue
        median = statistics.median(values)
        verdict = "meets" if median >= goal else "misses"
        lines.append(
            f"- streaming writer vs `{name}`: **{median:.2f}×** (IQR {iqr(values):.2f}, n={len(values)}); "
            f"goal ≥ {goal:.1f}×: it {verdict} it"
        )
    if parquet.get("pandas:s3fs"):
        values = parquet["pandas:s3fs"]
        lines.append(
            f"- pandas `to_parquet` through `s3x://` vs s3fs: **{statistics.median(values):.2f}×** "
            f"(IQR {iqr(values):.2f}, n={len(values)})"
        )
    server = _server_share(by_name.get(BASELINE, []))
    if server is not None:
        lines.append(server)
    lines += [
        "",
        "## Every contender",
        "",
        "| contender | MiB/s, median [IQR] | CPU s/GiB, median | server CPU s/GiB, median "
        "| server cores busy, median | paired ratio (its s / baseline s) [IQR] | peak buffered MiB | n |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in CONTENDER_NAMES:
        rows = by_name.get(name)
        if not rows:
            continue
        speeds = [s.bytes / MiB / s.seconds for s in rows]
        cpu = statistics.median(s.cpu_seconds / (s.bytes / GiB) for s in rows)
        pair = ratios.get(name) or parquet.get(name)
        baseline = name in (BASELINE, "pandas:s3x")
        shown = (
            "1.00 (baseline)"
            if baseline
            else f"{statistics.median(pair):.2f} [{iqr(pair):.2f}]"
            if pair
            else "n/a"
        )
        peaks = [s.peak_buffered_bytes for s in rows if s.peak_buffered_bytes is not None]
        peak = f"{max(peaks) / MiB:.0f}" if peaks else "n/a"
        servers = [s.server_cpu_seconds / (s.bytes / GiB) for s in rows if s.server_cpu_seconds is not None]
        server_cpu = f"{statistics.median(servers):.2f}" if servers else "n/a"
        busy = [s.server_cpu_seconds / s.seconds for s in rows if s.server_cpu_seconds is not None]
        server_busy = f"{statistics.median(busy):.2f}" if busy else "n/a"
        lines.append(
            f"| {name} | {statistics.median(speeds):.0f} [{iqr(speeds):.0f}] | {cpu:.2f} | {server_cpu} "
            f"| {server_busy} | {shown} | {peak} | {len(rows)} |"
        )
    for name, reason in document["skipped"].items():
        lines.append(f"| {name} | skipped: {reason} | | | | | | |")
    lines += [
        "",
        "Higher MiB/s and paired ratio are better for the streaming writer; lower CPU s/GiB is better. "
        "The baseline of the Parquet rows is `pandas:s3x`. Peak buffered bytes are the writer's own "
        "counter (part buffers alive at once), bounded by `s3.spi.write.max-parts-in-flight` × "
        "`s3.spi.write.part-size`. Server cores busy is the server's CPU seconds over the upload's "
        "wall seconds: the same figure for every contender means the server ran at the share of the "
        "machine it was given whichever client fed it.",
        "",
        *_wire_table(document.get("wire") or {}),
    ]
    return "\n".join(lines)


def _wire_table(wire: dict[str, dict[str, Any]]) -> list[str]:
    """The "On the wire" section: one untimed upload per contender through the wire tap."""
    if not wire:
        return []
    lines = [
        "## On the wire (one more upload per contender, untimed, through a recording tap)",
        "",
        "| contender | requests | data bodies, MiB | connections | bodies in flight, peak "
        "| checksum | payload hash | Content-MD5 | Expect: 100-continue |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, facts in wire.items():
        requests = ", ".join(f"{count} {op}" for op, count in facts["operations"].items())
        sizes = ", ".join(f"{size:g}" for size in facts["data_mib"])
        lines.append(
            f"| {name} | {requests} | {sizes} | {facts['connections']} | {facts['peak_bodies_in_flight']} "
            f"| {', '.join(facts['checksums']) or 'none'} | {', '.join(facts['payload'])} "
            f"| {'yes' if facts['content_md5'] else 'no'} | {'yes' if facts['expect_continue'] else 'no'} |"
        )
    lines += [
        "",
        "Payload hash: `unsigned` is `UNSIGNED-PAYLOAD` (the body is covered by its checksum header, not "
        "the signature), `signed` a SHA-256 of the body in the signature, `streaming` aws-chunked "
        "signed chunks.",
        "",
    ]
    return lines


def _server_share(streaming: list[WriteSample]) -> str | None:
    """The headline line saying how the server's CPU per GiB compares with the streaming writer's."""
    pairs = [(s.server_cpu_seconds, s.cpu_seconds) for s in streaming if s.server_cpu_seconds is not None]
    if not pairs:
        return None
    server = statistics.median(p[0] for p in pairs) / (streaming[0].bytes / GiB)
    client = statistics.median(p[1] for p in pairs) / (streaming[0].bytes / GiB)
    return (
        f"- the server spent **{server:.1f} CPU s/GiB** while the streaming writer spent {client:.2f} "
        f"({server / client:.1f}×): on a machine whose cores are all busy the server's share of them sets "
        "the pace of every contender, so wall-clock ratios stay near 1 whatever the client's own cost"
    )


def rebuild_write_report(results: Path, out_dir: Path) -> Path:
    """``s3conf report bench .../write-results.json``: the Markdown again from the saved run."""
    document = json.loads(results.read_text())
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "write.md"
    target.write_text(render(document))
    return target

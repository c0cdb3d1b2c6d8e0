"""Reports from a saved ``results.json``: Markdown and HTML matrices, and diffs of two runs.

Reports are rendered from the JSON alone, so they can be rebuilt (``s3conf report conformance``) and
compared later. Every text that ends up in a report passes through :func:`s3conf.redaction.redact`
with the run's secrets by the caller; the results themselves never hold credentials.

>>> doc = {"targets": {"moto": {}}, "checks": {"a.b": {"section": "s", "operation": "Get",
...        "expected": "e", "why": "w", "source": {"url": "https://x", "section": "S"}}},
...        "results": [{"target": "moto", "check": "a.b", "outcome": "xfail", "reason": "got 200",
...        "expected_failure": "known"}]}
>>> matrix(doc)["a.b"]["moto"]["outcome"]
'xfail'
>>> diff(doc, {**doc, "results": [{**doc["results"][0], "outcome": "xpass"}]})
{'moto': [('a.b', 'xfail', 'xpass')]}
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

SYMBOLS = {
    "pass": "✅ pass",
    "fail": "❌ FAIL",
    "xfail": "⚠️ xfail",
    "xpass": "❗ XPASS",
    "skip": "➖ skip",
    "n/a": "⬜ n/a",
    "error": "💥 ERROR",
}


OUTCOMES = ("pass", "fail", "xfail", "xpass", "skip", "n/a", "error")


def in_headline(info: dict[str, Any]) -> bool:
    """Whether a check's verdict counts in the headline: documented by AWS, or observed on AWS.

    Results written before checks carried ``documented`` count as documented.
    """
    return bool(info.get("in_headline", info.get("documented", True) or info.get("aws_observed")))


def summarize(
    results: list[dict[str, Any]], checks: dict[str, dict[str, Any]]
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Per-target outcome counts: (headline, undocumented).

    The headline (``summary`` in the results, the exit code, the report's target table) counts only
    checks whose expected answer AWS documents or that were observed on AWS; the others are counted
    apart, so a vendor is never failed on an inferred answer.

    >>> checks = {"a": {"documented": True}, "b": {"documented": False, "in_headline": False}}
    >>> results = [{"target": "t", "check": "a", "outcome": "pass"},
    ...            {"target": "t", "check": "b", "outcome": "fail"}]
    >>> head, other = summarize(results, checks)
    >>> head["t"]["fail"], other["t"]["fail"], head["t"]["pass"]
    (0, 1, 1)
    """
    headline: dict[str, dict[str, int]] = {}
    undocumented: dict[str, dict[str, int]] = {}
    for result in results:
        table = headline if in_headline(checks.get(result["check"], {})) else undocumented
        counts = table.setdefault(result["target"], dict.fromkeys(OUTCOMES, 0))
        counts[result["outcome"]] += 1
        headline.setdefault(result["target"], dict.fromkeys(OUTCOMES, 0))
    return headline, undocumented


def source_text(info: dict[str, Any]) -> str:
    """``section — url`` of a check's source, or ``""`` for results without one."""
    source = info.get("source") or {}
    return f"{source.get('section', '')} — {source.get('url', '')}" if source else ""


def _source_markdown(info: dict[str, Any]) -> str:
    source = info.get("source") or {}
    return f"[{source['section']}]({source['url']})" if source else "-"


def load_results(path: Path) -> dict[str, Any]:
    """Read a results JSON file."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def matrix(document: dict[str, Any]) -> dict[str, dict[str, dict[str, Any]]]:
    """``check id -> target -> result``."""
    table: dict[str, dict[str, dict[str, Any]]] = {}
    for result in document["results"]:
        table.setdefault(result["check"], {})[result["target"]] = result
    return table


def _ran_targets(document: dict[str, Any]) -> list[str]:
    """Targets with at least one result that was not a skip, then the fully skipped ones."""
    outcomes: dict[str, set[str]] = {}
    for result in document["results"]:
        outcomes.setdefault(result["target"], set()).add(result["outcome"])
    ran = sorted(t for t, o in outcomes.items() if o != {"skip"})
    return ran + sorted(t for t in outcomes if t not in ran)


def _cell_text(result: dict[str, Any] | None) -> str:
    return SYMBOLS.get(result["outcome"], result["outcome"]) if result else ""


def _one_line(text: str | None, limit: int = 300) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1] + "…"


def render_markdown(document: dict[str, Any]) -> str:
    """The Markdown report: header, per-target summary, the matrix, and every non-pass with its reason."""
    targets = _ran_targets(document)
    lines = [
        "# s3conf conformance report",
        "",
        f"- s3conf {document.get('s3conf_version')}, Python {document.get('python')}, "
        f"{document.get('platform')}",
        f"- run {document.get('created')} – {document.get('finished')} (UTC)",
        f"- command: `{document.get('command')}`",
        "",
        "## Targets",
        "",
        "| target | version | endpoint | pass | fail | xfail | xpass | skip | n/a | error |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name in targets:
        info = document["targets"].get(name, {})
        counts = document.get("summary", {}).get(name, {})
        lines.append(
            f"| {name} | {info.get('version') or '?'} | {info.get('endpoint') or '-'} | "
            + " | ".join(
                str(counts.get(k, 0)) for k in ("pass", "fail", "xfail", "xpass", "skip", "n/a", "error")
            )
            + " |"
        )
    lines += ["", "Launch flags (as close to AWS behaviour as each server allows):", ""]
    for name in targets:
        flags = document["targets"].get(name, {}).get("launch_flags") or []
        if flags:
            lines.append(f"- **{name}**: `{' '.join(flags)}`")
    undocumented = document.get("undocumented_summary") or {}
    if any(sum(c.get(k, 0) for k in ("fail", "error", "xpass")) for c in undocumented.values()):
        lines += [
            "",
            "Checks marked † test answers AWS does not document (inferred from the HTTP RFCs or "
            "reports of AWS's behaviour); they are listed below but not counted above. Outside the "
            "headline: "
            + "; ".join(
                f"{t}: {c.get('pass', 0)} pass, {c.get('fail', 0)} fail"
                for t, c in sorted(undocumented.items())
            )
            + ".",
        ]
    leftovers = document.get("leftover_buckets") or []
    if leftovers:
        where = ", ".join(leftovers)
        lines += ["", f"**Buckets not deleted** (target:bucket; failed checks tell why): {where}"]
    lines += [
        "",
        "## Matrix",
        "",
        "xfail = a known difference listed in `expectations.toml`; XPASS = listed there but now passes "
        "(the entry is stale); FAIL = a new difference.",
        "",
        "| check | operation | source | " + " | ".join(targets) + " |",
        "|---|---|---|" + "---|" * len(targets),
    ]
    table = matrix(document)
    for check_id, info in document["checks"].items():
        row = table.get(check_id, {})
        mark = "" if in_headline(info) else " †"
        lines.append(
            f"| `{check_id}`{mark} | {info['operation']} | {_source_markdown(info)} | "
            + " | ".join(_cell_text(row.get(t)) for t in targets)
            + " |"
        )
    lines += ["", "## Differences from AWS S3", ""]
    for check_id, info in document["checks"].items():
        bad = [
            r
            for t, r in table.get(check_id, {}).items()
            if r["outcome"] not in ("pass", "skip") and t in targets
        ]
        if not bad:
            continue
        lines += [
            f"### `{check_id}`",
            "",
            f"- expected (AWS): {info['expected']}",
            f"- source: {_source_markdown(info)}",
            f"- documented by AWS: {'yes' if info.get('documented', True) else 'no (not in the headline)'}",
            f"- why: {info['why']}",
        ]
        for result in sorted(bad, key=lambda r: r["target"]):
            lines.append(f"- **{result['target']}** ({result['outcome']}): {_one_line(result.get('reason'))}")
        lines.append("")
    skipped = {r["target"]: r.get("reason") for r in document["results"] if r["outcome"] == "skip"}
    if skipped:
        lines += ["## Skipped", ""]
        lines += [f"- **{t}**: {_one_line(reason)}" for t, reason in sorted(skipped.items())]
    return "\n".join(lines).rstrip() + "\n"


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.5em; vertical-align: top; }
.pass { background: #e6f4ea; } .fail, .error { background: #fce8e6; } .xfail { background: #fef7e0; }
.xpass { background: #f3e8fd; } .skip { color: #888; } code { font-size: 0.95em; }
"""


def render_html(document: dict[str, Any]) -> str:
    """A self-contained HTML page with the same content as the Markdown report; reasons on hover."""
    esc = html.escape
    targets = _ran_targets(document)
    table = matrix(document)
    rows = []
    for check_id, info in document["checks"].items():
        cells = []
        for name in targets:
            result = table.get(check_id, {}).get(name)
            if result is None:
                cells.append("<td></td>")
                continue
            title = esc(_one_line(result.get("reason"), 1000), quote=True)
            cells.append(
                f'<td class="{esc(result["outcome"])}" title="{title}">{esc(_cell_text(result))}</td>'
            )
        source = info.get("source") or {}
        link = f'<a href="{esc(source["url"], quote=True)}">{esc(source["section"])}</a>' if source else ""
        mark = "" if in_headline(info) else " †"
        rows.append(
            f"<tr><td><code>{esc(check_id)}</code>{mark}</td><td>{esc(info['operation'])}</td>"
            f'<td title="{esc(info["why"], quote=True)}">{esc(info["expected"])}</td><td>{link}</td>'
            f"{''.join(cells)}</tr>"
        )
    summary = []
    for name in targets:
        info = document["targets"].get(name, {})
        counts = document.get("summary", {}).get(name, {})
        summary.append(
            f"<tr><td>{esc(name)}</td><td>{esc(str(info.get('version') or '?'))}</td>"
            f"<td><code>{esc(' '.join(info.get('launch_flags') or []))}</code></td>"
            + "".join(
                f"<td>{counts.get(k, 0)}</td>"
                for k in ("pass", "fail", "xfail", "xpass", "skip", "n/a", "error")
            )
            + "</tr>"
        )
    failures = []
    for check_id in document["checks"]:
        for name, result in sorted(table.get(check_id, {}).items()):
            if result["outcome"] in ("fail", "xfail", "xpass", "error"):
                info = document["checks"][check_id]
                documented = "yes" if info.get("documented", True) else "no †"
                failures.append(
                    f"<tr><td><code>{esc(check_id)}</code></td><td>{esc(name)}</td>"
                    f'<td class="{esc(result["outcome"])}">{esc(result["outcome"])}</td>'
                    f"<td>{esc(_one_line(result.get('reason'), 1000))}</td>"
                    f"<td>{esc(source_text(info))}</td><td>{documented}</td></tr>"
                )
    target_headers = "".join(f"<th>{esc(t)}</th>" for t in targets)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>s3conf conformance report</title>
<style>{_CSS}</style></head>
<body>
<h1>s3conf conformance report</h1>
<p>s3conf {esc(str(document.get("s3conf_version")))}, Python {esc(str(document.get("python")))},
run {esc(str(document.get("created")))} &ndash; {esc(str(document.get("finished")))} UTC.<br>
Command: <code>{esc(str(document.get("command")))}</code></p>
<h2>Targets</h2>
<table><tr><th>target</th><th>version</th><th>launch flags</th><th>pass</th><th>fail</th><th>xfail</th>
<th>xpass</th><th>skip</th><th>n/a</th><th>error</th></tr>
{"".join(summary)}</table>
<h2>Matrix</h2>
<p>† AWS does not document this answer; the check is reported but not counted in the table above.</p>
<table><tr><th>check</th><th>operation</th><th>expected (AWS)</th><th>source</th>{target_headers}</tr>
{"".join(rows)}</table>
<h2>Failure reasons</h2>
<table><tr><th>check</th><th>target</th><th>outcome</th><th>reason</th><th>source</th><th>documented</th></tr>
{"".join(failures)}</table>
</body></html>
"""


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[tuple[str, str, str]]]:
    """Per target, the checks whose outcome changed: ``(check, old outcome, new outcome)``.

    A check missing from one run shows as ``"absent"`` there.
    """
    before = {(r["target"], r["check"]): r["outcome"] for r in old["results"]}
    after = {(r["target"], r["check"]): r["outcome"] for r in new["results"]}
    changes: dict[str, list[tuple[str, str, str]]] = {}
    for target, check_id in sorted(before.keys() | after.keys()):
        was, now = before.get((target, check_id), "absent"), after.get((target, check_id), "absent")
        if was != now:
            changes.setdefault(target, []).append((check_id, was, now))
    return changes


def render_diff(old: dict[str, Any], new: dict[str, Any], *, old_name: str, new_name: str) -> str:
    """The diff as Markdown: one table per target, or a sentence saying nothing changed."""
    changes = diff(old, new)
    lines = [f"# Conformance changes: `{old_name}` → `{new_name}`", ""]
    if not changes:
        return "\n".join([*lines, "No check changed outcome.", ""])
    for target, rows in changes.items():
        lines += [f"## {target}", "", "| check | before | after |", "|---|---|---|"]
        lines += [f"| `{check_id}` | {was} | {now} |" for check_id, was, now in rows]
        lines.append("")
    return "\n".join(lines)

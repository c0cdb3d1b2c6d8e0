"""Killed, survived and timed-out mutants per unit, with equivalent mutants set aside by reason.

mutmut names a mutant by its position in a function (``s3conf.uri.x_parse__mutmut_12``), which moves
whenever the function changes. Equivalent mutants are therefore declared by what the mutation *does*:
``module:function | removed line -> added line`` (whitespace collapsed; ``#2`` on the second identical
change in one function). :func:`mutant_key` builds that key from mutmut's diff, and
``suites/mutation/equivalent.toml`` maps keys to the reason no test can tell the mutant apart.

The score is ``(killed + timeout) / (mutants - equivalent)``: a mutant that makes the tests hang was
noticed; one that no test runs (``no tests``) counts as a survivor.
"""

from __future__ import annotations

import fnmatch
import json
import tomllib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from suites.mutation.scope import GOAL_PERCENT, Unit

EQUIVALENT_FILE = Path(__file__).with_name("equivalent.toml")
CLASS_SEPARATOR = "ǁ"  # mutmut's: x«sep»Class«sep»method

#: mutmut's exit codes (mutmut.stats.status_by_exit_code), folded to what the report counts.
STATUS_BY_EXIT_CODE: dict[int | None, str] = {
    1: "killed",
    3: "killed",
    0: "survived",
    5: "no tests",
    33: "no tests",
    36: "timeout",
    -24: "timeout",
    24: "timeout",
    152: "timeout",
    255: "timeout",
    -9: "timeout",  # killed after its CPU budget (SIGXCPU ignored, then SIGKILL)
    None: "not checked",
}
DETECTED = ("killed", "timeout")
STATUSES = ("killed", "timeout", "survived", "no tests", "not checked", "other", "equivalent")


class EquivalentFileError(ValueError):
    """``equivalent.toml`` is malformed: an entry without a key or a reason."""


def status_of(exit_code: int | None) -> str:
    """What one mutmut exit code means for the report.

    >>> status_of(1), status_of(0), status_of(None), status_of(-24), status_of(7)
    ('killed', 'survived', 'not checked', 'timeout', 'other')
    """
    return STATUS_BY_EXIT_CODE.get(exit_code, "other")


def split_name(mutant_name: str) -> tuple[str, str, int]:
    """``(module, function, index)`` of a mutmut mutant name; methods read ``Class.method``.

    >>> split_name("s3conf.uri.x_parse_uri__mutmut_12")
    ('s3conf.uri', 'parse_uri', 12)
    >>> split_name("s3conf.entropy.xǁEntropyInjectorǁ__init____mutmut_3")
    ('s3conf.entropy', 'EntropyInjector.__init__', 3)
    """
    mangled, _, index = mutant_name.rpartition("__mutmut_")
    module, _, function = mangled.rpartition(".")
    if function.startswith("x" + CLASS_SEPARATOR):
        _, class_name, method = function.split(CLASS_SEPARATOR)
        return module, f"{class_name}.{method}", int(index)
    return module, function.removeprefix("x_"), int(index)


def change_of(diff: str) -> str:
    """``removed -> added`` from a unified diff of one function (each side's lines joined by `` / ``).

    >>> change_of("--- a\\n+++ a\\n@@ -1,2 +1,2 @@\\n def f(x):\\n-    return x  +  1\\n+    return x - 1")
    'return x + 1 -> return x - 1'
    >>> change_of("--- a\\n+++ a\\n@@ -1 +1 @@\\n-    a()\\n-    b()\\n+    b()")
    'a() / b() -> b()'
    """
    removed: list[str] = []
    added: list[str] = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++", "@@")):
            continue
        if line.startswith("-"):
            removed.append(" ".join(line[1:].split()))
        elif line.startswith("+"):
            added.append(" ".join(line[1:].split()))
    return f"{' / '.join(removed) or '(nothing)'} -> {' / '.join(added) or '(nothing)'}"


def mutant_keys(changes: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Stable keys for ``(mutant name, change)`` pairs: ``module:function | change``, ``#N`` on repeats.

    Repeats are numbered in mutmut's order within the function, so the key survives edits elsewhere.

    >>> keys = mutant_keys([("m.x_f__mutmut_2", "a -> b"), ("m.x_f__mutmut_1", "a -> b")])
    >>> keys["m.x_f__mutmut_1"], keys["m.x_f__mutmut_2"]
    ('m:f | a -> b', 'm:f | a -> b #2')
    """
    keys: dict[str, str] = {}
    seen: Counter[str] = Counter()
    for name, change in sorted(changes, key=lambda pair: split_name(pair[0])):
        module, function, _ = split_name(name)
        key = f"{module}:{function} | {change}"
        seen[key] += 1
        keys[name] = key if seen[key] == 1 else f"{key} #{seen[key]}"
    return keys


def load_equivalents(text: str) -> dict[str, str]:
    """``{mutant key: reason}`` from ``equivalent.toml`` (``[[equivalent]]`` with ``mutant``, ``reason``).

    >>> load_equivalents('[[equivalent]]\\nmutant = "m:f | a -> b"\\nreason = "same result"\\n')
    {'m:f | a -> b': 'same result'}
    """
    entries = tomllib.loads(text).get("equivalent", [])
    result: dict[str, str] = {}
    for number, entry in enumerate(entries, start=1):
        key, reason = entry.get("mutant"), entry.get("reason")
        if not isinstance(key, str) or not key or not isinstance(reason, str) or not reason.strip():
            raise EquivalentFileError(f"equivalent entry {number} ({entry!r}) needs a mutant and a reason")
        if key in result:
            raise EquivalentFileError(f"equivalent entry {number}: {key!r} is listed twice")
        result[key] = reason.strip()
    return result


@dataclass(frozen=True)
class Mutant:
    """One mutant as the report shows it."""

    name: str
    unit: str
    key: str
    status: str
    reason: str | None = None


@dataclass
class UnitSummary:
    """Counts of one unit and its score."""

    unit: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))

    @property
    def total(self) -> int:
        """Every mutant of the unit, equivalent ones included."""
        return sum(self.counts.values())

    @property
    def scored(self) -> int:
        """The mutants the score is out of: all but the equivalent ones."""
        return self.total - self.counts["equivalent"]

    @property
    def detected(self) -> int:
        """Killed or timed out."""
        return sum(self.counts[status] for status in DETECTED)

    @property
    def score(self) -> float | None:
        """Percent of the scored mutants detected, or ``None`` when there is none to score."""
        return 100.0 * self.detected / self.scored if self.scored else None


def classify(
    units: Sequence[Unit],
    exit_codes: Mapping[str, int | None],
    keys: Mapping[str, str],
    equivalents: Mapping[str, str],
) -> list[Mutant]:
    """Each mutant of ``units`` with its status; a declared equivalent that survived is ``equivalent``.

    A declared equivalent that was *killed* keeps ``killed``: the declaration is wrong and
    :func:`stale_equivalents` reports it.
    """
    mutants = []
    for name, code in exit_codes.items():
        unit = next((u for u in units if fnmatch.fnmatchcase(name, u.glob)), None)
        if unit is None:
            continue
        status, key = status_of(code), keys[name]
        reason = equivalents.get(key)
        if reason is not None and status in ("survived", "no tests"):
            status = "equivalent"
        mutants.append(Mutant(name=name, unit=unit.name, key=key, status=status, reason=reason))
    return sorted(mutants, key=lambda m: (m.unit, split_name(m.name)))


def stale_equivalents(mutants: Iterable[Mutant], equivalents: Mapping[str, str]) -> list[str]:
    """Declarations that match no mutant, or match one the tests kill (so it is not equivalent)."""
    by_key = {m.key: m for m in mutants}
    stale = []
    for key in equivalents:
        mutant = by_key.get(key)
        if mutant is None:
            stale.append(f"{key}: matches no mutant (the code changed?)")
        elif mutant.status in DETECTED:
            stale.append(f"{key}: declared equivalent but {mutant.status} ({mutant.name})")
    return stale


def summarize(units: Sequence[Unit], mutants: Iterable[Mutant]) -> list[UnitSummary]:
    """One :class:`UnitSummary` per unit, in ``units`` order, plus a final ``total`` row."""
    summaries = {unit.name: UnitSummary(unit.name) for unit in units}
    total = UnitSummary("total")
    for mutant in mutants:
        summaries[mutant.unit].counts[mutant.status] += 1
        total.counts[mutant.status] += 1
    return [*summaries.values(), total]


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f} %"


def render_markdown(
    summaries: Sequence[UnitSummary], mutants: Sequence[Mutant], stale: Sequence[str], command: str
) -> str:
    """The human report: per-unit table, survivors, equivalents with reasons, stale declarations."""
    lines = [
        "# Mutation testing (mutmut)",
        "",
        "Reproduce from scratch: `nox -s mutation -- --fresh` (then `mutmut show NAME` for a mutant's diff);",
        f"this report was written by `{command}`.",
        f"Score = (killed + timeout) / (mutants − equivalent); goal ≥ {GOAL_PERCENT:.0f} % per unit.",
        "",
        "| unit | mutants | killed | timeout | survived | no tests | equivalent | not checked | score |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        c = s.counts
        name = f"**{s.unit}**" if s.unit == "total" else f"`{s.unit}`"
        lines.append(
            f"| {name} | {s.total} | {c['killed']} | {c['timeout']} | {c['survived']} | {c['no tests']} "
            f"| {c['equivalent']} | {c['not checked'] + c['other']} | {_percent(s.score)} |"
        )
    survivors = [m for m in mutants if m.status in ("survived", "no tests", "other")]
    lines += ["", f"## Surviving mutants ({len(survivors)})", ""]
    lines += [f"- `{m.name}` ({m.status}): `{m.key}`" for m in survivors] or ["None."]
    equivalent = [m for m in mutants if m.status == "equivalent"]
    lines += ["", f"## Equivalent mutants ({len(equivalent)}, from suites/mutation/equivalent.toml)", ""]
    lines += [f"- `{m.key}`: {m.reason}" for m in equivalent] or ["None."]
    if stale:
        lines += ["", f"## Stale equivalence declarations ({len(stale)})", ""]
        lines += [f"- `{entry}`" for entry in stale]
    return "\n".join(lines) + "\n"


def render_json(
    summaries: Sequence[UnitSummary], mutants: Sequence[Mutant], stale: Sequence[str], command: str
) -> str:
    """The machine report: the same facts as :func:`render_markdown`, every mutant included."""
    document: dict[str, Any] = {
        "command": command,
        "goal_percent": GOAL_PERCENT,
        "units": [
            {"unit": s.unit, **s.counts, "mutants": s.total, "score_percent": s.score} for s in summaries
        ],
        "mutants": [asdict(m) for m in mutants],
        "stale_equivalents": list(stale),
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def below_goal(summaries: Iterable[UnitSummary]) -> list[str]:
    """The units whose score is under :data:`GOAL_PERCENT` (the ``total`` row included)."""
    return [s.unit for s in summaries if s.score is not None and s.score < GOAL_PERCENT]


def _read_exit_codes(root: Path, units: Sequence[Unit]) -> dict[str, int | None]:
    codes: dict[str, int | None] = {}
    for path in sorted({unit.path for unit in units}):
        meta = root / "mutants" / (path + ".meta")
        if meta.exists():
            codes.update(json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"])
    return codes


def undetected(root: Path, units: Sequence[Unit]) -> list[str]:
    """Names of the mutants of ``units`` whose last verdict was survived or no tests (to rerun them)."""
    return sorted(
        name
        for name, code in _read_exit_codes(root, units).items()
        if status_of(code) in ("survived", "no tests")
        and any(fnmatch.fnmatchcase(name, unit.glob) for unit in units)
    )


def write_reports(root: Path, units: Sequence[Unit], out: Path, command: str) -> list[UnitSummary]:
    """Read mutmut's results under ``root/mutants``, write ``summary.md`` and ``summary.json`` to ``out``.

    Run from ``root``: mutmut reads the mutated sources relative to the working directory.
    """
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # the mutation extra

    codes = {
        name: code
        for name, code in _read_exit_codes(root, units).items()
        if any(fnmatch.fnmatchcase(name, unit.glob) for unit in units)
    }
    path_of = {name: next(u.path for u in units if fnmatch.fnmatchcase(name, u.glob)) for name in codes}
    changes = [(name, change_of(get_diff_for_mutant(name, path=path_of[name]))) for name in codes]
    equivalents = load_equivalents(EQUIVALENT_FILE.read_text(encoding="utf-8"))
    mutants = classify(units, codes, mutant_keys(changes), equivalents)
    stale = stale_equivalents(mutants, equivalents)
    summaries = summarize(units, mutants)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(render_markdown(summaries, mutants, stale, command), encoding="utf-8")
    (out / "summary.json").write_text(render_json(summaries, mutants, stale, command), encoding="utf-8")
    return summaries

"""The mutation report (suites.mutation.report): stable mutant keys, equivalents, scores; the scope."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from suites.mutation.report import (
    EQUIVALENT_FILE,
    EquivalentFileError,
    Mutant,
    classify,
    load_equivalents,
    mutant_keys,
    render_markdown,
    stale_equivalents,
    summarize,
)
from suites.mutation.scope import SCOPE, Unit

ROOT = Path(__file__).resolve().parents[1]
UNITS = (Unit("m", "m.py", "m.*"), Unit("n", "n.py", "n.*"))


def test_the_scope_is_what_mutmut_mutates() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    assert sorted(unit.path for unit in SCOPE) == sorted(config["only_mutate"])
    for unit in SCOPE:
        assert (ROOT / unit.path).is_file(), unit.path
        assert unit.glob == unit.path.removesuffix(".py").replace("/", ".") + ".*"


def test_the_checked_in_equivalents_parse() -> None:
    equivalents = load_equivalents(EQUIVALENT_FILE.read_text(encoding="utf-8"))
    modules = {unit.name for unit in SCOPE}
    assert all(key.split(":")[0] in modules for key in equivalents), sorted(equivalents)


def test_keys_are_stable_when_mutmut_renumbers() -> None:
    """The key names the change, not mutmut's index: renumbering keeps keys; repeats are counted."""
    first = mutant_keys([("m.x_f__mutmut_1", "a -> b"), ("m.x_f__mutmut_2", "c -> d")])
    renumbered = mutant_keys([("m.x_f__mutmut_7", "a -> b"), ("m.x_f__mutmut_9", "c -> d")])
    assert sorted(first.values()) == sorted(renumbered.values()) == ["m:f | a -> b", "m:f | c -> d"]
    repeated = mutant_keys([("m.x_f__mutmut_3", "a -> b"), ("m.x_f__mutmut_10", "a -> b")])
    assert repeated == {"m.x_f__mutmut_3": "m:f | a -> b", "m.x_f__mutmut_10": "m:f | a -> b #2"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[[equivalent]]\nmutant = "m:f | a -> b"\n', "needs a mutant and a reason"),
        ('[[equivalent]]\nmutant = "m:f | a -> b"\nreason = "  "\n', "needs a mutant and a reason"),
        ('[[equivalent]]\nreason = "why"\n', "needs a mutant and a reason"),
        ('[[equivalent]]\nmutant = "k"\nreason = "r"\n[[equivalent]]\nmutant = "k"\nreason = "s"\n', "twice"),
    ],
    ids=["no-reason", "blank-reason", "no-mutant", "duplicate"],
)
def test_bad_equivalence_declarations_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(EquivalentFileError, match=fragment):
        load_equivalents(text)


CODES = {
    "m.x_f__mutmut_1": 1,  # killed
    "m.x_f__mutmut_2": 0,  # survived, declared equivalent
    "m.x_f__mutmut_3": 0,  # survived
    "m.x_f__mutmut_4": -24,  # timeout
    "m.x_g__mutmut_1": 33,  # no tests
    "m.x_g__mutmut_2": 1,  # killed, but declared equivalent: stale
    "n.x_h__mutmut_1": None,  # not checked
    "other.x_k__mutmut_1": 0,  # outside the units: ignored
}
KEYS = {name: f"key {name}" for name in CODES}
EQUIVALENTS = {
    "key m.x_f__mutmut_2": "same result",
    "key m.x_g__mutmut_2": "wrong",
    "m:gone | a -> b": "matches nothing",
}


def test_classify_counts_and_scores() -> None:
    mutants = classify(UNITS, CODES, KEYS, EQUIVALENTS)
    assert {m.name: m.status for m in mutants} == {
        "m.x_f__mutmut_1": "killed",
        "m.x_f__mutmut_2": "equivalent",
        "m.x_f__mutmut_3": "survived",
        "m.x_f__mutmut_4": "timeout",
        "m.x_g__mutmut_1": "no tests",
        "m.x_g__mutmut_2": "killed",
        "n.x_h__mutmut_1": "not checked",
    }
    m, n, total = summarize(UNITS, mutants)
    assert (m.total, m.scored, m.detected) == (6, 5, 3)
    assert m.score == pytest.approx(60.0)
    assert (n.total, n.detected, n.score) == (1, 0, 0.0)
    assert (total.unit, total.total, total.scored, total.detected) == ("total", 7, 6, 3)
    assert stale_equivalents(mutants, EQUIVALENTS) == [
        "key m.x_g__mutmut_2: declared equivalent but killed (m.x_g__mutmut_2)",
        "m:gone | a -> b: matches no mutant (the code changed?)",
    ]


def test_the_markdown_lists_survivors_and_reasons() -> None:
    mutants = [
        Mutant("m.x_f__mutmut_1", "m", "m:f | a -> b", "survived"),
        Mutant("m.x_f__mutmut_2", "m", "m:f | c -> d", "equivalent", "same result"),
    ]
    text = render_markdown(summarize(UNITS[:1], mutants), mutants, [], "nox -s mutation")
    assert "Reproduce from scratch: `nox -s mutation -- --fresh`" in text
    assert "this report was written by `nox -s mutation`." in text
    assert "| `m` | 2 | 0 | 0 | 1 | 0 | 1 | 0 | 0.0 % |" in text
    assert "- `m.x_f__mutmut_1` (survived): `m:f | a -> b`" in text
    assert "- `m:f | c -> d`: same result" in text

"""The results file: round trip, pytest-benchmark compatibility, and rejection of foreign files."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from pytest_benchmark.stats import Stats

from s3conf.errors import ConfigError
from suites.bench import results
from suites.bench.stats import timing_stats

DATA = Path(__file__).parent / "data" / "results-small.json"


@pytest.mark.parametrize(
    "durations",
    [
        [0.5],
        [2.0, 1.0],
        [3.0, 1.0, 2.0],
        [1.0, 2.0, 3.0, 4.0],
        [5.0, 1.0, 4.0, 2.0, 3.0],
        [1, 2, 3, 4, 5, 6, 7, 50],
    ],
    ids=["one", "two", "three", "four", "five", "eight-with-outlier"],
)
def test_timing_stats_agree_with_pytest_benchmark(durations: list[float]) -> None:
    theirs = Stats()  # type: ignore[no-untyped-call]
    for duration in durations:
        theirs.update(duration)  # type: ignore[no-untyped-call]
    ours = timing_stats(durations)
    for name in ("min", "max", "mean", "stddev", "rounds", "median", "iqr", "q1", "q3", "iqr_outliers",
                 "stddev_outliers", "outliers", "ld15iqr", "hd15iqr", "total"):  # fmt: skip
        assert ours[name] == pytest.approx(getattr(theirs, name)), name


def test_round_trip_keeps_every_sample(tmp_path: Path) -> None:
    run, samples, skipped = results.load(DATA)
    copy = tmp_path / "copy.json"
    results.save(copy, run, samples, skipped)
    again = results.load(copy)
    assert again[0] == run
    assert sorted(again[1], key=lambda s: s.order) == sorted(samples, key=lambda s: s.order)
    assert again[2] == skipped == [results.Skipped("peer:obstore", "obstore is not installed")]


def test_saved_file_has_the_pytest_benchmark_shape(tmp_path: Path) -> None:
    """Checks what ``save()`` writes (not the checked-in fixture), commit block included."""
    run, samples, skipped = results.load(DATA)
    commit = {"id": "0123abcd", "dirty": False, "branch": "main"}
    run = dataclasses.replace(run, machine={**run.machine, "commit": commit})
    written = tmp_path / "written.json"
    results.save(written, run, samples, skipped)
    doc = json.loads(written.read_text())
    assert {"machine_info", "commit_info", "benchmarks", "datetime", "version"} <= doc.keys()
    assert doc["commit_info"] == {"id": "0123abcd", "dirty": False, "branch": "main"}
    assert len(doc["benchmarks"]) == len({(s.workload, s.contender) for s in samples}) > 0
    for bench in doc["benchmarks"]:
        assert set(Stats.fields) <= bench["stats"].keys()
        assert bench["stats"]["rounds"] == len(bench["extra_info"]["samples"]) == 3
        assert bench["extra_info"]["workload"] == bench["group"]
        assert bench["extra_info"]["machine"]["cpu"]["count"] == 2
        assert bench["name"] == f"{bench['group']}[{bench['params']['contender']}]"


def test_a_foreign_json_file_is_rejected_naming_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text(json.dumps({"benchmarks": [], "s3conf": {"schema": "something/9"}}))
    with pytest.raises(ConfigError, match=r"something/9"):
        results.load(path)


def test_a_file_that_is_not_json_is_rejected_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match=r"broken\.json"):
        results.load(path)

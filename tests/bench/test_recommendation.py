"""The recommendation a user acts on: frugal with bytes, honest about the grid's edges, naming the
exact keys and environment variables, and printed on the terminal.

Summary tables are written out by hand (literal ratios and byte counts), so every expected pick below
can be checked by reading the rows; nothing re-derives the rule the code uses.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from s3conf.cli import main
from s3conf.config import S3Config
from suites.bench import analysis, report

MiB = 1024 * 1024
KiB = 1024
DATA = Path(__file__).parent / "data" / "results-small.json"


def _table(
    workload: str, rows: list[tuple[int, int, float, float, float]], served_mib: float
) -> pd.DataFrame:
    """Summary rows (fragment size, number, median ratio, ratio IQR, MiB fetched) of one workload."""
    return pd.DataFrame(
        [
            {
                "workload": workload,
                "contender": analysis.reader_name(size, number),
                "kind": "reader",
                "fragment_size": size,
                "fragment_number": number,
                "ratio": ratio,
                "ratio_iqr": iqr,
                "get_requests": 10.0,
                "fetched_mib": fetched,
                "fetched_per_served": fetched / served_mib,
            }
            for size, number, ratio, iqr, fetched in rows
        ]
    )


def _pick(table: pd.DataFrame) -> dict[str, object]:
    (row,) = analysis.recommend(table).to_dict("records")
    return row


def test_random_reads_never_get_the_configuration_that_fetches_hundreds_of_times_what_it_serves() -> None:
    """16MiB x 1 is the smallest memory bound within noise, but fetches 228 MiB to serve 1 MiB;
    256KiB x 128 is as fast (within noise) and fetches 1.5 MiB."""
    table = _table(
        "random",
        [
            (16 * MiB, 1, 0.50, 0.02, 228.0),
            (256 * KiB, 128, 0.49, 0.02, 1.5),
            (256 * KiB, 4, 0.20, 0.02, 1.2),  # frugal but far outside noise
        ],
        served_mib=1.0,
    )
    pick = _pick(table)
    assert pick["recommended"] == "reader:S=256KiB,N=128"
    assert pick["best"] == "reader:S=16MiB,N=1"
    assert pick["fetched_per_served"] == pytest.approx(1.5)
    assert (pick["within_noise"], pick["frugal"]) == (2, 1)


def test_sequential_reads_still_take_the_smallest_memory_bound() -> None:
    table = _table(
        "sequential",
        [
            (4 * MiB, 4, 0.95, 0.03, 64.0),
            (1 * MiB, 4, 0.92, 0.03, 64.2),
            (1 * MiB, 2, 0.60, 0.03, 64.0),
            (1 * MiB, 8, 0.70, 0.03, 64.0),
        ],
        served_mib=64.0,
    )
    pick = _pick(table)
    assert pick["recommended"] == "reader:S=1MiB,N=4"
    assert pick["memory_bound_mib"] == 4.0
    assert pick["warnings"] == []


@pytest.mark.parametrize(
    ("rows", "warning"),
    [
        (
            [(16 * MiB, 4, 0.9, 0.01, 64.0), (4 * MiB, 4, 0.7, 0.01, 64.0), (1 * MiB, 4, 0.5, 0.01, 64.0)],
            "largest fragment size measured (16MiB): try larger values with --sizes",
        ),
        (
            [(1 * MiB, 4, 0.9, 0.01, 64.0), (4 * MiB, 4, 0.7, 0.01, 64.0), (1 * MiB, 2, 0.5, 0.01, 64.0)],
            "smallest fragment size measured (1MiB): try smaller values with --sizes",
        ),
        (
            [(4 * MiB, 16, 0.9, 0.01, 64.0), (4 * MiB, 4, 0.7, 0.01, 64.0), (1 * MiB, 4, 0.5, 0.01, 64.0)],
            "largest fragment number measured (16): try larger values with --numbers",
        ),
    ],
    ids=["largest-size", "smallest-size", "largest-number"],
)
def test_a_best_configuration_on_the_edge_of_the_grid_is_flagged(
    rows: list[tuple[int, int, float, float, float]], warning: str
) -> None:
    warnings = _pick(_table("sequential", rows, served_mib=64.0))["warnings"]
    assert isinstance(warnings, list)
    assert any(w.endswith(warning) for w in warnings), warnings


def test_no_edge_warning_when_a_configuration_inside_the_grid_is_within_noise() -> None:
    """The trend is flat across the edge: nothing suggests the optimum lies beyond it."""
    rows = [(16 * MiB, 4, 0.90, 0.05, 64.0), (4 * MiB, 4, 0.89, 0.05, 64.0), (1 * MiB, 2, 0.30, 0.05, 64.0)]
    warnings = _pick(_table("sequential", rows, served_mib=64.0))["warnings"]
    assert not any("fragment size" in w for w in warnings), warnings


def test_fragment_number_1_is_never_an_edge_to_go_below() -> None:
    rows = [(4 * MiB, 1, 0.90, 0.01, 64.0), (4 * MiB, 4, 0.50, 0.01, 64.0), (1 * MiB, 1, 0.40, 0.01, 64.0)]
    warnings = _pick(_table("sequential", rows, served_mib=64.0))["warnings"]
    assert not any("fragment number" in w for w in warnings), warnings


def test_over_fetching_is_warned_about_even_when_nothing_better_was_measured() -> None:
    rows = [(4 * MiB, 2, 0.21, 0.01, 252.0), (8 * MiB, 2, 0.10, 0.01, 500.0)]
    warnings = _pick(_table("random", rows, served_mib=1.0))["warnings"]
    assert "even the recommended configuration fetches 252.0x the bytes it serves" in " ".join(warnings)


def test_settings_name_the_keys_and_variables_the_library_reads() -> None:
    chosen = analysis.settings(4 * MiB, 8)
    assert chosen == {
        "s3.spi.read.max-fragment-size": "4MiB",
        "s3.spi.read.max-fragment-number": "8",
        "S3_SPI_READ_MAX_FRAGMENT_SIZE": "4MiB",
        "S3_SPI_READ_MAX_FRAGMENT_NUMBER": "8",
    }
    # The oracle is the configuration itself: set exactly these and the reader gets 4 MiB x 8.
    by_key = S3Config.resolve({k: v for k, v in chosen.items() if k.startswith("s3.")}, env={})
    by_env = S3Config.resolve({}, env={k: v for k, v in chosen.items() if k.startswith("S3_")})
    for config in (by_key, by_env):
        assert (config.fragment_size, config.fragment_number) == (4 * MiB, 8)


def test_recommendation_lines_say_what_to_set_and_which_way_is_better() -> None:
    table = _table("sequential", [(1 * MiB, 4, 0.91, 0.01, 64.0), (4 * MiB, 4, 0.50, 0.01, 64.0)], 64.0)
    lines = report.recommendation_lines(analysis.recommend(table))
    assert lines[:3] == [
        "sequential: reader:S=1MiB,N=4, 0.91x the limit (higher is better; the best), fetches 1.00x the "
        "bytes it serves (lower is better)",
        "    s3.spi.read.max-fragment-size=1MiB  s3.spi.read.max-fragment-number=4",
        "    export S3_SPI_READ_MAX_FRAGMENT_SIZE=1MiB S3_SPI_READ_MAX_FRAGMENT_NUMBER=4",
    ]


@pytest.mark.parametrize(
    "table_of",
    [
        lambda table, rec: report.reader_table(table, "sequential"),
        lambda table, rec: report.contender_table(table, rec, "sequential"),
        lambda table, rec: report.recommendation_table(rec),
    ],
    ids=["readers", "contenders", "recommendation"],
)
def test_every_figure_column_says_which_direction_is_better(table_of: object) -> None:
    _, table, rec = report.summarize(report_samples())
    columns = table_of(table, rec).columns  # type: ignore[operator]
    neutral = {"S", "N", "n", "workload", "recommended", "best", "contender", "noise tolerance"}
    unmarked = [c for c in columns if c not in neutral and "↑" not in c and "↓" not in c]
    assert unmarked in ([], ["configs within noise (frugal)"]), unmarked


def report_samples() -> list[object]:
    from suites.bench import results

    return list(results.load(DATA)[1])


def test_the_report_command_prints_the_recommendation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "bench", str(DATA), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "sequential: reader:S=1MiB,N=4" in out
    assert "s3.spi.read.max-fragment-size=1MiB  s3.spi.read.max-fragment-number=4" in out
    assert "export S3_SPI_READ_MAX_FRAGMENT_SIZE=1MiB S3_SPI_READ_MAX_FRAGMENT_NUMBER=4" in out
    markdown = (tmp_path / "report.md").read_text()
    assert "export S3_SPI_READ_MAX_FRAGMENT_SIZE=1MiB" in markdown
    assert "↑ higher is better, ↓ lower is better" in markdown

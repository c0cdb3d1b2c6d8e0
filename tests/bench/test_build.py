"""Report files and the ``s3conf report bench`` command, from the small saved results file."""

from __future__ import annotations

from pathlib import Path

import pytest

from s3conf.cli import main

DATA = Path(__file__).parent / "data" / "results-small.json"


def test_report_command_writes_markdown_html_plots_and_data(tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert main(["report", "bench", str(DATA), "--out", str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "contenders-random.png",
        "contenders-sequential.png",
        "heatmap-random.png",
        "heatmap-sequential.png",
        "report.html",
        "report.md",
        "results.json",
        "summary.csv",
    ]
    md = (out / "report.md").read_text()
    assert "s3conf bench --target seaweedfs --quick --seed 7" in md
    assert f"s3conf report bench {out / 'results.json'}" in md
    assert "Skipped: `peer:obstore` (obstore is not installed)." in md
    page = (out / "report.html").read_text()
    assert page.count("<img ") == md.count("![") == 4
    assert all((out / name).read_bytes().startswith(b"\x89PNG") for name in names if name.endswith(".png"))


def test_compare_mode_takes_two_files(tmp_path: Path) -> None:
    out = tmp_path / "compare"
    assert main(["report", "bench", str(DATA), str(DATA), "--out", str(out)]) == 0
    md = (out / "report.md").read_text()
    assert "| sequential | reader:S=4MiB,N=4 | 0.95 | 0.95 | 0.0 |" in md
    assert (out / "compare.csv").exists()


def test_more_than_two_files_is_an_error_naming_the_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", "bench", str(DATA), str(DATA), str(DATA), "--out", str(tmp_path)]) == 2
    assert "got 3" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [("--sizes", "4XB", "'4XB'"), ("--numbers", "1,zero", "'zero'"), ("--peers", "s3fs,hdfs", "'hdfs'")],
    ids=["bad-size", "bad-number", "unknown-peer"],
)
def test_bad_grid_options_name_the_value(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A usage error: exit 2 and one line naming the value, no traceback (s3conf.cli turns the error)."""
    assert main(["bench", "--target", "moto", option, value, "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.startswith("s3conf bench: ")
    assert len(err.strip().splitlines()) == 1

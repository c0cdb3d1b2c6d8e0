"""Every exit code the README documents for ``s3conf``, ``bench``, ``report`` and ``targets``, one-line
errors instead of tracebacks, and the library-only install (``conformance`` has its own file:
``tests/conformance/test_conformance_cli.py``; ``config`` is in ``tests/test_config_cli.py``).

Missing extras are simulated by blocking their modules (``sys.modules[name] = None`` makes ``import``
raise ``ModuleNotFoundError``), in a child process where that must hold from the first import.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from emulators.base import Emulator
from emulators.moto_target import MotoEmulator
from s3conf.cli import main
from s3conf.errors import TargetError

ROOT = Path(__file__).resolve().parents[1]
BENCH_DATA = ROOT / "tests" / "bench" / "data" / "results-small.json"
TINY_BENCH = [
    "bench", "--target", "moto", "--sizes", "1MiB", "--numbers", "1", "--object-size", "1MiB",
    "--repeats", "1", "--peers", "none", "--workloads", "sequential", "--limit-concurrency", "2",
]  # fmt: skip


def _one_line_error(err: str, prefix: str) -> str:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(prefix), err
    return lines[0]


# --- s3conf itself ------------------------------------------------------------------------------------


def test_version_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert re.fullmatch(r"s3conf \S+\n", capsys.readouterr().out)


@pytest.mark.parametrize(
    "argv", [[], ["nope"], ["bench", "--no-such-option"]], ids=["none", "unknown", "bad"]
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    assert "usage: s3conf" in capsys.readouterr().err


# --- s3conf bench -------------------------------------------------------------------------------------


def test_bench_writes_results_and_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*TINY_BENCH, "--no-report", "--out", str(tmp_path)]) == 0
    document = json.loads((tmp_path / "results.json").read_text())
    names = {entry["name"] for entry in document["benchmarks"]}
    assert "sequential[reader:S=1MiB,N=1]" in names
    assert f"results: {tmp_path / 'results.json'}" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["bench", "--target", "nope"], "unknown target 'nope'"),
        (["bench", "--sizes", "0"], "--sizes: '0' must be at least 1 byte"),
        (["bench", "--object-size", "0"], "--object-size: '0' must be at least 1 byte"),
        (["bench", "--repeats", "0"], "--repeats: 0 is not an integer >= 1"),
        (["bench", "--workloads", "zigzag"], "unknown workload 'zigzag'"),
        (
            ["bench", "--target", "external", "--no-report", "--secret-key-file", "/nonexistent/secret"],
            "/nonexistent/secret: no such file",
        ),
    ],
    ids=["unknown-target", "zero-size", "zero-object-size", "zero-repeats", "unknown-workload", "no-secret"],
)
def test_bench_usage_errors_exit_2_in_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    assert message in _one_line_error(capsys.readouterr().err, "s3conf bench: ")


def test_bench_on_an_unavailable_target_exits_2_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(MotoEmulator, "available", lambda self: (False, "moto is not installed here"))
    assert main([*TINY_BENCH, "--no-report"]) == 2
    line = _one_line_error(capsys.readouterr().err, "s3conf bench: ")
    assert line.endswith("target 'moto' is not available here: moto is not installed here")


def test_bench_whose_target_fails_to_start_exits_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def fail(self: Emulator) -> None:
        raise TargetError("moto did not answer within 30 s")

    monkeypatch.setattr(MotoEmulator, "_start", fail)
    assert main([*TINY_BENCH, "--no-report", "--out", str(tmp_path)]) == 1
    assert "moto did not answer within 30 s" in _one_line_error(capsys.readouterr().err, "s3conf bench: ")
    assert not (tmp_path / "results.json").exists()


def test_bench_without_matplotlib_names_the_extra_before_running(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    started: list[bool] = []
    monkeypatch.setattr(MotoEmulator, "_start", lambda self: started.append(True))
    assert main([*TINY_BENCH, "--out", str(tmp_path)]) == 2
    line = _one_line_error(capsys.readouterr().err, "s3conf bench: ")
    assert line == "s3conf bench: needs matplotlib, which is not installed: pip install 's3conf[data]'"
    assert started == []


# --- s3conf report ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["bench", "conformance"])
def test_report_of_a_missing_file_exits_2_in_one_line(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "missing.json"
    extra = ["--out", str(tmp_path / "out")] if kind == "bench" else []
    assert main(["report", kind, str(missing), *extra]) == 2
    line = _one_line_error(capsys.readouterr().err, f"s3conf report {kind}: ")
    assert line.endswith(f"{missing}: no such file")


def test_report_of_a_file_that_is_not_json_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = tmp_path / "results.json"
    broken.write_text("{not json")
    assert main(["report", "conformance", str(broken)]) == 2
    assert "not a JSON results file" in _one_line_error(
        capsys.readouterr().err, "s3conf report conformance: "
    )


def test_report_conformance_without_arguments_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "conformance"]) == 2
    assert "give RESULTS.json or --diff OLD NEW" in capsys.readouterr().err


def test_reports_rebuilt_from_saved_results_exit_0(tmp_path: Path) -> None:
    assert main(["report", "bench", str(BENCH_DATA), "--out", str(tmp_path / "bench")]) == 0
    assert (tmp_path / "bench" / "report.md").exists()
    results = tmp_path / "conformance" / "results.json"
    results.parent.mkdir()
    results.write_text(json.dumps({"targets": {}, "checks": {}, "results": [], "summary": {}}))
    assert main(["report", "conformance", str(results)]) == 0
    assert "# s3conf conformance report" in (results.parent / "report.md").read_text()


# --- s3conf targets -----------------------------------------------------------------------------------


def test_targets_exit_0_listing_and_1_when_an_available_target_fails_to_start(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["targets", "--target", "moto"]) == 0

    def fail(self: Emulator) -> None:
        raise TargetError("moto did not answer")

    monkeypatch.setattr(MotoEmulator, "_start", fail)
    assert main(["targets", "--start", "--target", "moto"]) == 1
    assert "failed to start: moto did not answer" in capsys.readouterr().out


def test_targets_with_an_unknown_name_exits_2() -> None:
    assert main(["targets", "--target", "nope"]) == 2


# --- extras and the library-only install --------------------------------------------------------------

BLOCKED_SUITE_MODULES = ("pytest", "_pytest", "rich", "moto")


def _without(modules: tuple[str, ...], *argv: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys\n"
        f"for name in {modules!r}: sys.modules[name] = None\n"
        "import s3conf.fs, s3conf.fsspec, s3conf.reader, s3conf.writer\n"
        "from s3conf.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("argv", "command"),
    [(["conformance", "--check", "range.suffix"], "conformance"), (["targets"], "targets")],
    ids=["conformance", "targets"],
)
def test_suite_commands_without_the_conformance_extra_name_it(argv: list[str], command: str) -> None:
    """The library imports without pytest, rich and moto; the suite commands say what to install."""
    completed = _without(BLOCKED_SUITE_MODULES, *argv)
    assert completed.returncode == 2, completed.stderr
    line = _one_line_error(completed.stderr, f"s3conf {command}: needs ")
    assert line.endswith("which is not installed: pip install 's3conf[conformance]'")


def test_help_and_saved_reports_work_without_the_conformance_extra(tmp_path: Path) -> None:
    assert _without(BLOCKED_SUITE_MODULES, "--help").returncode == 0
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"targets": {}, "checks": {}, "results": [], "summary": {}}))
    completed = _without(BLOCKED_SUITE_MODULES, "report", "conformance", str(results))
    assert completed.returncode == 0, completed.stderr


def _project() -> dict[str, object]:
    project: dict[str, object] = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return project


def _names(requirements: object) -> set[str]:
    assert isinstance(requirements, list)
    return {re.split(r"[<>=!~\[; ]", str(r), maxsplit=1)[0].lower() for r in requirements}


def test_the_core_install_is_the_library_alone() -> None:
    # isal: the CRC32 of upload checksums (s3conf.checksums), a runtime need of the writer itself.
    assert _names(_project()["dependencies"]) == {"boto3", "fsspec", "isal"}
    extras = _project()["optional-dependencies"]
    assert isinstance(extras, dict)
    assert {"pytest", "rich", "moto"} <= _names(extras["conformance"])


def test_the_peers_extra_caps_boto3_for_aiobotocore() -> None:
    """Without the cap pip 23 ends in ResolutionImpossible (`nox -s extras` checks the real resolution)."""
    extras = _project()["optional-dependencies"]
    assert isinstance(extras, dict)
    caps = [r for r in extras["peers"] if r.startswith("boto3")]
    assert caps
    assert all("<" in cap for cap in caps)

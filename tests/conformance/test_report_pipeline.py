"""The report pipeline end to end: the CLI against an external endpoint (a moto server), its four
report files, the results schema, JUnit counts, secrets, bucket clean-up and the diff mode."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from emulators.clients import boto3_client
from s3conf.cli import main
from s3conf.endpoint import Endpoint
from suites.conformance.report import diff, render_diff, render_html, render_markdown

SECRET = "S3CONF-distinctive-secret-7f3a9c"
ACCESS_KEY = "AKIAS3CONFDISTINCT42"
PREFIX = "s3conf-pipeline-"
# A slice with passes, an expected failure on moto (Content-MD5 is not verified) and bucket creation.
CHECKS = ["range.suffix", "range.basic", "checksum.content-md5.*", "delete.bucket-*", "key.plus"]


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _cli(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "s3conf.cli", *argv], capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def run(
    moto_url: str, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    output = tmp_path_factory.mktemp("reports")
    argv = ["conformance", "--endpoint", moto_url, "--access-key", ACCESS_KEY, "--secret-key", SECRET]
    argv += ["--bucket-prefix", PREFIX, "--output-dir", str(output), "--no-progress"]
    for pattern in CHECKS:
        argv += ["--check", pattern]
    completed = _cli(*argv)
    (run_dir,) = output.iterdir()
    return completed, run_dir


def _results(run_dir: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((run_dir / "results.json").read_text())
    return document


def test_run_writes_the_four_reports(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, run_dir = run
    assert sorted(p.name for p in run_dir.iterdir()) == [
        "junit.xml",
        "report.html",
        "report.md",
        "results.json",
    ], completed.stderr


def test_results_match_the_schema(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    schema = json.loads(resources.files("suites.conformance").joinpath("results.schema.json").read_text())
    document = _results(run[1])
    jsonschema.validate(document, schema)
    assert {r["target"] for r in document["results"]} == {"external"}
    assert {r["outcome"] for r in document["results"]} <= {"pass", "fail"}


def test_external_run_finds_moto_ignoring_content_md5(
    run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    outcomes = {r["check"]: r["outcome"] for r in _results(run[1])["results"]}
    # The expectations table lists moto, not "external": the same server under another name fails.
    assert outcomes["checksum.content-md5.bad-digest"] == "fail"
    assert outcomes["range.suffix"] == "pass"
    assert run[0].returncode == 1


def test_junit_counts_match_the_results(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    document = _results(run[1])
    suite = ET.parse(run[1] / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    assert int(suite.get("tests", "-1")) == len(document["results"])
    failed = sum(1 for r in document["results"] if r["outcome"] == "fail")
    assert int(suite.get("failures", "-1")) == failed
    assert len(suite.findall("testcase")) == len(document["results"])


def test_no_credential_in_any_report_file(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    completed, run_dir = run
    for path in run_dir.iterdir():
        text = path.read_text(encoding="utf-8")
        assert SECRET not in text, path.name
        assert ACCESS_KEY not in text, path.name
    assert SECRET not in completed.stdout + completed.stderr
    assert "--secret-key ***" in _results(run_dir)["command"]


def test_reports_show_matrix_and_reasons(run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    markdown = (run[1] / "report.md").read_text()
    html_text = (run[1] / "report.html").read_text()
    for text in (markdown, html_text):
        assert "checksum.content-md5.bad-digest" in text
        assert "expected 400 BadDigest, got 200" in text
        assert "s3conf conformance" in text


def test_bucket_prefix_buckets_are_all_deleted(
    run: tuple[subprocess.CompletedProcess[str], Path], moto_url: str
) -> None:
    client = boto3_client(Endpoint(name="moto", url=moto_url, access_key="x", secret_key="y"))
    names = [b["Name"] for b in client.list_buckets().get("Buckets", [])]
    assert [n for n in names if n.startswith(PREFIX)] == []
    assert _results(run[1])["leftover_buckets"] == []
    ran = {r["check"] for r in _results(run[1])["results"]}
    assert {"delete.bucket-empty", "delete.bucket-not-empty"} <= ran  # checks that create buckets did run


def test_wrong_credentials_stop_at_once(tmp_path: Path) -> None:
    from emulators.registry import create_emulator

    emulator = create_emulator("rclone")
    available, reason = emulator.available()
    if not available:
        pytest.skip(reason)
    with emulator as endpoint:
        completed = _cli(
            "conformance", "--endpoint", endpoint.url, "--access-key", "AKIAWRONGWRONGWRONG1",
            "--secret-key", SECRET, "--output-dir", str(tmp_path), "--no-progress",
        )  # fmt: skip
    assert completed.returncode == 3, completed.stderr
    assert "authentication failed" in completed.stderr
    assert endpoint.url in completed.stderr
    assert SECRET not in completed.stderr + completed.stdout
    assert list(tmp_path.iterdir()) == []


def _doc(outcomes: dict[tuple[str, str], str]) -> dict[str, Any]:
    checks = {
        c: {"section": "s", "operation": "GetObject", "expected": "e <b>", "why": "w"} for _, c in outcomes
    }
    results = [
        {"target": t, "check": c, "outcome": o, "reason": "got <200>" if o != "pass" else None,
         "expected_failure": None, "duration": 0.1}
        for (t, c), o in outcomes.items()
    ]  # fmt: skip
    return {"targets": {t: {} for t, _ in outcomes}, "checks": checks, "results": results, "summary": {}}


def test_diff_lists_changed_checks_per_target(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _doc(
        {
            ("moto", "range.suffix"): "xfail",
            ("moto", "range.basic"): "pass",
            ("rclone", "range.basic"): "fail",
        }
    )
    new = _doc(
        {
            ("moto", "range.suffix"): "xpass",
            ("moto", "range.basic"): "pass",
            ("rclone", "range.basic"): "pass",
        }
    )
    assert diff(old, new) == {
        "moto": [("range.suffix", "xfail", "xpass")],
        "rclone": [("range.basic", "fail", "pass")],
    }
    (tmp_path / "a.json").write_text(json.dumps(old))
    (tmp_path / "b.json").write_text(json.dumps(new))
    assert main(["report", "conformance", "--diff", str(tmp_path / "a.json"), str(tmp_path / "b.json")]) == 0
    out = capsys.readouterr().out
    assert "## moto" in out
    assert "| `range.suffix` | xfail | xpass |" in out
    assert "range.basic` | pass" not in out


def test_diff_of_identical_runs_says_so() -> None:
    doc = _doc({("moto", "range.suffix"): "pass"})
    assert "No check changed outcome." in render_diff(doc, doc, old_name="a", new_name="b")


def test_html_escapes_server_text() -> None:
    page = render_html(_doc({("moto", "range.suffix"): "fail"}))
    assert "got &lt;200&gt;" in page
    assert "got <200>" not in page
    assert "e &lt;b&gt;" in page
    assert "| `range.suffix` | GetObject | - | ❌ FAIL |" in render_markdown(
        _doc({("moto", "range.suffix"): "fail"})
    )

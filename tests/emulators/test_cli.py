"""``s3conf targets`` lists every target with the reason it cannot run, and versions with --start."""

from __future__ import annotations

import argparse
import io

import pytest
from rich.console import Console

from emulators.cli import register, run_targets
from emulators.registry import TARGET_NAMES


def _run(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["targets", *argv])
    out = io.StringIO()
    status = run_targets(args, Console(file=out, width=400))
    return status, out.getvalue()


def test_lists_every_target_with_reasons(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("S3CONF_AWS_BUCKET_PREFIX", raising=False)
    monkeypatch.delenv("S3CONF_ENDPOINT", raising=False)
    status, text = _run()
    assert status == 0
    for name in TARGET_NAMES:
        assert f" {name} " in text
    assert "S3CONF_AWS_BUCKET_PREFIX" in text
    assert "localstack/localstack" in text or "no Docker engine" in text


def test_start_shows_the_server_version() -> None:
    status, text = _run("--start", "--target", "rclone")
    assert status == 0
    assert "rclone v" in text
    assert "started at http://127.0.0.1:" in text


def test_unknown_target_exits_2_naming_it() -> None:
    status, text = _run("--target", "nope")
    assert status == 2
    assert "'nope'" in text

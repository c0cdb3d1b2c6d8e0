"""``s3conf config``: every key, its value and its source; ``--set``, ``--json``; secrets masked."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

import pytest

from s3conf import config_cli
from s3conf.config import SPECS, clear_overrides, overrides

SECRET = "wJalr-DISTINCTIVE-s3cr3t-cli-4242"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The command reads os.environ: start from no s3conf variables and no overrides."""
    for spec in SPECS:
        for name in spec.env_names:
            monkeypatch.delenv(name, raising=False)
    clear_overrides()
    yield
    clear_overrides()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="s3conf")
    config_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["config", *argv])
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


def table(out: str) -> dict[str, tuple[str, str]]:
    """key -> (shown value, source) from the text output (values may contain spaces)."""
    rows: dict[str, tuple[str, str]] = {}
    for line in out.splitlines():
        key, rest = line.split(maxsplit=1)
        value, source = rest.rsplit(maxsplit=1)
        rows[key] = (value.strip(), source)
    return rows


def test_every_key_is_listed_with_its_source(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FS_S3A_ENDPOINT", "minio:9000")
    with overrides({"s3.connection.maximum": 8}):
        code, out, err = run(capsys, "--set", "s3.spi.read.fragment-number=7")
    assert (code, err) == (0, "")
    rows = table(out)
    assert list(rows) == [spec.key for spec in SPECS]
    assert rows["s3.spi.read.max-fragment-number"] == ("7", "explicit")
    assert rows["s3.connection.maximum"] == ("8", "override")
    assert rows["s3.spi.endpoint"] == ("minio:9000", "env:FS_S3A_ENDPOINT")
    assert rows["s3.spi.region"] == ("us-east-1", "default")
    assert rows["s3.spi.read.max-fragment-size"] == ("5242880 (5MiB)", "default")
    assert rows["s3.access-key"] == ("-", "default")
    assert rows["s3.spi.force-path-style"] == ("false", "default")


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--json", "--set", "s3.spi.read.fragment-size=8MiB", "--set", "s3.path.style.access=yes"
    )
    assert code == 0
    document = json.loads(out)
    assert list(document) == [spec.key for spec in SPECS]
    assert document["s3.spi.read.max-fragment-size"] == {"value": 8 * 1024 * 1024, "source": "explicit"}
    assert document["s3.spi.force-path-style"] == {"value": True, "source": "explicit"}
    assert document["s3.spi.endpoint"] == {"value": None, "source": "default"}
    assert document["s3.spi.timeouts.read"] == {"value": 180.0, "source": "default"}


@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
def test_secrets_are_masked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, as_json: bool
) -> None:
    monkeypatch.setenv("S3_SECRET_KEY", SECRET)
    monkeypatch.setenv("S3_ACCESS_KEY", "AKIA")
    code, out, err = run(capsys, *(["--json"] if as_json else []), "--set", f"fs.s3a.secret.key={SECRET}")
    assert code == 0
    assert SECRET not in out + err
    shown = json.loads(out)["s3.secret-key"]["value"] if as_json else table(out)["s3.secret-key"][0]
    assert shown == "***"


BAD_SETTINGS = [
    (
        ["s3.spi.read.fragment-number=0"],
        "s3.spi.read.fragment-number (alias of s3.spi.read.max-fragment-number) = '0'",
    ),
    (["s3.spi.write.part-size=1MiB"], "must be between 5MiB and 5GiB"),
    (["s3.bogus=1"], "unknown configuration key 's3.bogus'"),
    (["s3.spi.force-path-style=perhaps"], "not a boolean"),
    (["no-equals-sign"], "--set expects KEY=VALUE"),
    (["=value"], "--set expects KEY=VALUE"),
    (["s3.endpoint=a:1", "fs.s3a.endpoint=b:2"], "conflicting values for s3.spi.endpoint"),
    ([f"s3.secret-key={SECRET}", f"s3.secret.key={SECRET}-other"], "s3.secret-key = ***"),
    ([f"s3.secret-key={SECRET}", "s3.spi.timeouts.read=-1"], "s3.spi.timeouts.read = '-1'"),
]


@pytest.mark.parametrize(
    ("settings", "message"),
    BAD_SETTINGS,
    ids=[
        "range",
        "part-size",
        "unknown",
        "bool",
        "no-equals",
        "no-key",
        "alias-conflict",
        "secret-conflict",
        "with-secret",
    ],
)
def test_bad_settings_exit_2_with_the_error(
    capsys: pytest.CaptureFixture[str], settings: list[str], message: str
) -> None:
    code, out, err = run(capsys, *(arg for setting in settings for arg in ("--set", setting)))
    assert code == 2
    assert out == ""
    assert err.startswith("s3conf config: ")
    assert message in err
    assert SECRET not in err


def test_keys_outside_s3_are_noted_and_ignored(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--set", "aws.region=eu-west-1")
    assert code == 0
    assert "'aws.region' is not an s3conf key; ignored" in err
    assert table(out)["s3.spi.region"] == ("-", "default")


def test_the_s3conf_command_offers_config(capsys: pytest.CaptureFixture[str]) -> None:
    from s3conf.cli import main

    assert main(["config", "--json", "--set", "s3.entropy.key=_e_"]) == 0
    assert json.loads(capsys.readouterr().out)["s3.entropy.key"] == {"value": "_e_", "source": "explicit"}

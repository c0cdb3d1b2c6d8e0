"""What looks like userinfo is masked in every message, repr and report (issue 10, defect 6).

The examples are the ones the fault-injection run found leaking: a secret before an ``@`` that is not
preceded by ``://``, endpoint settings with userinfo, and ``ConfigError`` echoing a bad value.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator

import pytest

from s3conf import config_cli
from s3conf.config import SPECS, S3Config, clear_overrides
from s3conf.endpoint import Endpoint
from s3conf.errors import ConfigError, InvalidURIError
from s3conf.paths import S3Path
from s3conf.redaction import Secret, redact_userinfo, shown, userinfo_span

SECRET = "QzXjSEKRETvw"

REDACTED = [
    ("s3x://AK:SK@host/b/k", "s3x://***@host/b/k"),
    ("s3x:/AK:SK@h:1/b/k", "s3x:/***@h:1/b/k"),
    ("AK:SK@h:9000/b/k", "***@h:9000/b/k"),
    ("s3x:AK:SK@h://b/k", "s3x:***@h://b/k"),
    ("HTTPS://AK:SK@h", "HTTPS://***@h"),
    ("http://AK:s/k@x@h:9000", "http://***@h:9000"),
    ("ftp://AK:SK@h", "***@h"),
    ("--endpoint-url http://AK:SK@h", "***@h"),
    ("@h", "***@h"),
    ("s3://bucket/key", "s3://bucket/key"),
    ("", ""),
]


@pytest.mark.parametrize(("text", "expected"), REDACTED, ids=[text or "empty" for text, _ in REDACTED])
def test_redact_userinfo(text: str, expected: str) -> None:
    assert redact_userinfo(text) == expected


def test_the_span_ends_at_the_last_at_sign() -> None:
    assert userinfo_span("s3x://a@b@c/d") == (6, 9)
    assert userinfo_span("no at sign") is None


SHOWN = [
    ("http://AK:SK@h", "'http://***@h'"),
    (Secret("SK"), "***"),
    (b"AK:SK@h", "***@h'"),
    (["s3x://AK:SK@h"], "***@h']"),
    (12, "12"),
    (-(10**5000), "an integer of about 5001 digits"),
    (2**1024, "an integer of about 309 digits"),
    (float("nan"), "nan"),
]


@pytest.mark.parametrize(
    ("value", "expected"), SHOWN, ids=[type(v).__name__ + str(i) for i, (v, _) in enumerate(SHOWN)]
)
def test_shown(value: object, expected: str) -> None:
    assert shown(value) == expected


def test_shown_cuts_long_text_after_redacting() -> None:
    text = shown("s3x://AK:" + SECRET + "@" + "h" * 10_000)
    assert SECRET not in text
    assert text.startswith("'s3x://***@hhh")
    assert text.endswith("... (10012 characters)")


def test_shown_survives_a_broken_repr() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError(SECRET)

    assert shown(Broken()) == "<Broken object>"


@pytest.mark.parametrize(
    "uri",
    [f"s3x:/AK:{SECRET}@h:1/b/k", f"AK:{SECRET}@h:9000/b/k", f"s3x:AK:{SECRET}@h://b/k"],
    ids=["single-slash", "no-scheme", "separator-after-credentials"],
)
def test_malformed_uris_from_the_issue_hide_the_secret(uri: str) -> None:
    with pytest.raises(InvalidURIError) as caught:
        S3Path.from_uri(uri)
    assert SECRET not in str(caught.value)
    assert "***@h" in str(caught.value)


def test_endpoint_setting_with_userinfo_is_refused_without_echo() -> None:
    with pytest.raises(ConfigError) as caught:
        S3Config.resolve({"s3.spi.endpoint": f"http://AK:{SECRET}@h:9000"}, env={})
    assert str(caught.value) == (
        "s3.spi.endpoint = 'http://***@h:9000' (from explicit): "
        "must not contain credentials (use s3.access-key and s3.secret-key)"
    )


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("s3.spi.read.max-fragment-number", f"AK:{SECRET}@h"),
        ("s3.spi.timeouts.read", f"http://AK:{SECRET}@h"),
        ("s3.spi.force-path-style", f"{SECRET}@"),
        (f"s3.AK:{SECRET}@h", "1"),
    ],
    ids=["int", "duration", "bool", "unknown-key"],
)
def test_config_errors_redact_the_value_and_the_key(key: str, value: str) -> None:
    with pytest.raises(ConfigError) as caught:
        S3Config.resolve({key: value}, env={})
    assert SECRET not in str(caught.value)
    assert "***@" in str(caught.value)


def test_repr_and_describe_redact_text_settings() -> None:
    config = S3Config.resolve({"s3.s5cmd.args": f"--endpoint-url http://AK:{SECRET}@h:9000"}, env={})
    assert config.s5cmd_args == f"--endpoint-url http://AK:{SECRET}@h:9000"  # the value itself is kept
    assert SECRET not in repr(config)
    assert "s5cmd_args='***@h:9000'" in repr(config)
    assert dict((key, value) for key, value, _ in config.describe())["s3.s5cmd.args"] == "***@h:9000"


def test_repr_keeps_the_dataclass_layout() -> None:
    text = repr(S3Config())
    assert text.startswith("S3Config(fragment_number=50, fragment_size=5242880, endpoint_protocol='https'")
    assert text.endswith("s5cmd_batch_max_size=1073741824, s5cmd_batch_max_files=100)")


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for spec in SPECS:
        for name in spec.env_names:
            monkeypatch.delenv(name, raising=False)
    clear_overrides()
    yield
    clear_overrides()


@pytest.mark.usefixtures("clean_environment")
@pytest.mark.parametrize("as_json", [False, True], ids=["table", "json"])
@pytest.mark.parametrize(
    "setting",
    [
        f"s3.spi.endpoint=http://AK:{SECRET}@h:9000",
        f"s3.s5cmd.args=--endpoint-url http://AK:{SECRET}@h:9000",
        f"s3.bogus=AK:{SECRET}@h",
        f"fs.s3a.AK:{SECRET}@h=1",
    ],
    ids=["endpoint", "s5cmd-args", "unknown-s3-key", "foreign-key"],
)
def test_s3conf_config_never_prints_userinfo(
    capsys: pytest.CaptureFixture[str], setting: str, as_json: bool
) -> None:
    parser = argparse.ArgumentParser(prog="s3conf")
    config_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["config", "--set", setting, *(["--json"] if as_json else [])])
    code = args.func(args)
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    assert code in (0, 2)
    if code == 0 and as_json:
        json.loads(out)


def test_endpoint_errors_hide_userinfo() -> None:
    for url in (f"ftp://AK:{SECRET}@h", f"http://AK:{SECRET}@h:9000", f"http://AK:{SECRET}@h:x"):
        with pytest.raises(InvalidURIError) as caught:
            Endpoint(name="e", url=url)
        assert SECRET not in str(caught.value)


def test_endpoint_repr_redacts_a_name_that_looks_like_a_url_with_userinfo() -> None:
    endpoint = Endpoint(
        name=f"http://AK:{SECRET}@h:9000", url="http://h:9000", access_key="AK", secret_key=SECRET
    )
    assert repr(endpoint).startswith("Endpoint(name='http://***@h:9000', url='http://h:9000'")
    assert SECRET not in repr(endpoint) + str(endpoint)

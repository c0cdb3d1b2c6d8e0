"""S3Config: parsers, ranges, aliases, the four layers, provenance, and secrets that never leak."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3conf.config import (
    SPECS,
    S3Config,
    clear_overrides,
    current_overrides,
    env_name,
    is_known_key,
    overrides,
    set_overrides,
)
from s3conf.errors import ConfigError
from s3conf.redaction import Secret
from s3conf.values import GiB, KiB, MiB, TiB, format_size, parse_size

SECRET = "wJalr-DISTINCTIVE-s3cr3t-9f8e7d"


@pytest.fixture(autouse=True)
def _no_overrides() -> Iterator[None]:
    """Overrides are process-wide: every test starts and ends without any."""
    clear_overrides()
    yield
    clear_overrides()


def resolve(explicit: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> S3Config:
    return S3Config.resolve(explicit, env=env or {})


# --- defaults ---------------------------------------------------------------------------------

DEFAULTS = [
    ("s3.spi.read.max-fragment-number", 50),
    ("s3.spi.read.max-fragment-size", 5242880),
    ("s3.spi.read.policy", "adaptive"),
    ("s3.spi.read.min-fetch", 16384),
    ("s3.spi.read.adaptive.initial-window", 262144),
    ("s3.spi.read.small-object", 1048576),
    ("s3.spi.read.vectored.min-seek", 65536),
    ("s3.spi.read.vectored.max-merged", 8388608),
    ("s3.spi.endpoint-protocol", "https"),
    ("s3.spi.endpoint", None),
    ("s3.spi.force-path-style", False),
    ("s3.access-key", None),
    ("s3.secret-key", None),
    ("s3.spi.region", None),
    ("s3.entropy.key", None),
    ("s3.entropy.length", 4),
    ("s3.spi.timeouts.connect", 60.0),
    ("s3.spi.timeouts.read", 180.0),
    ("s3.spi.timeouts.write", 300.0),
    ("s3.spi.timeouts.operation", 300.0),
    ("s3.spi.write.multipart-threshold", 8 * MiB),
    ("s3.spi.write.part-size", 8 * MiB),
    ("s3.spi.write.max-parts-in-flight", 8),
    ("s3.spi.write.spool", False),
    ("s3.spi.recoverable.temp-prefix", None),
    ("s3.spi.recoverable.part-number-gaps", True),
    ("s3.spi.read.max-inflight-bytes", 256 * MiB),
    ("s3.connection.maximum", 64),
    ("s3.s5cmd.path", None),
    ("s3.s5cmd.args", None),
    ("s3.s5cmd.batch.max-size", 1024 * MiB),
    ("s3.s5cmd.batch.max-files", 100),
]


@pytest.mark.parametrize(("key", "expected"), DEFAULTS, ids=[key for key, _ in DEFAULTS])
def test_defaults_match_the_design_table(key: str, expected: object) -> None:
    for config in (S3Config(), resolve()):
        assert config.get(key) == expected
        assert config.source(key) == "default"


def test_the_defaults_table_covers_every_key() -> None:
    assert sorted(key for key, _ in DEFAULTS) == sorted(spec.key for spec in SPECS)


def test_environment_names_are_unambiguous() -> None:
    owners: dict[str, str] = {}
    for spec in SPECS:
        for name in spec.env_names:
            assert owners.setdefault(name, spec.key) == spec.key, name


# --- parsers ----------------------------------------------------------------------------------

PARSED = [
    ("s3.spi.read.max-fragment-size", 8388608, 8388608),
    ("s3.spi.read.max-fragment-size", "8388608", 8388608),
    ("s3.spi.read.max-fragment-size", "8MiB", 8 * MiB),
    ("s3.spi.read.max-fragment-size", "512KiB", 512 * KiB),
    ("s3.spi.read.max-fragment-size", "512k", 512 * KiB),
    ("s3.spi.read.max-fragment-size", "5MB", 5 * MiB),
    ("s3.spi.read.max-fragment-size", " 5 mb ", 5 * MiB),
    ("s3.spi.read.max-fragment-size", "100b", 100),
    ("s3.spi.read.max-fragment-size", "100 bytes", 100),
    ("s3.s5cmd.batch.max-size", "1024mb", GiB),
    ("s3.s5cmd.batch.max-size", "2g", 2 * GiB),
    ("s3.s5cmd.batch.max-size", "1TiB", TiB),
    ("s3.spi.timeouts.connect", 5, 5.0),
    ("s3.spi.timeouts.connect", 2.5, 2.5),
    ("s3.spi.timeouts.connect", "30", 30.0),
    ("s3.spi.timeouts.connect", "30s", 30.0),
    ("s3.spi.timeouts.connect", "0.5", 0.5),
    ("s3.spi.timeouts.read", "5min", 300.0),
    ("s3.spi.timeouts.read", "2m", 120.0),
    ("s3.spi.timeouts.read", "500ms", 0.5),
    ("s3.spi.timeouts.write", "1h", 3600.0),
    ("s3.spi.timeouts.write", "1 day", 86400.0),
    ("s3.spi.force-path-style", True, True),
    ("s3.spi.force-path-style", "true", True),
    ("s3.spi.force-path-style", "TRUE", True),
    ("s3.spi.force-path-style", "Yes", True),
    ("s3.spi.force-path-style", "1", True),
    ("s3.spi.force-path-style", 1, True),
    ("s3.spi.force-path-style", "false", False),
    ("s3.spi.force-path-style", "No", False),
    ("s3.spi.force-path-style", "0", False),
    ("s3.spi.force-path-style", 0, False),
    ("s3.spi.read.max-fragment-number", 7, 7),
    ("s3.spi.read.max-fragment-number", " 7 ", 7),
    ("s3.spi.endpoint-protocol", "http", "http"),
    ("s3.spi.endpoint-protocol", "HTTPS", "https"),
    ("s3.spi.endpoint", "localhost:9000", "localhost:9000"),
    ("s3.spi.endpoint", "http://127.0.0.1:9000", "http://127.0.0.1:9000"),
    ("s3.spi.region", "eu-west-1", "eu-west-1"),
    ("s3.entropy.key", "_entropy_", "_entropy_"),
    ("s3.s5cmd.args", "-r 0", "-r 0"),
]


@pytest.mark.parametrize(("key", "raw", "expected"), PARSED, ids=[f"{key}={raw!r}" for key, raw, _ in PARSED])
def test_values_parse(key: str, raw: object, expected: object) -> None:
    assert resolve({key: raw}).get(key) == expected
    if isinstance(raw, str):
        assert resolve(env={env_name(key): raw}).get(key) == expected


UNPARSABLE = [
    ("s3.spi.read.max-fragment-size", "1.5MiB", "not a size"),
    ("s3.spi.read.max-fragment-size", "8 MeB", "not a size"),
    ("s3.spi.read.max-fragment-size", "MiB", "not a size"),
    ("s3.spi.read.max-fragment-size", "", "not a size"),
    ("s3.spi.read.max-fragment-size", 8.0, "not a size"),
    ("s3.spi.read.max-fragment-size", True, "not a size"),
    ("s3.spi.read.max-fragment-number", "five", "not an integer"),
    ("s3.spi.read.max-fragment-number", "5.0", "not an integer"),
    ("s3.spi.read.max-fragment-number", False, "not an integer"),
    ("s3.spi.timeouts.connect", "5 fortnights", "not a duration"),
    ("s3.spi.timeouts.connect", "soon", "not a duration"),
    ("s3.spi.timeouts.connect", True, "not a duration"),
    ("s3.spi.force-path-style", "maybe", "not a boolean"),
    ("s3.spi.force-path-style", 2, "not a boolean"),
    ("s3.spi.force-path-style", "", "not a boolean"),
    ("s3.spi.endpoint-protocol", "ftp", "must be http or https"),
    ("s3.spi.endpoint", "", "must not be empty"),
    ("s3.spi.endpoint", "   ", "must not be empty"),
    ("s3.spi.region", 42, "expected a string"),
    ("s3.access-key", "", "must not be empty"),
]


@pytest.mark.parametrize(
    ("key", "raw", "complaint"), UNPARSABLE, ids=[f"{key}={raw!r}" for key, raw, _ in UNPARSABLE]
)
def test_unparsable_values_name_key_value_and_source(key: str, raw: object, complaint: str) -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({key: raw})
    message = str(caught.value)
    assert key in message
    assert repr(raw) in message
    assert "(from explicit)" in message
    assert complaint in message


def test_env_parse_errors_name_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"'eight' \(from env:S3_SPI_READ_MAX_FRAGMENT_NUMBER\)"):
        resolve(env={"S3_SPI_READ_MAX_FRAGMENT_NUMBER": "eight"})


# --- ranges -----------------------------------------------------------------------------------

OUT_OF_RANGE = [
    ("s3.spi.read.max-fragment-number", 0, "must be >= 1"),
    ("s3.spi.read.max-fragment-number", "-3", "must be >= 1"),
    ("s3.spi.read.max-fragment-size", 0, "must be >= 1"),
    ("s3.spi.read.max-fragment-size", "0KiB", "must be >= 1"),
    ("s3.spi.read.max-inflight-bytes", 0, "must be >= 1"),
    ("s3.spi.write.multipart-threshold", 0, "must be >= 1"),
    ("s3.spi.write.part-size", 5 * MiB - 1, "must be between 5MiB and 5GiB"),
    ("s3.spi.write.part-size", "5GiB", None),
    ("s3.spi.write.part-size", "5MiB", None),
    ("s3.spi.write.part-size", 5 * GiB + 1, "must be between 5MiB and 5GiB"),
    ("s3.spi.timeouts.connect", 0, "must be > 0"),
    ("s3.spi.timeouts.read", "-1s", "must be > 0"),
    ("s3.spi.timeouts.write", float("inf"), "must be at most 604800 s (7 days)"),
    ("s3.spi.timeouts.write", float("nan"), "must be > 0"),
    ("s3.entropy.length", 0, "must be >= 1"),
    ("s3.entropy.key", "", "must not be empty"),
    ("s3.connection.maximum", 0, "must be >= 1"),
    ("s3.s5cmd.batch.max-size", 0, "must be >= 1"),
    ("s3.s5cmd.batch.max-files", 0, "must be >= 1"),
]


@pytest.mark.parametrize(
    ("key", "raw", "complaint"), OUT_OF_RANGE, ids=[f"{key}={raw!r}" for key, raw, _ in OUT_OF_RANGE]
)
def test_ranges(key: str, raw: object, complaint: str | None) -> None:
    if complaint is None:  # a bound itself is accepted
        assert resolve({key: raw}).get(key) == parse_size(raw)
        return
    with pytest.raises(ConfigError) as caught:
        resolve({key: raw})
    assert f"{key} = {raw!r} (from explicit): {complaint}" in str(caught.value)


def test_direct_construction_is_checked_too() -> None:
    with pytest.raises(ConfigError, match=r"s3.spi.read.max-fragment-number = 0 \(from explicit\)"):
        S3Config(fragment_number=0)


def test_direct_construction_parses_like_resolve() -> None:
    config = S3Config(fragment_size="8MiB", endpoint_protocol="HTTP", access_key="AK", secret_key=SECRET)  # type: ignore[arg-type]
    assert (config.fragment_size, config.endpoint_protocol, config.secret_key) == (
        8 * MiB,
        "http",
        Secret(SECRET),
    )
    assert config == resolve(
        {
            "s3.spi.read.fragment-size": "8MiB",
            "s3.spi.endpoint-protocol": "http",
            "s3.access-key": "AK",
            "s3.secret-key": SECRET,
        }
    )
    assert config.source("s3.spi.read.max-fragment-size") == "explicit"
    assert config.source("s3.spi.region") == "default"


def test_dataclasses_replace_is_checked() -> None:
    base = resolve(env={"S3_SPI_READ_MAX_FRAGMENT_NUMBER": "9"})
    assert dataclasses.replace(base, connection_maximum=2).connection_maximum == 2
    with pytest.raises(ConfigError, match=r"s3\.connection\.maximum = 0"):
        dataclasses.replace(base, connection_maximum=0)


# --- aliases ----------------------------------------------------------------------------------

ALIASES = [
    ("s3.spi.read.fragment-number", "s3.spi.read.max-fragment-number", "9", 9),
    ("s3.spi.read.fragment-size", "s3.spi.read.max-fragment-size", "1MiB", MiB),
    ("s3.endpoint", "s3.spi.endpoint", "minio:9000", "minio:9000"),
    ("fs.s3a.endpoint", "s3.spi.endpoint", "minio:9000", "minio:9000"),
    ("s3.path.style.access", "s3.spi.force-path-style", "true", True),
    ("s3.path-style-access", "s3.spi.force-path-style", "true", True),
    ("fs.s3a.path.style.access", "s3.spi.force-path-style", "true", True),
    ("s3.access.key", "s3.access-key", "AKIAEXAMPLE", "AKIAEXAMPLE"),
    ("fs.s3a.access.key", "s3.access-key", "AKIAEXAMPLE", "AKIAEXAMPLE"),
    ("s3.secret.key", "s3.secret-key", SECRET, Secret(SECRET)),
    ("fs.s3a.secret.key", "s3.secret-key", SECRET, Secret(SECRET)),
    ("fs.s3a.connection.maximum", "s3.connection.maximum", "12", 12),
    ("fs.s3a.experimental.input.fadvise", "s3.spi.read.policy", "random", "random"),
    ("fs.s3a.input.fadvise", "s3.spi.read.policy", "normal", "adaptive"),
    ("fs.s3a.vectored.read.min.seek.size", "s3.spi.read.vectored.min-seek", "4K", 4096),
    ("fs.s3a.vectored.read.max.merged.size", "s3.spi.read.vectored.max-merged", "1M", MiB),
]


def test_unknown_read_policy_names_key_value_and_choices() -> None:
    with pytest.raises(
        ConfigError, match=r"s3\.spi\.read\.policy = 'fast' \(from explicit\): not a read policy \(adaptive"
    ):
        resolve({"s3.spi.read.policy": "fast"})


@pytest.mark.parametrize(("alias", "key", "raw", "expected"), ALIASES, ids=[a for a, *_ in ALIASES])
@pytest.mark.parametrize("layer", ["explicit", "env"], ids=["explicit", "env"])
def test_aliases(alias: str, key: str, raw: str, expected: object, layer: str) -> None:
    # Half a key pair is an error (test_half_a_key_pair_is_an_error), so the other half comes along.
    partner = {"s3.access-key": {"s3.secret-key": "other-half"}, "s3.secret-key": {"s3.access-key": "AK"}}
    given = {alias: raw, **partner.get(key, {})}
    if layer == "explicit":
        config, source = resolve(given), "explicit"
    else:
        config, source = resolve(env={env_name(k): v for k, v in given.items()}), f"env:{env_name(alias)}"
    assert config.get(key) == expected
    assert config.get(alias) == expected
    assert config.source(key) == source
    assert config.source(alias) == source


CONFLICTS = [
    ("s3.spi.read.fragment-size", "1MiB", "s3.spi.read.max-fragment-size", "2MiB"),
    ("s3.endpoint", "a:1", "fs.s3a.endpoint", "b:2"),
    ("s3.path.style.access", "true", "s3.spi.force-path-style", "no"),
]


@pytest.mark.parametrize(
    ("first", "first_value", "second", "second_value"), CONFLICTS, ids=[c[0] for c in CONFLICTS]
)
@pytest.mark.parametrize("layer", ["explicit", "env"], ids=["explicit", "env"])
def test_conflicting_aliases_in_one_layer(
    first: str, first_value: str, second: str, second_value: str, layer: str
) -> None:
    if layer == "explicit":
        explicit, env = {first: first_value, second: second_value}, {}
        sources = ("explicit", "explicit")
    else:
        explicit, env = {}, {env_name(first): first_value, env_name(second): second_value}
        sources = (f"env:{env_name(first)}", f"env:{env_name(second)}")
    with pytest.raises(ConfigError) as caught:
        resolve(explicit, env)
    message = str(caught.value)
    assert message.startswith("conflicting values for ")
    for key, value, source in ((first, first_value, sources[0]), (second, second_value, sources[1])):
        assert f"{key} = {value!r} (from {source})" in message


def test_aliases_that_agree_after_parsing_are_fine() -> None:
    config = resolve({"s3.spi.read.fragment-size": "8MiB", "s3.spi.read.max-fragment-size": 8388608})
    assert config.fragment_size == 8 * MiB


def test_across_layers_the_higher_alias_wins() -> None:
    config = resolve({"fs.s3a.endpoint": "explicit:1"}, env={"S3_ENDPOINT": "env:2"})
    assert (config.endpoint, config.source("s3.endpoint")) == ("explicit:1", "explicit")


# --- layers and provenance --------------------------------------------------------------------

KEY = "s3.spi.read.max-fragment-number"
LAYER_CASES = [
    ((), 50, "default"),
    (("env",), 3, f"env:{env_name(KEY)}"),
    (("override",), 2, "override"),
    (("explicit",), 1, "explicit"),
    (("override", "env"), 2, "override"),
    (("explicit", "env"), 1, "explicit"),
    (("explicit", "override"), 1, "explicit"),
    (("explicit", "override", "env"), 1, "explicit"),
]


@pytest.mark.parametrize(
    ("layers", "expected", "source"), LAYER_CASES, ids=["+".join(c[0]) or "none" for c in LAYER_CASES]
)
def test_precedence_across_the_four_layers(layers: tuple[str, ...], expected: int, source: str) -> None:
    explicit = {KEY: 1} if "explicit" in layers else None
    env = {env_name(KEY): "3"} if "env" in layers else {}
    with overrides({KEY: "2"} if "override" in layers else {}):
        config = resolve(explicit, env)
    assert (config.fragment_number, config.source(KEY)) == (expected, source)
    assert config.source("s3.spi.read.max-fragment-size") == "default"


def test_env_defaults_to_os_environ_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_SPI_ENDPOINT_PROTOCOL", "http")
    monkeypatch.setenv("S3_SOMETHING_UNKNOWN", "ignored")
    config = S3Config.resolve()
    assert (config.endpoint_protocol, config.source("s3.spi.endpoint-protocol")) == (
        "http",
        "env:S3_SPI_ENDPOINT_PROTOCOL",
    )


def test_nothing_is_read_at_import() -> None:
    code = "import s3conf.config, s3conf.entropy, s3conf.config_cli; print('imported')"
    env = {"S3_SPI_READ_MAX_FRAGMENT_NUMBER": "not-a-number", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert done.stdout.strip() == "imported", done.stderr


def test_set_overrides_replaces_and_clear_removes() -> None:
    set_overrides({"s3.endpoint": "a:1", "s3.spi.read.fragment-number": 4})
    set_overrides({"s3.spi.region": "eu-west-1"})
    assert current_overrides() == {"s3.spi.region": "eu-west-1"}
    config = resolve()
    assert (config.region, config.source("s3.spi.region"), config.endpoint) == ("eu-west-1", "override", None)
    clear_overrides()
    assert resolve().region is None


def test_bad_overrides_fail_when_set() -> None:
    with pytest.raises(ConfigError, match=r"\(from override\): must be >= 1"):
        set_overrides({"s3.connection.maximum": 0})
    assert current_overrides() == {}


def test_overrides_context_manager_nests_and_restores() -> None:
    set_overrides({"s3.spi.region": "eu-west-1"})
    with overrides({"s3.spi.read.fragment-number": 3}):
        config = resolve()
        assert (config.region, config.fragment_number) == ("eu-west-1", 3)
        seen: list[int] = []

        def leave_early() -> None:
            with overrides({"s3.spi.read.fragment-number": 4}):
                seen.append(resolve().fragment_number)
                raise RuntimeError("leaves the block early")

        with pytest.raises(RuntimeError, match="early"):
            leave_early()
        assert seen == [4]
        assert resolve().fragment_number == 3
    assert current_overrides() == {"s3.spi.region": "eu-west-1"}


def test_with_values_layers_explicit_values_on_top() -> None:
    base = resolve({"s3.connection.maximum": 8}, env={"S3_SPI_READ_FRAGMENT_SIZE": "1MiB"})
    changed = base.with_values({"s3.connection.maximum": "16", "s3.endpoint": "minio:9000"})
    assert (changed.connection_maximum, changed.fragment_size, changed.endpoint) == (16, MiB, "minio:9000")
    assert changed.source("s3.spi.read.max-fragment-size") == "env:S3_SPI_READ_FRAGMENT_SIZE"
    assert changed.source("s3.spi.endpoint") == "explicit"
    assert (changed.region, changed.source("s3.spi.region")) == ("us-east-1", "default")
    assert base.connection_maximum == 8
    with pytest.raises(ConfigError, match=r"s3\.connection\.maximum = 0"):
        base.with_values({"s3.connection.maximum": 0})


# --- keys and namespaces ----------------------------------------------------------------------


@pytest.mark.parametrize("key", ["s3.spi.read.fragment-count", "s3.bogus", "s3.spi.endpoint.url"], ids=str)
def test_unknown_s3_keys_are_errors(key: str) -> None:
    with pytest.raises(ConfigError, match=f"unknown configuration key '{key}' \\(from explicit\\)"):
        resolve({key: "1"})
    with pytest.raises(ConfigError, match=f"unknown configuration key '{key}'"):
        S3Config().source(key)
    with pytest.raises(ConfigError, match=f"unknown configuration key '{key}'"):
        S3Config().get(key)


@pytest.mark.parametrize("key", ["aws.region", "fs.s3a.fast.upload", "state.backend"], ids=str)
def test_keys_outside_the_s3_namespace_are_ignored(key: str) -> None:
    assert resolve({key: "eu-west-1"}) == S3Config()


def test_region_defaults_to_us_east_1_only_with_an_endpoint() -> None:
    assert resolve().region is None
    assert resolve(env={"FS_S3A_ENDPOINT": "minio:9000"}).region == "us-east-1"
    assert resolve({"s3.endpoint": "minio:9000", "s3.spi.region": "eu-west-1"}).region == "eu-west-1"
    assert S3Config(endpoint="minio:9000").region == "us-east-1"


def test_none_means_not_given() -> None:
    config = resolve({"s3.spi.endpoint": None}, env={"S3_SPI_ENDPOINT": "env:1"})
    assert (config.endpoint, config.source("s3.spi.endpoint")) == ("env:1", "env:S3_SPI_ENDPOINT")


# --- secrets ----------------------------------------------------------------------------------


def test_the_secret_never_shows() -> None:
    texts: list[str] = []
    config = resolve({"s3.secret-key": SECRET, "s3.access-key": "AKIA"})
    assert isinstance(config.secret_key, Secret)
    assert config.secret_key.reveal() == SECRET
    texts += [
        repr(config),
        str(config),
        f"{config}",
        repr(config.describe()),
        repr(config.get("s3.secret-key")),
    ]
    failing: list[dict[str, Any]] = [
        {"s3.secret-key": SECRET, "fs.s3a.secret.key": SECRET + "x"},
        {"s3.secret-key": 12345, "s3.bogus": SECRET},
        {"s3.secret-key": SECRET, "s3.spi.read.fragment-number": 0},
    ]
    for explicit in failing:
        with pytest.raises(ConfigError) as caught:
            resolve(explicit)
        texts.append(str(caught.value))
    with pytest.raises(ConfigError) as caught:
        resolve(env={"S3_SECRET_KEY": SECRET, "FS_S3A_SECRET_KEY": "other"})
    texts.append(str(caught.value))
    assert "***" in texts[-1]
    with overrides({"fs.s3a.secret.key": SECRET, "fs.s3a.access.key": "AKIA"}):
        texts.append(repr(resolve()))
        texts.append(repr(current_overrides()))
    assert all(SECRET not in text for text in texts), [t for t in texts if SECRET in t]


@pytest.mark.parametrize(
    ("explicit", "env", "message"),
    [
        (
            {"s3.secret-key": SECRET},
            {},
            "s3.secret-key = *** (from explicit) is set but s3.access-key is not",
        ),
        (
            {},
            {"FS_S3A_ACCESS_KEY": "AKIA"},
            "s3.access-key = 'AKIA' (from env:FS_S3A_ACCESS_KEY) is set but s3.secret",
        ),
        (
            {"s3.spi.endpoint": "h:9000"},
            {"S3_SECRET_KEY": SECRET},
            "(from env:S3_SECRET_KEY) is set but s3.access-key",
        ),
    ],
    ids=["secret-only", "access-only-env", "secret-only-with-endpoint"],
)
def test_half_a_key_pair_is_an_error(explicit: dict[str, str], env: dict[str, str], message: str) -> None:
    """Before: no endpoint signed silently with boto3's chain; with one, the first client failed without
    naming a key (found by tests/test_untrusted_input.py under the thorough profile)."""
    with pytest.raises(ConfigError) as caught:
        resolve(explicit, env=env)
    assert message in str(caught.value)
    assert SECRET not in str(caught.value)
    with pytest.raises(ConfigError, match="is set but"):
        S3Config(secret_key=SECRET)  # type: ignore[arg-type]


def test_a_bad_secret_value_is_masked_in_the_error() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({"s3.secret-key": "   "})
    assert str(caught.value) == "s3.secret-key = *** (from explicit): must not be empty"


# --- size formatting --------------------------------------------------------------------------

UNITS = {
    "": 1,
    "b": 1,
    "k": KiB,
    "KB": KiB,
    "KiB": KiB,
    "m": MiB,
    "mb": MiB,
    "MiB": MiB,
    "g": GiB,
    "GiB": GiB,
}


@given(st.integers(min_value=0, max_value=2**62))
def test_format_size_round_trips(size: int) -> None:
    text = format_size(size)
    assert parse_size(text) == size
    assert format_size(parse_size(text)) == text


@given(st.integers(min_value=0, max_value=2**40), st.sampled_from(sorted(UNITS)))
def test_every_unit_spelling_is_binary(count: int, unit: str) -> None:
    assert parse_size(f"{count}{unit}") == count * UNITS[unit]
    assert parse_size(format_size(count * UNITS[unit])) == count * UNITS[unit]


@pytest.mark.parametrize(
    ("key", "known"),
    [("fs.s3a.endpoint", True), ("s3.spi.endpoint", True), ("aws.region", False), ("s3.bogus", False)],
    ids=["alias", "canonical", "foreign", "unknown-s3"],
)
def test_is_known_key(key: str, known: bool) -> None:
    assert is_known_key(key) is known


def test_with_values_keeps_what_was_set_and_adds_the_new_layer() -> None:
    base = S3Config.resolve({"s3.spi.read.fragment-size": "4MiB"}, env={})
    layered = base.with_values({"fs.s3a.endpoint": "localhost:9000"})
    assert (layered.endpoint, layered.region, layered.fragment_size) == (
        "localhost:9000",
        "us-east-1",
        4 * MiB,
    )
    assert (layered.source("s3.spi.endpoint"), layered.source("s3.spi.read.fragment-size")) == (
        "explicit",
        "explicit",
    )
    assert layered.source("s3.spi.region") == "default"


def test_describe_and_repr_show_every_setting_with_secrets_and_userinfo_hidden() -> None:
    config = S3Config.resolve(
        {"s3.s5cmd.args": "--x AK:SEKRET@h:9000/b/k", "s3.access-key": "AK", "s3.secret-key": "SK",
         "fs.s3a.endpoint": "localhost:9000"},
        env={},
    )  # fmt: skip
    rows = {key: (value, source) for key, value, source in config.describe()}
    assert len(rows) == len(SPECS)
    assert rows["s3.spi.endpoint"] == ("localhost:9000", "explicit")
    assert rows["s3.access-key"] == ("AK", "explicit")
    assert rows["s3.secret-key"] == ("***", "explicit")
    assert rows["s3.s5cmd.args"] == ("***@h:9000/b/k", "explicit")
    assert rows["s3.spi.read.max-fragment-size"] == (5 * MiB, "default")
    text = repr(config)
    assert text.startswith("S3Config(fragment_number=50, fragment_size=5242880, endpoint_protocol='https', ")
    for shown in ("access_key='AK'", "secret_key=Secret('***')", "s5cmd_args='***@h:9000/b/k'"):
        assert f", {shown}, " in text
    assert "SEKRET" not in text
    assert "SK'" not in text


def test_a_bad_value_under_an_alias_names_both_keys() -> None:
    with pytest.raises(ConfigError) as raised:
        S3Config.resolve({"fs.s3a.connection.maximum": "x"}, env={})
    assert str(raised.value) == (
        "fs.s3a.connection.maximum (alias of s3.connection.maximum) = 'x' (from explicit): not an integer"
    )

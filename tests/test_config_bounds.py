"""Bad input of any size or shape is a ConfigError naming key, value and layer (issue 10, defect 7).

Before: ``10**400`` as a timeout raised ``OverflowError``, integers of more than 4300 digits a bare
``ValueError`` (Python's limit on ``int()``), and an endpoint whose IPv6 zone the URL parser rejects
a bare ``ValueError`` only when the first client was built.
"""

from __future__ import annotations

import pytest

from s3conf.client import resolve_endpoint
from s3conf.config import S3Config
from s3conf.errors import ConfigError
from s3conf.values import parse_duration, parse_int, parse_size

HUGE = 10**400
MAX_DURATION = 7 * 86400.0  # the documented bounds, written here rather than imported
MAX_INTEGER = 2**63 - 1
GIANT = 10**5000  # too large for str() / repr()

BAD = [
    ("s3.spi.timeouts.read", HUGE, "an integer of about 401 digits", "must be at most 604800 s (7 days)"),
    ("s3.spi.timeouts.connect", -HUGE, "an integer of about 401 digits", "must be > 0"),
    ("s3.spi.timeouts.write", "1e400", "'1e400'", "must be at most 604800 s (7 days)"),
    ("s3.spi.timeouts.read", 1e10, "10000000000.0", "must be at most 604800 s (7 days)"),
    ("s3.spi.timeouts.read", "9" * 5000 + "s", "'9999", "must be at most 604800 s (7 days)"),
    ("s3.spi.read.max-fragment-number", "9" * 5000, "'9999", "too large (at most 9223372036854775807)"),
    ("s3.spi.read.max-fragment-number", GIANT, "an integer of about 5001 digits", "must be at most 92233"),
    ("s3.spi.read.max-fragment-number", 2**63, "9223372036854775808", "must be at most 9223372036854775807"),
    (
        "s3.spi.read.max-fragment-size",
        "9" * 5000 + "MiB",
        "'9999",
        "too large (at most 9223372036854775807 bytes)",
    ),
    (
        "s3.spi.read.max-inflight-bytes",
        "8000000000TiB",
        "'8000000000TiB'",
        "must be at most 9223372036854775807",
    ),
    ("s3.connection.maximum", GIANT, "an integer of about 5001 digits", "must be at most"),
    ("s3.entropy.length", 1025, "1025", "must be at most 1024"),
    ("s3.spi.endpoint", "http://[fe80::1%a\uff0fb]:9000", "'http://[fe80::1%a／b]:9000'", "not a URL"),
    ("s3.spi.endpoint", "[fe80::1%zz/x]:9000", "'[fe80::1%zz/x]:9000'", "not a URL"),
    ("s3.spi.endpoint", "h:" + "9" * 5000, "'h:9999", "port out of range 1-65535"),
    ("s3.spi.endpoint", "h:0", "'h:0'", "port out of range 1-65535"),
    ("s3.spi.endpoint", "ftp://h", "'ftp://h'", "must be http(s)://host[:port]"),
    ("s3.spi.endpoint", "http://h:9000/path", "'http://h:9000/path'", "must have no path"),
    ("s3.spi.endpoint", "ho st:9000", "'ho st:9000'", "must be http(s)://host[:port]"),
]


# The environment holds only strings, so only string values are tried there too.
CASES = [
    (layer, *row)
    for row in BAD
    for layer in ("explicit", "env")
    if layer == "explicit" or isinstance(row[1], str)
]


@pytest.mark.parametrize(
    ("layer", "key", "raw", "value", "complaint"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_bad_values_are_config_errors_naming_key_value_and_layer(
    layer: str, key: str, raw: object, value: str, complaint: str
) -> None:
    explicit: dict[str, object] | None = {key: raw}
    env: dict[str, str] = {}
    source = "explicit"
    if layer == "env":
        env_name = key.upper().replace(".", "_").replace("-", "_")
        explicit, env, source = None, {env_name: str(raw)}, f"env:{env_name}"
    with pytest.raises(ConfigError) as caught:
        S3Config.resolve(explicit, env=env)
    message = str(caught.value)
    assert message.startswith(f"{key} = {value}")
    assert f"(from {source}): {complaint}" in message
    assert len(message) < 400
    assert caught.value.__context__ is None or isinstance(caught.value.__context__, ValueError)


@pytest.mark.parametrize(
    ("key", "raw"),
    [
        ("s3.spi.timeouts.read", MAX_DURATION),
        ("s3.spi.timeouts.read", "7d"),
        ("s3.spi.read.max-fragment-number", MAX_INTEGER),
        ("s3.spi.read.max-fragment-size", "0" * 5000 + "8MiB"),
        ("s3.entropy.length", 1024),
        ("s3.spi.endpoint", "http://[fe80::1%eth0]:9000"),
        ("s3.spi.endpoint", "127.0.0.1:" + "0" * 3 + "80"),
    ],
    ids=[
        "duration-max",
        "seven-days",
        "integer-max",
        "leading-zeros",
        "entropy-max",
        "ipv6-zone",
        "port-zeros",
    ],
)
def test_the_bounds_themselves_are_accepted(key: str, raw: object) -> None:
    config = S3Config.resolve({key: raw}, env={})
    assert config.source(key) == "explicit"
    resolve_endpoint(None, config)  # a config that resolves builds its endpoint


def test_a_resolved_endpoint_setting_always_builds_an_endpoint() -> None:
    for setting in ("localhost:9000", "http://127.0.0.1:5000/", "https://[::1]", "s3.example.com"):
        endpoint = resolve_endpoint(None, S3Config.resolve({"s3.spi.endpoint": setting}, env={}))
        assert endpoint is not None
        assert endpoint.name == setting


def test_public_parsers_raise_value_errors_only() -> None:
    assert parse_duration(HUGE) == float("inf")
    with pytest.raises(ValueError, match=r"too large \(at most 9223372036854775807 bytes\): '9999"):
        parse_size("9" * 5000)
    with pytest.raises(ValueError, match="too large"):
        parse_int("9" * 5000)
    with pytest.raises(ValueError, match="not a size: 'http://\\*\\*\\*@h'"):
        parse_size("http://AK:SK@h")

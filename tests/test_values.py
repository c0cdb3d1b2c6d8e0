"""s3conf.values on its own: range checks and spellings, with literal expectations.

The parsers' tables live in ``tests/test_config.py`` (through the settings that use them); here are the
pieces :mod:`s3conf.config` builds at import (``at_least``, ``between``, ``complaining``), called at
test time so a change to them is seen, and the exact spellings a user reads.
"""

from __future__ import annotations

import math
import re

import pytest

from s3conf.values import (
    GiB,
    InvalidValueError,
    KiB,
    MiB,
    TiB,
    at_least,
    between,
    complaining,
    format_size,
    parse_bool,
    parse_duration,
    parse_endpoint,
    parse_protocol,
    parse_text,
)

AT_LEAST = [
    # (low, options, value, complaint or None)
    (1, {}, 1, None),
    (1, {}, 0, "must be >= 1"),
    (1, {}, 0.5, "must be >= 1"),
    (0, {"exclusive": True}, 0, "must be > 0"),
    (0, {"exclusive": True}, 0.001, None),
    (0.5, {"exclusive": True}, 0.25, "must be > 0.5"),
    (1, {"at_most": 10}, 10, None),
    (1, {"at_most": 10}, 11, "must be at most 10"),
    (1, {"at_most": 604800.0, "unit": " s"}, 604801.0, "must be at most 604800 s"),
    (1, {"at_most": 2.5}, 3, "must be at most 2.5"),
    (1, {}, (1 << 63) - 1, None),
    (1, {}, 1 << 63, "must be at most 9223372036854775807"),
    (0, {}, math.nan, "must be >= 0"),
    (0, {"exclusive": True}, math.nan, "must be > 0"),
]


@pytest.mark.parametrize(
    ("low", "options", "value", "complaint"),
    AT_LEAST,
    ids=[
        f"{low}-{'-'.join(map(str, options.values())) or 'plain'}-{value}"
        for low, options, value, _ in AT_LEAST
    ],
)
def test_at_least(low: float, options: dict[str, object], value: float, complaint: str | None) -> None:
    assert at_least(low, **options)(value) == complaint  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        (KiB, None),
        (GiB, None),
        (KiB - 1, "must be between 1KiB and 1GiB"),
        (GiB + 1, "must be between 1KiB and 1GiB"),
    ],
    ids=["low", "high", "below", "above"],
)
def test_between(value: int, complaint: str | None) -> None:
    assert between(KiB, GiB)(value) == complaint


def test_complaining_turns_a_value_error_into_a_complaint_without_the_value() -> None:
    parse = complaining(lambda value: int(str(value)), "not a count")
    assert parse("12") == 12
    with pytest.raises(InvalidValueError) as raised:
        parse("twelve")
    assert raised.value.complaint == "not a count"
    assert str(raised.value) == "not a count"


def test_complaining_lets_a_complaint_through_unchanged() -> None:
    with pytest.raises(InvalidValueError) as raised:
        complaining(parse_text, "other words")(7)
    assert str(raised.value) == "expected a string, got int"


@pytest.mark.parametrize(
    ("args", "text"),
    [
        (("must be x",), "must be x"),
        (("must be x", 5), "must be x: 5"),
        (("must be x", "a b"), "must be x: 'a b'"),
    ],
    ids=["no-value", "int", "text"],
)
def test_invalid_value_error_adds_the_value_only_when_given(args: tuple[str, object], text: str) -> None:
    error = InvalidValueError(*args)
    assert (str(error), error.complaint) == (text, "must be x")


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (TiB, "1TiB"),
        (3 * TiB, "3TiB"),
        (2 * GiB, "2GiB"),
        (5 * MiB, "5MiB"),
        (5 * KiB, "5KiB"),
        (1023, "1023"),
    ],
    ids=["tib", "3tib", "gib", "mib", "kib", "bytes"],
)
def test_format_size_spellings(size: int, text: str) -> None:
    assert format_size(size) == text


@pytest.mark.parametrize(
    ("parser", "value", "message"),
    [
        (parse_bool, "maybe", "not a boolean: 'maybe' (expected true/false, yes/no or 1/0)"),
        (parse_bool, 2, "not a boolean: 2 (expected true/false, yes/no or 1/0)"),
        (parse_duration, "soon",
         "not a duration: 'soon' (expected seconds, or a number with ms, s, min, h or d)"),
        (parse_protocol, "ftp", "must be http or https"),
        (parse_text, 7, "expected a string, got int"),
        (parse_text, None, "expected a string, got NoneType"),
        (parse_endpoint, "http://AK:SEKRET@localhost:9000",
         "must not contain credentials (use s3.access-key and s3.secret-key)"),
        (parse_endpoint, "ftp://localhost", "must be http(s)://host[:port]"),
    ],
    ids=["bool-word", "bool-int", "duration", "protocol", "text-int", "text-none", "endpoint-credentials",
         "endpoint-scheme"],
)  # fmt: skip
def test_messages(parser: object, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)) as raised:
        parser(value)  # type: ignore[operator]
    assert str(raised.value) == message


def test_parsers_accept() -> None:
    assert (parse_bool(1), parse_bool(0), parse_bool(" No ")) == (True, False, False)
    assert parse_protocol(" HTTP ") == "http"
    assert parse_endpoint("localhost:9000") == "localhost:9000"
    assert (parse_duration(10**400), parse_duration(-(10**400))) == (math.inf, -math.inf)

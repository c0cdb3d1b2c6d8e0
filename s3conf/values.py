"""Parsing and range checks for configuration values: sizes, durations, booleans, protocols.

Kept apart from :mod:`s3conf.config` (which layers and records values) because they are useful on
their own (the benchmark CLI parses ``--sizes 256KiB,4MiB`` with them) and are tested as a table.
Parsers raise ``ValueError``; an :class:`InvalidValueError` (also a ``ValueError``) carries a
complaint that :mod:`s3conf.config` turns into a :class:`~s3conf.errors.ConfigError` naming key, value
and source. No parser lets another exception type escape for any input: numbers too large to convert
(``OverflowError``, or Python's 4300-digit limit on ``int()``) are complaints like any other.

Bounds, so that a value that passes here cannot fail later in a socket or the OS: counts and sizes
are at most :data:`MAX_INTEGER` (2**63 - 1), durations at most :data:`MAX_DURATION` (7 days; a socket
timeout above about 9.2e9 s is an ``OverflowError`` on Linux).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from s3conf.endpoint import endpoint_url, endpoint_url_problem
from s3conf.redaction import Secret, shown

KiB = 1 << 10
MiB = 1 << 20
GiB = 1 << 30
TiB = 1 << 40
MAX_INTEGER = (1 << 63) - 1
"""Largest count or size a setting may hold (a signed 64-bit integer, what S3 and the OS take)."""
MAX_DURATION = 7 * 86400.0
"""Longest duration a setting may hold, in seconds (7 days)."""
_MAX_DIGITS = 40
"""Digits beyond which a number is too large whatever its unit; checked before ``int()`` runs."""

_SIZE_UNITS: dict[str, int] = {
    "": 1, "b": 1, "byte": 1, "bytes": 1,
    "k": KiB, "kb": KiB, "kib": KiB, "kibibytes": KiB,
    "m": MiB, "mb": MiB, "mib": MiB, "mebibytes": MiB,
    "g": GiB, "gb": GiB, "gib": GiB, "gibibytes": GiB,
    "t": TiB, "tb": TiB, "tib": TiB, "tebibytes": TiB,
}  # fmt: skip
_DURATION_UNITS: dict[str, float] = {
    "": 1.0, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0,
    "ms": 1e-3, "milli": 1e-3, "millis": 1e-3, "millisecond": 1e-3, "milliseconds": 1e-3,
    "m": 60.0, "min": 60.0, "mins": 60.0, "minute": 60.0, "minutes": 60.0,
    "h": 3600.0, "hour": 3600.0, "hours": 3600.0,
    "d": 86400.0, "day": 86400.0, "days": 86400.0,
}  # fmt: skip
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})
_SIZE_RE = re.compile(r"\s*([+-]?\d+)\s*([A-Za-z]*)\s*")
_DURATION_RE = re.compile(r"\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]*)\s*")
_INT_RE = re.compile(r"\s*[+-]?\d+\s*")
SIZE_HINT = "expected an integer with an optional unit such as 8MiB, 512KiB, 1024mb"
DURATION_HINT = "expected seconds, or a number with ms, s, min, h or d"
BOOL_HINT = "expected true/false, yes/no or 1/0"


_NO_VALUE = object()


class InvalidValueError(ValueError):
    """A parser's or range check's complaint, turned into a ConfigError with key and source.

    :attr:`complaint` says what is wrong without the value (the ConfigError names it once, redacted);
    ``str()`` adds the value, for callers of the public parsers.
    """

    def __init__(self, complaint: str, value: object = _NO_VALUE) -> None:
        self.complaint = complaint
        super().__init__(complaint if value is _NO_VALUE else f"{complaint}: {shown(value)}")


def _decimal(text: str, value: object, too_large: str) -> int:
    """``int(text)`` for a signed run of digits, refusing (not crashing on) numbers of any length.

    ``int()`` raises a bare ``ValueError`` beyond 4300 digits, leading zeros included; no setting needs
    more than :data:`_MAX_DIGITS` significant ones.
    """
    body = text.strip()
    sign = -1 if body.startswith("-") else 1
    digits = body.lstrip("+-").lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:
        raise InvalidValueError(too_large, value)
    try:
        return sign * int(digits)
    except ValueError:
        pass  # a digit int() reads differently from the pattern: not a number (raised below, no context)
    raise InvalidValueError("not an integer", value)


def parse_size(value: object) -> int:
    """A byte count from an int or a string such as ``8MiB``, ``512KiB``, ``1024mb``, ``5MB``.

    Units are binary whatever their spelling (Flink's ``MemorySize``), so ``5MB`` is 5 MiB.

    >>> parse_size("8MiB"), parse_size("512kib"), parse_size("1024mb") == GiB, parse_size(" 5 MB ")
    (8388608, 524288, True, 5242880)
    >>> parse_size("1.5MiB")
    Traceback (most recent call last):
    ...
    ValueError: not a size: '1.5MiB' (expected an integer with an optional unit such as 8MiB, 512KiB, 1024mb)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = _SIZE_RE.fullmatch(value)
        if match and match.group(2).lower() in _SIZE_UNITS:
            number = _decimal(match.group(1), value, f"too large (at most {MAX_INTEGER} bytes)")
            return number * _SIZE_UNITS[match.group(2).lower()]
    raise ValueError(f"not a size: {shown(value)} ({SIZE_HINT})")


def format_size(size: int) -> str:
    """The shortest exact spelling of ``size`` that :func:`parse_size` reads back.

    >>> format_size(5242880), format_size(GiB), format_size(3072), format_size(1536), format_size(0)
    ('5MiB', '1GiB', '3KiB', '1536', '0')
    """
    if size:
        for unit, multiple in (("TiB", TiB), ("GiB", GiB), ("MiB", MiB), ("KiB", KiB)):
            if size % multiple == 0:
                return f"{size // multiple}{unit}"
    return str(size)


def parse_duration(value: object) -> float:
    """Seconds from a number or a string such as ``30``, ``30s``, ``5min``, ``500ms``, ``1.5h``.

    An integer too large for a float is infinite (and refused by the range checks), not an
    ``OverflowError``.

    >>> parse_duration("5min"), parse_duration("500ms"), parse_duration(30), parse_duration("2.5")
    (300.0, 0.5, 30.0, 2.5)
    >>> parse_duration(10**400), parse_duration(-(10**400))
    (inf, -inf)
    """
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        match = _DURATION_RE.fullmatch(value)
        if match and match.group(2).lower() in _DURATION_UNITS:
            return float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()]
    raise ValueError(f"not a duration: {shown(value)} ({DURATION_HINT})")


def parse_bool(value: object) -> bool:
    """A flag from a bool, 0/1, or ``true/false/yes/no/1/0`` in any case.

    >>> parse_bool("YES"), parse_bool("0"), parse_bool(True)
    (True, False, True)
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise ValueError(f"not a boolean: {shown(value)} ({BOOL_HINT})")


def parse_int(value: object) -> int:
    """An integer from an int or a decimal string; bounds are the range check's business.

    >>> parse_int(" 42 "), parse_int(7)
    (42, 7)
    >>> parse_int("9" * 5000)
    Traceback (most recent call last):
    ...
    s3conf.values.InvalidValueError: too large (at most 9223372036854775807): '99999...
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and _INT_RE.fullmatch(value):
        return _decimal(value, value, f"too large (at most {MAX_INTEGER})")
    raise InvalidValueError("not an integer", value)


def parse_text(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidValueError(f"expected a string, got {type(value).__name__}")
    if not value.strip():
        raise InvalidValueError("must not be empty")
    return value


def parse_secret(value: object) -> Secret:
    if isinstance(value, Secret):
        value = value.reveal()
    return Secret(parse_text(value))


def parse_endpoint(value: object) -> str:
    """An ``s3.spi.endpoint`` value: ``host[:port]`` or ``http(s)://host[:port]``, checked now.

    Checking here (not when a client is first built) lets the error name the key and the layer; the
    value is kept as given, and :func:`s3conf.endpoint.endpoint_url` makes the URL from it.

    >>> parse_endpoint("localhost:9000")
    'localhost:9000'
    >>> parse_endpoint("http://AK:SEKRET@localhost:9000")
    Traceback (most recent call last):
    ...
    s3conf.values.InvalidValueError: must not contain credentials (use s3.access-key and s3.secret-key)
    """
    text = parse_text(value)
    problem = endpoint_url_problem(endpoint_url(text, "https"))
    if problem == "must not contain credentials":
        problem += " (use s3.access-key and s3.secret-key)"
    if problem:
        raise InvalidValueError(problem)
    return text


def parse_protocol(value: object) -> str:
    text = parse_text(value).strip().lower()
    if text not in ("http", "https"):
        raise InvalidValueError("must be http or https")
    return text


def complaining(parser: Callable[[object], Any], complaint: str) -> Callable[[object], Any]:
    """Turn a public parser's ValueError into a complaint that does not repeat the value."""

    def parse(value: object) -> Any:
        try:
            return parser(value)
        except InvalidValueError:
            raise
        except ValueError:
            raise InvalidValueError(complaint) from None

    return parse


def at_least(
    low: float, *, exclusive: bool = False, at_most: float = MAX_INTEGER, unit: str = ""
) -> Callable[[Any], str | None]:
    """A range check: ``value >= low`` (``> low`` if ``exclusive``) and ``value <= at_most``; NaN fails."""

    def check(value: Any) -> str | None:
        if exclusive and not value > low:
            return f"must be > {low:g}"
        if not exclusive and not value >= low:
            return f"must be >= {low}"
        if not value <= at_most:
            limit = f"{at_most:g}" if isinstance(at_most, float) else str(at_most)
            return f"must be at most {limit}{unit}"
        return None

    return check


def between(low: int, high: int) -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if not low <= value <= high:
            return f"must be between {format_size(low)} and {format_size(high)}"
        return None

    return check

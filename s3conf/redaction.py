"""Secrets that cannot leak by accident.

A :class:`Secret` prints as ``***`` in ``repr``, ``str`` and f-strings; the value is reachable only
through :meth:`Secret.reveal`, which makes every place that hands a credential to a client easy to
find. :func:`redact` scrubs known secret values out of free text (logs, server output, reports).

Values a user typed can hold credentials we were never told are secret: a URI with
``access:secret@`` in the wrong place, an endpoint URL with userinfo, a bad setting. Such text goes
through :func:`redact_userinfo` (the one rule for what *looks like* userinfo) before it reaches a
message, a ``repr`` or a report, and :func:`shown` is the form of a value in an error message.

>>> s = Secret("wJalrXUtnFEMI")
>>> s, str(s), f"{s}"
(Secret('***'), '***', '***')
>>> s.reveal()
'wJalrXUtnFEMI'
>>> redact("key=wJalrXUtnFEMI", [s])
'key=***'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

MASK = "***"
SHOWN_LIMIT = 200
"""Longest :func:`shown` text; a longer value is cut (after redaction) and its length stated."""

_KNOWN_SCHEME = re.compile(r"(?:s3[apx]?|https?):/*", re.IGNORECASE)
_BIG_INT_BITS = 1024


class Secret:
    """A credential value whose text form is always the mask."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """Return the real value; call only where it is handed to a signer or client."""
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK!r})"

    def __str__(self) -> str:
        return MASK

    def __format__(self, format_spec: str) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[type[Secret], tuple[str]]:
        return (Secret, (self._value,))


def redact(text: str, secrets: Iterable[Secret | str | None]) -> str:
    """Replace every occurrence of each non-empty secret in ``text`` with the mask."""
    for secret in secrets:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if value:
            text = text.replace(value, MASK)
    return text


def userinfo_span(text: str) -> tuple[int, int] | None:
    """The ``(start, end)`` of the part of ``text`` that may hold credentials, or ``None``.

    Anything before the last ``@`` may be ``access:secret``, wherever the ``@`` sits and however
    malformed the rest is (``s3x:/AK:SK@h``, ``AK:SK@h:9000/b``, ``s3x:AK:SK@h://b``, a secret with a
    raw ``/`` or ``@``). Only a leading scheme we know (``s3``, ``s3a``, ``s3p``, ``s3x``, ``http``,
    ``https``, with its ``:`` and slashes) is kept visible, since it cannot be part of a secret; every
    other character up to the last ``@`` is in the span. The price: a key containing ``@`` is partly
    masked in an error message, which is better than a secret shown once.

    >>> userinfo_span("s3x://AK:SK@host/b/k"), userinfo_span("AK:SK@h"), userinfo_span("s3://b/k")
    ((6, 11), (0, 5), None)
    """
    at = text.rfind("@")
    if at < 0:
        return None
    scheme = _KNOWN_SCHEME.match(text)
    start = scheme.end() if scheme is not None and scheme.end() <= at else 0
    return (start, at)


def redact_userinfo(text: str) -> str:
    """``text`` with everything that may be userinfo (see :func:`userinfo_span`) replaced by the mask.

    >>> redact_userinfo("s3x:/AK:SEKRET@h:1/b/k")
    's3x:/***@h:1/b/k'
    >>> redact_userinfo("http://AK:se/cr@et@h:9000"), redact_userinfo("AK:SEKRET@h:9000/b/k")
    ('http://***@h:9000', '***@h:9000/b/k')
    >>> redact_userinfo("s3://bucket/key")
    's3://bucket/key'
    """
    span = userinfo_span(text)
    if span is None:
        return text
    start, end = span
    return text[:start] + MASK + text[end:]


def shown(value: object) -> str:
    """How a value a user gave appears in an error message: a ``repr`` that cannot leak or explode.

    Userinfo is masked (:func:`redact_userinfo`), a :class:`Secret` is the mask, an integer too large
    to print (Python refuses more than 4300 digits) is summarised by its size, and text longer than
    :data:`SHOWN_LIMIT` is cut after redaction, so a megabyte of input makes a readable message.

    >>> shown("http://AK:SEKRET@h:9000"), shown(Secret("x")), shown(8), shown(10**5000)
    ("'http://***@h:9000'", '***', '8', 'an integer of about 5001 digits')
    >>> long = shown("x" * 500)
    >>> len(long), long[-22:]
    (220, 'xx... (502 characters)')
    """
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _BIG_INT_BITS:
        return f"an integer of about {round(math.log10(abs(value))) + 1} digits"
    text = repr(redact_userinfo(value)) if isinstance(value, str) else redact_userinfo(_safe_repr(value))
    if len(text) > SHOWN_LIMIT:
        return f"{text[:SHOWN_LIMIT]}... ({len(text)} characters)"
    return text


def _safe_repr(value: object) -> str:
    try:
        return repr(value)
    except Exception:  # any object may be handed over; its repr must not break the error message
        return f"<{type(value).__name__} object>"

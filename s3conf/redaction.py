"""Secrets that cannot leak by accident.

A :class:`Secret` prints as ``***`` in ``repr``, ``str`` and f-strings; the value is reachable only
through :meth:`Secret.reveal`, which makes every place that hands a credential to a client easy to
find. :func:`redact` scrubs known secret values out of free text (logs, server output, reports).

>>> s = Secret("wJalrXUtnFEMI")
>>> s, str(s), f"{s}"
(Secret('***'), '***', '***')
>>> s.reveal()
'wJalrXUtnFEMI'
>>> redact("key=wJalrXUtnFEMI", [s])
'key=***'
"""

from __future__ import annotations

from collections.abc import Iterable

MASK = "***"


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

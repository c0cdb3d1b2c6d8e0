"""The conformance catalog: S3 behaviours that file-access code depends on, as data.

Each check is a :class:`Check` with a stable ``id`` (reports, the expectations table and diffs key on
it, so an id is never reused for another behaviour), the S3 operation it exercises, the behaviour
real AWS S3 shows (``expected``) and why a file-access layer breaks without it (``why``). Section
modules register their checks with :func:`check` at import; :func:`all_checks` imports them all and
returns the catalog in a stable order.

>>> checks = all_checks()
>>> len(checks) >= 80
True
>>> len({c.id for c in checks}) == len(checks)
True
>>> get_check("range.suffix").section
'ranges'
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from suites.conformance.context import CheckContext

# The order in which sections appear in reports.
SECTIONS = (
    "objects",
    "ranges",
    "keys",
    "directories",
    "listing",
    "deletion",
    "copy",
    "multipart",
    "conditional",
    "checksums",
    "errors",
    "addressing",
    "presign",
    "fileaccess",
)

_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)+$")
_REGISTRY: dict[str, Check] = {}


@dataclass(frozen=True)
class Check:
    """One catalog entry.

    Attributes:
        id: Stable dotted identifier, e.g. ``range.suffix``.
        section: The catalog section (module name) it belongs to.
        operation: The S3 API operation(s) exercised, e.g. ``GetObject``.
        expected: What AWS S3 does, stated so a vendor can compare.
        why: What file-access code relies on, and the source when AWS behaviour is non-obvious.
        run: The body; raises ``AssertionError`` (or ``CheckFailed``) when the target differs.
        requires: Optional capability name; the check is skipped when the target declares it lacks it.
    """

    id: str
    section: str
    operation: str
    expected: str
    why: str
    run: Callable[[CheckContext], None]
    requires: str | None = None


def check(
    check_id: str, *, operation: str, expected: str, why: str, requires: str | None = None
) -> Callable[[Callable[[CheckContext], None]], Callable[[CheckContext], None]]:
    """Register the decorated function as the body of check ``check_id``.

    The section is the registering module's last name component, so a check lives where its
    section says. A duplicate or malformed id is a programming error and fails at import.
    """

    def decorate(run: Callable[[CheckContext], None]) -> Callable[[CheckContext], None]:
        if not _ID_PATTERN.match(check_id):
            raise ValueError(f"malformed check id {check_id!r}")
        if check_id in _REGISTRY:
            raise ValueError(f"duplicate check id {check_id!r}")
        section = run.__module__.rsplit(".", 1)[-1]
        if section not in SECTIONS:
            raise ValueError(f"check {check_id!r} registered from unknown section module {run.__module__!r}")
        _REGISTRY[check_id] = Check(check_id, section, operation, expected, why, run, requires)
        return run

    return decorate


def all_checks() -> list[Check]:
    """Every registered check, sections in :data:`SECTIONS` order, checks in registration order."""
    for section in SECTIONS:
        importlib.import_module(f"{__name__}.{section}")
    order = {name: index for index, name in enumerate(SECTIONS)}
    return sorted(_REGISTRY.values(), key=lambda c: order[c.section])


def get_check(check_id: str) -> Check:
    """The check with this id; ``KeyError`` naming the id when there is none."""
    all_checks()
    try:
        return _REGISTRY[check_id]
    except KeyError:
        raise KeyError(f"no conformance check with id {check_id!r}") from None

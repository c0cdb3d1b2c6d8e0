"""The conformance catalog: S3 behaviours that file-access code depends on, as data.

Each check is a :class:`Check` with a stable ``id`` (reports, the expectations table and diffs key on
it, so an id is never reused for another behaviour), the S3 operation it exercises, the behaviour
real AWS S3 shows (``expected``), why a file-access layer breaks without it (``why``) and where AWS
says so (``source``: an API reference or user guide page and the section on it), so a vendor who
disputes a verdict can read the rule. Where AWS documents no answer the check says so
(``documented=False``, with the reasoning in ``why``); such checks are reported but stay out of the
pass/fail headline unless the answer was observed on AWS (``aws_observed``). Section modules register
their checks with :func:`check` at import; :func:`all_checks` imports them all and returns the catalog
in a stable order.

>>> checks = all_checks()
>>> len(checks) >= 80
True
>>> len({c.id for c in checks}) == len(checks)
True
>>> get_check("range.suffix").section
'ranges'
>>> all(c.source.url.startswith("https://") and c.source.section for c in checks)
True
>>> api("GetObject", "Errors").url
'https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html'
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
    "checkpoint",
    "capabilities",
)

_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)+$")
_REGISTRY: dict[str, Check] = {}

_API = "https://docs.aws.amazon.com/AmazonS3/latest/API/"
_GUIDE = "https://docs.aws.amazon.com/AmazonS3/latest/userguide/"


@dataclass(frozen=True)
class Source:
    """Where AWS states the behaviour a check expects: a page and the section on it."""

    url: str
    section: str

    def __str__(self) -> str:
        return f"{self.section} — {self.url}"

    def as_dict(self) -> dict[str, str]:
        """``{"url": ..., "section": ...}`` for the results JSON."""
        return {"url": self.url, "section": self.section}


def api(operation: str, section: str) -> Source:
    """A section of an S3 API reference page, e.g. ``api("GetObject", "Request Syntax: Range")``."""
    return Source(f"{_API}API_{operation}.html", f"API Reference, {operation}: {section}")


def guide(page: str, section: str) -> Source:
    """A section of an S3 user guide page, e.g. ``guide("conditional-requests", "...")``."""
    return Source(f"{_GUIDE}{page}.html", f"User Guide, {section}")


def reference(page: str, section: str) -> Source:
    """A section of a general S3 API reference page (``ErrorResponses``, ``RESTAuthentication``...)."""
    return Source(f"{_API}{page}.html", f"API Reference, {section}")


def rfc(number: int, section: str) -> Source:
    """A section of an IETF RFC, for HTTP rules the S3 reference defers to (it cites RFC 7232/9110)."""
    return Source(f"https://www.rfc-editor.org/rfc/rfc{number}", f"RFC {number}, {section}")


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
        source: The AWS page and section that state ``expected``.
        requires: Optional capability name; the check is skipped when the target declares it lacks it.
        documented: ``False`` when AWS documents no answer and ``expected`` is inferred (from HTTP
            RFCs, other documented rules, or reports of what AWS does); ``why`` then says from what.
        aws_observed: For an undocumented check, where the answer was observed on AWS (then it
            counts in the headline like a documented one); ``None`` when it was not.
    """

    id: str
    section: str
    operation: str
    expected: str
    why: str
    run: Callable[[CheckContext], None]
    source: Source
    requires: str | None = None
    documented: bool = True
    aws_observed: str | None = None

    @property
    def in_headline(self) -> bool:
        """Whether the verdict counts in the pass/fail headline (documented, or observed on AWS)."""
        return self.documented or self.aws_observed is not None

    def describe(self) -> dict[str, object]:
        """The catalog entry as the results JSON records it (see ``results.schema.json``)."""
        return {
            "section": self.section,
            "operation": self.operation,
            "expected": self.expected,
            "why": self.why,
            "source": self.source.as_dict(),
            "documented": self.documented,
            "aws_observed": self.aws_observed,
            "in_headline": self.in_headline,
        }


def check(
    check_id: str,
    *,
    operation: str,
    expected: str,
    why: str,
    source: Source,
    requires: str | None = None,
    documented: bool = True,
    aws_observed: str | None = None,
) -> Callable[[Callable[[CheckContext], None]], Callable[[CheckContext], None]]:
    """Register the decorated function as the body of check ``check_id``.

    The section is the registering module's last name component, so a check lives where its
    section says. A duplicate or malformed id, an unknown capability or a check without a source is
    a programming error and fails at import.
    """

    def decorate(run: Callable[[CheckContext], None]) -> Callable[[CheckContext], None]:
        if not _ID_PATTERN.match(check_id):
            raise ValueError(f"malformed check id {check_id!r}")
        if check_id in _REGISTRY:
            raise ValueError(f"duplicate check id {check_id!r}")
        section = run.__module__.rsplit(".", 1)[-1]
        if section not in SECTIONS:
            raise ValueError(f"check {check_id!r} registered from unknown section module {run.__module__!r}")
        if not isinstance(source, Source):
            raise ValueError(f"check {check_id!r} has no source")
        if requires is not None and requires not in _capability_names():
            raise ValueError(f"check {check_id!r} requires unknown capability {requires!r}")
        _REGISTRY[check_id] = Check(
            check_id, section, operation, expected, why, run, source, requires, documented, aws_observed
        )
        return run

    return decorate


def _capability_names() -> tuple[str, ...]:
    from emulators.base import Capabilities

    return Capabilities.field_names()


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

"""What a store declares it does not offer: those checks read *not applicable* instead of failing.

A vendor whose endpoint is an IP address cannot offer virtual-host addressing, and a gateway may turn
presigned URLs off on purpose. Without a way to say so, those checks fail on every run and hide the
new failures among them. ``s3conf conformance --not-offered FILE`` reads a TOML declaration::

    # my-store.toml: what this store does not offer, and why
    [capabilities]            # capability names, as in emulators.base.Capabilities
    virtual_host_addressing = "path-style only: the endpoint is an IP address"

    [checks]                  # check ids or globs
    "presign.*" = "presigned URLs are disabled on this gateway"

Every reason is printed in the reports next to the check, so a reader sees what was declared and why.
A name that matches nothing (a typo) is an error, not a silent no-op.

>>> table = parse_not_offered('[checks]\\n"range.*" = "no ranged reads"\\n', known_checks={"range.suffix"})
>>> table.reason("range.suffix", None)
'no ranged reads'
>>> table.reason("key.plus", None) is None
True
>>> parse_not_offered('[checks]\\n"rnage.*" = "typo"\\n', known_checks={"range.suffix"})
Traceback (most recent call last):
...
s3conf.errors.ConfigError: not-offered declaration: [checks] pattern 'rnage.*' matches no check ...
"""

from __future__ import annotations

import fnmatch
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from s3conf.errors import ConfigError

# The capability names a check can require (``Check.requires``); kept here, not imported from
# ``emulators.base``, so `--list` and the parser need no target code. A test keeps the two in step.
CAPABILITY_NAMES = (
    "conditional_writes",
    "multipart",
    "multipart_copy",
    "versioning",
    "presigned_urls",
    "virtual_host_addressing",
    "object_tagging",
    "auth_enforced",
    "bucket_lifecycle",
    "flat_namespace",
    "part_number_gaps",
)


@dataclass(frozen=True)
class NotOffered:
    """Capability name -> reason, and check-id glob -> reason."""

    capabilities: dict[str, str] = field(default_factory=dict)
    checks: dict[str, str] = field(default_factory=dict)

    def reason(self, check_id: str, requires: str | None) -> str | None:
        """Why ``check_id`` (requiring capability ``requires``) is not applicable, or ``None``."""
        if requires is not None and requires in self.capabilities:
            return f"{requires} not offered: {self.capabilities[requires]}"
        for pattern, reason in self.checks.items():
            if fnmatch.fnmatchcase(check_id, pattern):
                return reason
        return None


def _reasons(raw: object, table: str, source: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: [{table}] must be a table of name = reason")
    for name, reason in raw.items():
        if not isinstance(reason, str) or not reason.strip():
            raise ConfigError(f"{source}: [{table}] {name!r} needs a non-empty reason string, got {reason!r}")
    return dict(raw)


def parse_not_offered(
    text: str, *, known_checks: Iterable[str], source: str = "not-offered declaration"
) -> NotOffered:
    """Parse and validate a declaration; unknown tables, capabilities or patterns are ``ConfigError``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    unknown_tables = sorted(set(raw) - {"capabilities", "checks"})
    if unknown_tables:
        raise ConfigError(f"{source}: unknown table(s) {unknown_tables}; use [capabilities] and [checks]")
    capabilities = _reasons(raw.get("capabilities", {}), "capabilities", source)
    for name in capabilities:
        if name not in CAPABILITY_NAMES:
            raise ConfigError(f"{source}: unknown capability {name!r}; known: {', '.join(CAPABILITY_NAMES)}")
    checks = _reasons(raw.get("checks", {}), "checks", source)
    ids = list(known_checks)
    for pattern in checks:
        if not fnmatch.filter(ids, pattern):
            raise ConfigError(
                f"{source}: [checks] pattern {pattern!r} matches no check "
                "(`s3conf conformance --list` shows the ids)"
            )
    return NotOffered(capabilities, checks)


def load_not_offered(path: Path, known_checks: Iterable[str]) -> NotOffered:
    """Read a declaration file (a missing file is ``FileNotFoundError`` naming it)."""
    return parse_not_offered(path.read_text(encoding="utf-8"), known_checks=known_checks, source=str(path))

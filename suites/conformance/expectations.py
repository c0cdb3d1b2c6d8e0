"""The expectations table: what each target is known to get wrong, as data.

``expectations.toml`` maps ``[target]`` tables of ``"check.id" = "reason"``. Every entry is applied
as a strict xfail, so a target that starts passing a check fails the run (XPASS(strict)) until its
entry is removed: the table cannot silently go stale. Entries are added only from failures really
observed by running the suite, with the observed answer in the reason.

>>> table = parse_expectations('[moto]\\n"range.suffix" = "answers 200"\\n')
>>> table.reason("moto", "range.suffix")
'answers 200'
>>> table.reason("seaweedfs", "range.suffix") is None
True
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources

from s3conf.errors import ConfigError


@dataclass(frozen=True)
class Expectations:
    """``target -> check id -> reason`` for known failures."""

    entries: dict[str, dict[str, str]] = field(default_factory=dict)

    def reason(self, target: str, check_id: str) -> str | None:
        """Why ``target`` is expected to fail ``check_id``, or ``None`` if it should pass."""
        return self.entries.get(target, {}).get(check_id)

    def unknown_ids(self, known: set[str]) -> list[str]:
        """``target:check`` entries naming checks that do not exist (typos, removed checks)."""
        return sorted(f"{t}:{c}" for t, checks in self.entries.items() for c in checks if c not in known)


def parse_expectations(text: str, *, source: str = "expectations.toml") -> Expectations:
    """Parse the TOML table; a non-string reason or a non-table target is a ``ConfigError``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{source}: not valid TOML: {error}") from None
    entries: dict[str, dict[str, str]] = {}
    for target, checks in raw.items():
        if not isinstance(checks, dict):
            raise ConfigError(f"{source}: [{target}] must be a table of check id = reason, got {checks!r}")
        for check_id, reason in checks.items():
            if not isinstance(reason, str) or not reason.strip():
                raise ConfigError(f"{source}: {target}.{check_id} needs a non-empty reason, got {reason!r}")
        entries[target] = dict(checks)
    return Expectations(entries)


def load_expectations() -> Expectations:
    """The table shipped beside this module (also inside the wheel)."""
    text = resources.files("suites.conformance").joinpath("expectations.toml").read_text(encoding="utf-8")
    return parse_expectations(text)

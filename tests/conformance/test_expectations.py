"""The expectations table: parsing, errors naming the bad entry, and consistency with the catalog."""

from __future__ import annotations

import pytest

from s3conf.errors import ConfigError
from suites.conformance.catalog import all_checks
from suites.conformance.expectations import load_expectations, parse_expectations


def test_shipped_table_names_only_real_checks_with_observed_reasons() -> None:
    table = load_expectations()
    assert table.unknown_ids({c.id for c in all_checks()}) == []
    reasons = [r for checks in table.entries.values() for r in checks.values()]
    assert reasons
    assert all(r.startswith("observed: ") for r in reasons)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[moto]\n"range.suffix" = ""\n', "moto.range.suffix"),
        ('[moto]\n"range.suffix" = 3\n', "3"),
        ('moto = "all"\n', "'all'"),
        ("[moto\n", "not valid TOML"),
    ],
    ids=["empty-reason", "non-string-reason", "target-not-a-table", "bad-toml"],
)
def test_bad_tables_raise_config_error_naming_the_entry(text: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment.replace(".", r"\.").replace("[", r"\[")):
        parse_expectations(text)


def test_unknown_ids_are_reported() -> None:
    table = parse_expectations('[moto]\n"range.nope" = "x"\n')
    assert table.unknown_ids({"range.suffix"}) == ["moto:range.nope"]


def test_catalog_covers_every_section_with_documented_checks() -> None:
    checks = all_checks()
    assert len(checks) >= 80
    for check in checks:
        assert check.operation, check.id
        assert check.expected, check.id
        assert len(check.why) > 20, check.id


def test_every_check_names_an_aws_page_and_section() -> None:
    for check in all_checks():
        assert check.source.url.startswith("https://"), check.id
        assert check.source.section.strip(), check.id
        if not check.documented:
            assert check.aws_observed is None or check.aws_observed.strip(), check.id
            assert not check.in_headline or check.aws_observed, check.id


@pytest.mark.parametrize("target", ["moto", "seaweedfs", "rclone"])
def test_no_expectation_stands_in_for_a_missing_capability(target: str) -> None:
    """A check a target's capabilities skip never runs there, so an expectation for it is dead weight."""
    from emulators.registry import create_emulator

    capabilities = create_emulator(target).capabilities
    skipped = {c.id for c in all_checks() if c.requires and not getattr(capabilities, c.requires)}
    listed = set(load_expectations().entries.get(target, {}))
    assert listed & skipped == set()


def test_every_capability_flag_has_a_live_check() -> None:
    from emulators.base import Capabilities

    ids = {c.id for c in all_checks()}
    for flag in Capabilities.field_names():
        assert f"capability.{flag.replace('_', '-')}" in ids, flag

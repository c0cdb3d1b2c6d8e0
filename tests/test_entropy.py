"""Entropy injection: Flink's rewrite of the marker on entropy writes, removal everywhere else.

Expected characters are literals or checked against the documented ``[0-9A-Za-z]`` written here, never
rebuilt from the module's own ``ALPHABET`` (a test that did so passed with lowercase letters dropped).
"""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3conf.config import S3Config
from s3conf.entropy import EntropyInjector
from s3conf.errors import ConfigError

MARKER = "_entropy_"
DOCUMENTED = re.compile(r"[0-9A-Za-z]+")
EVERY_CHARACTER = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# What EntropyInjector(..., rng=random.Random(seed)) draws, recorded once: a change of alphabet, of its
# order or of how characters are drawn shows here. Shorter lengths draw a prefix of the same sequence.
DRAWN = {42: "e71lHFE8l6hlvY5b", 5: "dGlMoi", 1: "8aspm4G7"}


REMOVED = [
    ("s3://bucket/_entropy_/checkpoints/chk-1", "s3://bucket/checkpoints/chk-1"),
    ("s3x://127.0.0.1:9000/bucket/_entropy_/cp", "s3x://127.0.0.1:9000/bucket/cp"),
    ("/_entropy_/cp", "/cp"),
    ("_entropy_/cp", "cp"),
    ("data/_entropy_", "data/"),
    ("data/x_entropy_y/z", "data/xy/z"),
    ("data/_entropy_/a/_entropy_/b", "data/a/_entropy_/b"),
    ("s3://_entropy_bucket/_entropy_/k", "s3://_entropy_bucket/k"),
    ("s3://_entropy_bucket/k", "s3://_entropy_bucket/k"),
    ("s3://bucket/plain/key", "s3://bucket/plain/key"),
    ("a//_entropy_//b", "a///b"),
    ("", ""),
]


@pytest.mark.parametrize(("path", "expected"), REMOVED, ids=[p or "empty" for p, _ in REMOVED])
def test_without_inject_the_first_marker_is_removed(path: str, expected: str) -> None:
    assert EntropyInjector(MARKER).apply(path, inject=False) == expected


INJECTED = [
    ("s3://bucket/_entropy_/checkpoints", "s3://bucket/{}/checkpoints"),
    ("s3x://host_entropy_:9000/bucket/_entropy_/cp", "s3x://host_entropy_:9000/bucket/{}/cp"),
    ("data/_entropy_/a/_entropy_/b", "data/{}/a/_entropy_/b"),
    ("data/x_entropy_y", "data/x{}y"),
    ("_entropy_", "{}"),
]


@pytest.mark.parametrize(("path", "template"), INJECTED, ids=[p for p, _ in INJECTED])
@pytest.mark.parametrize("length", [1, 4, 16], ids=["len1", "len4", "len16"])
def test_with_inject_the_first_marker_becomes_random_characters(
    path: str, template: str, length: int
) -> None:
    injector = EntropyInjector(MARKER, length, rng=random.Random(42))
    assert injector.apply(path, inject=True) == template.format(DRAWN[42][:length])


def test_the_characters_are_exactly_the_documented_alphanumerics() -> None:
    injector = EntropyInjector("E", length=1000, rng=random.Random(3))
    drawn = injector.apply("E", inject=True) + injector.apply("E", inject=True)
    assert DOCUMENTED.fullmatch(drawn)
    assert set(drawn) == set(EVERY_CHARACTER), "2000 uniform draws miss none of 62 characters"


def test_default_random_source_is_unseeded_per_injector() -> None:
    results = {EntropyInjector("E", length=16).apply("E", inject=True) for _ in range(3)}
    assert len(results) == 3


@pytest.mark.parametrize("inject", [True, False], ids=["inject", "remove"])
def test_paths_without_the_marker_are_unchanged(inject: bool) -> None:
    injector = EntropyInjector(MARKER, rng=random.Random(0))
    for path in ("s3://bucket/a/b", "a/_entropy/b", "entropy_/x", "s3://bucket/"):
        assert injector.apply(path, inject) == path
        assert not injector.applies_to(path)


BAD = [
    ("", 4, "s3.entropy.key = ''"),
    ("_e_", 0, "s3.entropy.length = 0"),
    ("_e_", -2, "s3.entropy.length = -2"),
    ("_e_", True, "s3.entropy.length = True"),
    ("_e_", 1025, "s3.entropy.length = 1025: must be an integer from 1 to 1024"),
    ("_e_", 10**5000, "s3.entropy.length = an integer of about 5001 digits"),
    (b"AK:QXZJSEKRET@h", 4, "s3.entropy.key = "),
]
BAD_IDS = ["empty-key", "zero", "negative", "bool", "longer-than-a-key", "giant", "userinfo-key"]


@pytest.mark.parametrize(("key", "length", "message"), BAD, ids=BAD_IDS)
def test_bad_key_or_length_is_a_config_error(key: str, length: int, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EntropyInjector(key, length)
    assert str(caught.value).startswith(message)
    assert "QXZJSEKRET" not in str(caught.value)


def test_from_config() -> None:
    assert EntropyInjector.from_config(S3Config()) is None
    config = S3Config.resolve(env={"S3_ENTROPY_KEY": "_e_", "S3_ENTROPY_LENGTH": "6"})
    injector = EntropyInjector.from_config(config, rng=random.Random(5))
    assert injector is not None
    assert (injector.key, injector.length) == ("_e_", 6)
    assert injector.apply("cp/_e_/x", inject=True) == f"cp/{DRAWN[5]}/x"


segments = st.text(alphabet="ab_eE", min_size=0, max_size=6)
paths = st.lists(segments, min_size=1, max_size=5).map("/".join)


@given(paths, st.integers(min_value=1, max_value=8))
def test_rewrites_touch_only_the_first_marker(path: str, length: int) -> None:
    injector = EntropyInjector("_e", length, rng=random.Random(1))
    index = path.find("_e")
    injected, removed = injector.apply(path, inject=True), injector.apply(path, inject=False)
    if index < 0:
        assert injected == removed == path
        return
    before, after = path[:index], path[index + 2 :]
    assert injected == before + DRAWN[1][:length] + after
    if (before == "" or before.endswith("/")) and after.startswith("/"):
        assert removed == before + after[1:]
    else:
        assert removed == before + after


def test_the_default_length_is_flinks_4() -> None:
    assert EntropyInjector("E").length == 4
    assert len(EntropyInjector("E", rng=random.Random(1)).apply("E", inject=True)) == 4

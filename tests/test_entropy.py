"""Entropy injection: Flink's rewrite of the marker on entropy writes, removal everywhere else."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3conf.config import S3Config
from s3conf.entropy import ALPHABET, EntropyInjector
from s3conf.errors import ConfigError

MARKER = "_entropy_"


def expected_entropy(seed: int, length: int) -> str:
    rng = random.Random(seed)
    return "".join(rng.choice(ALPHABET) for _ in range(length))


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
    assert injector.apply(path, inject=True) == template.format(expected_entropy(42, length))


def test_the_characters_are_alphanumeric_and_vary() -> None:
    injector = EntropyInjector("E", length=64, rng=random.Random(3))
    first, second = injector.apply("E", inject=True), injector.apply("E", inject=True)
    assert first != second
    assert set(first + second) <= set(ALPHABET)
    assert len(set(first + second)) > 20


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
]
BAD += [("_e_", True, "s3.entropy.length = True")]


@pytest.mark.parametrize(("key", "length", "message"), BAD, ids=["empty-key", "zero", "negative", "bool"])
def test_bad_key_or_length_is_a_config_error(key: str, length: int, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        EntropyInjector(key, length)
    assert str(caught.value).startswith(message)


def test_from_config() -> None:
    assert EntropyInjector.from_config(S3Config()) is None
    config = S3Config.resolve(env={"S3_ENTROPY_KEY": "_e_", "S3_ENTROPY_LENGTH": "6"})
    injector = EntropyInjector.from_config(config, rng=random.Random(5))
    assert injector is not None
    assert (injector.key, injector.length) == ("_e_", 6)
    assert injector.apply("cp/_e_/x", inject=True) == f"cp/{expected_entropy(5, 6)}/x"


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
    assert injected == before + expected_entropy(1, length) + after
    if (before == "" or before.endswith("/")) and after.startswith("/"):
        assert removed == before + after[1:]
    else:
        assert removed == before + after

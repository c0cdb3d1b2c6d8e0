"""What a Flink-style checkpoint relies on (issue 14): listing after write, entropy spread, predictable
metadata, complete deletes.

A checkpoint is many small state files written concurrently, each under its own entropy prefix
(``s3.entropy.key`` replaced by ``s3.entropy.length`` random characters: :mod:`s3conf.entropy`), then a
``_metadata`` file at a path without entropy. Recovery lists the checkpoint and downloads it in bulk;
retention deletes whole checkpoints. Each check writes such a checkpoint under its own prefix
(``{prefix}XXXX/job/chk-1/state-NN`` and ``{prefix}job/chk-1/_metadata``, the layout of
:class:`s3conf.checkpoint.CheckpointLayout`) with :data:`STATE_FILES` files of 1 KiB on
:data:`WRITERS` threads, so the whole group stays a few hundred small requests per target.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from s3conf.checkpoint import CheckpointLayout
from s3conf.entropy import EntropyInjector
from suites.conformance.catalog import api, check, guide
from suites.conformance.context import CheckContext, expect, expect_equal, expect_error

STATE_FILES = 32
WRITERS = 8
MARKER = "_entropy_"
ENTROPY_LENGTH = 4
PAGE = 16  # listings page (MaxKeys), so a checkpoint spans several pages as big ones do
MIN_FIRST_CHARACTERS = 14
"""Distinct first entropy characters 32 uniform draws from 62 must reach. The mean is 25.2; by the exact
occupancy distribution a fair source falls below 14 with probability 5e-10, while a source that
repeats itself (a fixed seed shared by writers, a narrowed alphabet) does not reach it."""


def _layout(ctx: CheckContext) -> CheckpointLayout:
    return CheckpointLayout(f"{ctx.prefix}{MARKER}/job", EntropyInjector(MARKER, ENTROPY_LENGTH))


def _body(index: int) -> bytes:
    return bytes([index % 251]) * 1024


def _write_state(ctx: CheckContext, layout: CheckpointLayout) -> dict[str, int]:
    """Write the state files of checkpoint 1 concurrently; ``{key: size}``."""
    keys = [layout.state_key(1, f"state-{index:02d}") for index in range(STATE_FILES)]

    def put(item: tuple[int, str]) -> None:
        index, key = item
        ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=_body(index))

    with ThreadPoolExecutor(WRITERS) as pool:
        list(pool.map(put, enumerate(keys)))
    return {key: len(_body(index)) for index, key in enumerate(keys)}


def _listed(ctx: CheckContext, prefix: str, **kwargs: Any) -> tuple[dict[str, int], list[str]]:
    """Every key (with size) and common prefix under ``prefix``, through all pages of ``PAGE`` keys."""
    keys: dict[str, int] = {}
    prefixes: list[str] = []
    paginator = ctx.client.get_paginator("list_objects_v2")
    for page in paginator.paginate(
        Bucket=ctx.bucket, Prefix=prefix, PaginationConfig={"PageSize": PAGE}, **kwargs
    ):
        keys.update({entry["Key"]: int(entry["Size"]) for entry in page.get("Contents", [])})
        prefixes += [entry["Prefix"] for entry in page.get("CommonPrefixes", [])]
    return keys, prefixes


def _entropy_of(ctx: CheckContext, key: str) -> str:
    return key[len(ctx.prefix) : len(ctx.prefix) + ENTROPY_LENGTH]


@check(
    "checkpoint.list-after-write",
    source=guide("Welcome", "Amazon S3 data consistency model (strong read-after-write for PUT and LIST)"),
    operation="PutObject (concurrent), ListObjectsV2 (paged)",
    expected=f"Right after {STATE_FILES} concurrent PUTs under distinct entropy prefixes return, one flat "
    "listing of the checkpoint's common prefix shows every key with its size, and nothing else",
    why="Recovery lists the checkpoint to find its state; a file missing from a listing right after it "
    "was written makes a completed checkpoint look incomplete (or lose state) on recovery.",
)
def list_after_write(ctx: CheckContext) -> None:
    layout = _layout(ctx)
    written = _write_state(ctx, layout)
    listed, _ = _listed(ctx, layout.listing_prefix)
    missing = sorted(set(written) - set(listed))
    expect(not missing, f"{len(missing)} of {len(written)} written keys not listed, e.g. {missing[:3]}")
    expect_equal(listed, written, "listed keys and sizes")
    expect_equal({layout.checkpoint_of(key) for key in listed}, {1}, "checkpoint of each listed key")


@check(
    "checkpoint.entropy-spread",
    source=guide(
        "optimizing-performance", "Best practices design patterns: optimizing Amazon S3 performance"
    ),
    operation="PutObject, ListObjectsV2 (Delimiter=/)",
    expected="The entropy prefixes of the state files are spread (distinct, their first characters "
    f"covering at least {MIN_FIRST_CHARACTERS} of 62 for {STATE_FILES} files) and a delimiter listing "
    "shows each one as its own common prefix",
    why="S3 scales request rates per key prefix; entropy exists so concurrent checkpoint writes spread "
    "over many prefixes. Prefixes that repeat, or a store that does not separate them, put every "
    "writer on one prefix again.",
)
def entropy_spread(ctx: CheckContext) -> None:
    written = _write_state(ctx, _layout(ctx))
    entropies = Counter(_entropy_of(ctx, key) for key in written)
    crowded = [(entropy, count) for entropy, count in entropies.items() if count > 2]
    expect(not crowded, f"entropy prefixes shared by more than 2 of {STATE_FILES} files: {crowded}")
    first = {entropy[0] for entropy in entropies}
    expect(
        len(first) >= MIN_FIRST_CHARACTERS,
        f"entropy prefixes start with only {len(first)} distinct characters: {sorted(first)}",
    )
    _, prefixes = _listed(ctx, ctx.prefix, Delimiter="/")
    expect_equal(sorted(prefixes), sorted(f"{ctx.prefix}{e}/" for e in entropies), "common prefixes")


@check(
    "checkpoint.metadata-predictable",
    source=api("GetObject", "Description"),
    operation="PutObject, GetObject, ListObjectsV2 (Delimiter=/)",
    expected="The _metadata written after the state, at the checkpoint path with the entropy marker "
    "removed, reads back at exactly that key right away, and a delimiter listing of that checkpoint "
    "path shows it alone (the state lives under the entropy prefixes)",
    why="Flink writes _metadata without entropy so recovery and external tools find a checkpoint by a "
    "path they can compute; its presence is what marks the checkpoint complete.",
)
def metadata_predictable(ctx: CheckContext) -> None:
    layout = _layout(ctx)
    _write_state(ctx, layout)
    key = layout.metadata_key(1)
    expect_equal(key, f"{ctx.prefix}job/chk-1/_metadata", "metadata key")
    ctx.client.put_object(Bucket=ctx.bucket, Key=key, Body=b'{"checkpoint": 1}')
    expect_equal(ctx.read(key), b'{"checkpoint": 1}', "metadata read back")
    keys, prefixes = _listed(ctx, f"{ctx.prefix}job/chk-1/", Delimiter="/")
    expect_equal((sorted(keys), prefixes), ([key], []), "listing of the checkpoint path")


@check(
    "checkpoint.delete-complete",
    source=api("ListObjectsV2", "Response Elements: CommonPrefixes (keys that share a prefix)"),
    operation="DeleteObjects, ListObjectsV2, HeadObject",
    expected="After one DeleteObjects of every state file and the _metadata reports them all Deleted, "
    "neither a flat nor a delimiter listing under the checkpoint shows anything (no keys, no common "
    "prefixes) and the _metadata answers 404",
    why="Retention deletes whole checkpoints; a key or an empty 'directory' that outlives the delete "
    "is listed by the next recovery scan and keeps storage (and entropy prefixes) around forever.",
)
def delete_complete(ctx: CheckContext) -> None:
    layout = _layout(ctx)
    written = _write_state(ctx, layout)
    metadata = layout.metadata_key(1)
    ctx.client.put_object(Bucket=ctx.bucket, Key=metadata, Body=b"{}")
    doomed = sorted([*written, metadata])
    response = ctx.client.delete_objects(Bucket=ctx.bucket, Delete={"Objects": [{"Key": k} for k in doomed]})
    expect_equal(response.get("Errors", []), [], "Errors")
    expect_equal(sorted(d["Key"] for d in response.get("Deleted", [])), doomed, "Deleted")
    keys, _ = _listed(ctx, ctx.prefix)
    _, prefixes = _listed(ctx, ctx.prefix, Delimiter="/")
    entropies = {f"{ctx.prefix}{_entropy_of(ctx, key)}/" for key in written}
    left = set(prefixes)
    kinds = ", ".join(
        what
        for what, shown in (
            ("every entropy prefix written", entropies <= left),
            ("the metadata's job/", f"{ctx.prefix}job/" in left),
            (
                f"{len(left - entropies - {f'{ctx.prefix}job/'})} others",
                bool(left - entropies - {f"{ctx.prefix}job/"}),
            ),
        )
        if shown
    )
    expect(
        not keys and not prefixes,
        f"listed under the checkpoint after the delete: {len(keys)} keys, "
        f"{len(prefixes)} common prefixes ({kinds or 'none'})",
    )
    expect_error(404, None, ctx.client.head_object, Bucket=ctx.bucket, Key=metadata)

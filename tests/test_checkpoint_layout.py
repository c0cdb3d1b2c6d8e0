"""``s3conf.checkpoint.CheckpointLayout``: where state and metadata go, and which listed keys belong to what.

Pure: no store. The layout must put every state file under :attr:`listing_prefix` (recovery lists only
there), give each state file fresh entropy, keep the metadata path free of it, and recognise exactly the
state keys it could have written.
"""

from __future__ import annotations

import random

import pytest

from s3conf.checkpoint import Checkpoint, CheckpointLayout, StateFile
from s3conf.entropy import EntropyInjector

CASES = [
    # directory, injector?, listing prefix, metadata key of checkpoint 3
    ("/cp/_e_/job", True, "cp/", "cp/job/chk-3/_metadata"),
    ("_e_/cp/job", True, "", "cp/job/chk-3/_metadata"),  # Flink's documented layout: entropy first
    ("cp/x_e_y/job/", True, "cp/x", "cp/xy/job/chk-3/_metadata"),  # marker inside a segment
    ("/cp/job", True, "cp/job/", "cp/job/chk-3/_metadata"),  # no marker: no entropy
    ("/cp/_e_/job", False, "cp/_e_/job/", "cp/_e_/job/chk-3/_metadata"),  # no s3.entropy.key: verbatim
]


def _layout(directory: str, entropy: bool, seed: int = 1) -> CheckpointLayout:
    injector = EntropyInjector("_e_", 5, rng=random.Random(seed)) if entropy else None
    return CheckpointLayout(directory, injector)


@pytest.mark.parametrize(("directory", "entropy", "prefix", "metadata"), CASES, ids=[c[0] for c in CASES])
def test_state_lies_under_the_listing_prefix_and_is_recognised(
    directory: str, entropy: bool, prefix: str, metadata: str
) -> None:
    layout = _layout(directory, entropy)
    assert (layout.listing_prefix, layout.metadata_key(3)) == (prefix, metadata)
    keys = [layout.state_key(3, f"s-{index}") for index in range(20)]
    assert all(key.startswith(prefix) and key.endswith(f"/chk-3/s-{index}") for index, key in enumerate(keys))
    assert [layout.checkpoint_of(key) for key in keys] == [3] * len(keys)
    if entropy:
        assert all("_e_" not in key for key in keys)  # the marker never reaches a key
    if entropy and "_e_" in directory:  # fresh entropy per state file
        assert len({key[len(prefix) : len(prefix) + 5] for key in keys}) == len(keys)


@pytest.mark.parametrize(
    "key",
    [
        "cp/job/chk-3/s-1",  # the metadata's directory (no entropy)
        "cp/abcd/job/chk-3/s-1",  # 4 characters, not 5
        "cp/abc!e/job/chk-3/s-1",  # not alphanumeric
        "cp/abcde/other/chk-3/s-1",  # another job
        "cp/abcde/job/chk-x/s-1",  # not a checkpoint number
        "cp/abcde/job/chk-3/",  # no name
    ],
)
def test_keys_the_layout_could_not_have_written_are_not_state(key: str) -> None:
    assert _layout("/cp/_e_/job", True).checkpoint_of(key) is None


def test_manifest_round_trip_and_refusal() -> None:
    checkpoint = Checkpoint(9, "cp/job/chk-9/_metadata", (StateFile("a", "cp/Xy12z/job/chk-9/a", 12),))
    assert Checkpoint.from_json(checkpoint.metadata_key, checkpoint.to_json()) == checkpoint
    with pytest.raises(ValueError, match="cp/job/chk-9/_metadata: not a checkpoint manifest"):
        Checkpoint.from_json(checkpoint.metadata_key, b'{"checkpoint": 9}')

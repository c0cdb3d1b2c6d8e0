"""Flink-shaped checkpoints on S3: state files under entropy, a predictable ``_metadata``, bulk recovery.

A Flink checkpoint is many state files written concurrently by the task managers, then one
``_metadata`` file written by the job manager once they are all durable; its presence is what makes
the checkpoint complete, and its path must be predictable, so Flink injects entropy into state file
paths only (``s3.entropy.key`` / ``s3.entropy.length``) and removes the marker from the metadata path.
Recovery reads the metadata and downloads the state in bulk (FLIP-444: ``s5cmd`` when
``s3.s5cmd.path`` is set). :class:`CheckpointStore` does the same against an
:class:`~s3conf.fs.S3FileSystem`, with these decisions:

* **Layout.** ``directory`` is a key path holding the entropy marker, e.g.
  ``/checkpoints/_entropy_/job-7``. State file ``NAME`` of checkpoint ``N`` is written at
  ``directory/chk-N/NAME`` with the marker replaced by fresh random characters *per file* (Flink
  resolves entropy per created file); the metadata is at ``directory/chk-N/_metadata`` with the marker
  removed. Without ``s3.entropy.key`` both are plain paths.
* **The metadata is a JSON manifest** (``{"checkpoint": N, "files": [{"name", "key", "size"}]}``), not
  Flink's binary format: what recovery needs is each state file's exact key and size.
* **Writing** uploads the local state files with one :meth:`~s3conf.fs.S3FileSystem.copy_files` call
  (concurrent, batched, nothing partial), then the metadata; a failed upload leaves no metadata, so
  the checkpoint never looks complete.
* **Recovery lists before it downloads.** The metadata says what must be there; one flat listing under
  the part of ``directory`` before the marker (every entropy prefix lies under it) must show every
  file with its size, else :class:`~s3conf.errors.ObjectNotFoundError` names the first missing one
  before anything is downloaded. Then one bulk copy brings the files to ``local_dir/NAME``.
* **Deleting** a checkpoint removes its state files (DeleteObjects batches) and then its metadata, so an
  interrupted delete never leaves a complete-looking checkpoint without state.

>>> from s3conf.config import S3Config
>>> from s3conf.entropy import EntropyInjector
>>> layout = CheckpointLayout("/cp/_entropy_/job", EntropyInjector("_entropy_", 4))
>>> layout.metadata_key(7), layout.listing_prefix
('cp/job/chk-7/_metadata', 'cp/')
>>> key = layout.state_key(7, "state-0")
>>> key.startswith("cp/") and key.endswith("/job/chk-7/state-0"), len(key) - len("cp/job/chk-7/state-0")
(True, 5)
>>> layout.checkpoint_of(key), layout.checkpoint_of("cp/x/job/chk-7/a")
(7, None)
"""

from __future__ import annotations

import errno
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from s3conf.bulk import CopyRequest
from s3conf.errors import ObjectNotFoundError
from s3conf.paths import S3Path

if TYPE_CHECKING:
    from s3conf.entropy import EntropyInjector
    from s3conf.fs import S3FileSystem

__all__ = ["METADATA_NAME", "Checkpoint", "CheckpointLayout", "CheckpointStore", "StateFile"]

METADATA_NAME = "_metadata"
"""Flink's name for the file that completes a checkpoint."""


@dataclass(frozen=True)
class StateFile:
    """One state file of a checkpoint: its name in the checkpoint, its key as written, its size."""

    name: str
    key: str
    size: int


@dataclass(frozen=True)
class Checkpoint:
    """What a checkpoint's metadata records."""

    checkpoint_id: int
    metadata_key: str
    files: tuple[StateFile, ...]

    def to_json(self) -> bytes:
        """The metadata file's bytes."""
        document = {
            "checkpoint": self.checkpoint_id,
            "files": [{"name": f.name, "key": f.key, "size": f.size} for f in self.files],
        }
        return json.dumps(document, indent=1).encode()

    @classmethod
    def from_json(cls, metadata_key: str, data: bytes) -> Checkpoint:
        """Read metadata bytes; ``ValueError`` naming the key when they are not a manifest."""
        try:
            document: dict[str, Any] = json.loads(data)
            files = tuple(StateFile(str(f["name"]), str(f["key"]), int(f["size"])) for f in document["files"])
            return cls(int(document["checkpoint"]), metadata_key, files)
        except (ValueError, KeyError, TypeError) as error:
            raise ValueError(f"{metadata_key}: not a checkpoint manifest ({error})") from error


class CheckpointLayout:
    """Where the files of each checkpoint go under ``directory`` (a key path, marker included).

    Args:
        directory: e.g. ``/checkpoints/_entropy_/job``; a leading ``/`` is optional.
        injector: the entropy injector (:meth:`EntropyInjector.from_config`), or ``None``.
    """

    def __init__(self, directory: str, injector: EntropyInjector | None) -> None:
        self.directory = directory.strip("/")
        self.injector = injector
        if injector is not None and injector.applies_to(self.directory):
            index = self.directory.index(injector.key)
            before, after = self.directory[:index], self.directory[index + len(injector.key) :]
            entropy = f"[0-9A-Za-z]{{{injector.length}}}"
            self.listing_prefix = before
            self._pattern = re.compile(re.escape(before) + entropy + re.escape(after) + r"/chk-(\d+)/(.+)")
        else:
            self.listing_prefix = self.directory + "/"
            self._pattern = re.compile(re.escape(self.directory) + r"/chk-(\d+)/(.+)")
        self.plain = injector.apply(self.directory, inject=False) if injector is not None else self.directory

    def state_key(self, checkpoint_id: int, name: str) -> str:
        """A new key for state file ``name`` of the checkpoint: fresh entropy on every call."""
        path = f"{self.directory}/chk-{checkpoint_id}/{name}"
        return self.injector.apply(path, inject=True) if self.injector is not None else path

    def metadata_key(self, checkpoint_id: int) -> str:
        """The checkpoint's metadata key: predictable, the marker removed."""
        return f"{self.plain}/chk-{checkpoint_id}/{METADATA_NAME}"

    def checkpoint_of(self, key: str) -> int | None:
        """The checkpoint a listed state file key belongs to, or ``None`` when it is not one."""
        match = self._pattern.fullmatch(key)
        return int(match.group(1)) if match else None


class CheckpointStore:
    """Write, list, recover and delete checkpoints of one job directory in ``fs``'s bucket.

    The entropy injector is ``fs``'s (``s3.entropy.key``/``s3.entropy.length`` of its config); bulk
    copies follow its ``s3.s5cmd.*`` settings.
    """

    def __init__(self, fs: S3FileSystem, directory: str) -> None:
        self.fs = fs
        self.layout = CheckpointLayout(directory, fs.entropy)

    def _remote(self, key: str) -> S3Path:
        return S3Path(self.fs.bucket, "/" + key)

    def write(self, checkpoint_id: int, files: Sequence[Path]) -> Checkpoint:
        """Upload the local state ``files`` concurrently (entropy per file), then the metadata.

        Raises:
            BulkTransferError: a state file did not upload (no metadata was written).
            ValueError: two files share a name.
        """
        names = [file.name for file in files]
        if len(set(names)) != len(names):
            raise ValueError(f"state files of checkpoint {checkpoint_id} must have distinct names: {names}")
        state = tuple(
            StateFile(file.name, self.layout.state_key(checkpoint_id, file.name), file.stat().st_size)
            for file in files
        )
        self.fs.copy_files(
            [CopyRequest(file, self._remote(s.key)) for file, s in zip(files, state, strict=True)]
        )
        checkpoint = Checkpoint(checkpoint_id, self.layout.metadata_key(checkpoint_id), state)
        self.fs.write_bytes("/" + checkpoint.metadata_key, checkpoint.to_json())
        return checkpoint

    def read_metadata(self, checkpoint_id: int) -> Checkpoint:
        """The checkpoint's manifest (``FileNotFoundError`` when the checkpoint is not complete)."""
        key = self.layout.metadata_key(checkpoint_id)
        return Checkpoint.from_json(key, self.fs.read_bytes("/" + key))

    def listed(self) -> dict[int, dict[str, int]]:
        """Every state file the store lists, by checkpoint: ``{id: {key: size}}`` (one flat listing)."""
        found: dict[int, dict[str, int]] = {}
        for page in self.fs._pages(self.layout.listing_prefix, delimiter=False):
            for entry in page.get("Contents", []):
                checkpoint_id = self.layout.checkpoint_of(entry["Key"])
                if checkpoint_id is not None and not entry["Key"].endswith("/" + METADATA_NAME):
                    found.setdefault(checkpoint_id, {})[entry["Key"]] = int(entry["Size"])
        return found

    def recover(self, checkpoint_id: int, local_dir: Path) -> list[Path]:
        """Download the checkpoint's state to ``local_dir/NAME`` after checking the listing shows it all.

        Raises:
            ObjectNotFoundError: no metadata, or a state file the metadata names is not listed (or is
                listed with another size); nothing was downloaded.
            BulkTransferError: a download failed (nothing partial is left).
        """
        checkpoint = self.read_metadata(checkpoint_id)
        listed = self.listed().get(checkpoint_id, {})
        for state in checkpoint.files:
            if listed.get(state.key) != state.size:
                raise ObjectNotFoundError(
                    errno.ENOENT,
                    f"state file of checkpoint {checkpoint_id} not listed with size {state.size}",
                    self.fs._location(state.key),
                )
        local = [local_dir / state.name for state in checkpoint.files]
        self.fs.copy_files(
            [
                CopyRequest(self._remote(state.key), path, size=state.size)
                for state, path in zip(checkpoint.files, local, strict=True)
            ]
        )
        return local

    def delete(self, checkpoint_id: int) -> int:
        """Delete the checkpoint's listed state files, then its metadata; returns how many keys went."""
        keys = sorted(self.listed().get(checkpoint_id, {}))
        self.fs._delete_keys(keys)
        metadata = self.layout.metadata_key(checkpoint_id)
        if self.fs.exists("/" + metadata):
            self.fs._delete_keys([metadata])
            return len(keys) + 1
        return len(keys)

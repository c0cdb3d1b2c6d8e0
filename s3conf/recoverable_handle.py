"""The resumable handle of a recoverable writer, and where its temporary objects live (pure, no I/O).

A handle is what a Flink-style exactly-once sink stores in its checkpoint: everything needed to
continue a multipart upload in another process, and nothing that grants access. Decisions:

* **JSON, versioned.** ``{"format": "s3conf-recoverable", "version": 2, "kind": ...}``. A reader
  refuses any other format or version with :class:`~s3conf.errors.InvalidHandleError` naming the
  value, rather than guessing at fields a later version may have changed. Version 1 handles (parts
  numbered 1..N, no ``parts_in_flight``) are still read.
* **Part numbers leave room for a dead writer's parts** (version 2). A writer killed after its last
  ``persist()`` may have had up to ``parts_in_flight`` parts on the wire, numbered past the handle's,
  and the store can still take them after another process has recovered the handle: on S3 a late one
  would replace the recovered stream's part of that number, its completion would fail, and every
  later handle naming that part would stay stale. A recovered stream therefore numbers its parts past
  every part the store lists plus that many (S3 only asks for ascending numbers, so parts may have
  gaps); the handle records ``parts_in_flight`` for the recovering process (absent: its own bound).
* **Two kinds, one shape** (as Flink's ``S3Recoverable`` serves as both): ``resume`` (from
  ``persist()``: upload id, finished parts, and the tail below the part size as a temporary object)
  and ``commit`` (from ``close_for_commit()``: every byte is in a part, no tail).
* **Checksums.** Parts carry the library's CRC32 (``x-amz-checksum-crc32``, :mod:`s3conf.checksums`);
  the handle keeps the upload's ``checksum_algorithm`` and each part's value, which the completion
  must repeat. A handle without them (an upload made without checksums) completes without them.
* **No secrets.** Bucket, key, upload id, part numbers/ETags/sizes and temporary keys only; the
  credentials come from the file system that recovers it, and no endpoint is stored (a handle
  recovered through a proxy or a renamed host still works).
* **Temporary objects** use Flink's layout beside the final key: ``dir/_name_tmp_<UUID>`` for
  ``dir/name``. Names starting with ``_`` are hidden to Hadoop-style readers (Spark, Hive, Flink's own
  file source), and they sit under the same prefix-scoped permissions as the output itself. With
  ``s3.spi.recoverable.temp-prefix`` set (say ``_tmp/``), the same layout moves under that prefix
  (``_tmp/dir/_name_tmp_<UUID>``), so one lifecycle rule can expire every leftover.
* ``temp_keys`` lists every temporary object the upload's persisted states wrote, so a commit can
  delete them all, including those of handles superseded since.

>>> temp_object_prefix("out/part-0")
'out/_part-0_tmp_'
>>> temp_object_prefix("part-0", "_tmp/")
'_tmp/_part-0_tmp_'
>>> is_temp_object("out/_part-0_tmp_0f8fad5b-d9cb-469f-a165-70867728950e", "out/part-0")
True
>>> is_temp_object("out/_part-0_tmp_x/_y_tmp_0f8fad5b-d9cb-469f-a165-70867728950e", "out/part-0")
False
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from s3conf.errors import InvalidHandleError
from s3conf.multipart import MAX_PARTS, UploadedPart
from s3conf.redaction import shown

__all__ = [
    "HANDLE_FORMAT",
    "HANDLE_VERSION",
    "HandleKind",
    "RecoverableHandle",
    "TailObject",
    "is_temp_object",
    "new_temp_key",
    "temp_object_prefix",
]

HANDLE_FORMAT = "s3conf-recoverable"
HANDLE_VERSION = 2
#: Versions this module reads: 1 (parts numbered 1..N) and 2 (ascending numbers, ``parts_in_flight``).
READABLE_VERSIONS = (1, 2)

HandleKind = Literal["resume", "commit"]

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def temp_object_prefix(key: str, temp_prefix: str = "") -> str:
    """Where the temporary objects of ``key`` start: Flink's ``parent/_name_tmp_``, under ``temp_prefix``."""
    parent, slash, name = (temp_prefix + key).rpartition("/")
    return f"{parent}{slash}_{name}_tmp_"


def new_temp_key(key: str, temp_prefix: str = "") -> str:
    """A fresh temporary object key for ``key`` (a random UUID after :func:`temp_object_prefix`)."""
    return temp_object_prefix(key, temp_prefix) + str(uuid.uuid4())


def is_temp_object(candidate: str, key: str, temp_prefix: str = "") -> bool:
    """Whether ``candidate`` is a temporary object of ``key`` (and not of some longer key beside it)."""
    prefix = temp_object_prefix(key, temp_prefix)
    return candidate.startswith(prefix) and _UUID.fullmatch(candidate[len(prefix) :]) is not None


@dataclass(frozen=True)
class TailObject:
    """The bytes past the last part at ``persist()`` time, kept as a temporary object."""

    key: str
    size: int
    etag: str


@dataclass(frozen=True)
class RecoverableHandle:
    """A persisted state of a recoverable stream (``kind="resume"``) or a ready commit (``"commit"``).

    Attributes:
        size: bytes the handle accounts for (parts plus tail): where a recovered stream continues.
    """

    kind: HandleKind
    bucket: str
    key: str
    upload_id: str
    parts: tuple[UploadedPart, ...]
    tail: TailObject | None = None
    temp_keys: tuple[str, ...] = field(default=())
    checksum_algorithm: str | None = None
    parts_in_flight: int | None = None

    @property
    def size(self) -> int:
        """Bytes in the parts and the tail."""
        return sum(part.size for part in self.parts) + (self.tail.size if self.tail else 0)

    def to_json(self) -> str:
        """The versioned JSON form (no credentials, no endpoint)."""
        return json.dumps(self.as_dict(), separators=(",", ":"), sort_keys=True)

    def as_dict(self) -> dict[str, Any]:
        """The JSON-able mapping :meth:`to_json` writes."""
        tail = None if self.tail is None else vars(self.tail).copy()
        return {
            "format": HANDLE_FORMAT,
            "version": HANDLE_VERSION,
            "kind": self.kind,
            "bucket": self.bucket,
            "key": self.key,
            "upload_id": self.upload_id,
            "parts": [
                {"number": p.number, "etag": p.etag, "size": p.size}
                | ({"checksum": p.checksum} if p.checksum is not None else {})
                for p in self.parts
            ],
            "checksum_algorithm": self.checksum_algorithm,
            "tail": tail,
            "temp_keys": list(self.temp_keys),
            "size": self.size,
        } | ({"parts_in_flight": self.parts_in_flight} if self.parts_in_flight is not None else {})

    @classmethod
    def from_json(cls, text: str | bytes) -> RecoverableHandle:
        """Parse and check a handle.

        Raises:
            InvalidHandleError: not JSON, another format or version, or a missing/ill-typed field,
                naming the value (cut to a readable length).
        """
        try:
            document = json.loads(text)
        except (ValueError, TypeError) as error:  # JSONDecodeError and bad bytes are ValueErrors
            raise InvalidHandleError(f"recoverable handle is not JSON ({error}): {shown(text)}") from None
        if not isinstance(document, Mapping):
            raise InvalidHandleError(f"recoverable handle is not a JSON object: {shown(text)}")
        return cls.from_dict(document)

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> RecoverableHandle:
        """Check a parsed handle (see :meth:`from_json`)."""
        if document.get("format") != HANDLE_FORMAT:
            raise InvalidHandleError(
                f"not a recoverable handle: format = {shown(document.get('format'))}, "
                f"expected {HANDLE_FORMAT!r}"
            )
        version = document.get("version")
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            raise InvalidHandleError(
                f"unsupported recoverable handle version {shown(version)}: this s3conf reads versions "
                f"{', '.join(map(str, READABLE_VERSIONS))}"
            )
        kind = _field(document, "kind", str)
        if kind not in ("resume", "commit"):
            raise InvalidHandleError(
                f"recoverable handle kind = {shown(kind)}: expected 'resume' or 'commit'"
            )
        parts = tuple(_part(entry) for entry in _field(document, "parts", list))
        numbers = [part.number for part in parts]
        if version == 1 and numbers != list(range(1, len(parts) + 1)):
            raise InvalidHandleError(
                f"recoverable handle (version 1) parts must be numbered 1..N in order, got {numbers}"
            )
        if any(later <= earlier for earlier, later in itertools.pairwise(numbers)):
            raise InvalidHandleError(f"recoverable handle parts must be in ascending order, got {numbers}")
        in_flight = None
        if document.get("parts_in_flight") is not None:  # absent: the recovering writer's own bound
            in_flight = _field(document, "parts_in_flight", int)
            if not 1 <= in_flight <= MAX_PARTS:
                raise InvalidHandleError(
                    f"recoverable handle parts_in_flight = {in_flight}: expected 1..{MAX_PARTS}"
                )
        tail_entry = document.get("tail")
        tail = None
        if tail_entry is not None:
            if not isinstance(tail_entry, Mapping):
                raise InvalidHandleError(f"recoverable handle tail = {shown(tail_entry)}: expected an object")
            tail = TailObject(
                _field(tail_entry, "key", str),
                _size(_field(tail_entry, "size", int)),
                _field(tail_entry, "etag", str),
            )
        if kind == "commit" and (tail is not None or not parts):
            raise InvalidHandleError(
                "a commit handle holds every byte in parts: at least one part and no tail"
            )
        algorithm = document.get("checksum_algorithm")
        if algorithm is not None and (not isinstance(algorithm, str) or not algorithm):
            raise InvalidHandleError(
                f"recoverable handle checksum_algorithm = {shown(algorithm)}: expected a name"
            )
        temp_keys = _field(document, "temp_keys", list)
        if not all(isinstance(item, str) for item in temp_keys):
            raise InvalidHandleError(f"recoverable handle temp_keys = {shown(temp_keys)}: expected strings")
        handle = cls(
            kind,
            _field(document, "bucket", str),
            _field(document, "key", str),
            _field(document, "upload_id", str),
            parts,
            tail,
            tuple(temp_keys),
            algorithm,
            in_flight,
        )
        declared = document.get("size", handle.size)
        if declared != handle.size:
            raise InvalidHandleError(
                f"recoverable handle size = {shown(declared)} but its parts and tail hold {handle.size} bytes"
            )
        return handle


def _field(document: Mapping[str, Any], name: str, kind: type) -> Any:
    value = document.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) or (kind is str and not value):
        raise InvalidHandleError(
            f"recoverable handle field {name!r} = {shown(value)}: expected a non-empty {kind.__name__}"
        )
    return value


def _size(value: int) -> int:
    if value < 0:
        raise InvalidHandleError(f"recoverable handle size {value} is negative")
    return value


def _part(entry: object) -> UploadedPart:
    if not isinstance(entry, Mapping):
        raise InvalidHandleError(f"recoverable handle part = {shown(entry)}: expected an object")
    number = _field(entry, "number", int)
    if not 1 <= number <= MAX_PARTS:
        raise InvalidHandleError(f"recoverable handle part number {number} is outside 1..{MAX_PARTS}")
    checksum = entry.get("checksum")
    if checksum is not None and not isinstance(checksum, str):
        raise InvalidHandleError(
            f"recoverable handle part {number} checksum = {shown(checksum)}: expected text"
        )
    return UploadedPart(number, _field(entry, "etag", str), _size(_field(entry, "size", int)), checksum)

"""What one call through ``s3x://`` learned about an object, reused by the next calls for a moment.

A data engineer's ``pandas.read_parquet("s3x://…", columns=[…])`` is one call to them and about seven to
the file system: pyarrow asks ``info`` (is it a file? how big?), then ``isfile`` and ``open`` to read the
footer, then ``isfile`` and ``open`` again to read the columns. Answered one by one that is three HEADs
and two footer GETs, each a round trip before the first column byte moves (pyarrow's own S3 file
system sends one HEAD and one footer GET). So each instance keeps, per object, what a request already
told it: size, ETag and modification time from a HEAD or a listing, size, ETag and the object's last
bytes (the Parquet footer) from a reader when it closes, with the GET request that reader captured
(the next reader's first GET copies it instead of going through botocore's call pipeline). Within
``metadata_ttl`` seconds (storage option, default :data:`~s3conf.fsspec_options.DEFAULT_METADATA_TTL`)
``info``/``isfile``/``size`` answer from it and ``open`` starts a reader that already knows the size,
the ETag and the footer.

Why a short time and not longer: an object replaced by another client in between is not seen until the
entry expires. A reader started from an entry sends ``If-Match`` with the remembered ETag on every GET,
so reading a replaced object fails loudly (``TransferError`` ESTALE) rather than mixing versions, and
the failed reader makes the instance forget the entry (:meth:`MetadataCache.forget`), so the next try
reads the new version. A
remembered tail is only ever *part* of an object (its footer): an object no larger than the tail is
opened afresh, so no read is answered from memory alone with what could be an old version. Every
change made through the same instance (write, delete, copy, move) forgets what it knew at once, and an
object being written is never remembered until its writer is closed. ``metadata_ttl=0`` turns it off.

Entries are keyed on the object *and* the credentials that learned them, so one URL's answers never
serve another's credentials. Memory is bounded: at most :data:`MAX_ENTRIES` objects and
:data:`MAX_TAIL` bytes of tail each.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

__all__ = ["FOOTER_READ", "MAX_ENTRIES", "MAX_TAIL", "MetadataCache", "ObjectFacts"]

#: Objects remembered per instance (least recently learned forgotten first).
MAX_ENTRIES = 256
#: Tail bytes kept per object: a Parquet footer's metadata up to this size is kept whole.
MAX_TAIL = 1 << 20
#: The first GET of a Parquet file's tail: pyarrow's own footer read. A 1 MiB one cost every open
#: about a millisecond more on SeaweedFS (one row group through ``ParquetFile``: 0.92x pyarrow's own
#: against 0.96-1.01x, interleaved); metadata larger than this takes a second GET, as in pyarrow.
FOOTER_READ = 64 << 10

Key = tuple[str, str, str, Any]  # host:port, bucket, key, credential identity


@dataclass(frozen=True)
class ObjectFacts:
    """What is known of one object: always its size; the rest when the request that learned it said.

    Attributes:
        size: bytes.
        etag: the ETag (``None`` when the store sent none).
        mtime: last modification, from a HEAD or a listing (``None`` from a reader's GETs).
        tail_start: where ``tail`` starts (``size`` when no tail is known).
        tail: the object's last bytes, ``[tail_start, size)``.
        request: the GET request a reader of the object captured (:class:`~s3conf.directget.CapturedRequest`),
            so that the next reader's first GET skips botocore's call pipeline too; ``None`` from a HEAD.
    """

    size: int
    etag: str | None
    mtime: datetime | None = None
    tail_start: int = -1
    tail: bytes = b""
    request: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.tail_start < 0:
            object.__setattr__(self, "tail_start", self.size - len(self.tail))
        if self.tail_start + len(self.tail) != self.size:
            raise ValueError(f"tail [{self.tail_start}, +{len(self.tail)}) does not end at size {self.size}")

    def merged(self, newer: ObjectFacts) -> ObjectFacts:
        """``newer``, completed with what this entry knew of the *same* version (same size and ETag)."""
        if (self.size, self.etag) != (newer.size, newer.etag) or newer.etag is None:
            return newer
        tail_start, tail = (newer.tail_start, newer.tail) if newer.tail else (self.tail_start, self.tail)
        return replace(
            newer,
            mtime=newer.mtime or self.mtime,
            tail_start=tail_start,
            tail=tail,
            request=newer.request or self.request,
        )


def trimmed(size: int, etag: str | None, start: int, data: bytes, request: Any = None) -> ObjectFacts:
    """Facts with at most :data:`MAX_TAIL` of ``data`` (the end of the object) kept."""
    if len(data) > MAX_TAIL:
        start, data = size - MAX_TAIL, data[-MAX_TAIL:]
    return ObjectFacts(size, etag, None, start, data, request)


class MetadataCache:
    """Per-instance, thread-safe, time-limited memory of :class:`ObjectFacts` (see the module docstring).

    >>> cache = MetadataCache(ttl=60)
    >>> cache.put(("h:1", "b", "k", None), ObjectFacts(10, '"e"'))
    >>> cache.get(("h:1", "b", "k", None)).size
    10
    >>> cache.clear(); cache.get(("h:1", "b", "k", None)) is None
    True
    """

    def __init__(self, ttl: float, *, clock: Any = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[Key, tuple[float, ObjectFacts]] = OrderedDict()
        self._writing: dict[Key, Any] = {}  # key -> the open writer; nothing is remembered meanwhile

    def get(self, key: Key) -> ObjectFacts | None:
        """The facts of ``key`` learned less than ``ttl`` seconds ago, else ``None``."""
        if self.ttl <= 0:
            return None
        with self._lock:
            if self._being_written(key):
                return None
            found = self._entries.get(key)
            if found is None:
                return None
            if self._clock() - found[0] >= self.ttl:
                del self._entries[key]
                return None
            return found[1]

    def put(self, key: Key, facts: ObjectFacts) -> None:
        """Remember ``facts``, merged with a fresh entry of the same version; not while ``key`` is written."""
        if self.ttl <= 0:
            return
        now = self._clock()
        with self._lock:
            if self._being_written(key):
                return
            old = self._entries.pop(key, None)
            if old is not None and now - old[0] < self.ttl:
                facts = old[1].merged(facts)
            self._entries[key] = (now, facts)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def writing(self, key: Key, writer: Any) -> None:
        """``writer`` (anything with ``.closed``) is replacing ``key``: forget it until the writer closes."""
        with self._lock:
            self._entries.pop(key, None)
            self._writing[key] = writer

    def forget(self, key: Key) -> None:
        """Forget ``key``: a reader started from its facts found the object changed since."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget everything (after a change through this instance: delete, copy, move)."""
        with self._lock:
            self._entries.clear()

    def _being_written(self, key: Key) -> bool:
        writer = self._writing.get(key)
        if writer is None:
            return False
        if not getattr(writer, "closed", True):
            return True
        del self._writing[key]
        self._entries.pop(key, None)
        return False

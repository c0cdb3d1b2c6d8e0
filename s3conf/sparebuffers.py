"""Buffers of dropped fragments, kept for the next fetch of the same length by any reader.

A fresh fragment buffer is not free: ``bytearray(n)`` zero-fills it while holding the GIL, and once the
allocator has handed the memory back to the system every 4 KiB page faults again when the socket first
writes it. Measured on a 256 MiB sequential read from SeaweedFS, fresh buffers were about a sixth of the
reader's CPU, most of it for the first read-ahead window of every newly opened file: a reader could only
reuse buffers it had dropped itself, and a new reader starts with none. Keeping them in the fetch pool,
which every reader of a configuration shares, lets the next file reuse what the last one dropped.

The bound is the caller's: :meth:`keep` and :meth:`trim` take the bytes that may be held, and the smallest
buffers are forgotten first. The fetch pool holds its spares inside its in-flight budget (spares plus
reserved bytes never exceed it), so they only use memory no fetch is using. Which buffers are worth
keeping at all is the reader's call (:data:`s3conf.reader.SPARE_MIN`).

Whoever hands a buffer in promises that nothing else can still see it: a view of it that outlived the
hand-over would see its bytes replaced by the next fetch's.

>>> spares = SpareBuffers()
>>> [spares.keep(bytearray(length), limit=10) for length in (4, 4, 11)]
[True, True, False]
>>> spares.keep(bytearray(6), limit=10)  # over the bound: the smallest go first
True
>>> spares.held_bytes, len(spares.take(6) or b""), spares.take(6), len(spares.take(4) or b"")
(10, 6, None, 4)
>>> spares.keep(bytearray(3), limit=10), spares.trim(2), spares.held_bytes
(True, None, 0)
"""

from __future__ import annotations

import threading


class SpareBuffers:
    """Idle buffers by exact length, bounded in bytes; thread-safe."""

    def __init__(self) -> None:
        self._kept: dict[int, list[bytearray]] = {}  # a length is present only with at least one buffer
        self._held = 0
        self._lock = threading.Lock()

    @property
    def held_bytes(self) -> int:
        """Bytes held now."""
        with self._lock:
            return self._held

    def lengths(self) -> dict[int, int]:
        """How many buffers are held per length (a snapshot, for tests and diagnostics)."""
        with self._lock:
            return {length: len(kept) for length, kept in self._kept.items()}

    def keep(self, buffer: bytearray, *, limit: int) -> bool:
        """Hold ``buffer`` for a later :meth:`take`, forgetting others until at most ``limit`` bytes are held;
        ``False`` (and nothing forgotten) when it is empty or alone larger than ``limit``."""
        length = len(buffer)
        if not 0 < length <= limit:
            return False
        with self._lock:
            self._kept.setdefault(length, []).append(buffer)
            self._held += length
            self._trim(limit)
        return True

    def trim(self, limit: int) -> None:
        """Forget buffers, the smallest first, until at most ``limit`` bytes are held."""
        with self._lock:
            self._trim(limit)

    def take(self, length: int) -> bytearray | None:
        """A held buffer of exactly ``length`` bytes (the most recently kept), or ``None``."""
        with self._lock:
            kept = self._kept.get(length)
            if not kept:
                return None
            buffer = kept.pop()
            if not kept:
                del self._kept[length]
            self._held -= length
            return buffer

    def _trim(self, limit: int) -> None:
        while self._held > max(0, limit):
            self._forget(min(self._kept))

    def _forget(self, length: int) -> None:
        kept = self._kept[length]
        kept.pop(0)
        if not kept:
            del self._kept[length]
        self._held -= length

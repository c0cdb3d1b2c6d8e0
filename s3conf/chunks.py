"""A fragment's bytes, kept as the ``bytes`` objects they arrived in, so a read can hand them out whole.

``read`` must return ``bytes``. Filling one preallocated buffer per fragment and slicing it means a
second copy of every byte on its way to the caller, and that copy was a fifth of the reader's client CPU
on a sequential read (21 % of perf's samples in ``memcpy``, 0.4 % since). ``http.client`` reads a
socket straight into a fresh ``bytes`` object, without zero-filling it, so a fragment held as those
objects costs one copy per byte, and a read that covers exactly one of them (a 1 MiB read at a 1 MiB
boundary, the chunks being aligned to the object's offsets) costs no copy at all: the object itself is
returned. Any other read joins slices, which is the one copy the single-buffer design always paid.

Fresh ``bytes`` are only cheap if the allocator reuses the memory freed by the chunks read before. glibc
does not, at first: it serves allocations over its mmap threshold (128 KiB) from ``mmap`` and gives
freed memory over its trim threshold back to the kernel, so every chunk costs page faults and the
kernel's zeroing (measured: 59,000 faults and 1.5x the client CPU of the copy it saved, on a 256 MiB
read). glibc raises both thresholds by itself the first time a program frees an ``mmap``-ed block (to that
block's size, and twice it), as any program that once freed a large array has; :func:`settle_allocator`
sets them once per process to where that tuning ends (32 MiB, ``DEFAULT_MMAP_THRESHOLD_MAX`` on 64-bit, and
64 MiB), so chunks come from memory the process keeps. It calls ``mallopt`` rather than freeing one large
block, as it did first: a program whose heap already holds a free region that large (one that built a
few Parquet files first) gets the block from that region, not from ``mmap``, and glibc changes nothing
(measured in the benchmark: 40,000 faults per 256 MiB read, a third of the reader's client CPU). The effect
on the rest of the program is glibc's own tuning, reached earlier: blocks up to 32 MiB from the heap rather
than ``mmap``, up to 64 MiB of free heap kept rather than returned. A program that tunes glibc's allocator
itself (``MALLOC_*_`` or ``GLIBC_TUNABLES`` in its environment) keeps its own settings.
"""

from __future__ import annotations

import bisect
import ctypes
import os
import platform
import sys
import threading
from collections.abc import Sequence

__all__ = ["Chunks", "Piece", "join", "settle_allocator"]

#: A part of a read: a whole chunk (handed out as is) or a view of part of one.
Piece = bytes | memoryview


class Chunks:
    """Immutable bytes ``[0, len)``, stored as consecutive ``bytes`` chunks.

    >>> data = Chunks([b"abc", b"defg", b"h"])
    >>> len(data), data.tobytes()
    (8, b'abcdefgh')
    >>> [bytes(p) for p in data.pieces(2, 3)], data.pieces(3, 4)[0] is data.pieces(3, 4)[0]
    ([b'c', b'de'], True)
    >>> data.suffix(2), data.suffix(20)
    (b'gh', b'abcdefgh')
    """

    __slots__ = ("_chunks", "_starts", "length")

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = [chunk for chunk in chunks if chunk]
        self._starts: list[int] = []
        length = 0
        for chunk in self._chunks:
            self._starts.append(length)
            length += len(chunk)
        self.length = length  # an attribute, not only ``len()``: the reader reads it on every read

    def __len__(self) -> int:
        return self.length

    def __repr__(self) -> str:
        return f"Chunks({self.length} bytes in {len(self._chunks)} chunks)"

    def pieces(self, offset: int, count: int) -> list[Piece]:
        """The bytes ``[offset, offset + count)`` (clipped to the length), as whole chunks or views."""
        count = min(count, self.length - offset)
        if offset < 0 or count <= 0:
            return []
        index = bisect.bisect_right(self._starts, offset) - 1
        pieces: list[Piece] = []
        while count > 0:
            chunk = self._chunks[index]
            inner = offset - self._starts[index]
            taken = min(count, len(chunk) - inner)
            pieces.append(chunk if taken == len(chunk) else memoryview(chunk)[inner : inner + taken])
            offset += taken
            count -= taken
            index += 1
        return pieces

    def tobytes(self) -> bytes:
        """All the bytes in one object (no copy when there is one chunk)."""
        return join(self._chunks)

    def suffix(self, count: int) -> bytes:
        """The last ``count`` bytes (all of them if fewer)."""
        start = max(0, self.length - count)
        return join(self.pieces(start, self.length - start))


def join(pieces: Sequence[Piece]) -> bytes:
    """``pieces`` as one ``bytes``: a single whole chunk is returned as is, anything else copied once."""
    if len(pieces) == 1 and type(pieces[0]) is bytes:
        return pieces[0]
    return b"".join(pieces)


#: Where :func:`settle_allocator` puts glibc's thresholds: the most its dynamic mmap threshold reaches on
#: 64-bit (``DEFAULT_MMAP_THRESHOLD_MAX``), and the trim threshold it pairs with it (twice that).
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD

#: ``mallopt`` parameters (``<malloc.h>``).
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3

_settled = threading.Event()


def settle_allocator() -> None:
    """Once per process, under glibc, set its mmap and trim thresholds where its own tuning ends (see the
    module), unless the environment tunes its allocator."""
    if _settled.is_set():
        return
    _settled.set()
    if not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc":
        return
    if any(name.startswith("MALLOC_") for name in os.environ) or "glibc.malloc." in os.environ.get(
        "GLIBC_TUNABLES", ""
    ):
        return
    libc = ctypes.CDLL(None)
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.mallopt.restype = ctypes.c_int
    # The mmap threshold first: setting either turns glibc's own adjustment off, leaving the other as is.
    libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)

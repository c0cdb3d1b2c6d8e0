"""Part buffers of a streaming writer: at most N alive at once, recycled, and counted.

A writer holds the bytes of a part from the caller's ``write()`` until its ``UploadPart`` ends. The
bound on memory is the number of part buffers alive (being filled, waiting, uploading or kept for
reuse): :meth:`PartBuffers.acquire` blocks when all ``count`` are in use, which is the back-pressure a
producer faster than the network feels. A buffer whose upload finished is handed to the next part
instead of allocating (and page-faulting) a new one.

A writer's first buffer starts empty and grows as it fills (``bytearray +=``), so a writer of ten
bytes does not allocate and zero eight mebibytes; later buffers are allocated at full size (growing
costs about twice the CPU of zero-filling once, through reallocation copies) and recycled ones are
filled in place.

>>> buffers = PartBuffers(count=2, part_size=4)
>>> a = buffers.acquire(); a += b"abcd"; b = buffers.acquire(); b += b"ef"
>>> buffers.stats.buffers_alive, buffers.stats.peak_buffered_bytes
(2, 6)
>>> buffers.release(a); c = buffers.acquire(); c is a, len(c)
(True, 4)
>>> buffers.stats.buffers_allocated, buffers.stats.buffers_reused
(2, 1)
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

__all__ = ["BufferStats", "PartBuffers"]


@dataclass(frozen=True)
class BufferStats:
    """Counters of one writer's part buffers.

    Attributes:
        part_size: bytes of a full part.
        max_buffers: the bound (``s3.spi.write.max-parts-in-flight``).
        buffers_alive: buffers existing now (in use or kept for reuse).
        peak_buffers_alive: the most that ever existed at once (never above ``max_buffers``).
        peak_buffered_bytes: the most bytes ever held in buffers at once (never above
            ``max_buffers`` × ``part_size``).
        buffers_allocated: buffers created.
        buffers_reused: acquisitions served by a recycled buffer.
        waits: acquisitions that had to wait for a buffer (back-pressure on ``write()``).
        seconds_waiting: time spent in those waits.
    """

    part_size: int
    max_buffers: int
    buffers_alive: int
    peak_buffers_alive: int
    peak_buffered_bytes: int
    buffers_allocated: int
    buffers_reused: int
    waits: int
    seconds_waiting: float


class PartBuffers:
    """A bounded set of ``bytearray`` part buffers (thread-safe: uploads release from pool threads)."""

    def __init__(self, *, count: int, part_size: int) -> None:
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        self.count = count
        self.part_size = part_size
        self._condition = threading.Condition()
        self._free: list[bytearray] = []
        self._in_use: dict[int, bytearray] = {}
        self._peak_alive = 0
        self._peak_bytes = 0
        self._allocated = 0
        self._reused = 0
        self._waits = 0
        self._seconds_waiting = 0.0

    def _alive_bytes(self) -> int:
        return sum(len(b) for b in self._free) + sum(len(b) for b in self._in_use.values())

    def acquire(self, length: int | None = None) -> bytearray:
        """A buffer to fill, blocking while ``count`` are in use.

        Args:
            length: ``None`` for an empty buffer that grows up to ``part_size`` (or a recycled full
                one); a number for a buffer of exactly that many bytes, to ``readinto``.
        """
        with self._condition:
            if len(self._in_use) >= self.count:
                self._waits += 1
                self._condition.notify_all()  # wakes wait_until_blocked
                started = time.perf_counter()
                while len(self._in_use) >= self.count:
                    self._condition.wait()
                self._seconds_waiting += time.perf_counter() - started
            wanted = self.part_size if length is None else length
            reusable = next((i for i, b in enumerate(self._free) if len(b) == wanted), None)
            if reusable is not None:
                buffer = self._free.pop(reusable)
                self._reused += 1
            else:
                if len(self._free) + len(self._in_use) >= self.count:
                    self._free.pop()  # wrong size for this part: drop it rather than exceed the bound
                buffer = bytearray() if length is None else bytearray(length)
                self._allocated += 1
            self._in_use[id(buffer)] = buffer
            self._peak_alive = max(self._peak_alive, len(self._free) + len(self._in_use))
            self._peak_bytes = max(self._peak_bytes, self._alive_bytes())
            return buffer

    def wait_until_blocked(self, waits: int = 1, timeout: float = 30.0) -> bool:
        """Wait until :meth:`acquire` has blocked ``waits`` times; ``False`` after ``timeout`` seconds.

        Lets a test (or a monitor) observe back-pressure without sleeping.
        """
        with self._condition:
            return self._condition.wait_for(lambda: self._waits >= waits, timeout)

    def grew(self) -> None:
        """Note that a growing buffer got bigger (updates the peak of buffered bytes)."""
        with self._condition:
            self._peak_bytes = max(self._peak_bytes, self._alive_bytes())

    def release(self, buffer: bytearray, *, keep: bool = True) -> None:
        """Give ``buffer`` back: kept for reuse when it is a full part (and ``keep``), dropped otherwise."""
        with self._condition:
            self._peak_bytes = max(self._peak_bytes, self._alive_bytes())
            if self._in_use.pop(id(buffer), None) is None:
                return
            if keep and len(buffer) == self.part_size:
                self._free.append(buffer)
            self._condition.notify_all()

    def clear(self) -> None:
        """Forget every buffer (the writer is done); in-use ones are dropped when their uploads end."""
        with self._condition:
            self._peak_bytes = max(self._peak_bytes, self._alive_bytes())
            self._free.clear()

    @property
    def stats(self) -> BufferStats:
        """A consistent snapshot of the counters."""
        with self._condition:
            self._peak_bytes = max(self._peak_bytes, self._alive_bytes())
            return BufferStats(
                part_size=self.part_size,
                max_buffers=self.count,
                buffers_alive=len(self._free) + len(self._in_use),
                peak_buffers_alive=self._peak_alive,
                peak_buffered_bytes=self._peak_bytes,
                buffers_allocated=self._allocated,
                buffers_reused=self._reused,
                waits=self._waits,
                seconds_waiting=self._seconds_waiting,
            )

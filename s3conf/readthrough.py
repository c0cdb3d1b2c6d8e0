"""A :class:`io.BufferedReader` that hands large reads straight to the raw reader, whole.

``io.BufferedReader.read(n)`` cuts a large read into a raw read of ``n`` rounded down to its buffer size
and a second raw read of one buffer for the remainder. A read policy plans each raw read as one access,
so one Parquet column chunk read through pyarrow would look like two reads (and the second one,
continuing the first, like the start of a sequential scan). Reads of at least :data:`DIRECT` bytes with
nothing buffered go to :meth:`S3Reader.read <s3conf.reader.S3Reader.read>` in one call instead: the policy
sees the real request, and the bytes are copied once. Small reads, ``readline`` and ``peek`` keep the
buffer.
"""

from __future__ import annotations

import io
import os

__all__ = ["DIRECT", "ReadThroughBuffer"]

#: Reads at least this large bypass the buffer (when it is empty): the buffer's default size, so any read
#: the buffer would split goes through whole.
DIRECT = io.DEFAULT_BUFFER_SIZE


class ReadThroughBuffer(io.BufferedReader):
    """``BufferedReader`` over an :class:`~s3conf.reader.S3Reader`, passing large reads through whole.

    The raw reader's position is authoritative: the buffer is empty exactly when ``raw.tell()`` equals
    this reader's ``tell()``; after a direct read, ``seek`` to the raw position resynchronises the
    buffer's idea of where it is (no I/O: seeking the raw reader is free).
    """

    def read(self, size: int | None = -1, /) -> bytes:
        if size is None or size < DIRECT or self.raw.tell() != self.tell():
            return super().read(size)
        data: bytes = self.raw.read(size)
        super().seek(self.raw.tell(), os.SEEK_SET)
        return data

    def read1(self, size: int = -1, /) -> bytes:
        if size < DIRECT or self.raw.tell() != self.tell():
            return super().read1(size)
        return self.read(size)

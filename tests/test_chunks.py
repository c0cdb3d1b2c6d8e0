"""s3conf.chunks: a fragment's bytes as the chunks they arrived in, handed out whole where a read allows."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3conf.chunks import Chunks, join


@given(
    chunks=st.lists(st.binary(max_size=9), max_size=6),
    offset=st.integers(min_value=-2, max_value=60),
    count=st.integers(min_value=0, max_value=60),
)
def test_pieces_are_exactly_the_requested_bytes_clipped_to_the_length(
    chunks: list[bytes], offset: int, count: int
) -> None:
    data = Chunks(chunks)
    whole = b"".join(chunks)
    expected = whole[offset : offset + count] if offset >= 0 else b""
    assert len(data) == len(whole)
    assert join(data.pieces(offset, count)) == expected
    assert data.tobytes() == whole
    assert data.suffix(count) == whole[max(0, len(whole) - count) :]


def test_a_read_of_exactly_one_chunk_is_that_chunk_and_anything_else_a_copy() -> None:
    first, second = b"a" * 8, b"b" * 8
    data = Chunks([first, b"", second])
    assert join(data.pieces(8, 8)) is second
    assert data.pieces(0, 16) == [first, second]
    assert join(data.pieces(4, 8)) == b"aaaabbbb"
    assert [type(piece) for piece in data.pieces(4, 8)] == [memoryview, memoryview]


_FAULTS = """
import resource
from s3conf.chunks import settle_allocator
settle_allocator()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(64):  # a reader's window of 8 chunks, refilled 64 times
    window = [bytes(1 << 20) for _ in range(8)]
    del window
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc's allocator only"
)
def test_a_settled_allocator_serves_mebibyte_chunks_from_memory_it_kept() -> None:
    """A fresh process, as glibc's thresholds only ever move once in one. 512 MiB of chunks are 131,072
    pages; unsettled, glibc gives each window back and faults a good part in again (15,000 faults on
    the project's machine), settled it keeps the window (about 2,000: the first window and the
    interpreter's own)."""
    run = subprocess.run([sys.executable, "-c", _FAULTS], capture_output=True, text=True, check=True)
    faults = int(run.stdout)
    assert faults < 8192, f"{faults} page faults for 512 MiB of chunks through a settled allocator"

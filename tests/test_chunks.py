"""s3conf.chunks: a fragment's bytes as the chunks they arrived in, handed out whole where a read allows."""

from __future__ import annotations

import os
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
import queue, resource, sys, threading
from s3conf.chunks import settle_allocator
if sys.argv[1] == "holed":
    # 40 MiB in blocks under glibc's first mmap threshold (128 KiB) come from the heap; freeing all but the
    # last leaves them free under a live block, where glibc keeps them (a program that built a few Parquet
    # files first has such regions)
    blocks = [bytes(120 << 10) for _ in range(340)]
    del blocks[:-1]
settle_allocator()
# as a reader: a fetch thread receives the chunks of a window, the caller's thread frees them
requests, windows = queue.Queue(), queue.Queue()
def fetch():
    while requests.get():
        windows.put([b"x" * (1 << 20) for _ in range(8)])  # written, as a socket read writes them
threading.Thread(target=fetch, daemon=True).start()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(64):
    requests.put(True)
    del windows.get()[:]
requests.put(False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""

#: 512 MiB of chunks are 131,072 pages.
_ALL_PAGES = 512 * 1024 * 1024 // 4096

_glibc = pytest.mark.skipif(
    not sys.platform.startswith("linux") or platform.libc_ver()[0] != "glibc", reason="glibc's allocator only"
)


def _faults(heap: str, **environ: str) -> int:
    """Page faults of 512 MiB of chunks in a fresh process (glibc's thresholds only ever move once in one)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("MALLOC_")}
    env.pop("GLIBC_TUNABLES", None)
    run = subprocess.run(
        [sys.executable, "-c", _FAULTS, heap], capture_output=True, text=True, check=True, env=env | environ
    )
    return int(run.stdout)


@_glibc
@pytest.mark.parametrize("heap", ["fresh", "holed"])
def test_a_settled_allocator_serves_mebibyte_chunks_from_memory_it_kept(heap: str) -> None:
    """Unsettled, glibc serves each chunk from ``mmap`` or gives each window back, and faults most pages in
    again (109,000 of 131,072 with the hole, when settling freed one large block: the block came from the
    hole and glibc changed nothing); settled, it keeps the window (about 2,000 faults: the first window and
    the interpreter's own)."""
    faults = _faults(heap)
    assert faults < _ALL_PAGES // 16, f"{faults} faults for 512 MiB of chunks, settled"


@_glibc
def test_a_program_that_tunes_glibc_keeps_its_own_thresholds() -> None:
    """With the threshold the environment sets (glibc's first one, 128 KiB) every chunk is ``mmap``-ed: the
    faults show the settling left it alone."""
    faults = _faults("fresh", MALLOC_MMAP_THRESHOLD_="131072")
    assert faults > _ALL_PAGES // 2, f"{faults} faults: the environment's threshold was overridden"

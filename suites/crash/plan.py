"""What one crash-recovery kill point does, from its seed alone (pure, no I/O).

A *step* is a place the writer process can die: every boundary between its operations and, inside
them, just before each S3 request is sent and just after each answer is parsed (so a death can fall
between a tail object's PUT and its handle reaching the checkpoint, or between the completion and its
record). The writer kills itself with SIGKILL at step ``kill_step``; a plan whose ``kill_step`` is past
its last step runs to the end (the no-crash case, also checked).

>>> plan = make_plan(7)
>>> plan == make_plan(7), plan.ops[-2:]
(True, (('close_for_commit', 0), ('commit', 0)))
>>> data(7, 65530, 10) == data(7, 0, 65540)[65530:]
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from s3conf.multipart import MIN_PART_SIZE

__all__ = ["BLOCK", "PART_SIZE", "Plan", "data", "make_plan"]

PART_SIZE = MIN_PART_SIZE
"""Part size of the writer and of the recovery (S3's minimum, so a few MiB make several parts)."""

BLOCK = 64 * 1024


def data(seed: int, start: int, length: int) -> bytes:
    """Bytes ``start..start+length`` of the stream of ``seed``: the same at every offset in every process,
    so a lost or repeated byte shows as a mismatch."""
    first, last = start // BLOCK, (start + length - 1) // BLOCK
    blocks = b"".join(random.Random(f"{seed}:{index}").randbytes(BLOCK) for index in range(first, last + 1))
    offset = start - first * BLOCK
    return blocks[offset : offset + length] if length > 0 else b""


@dataclass(frozen=True)
class Plan:
    """Operations of the writer (``("write", n)``, ``("persist", 0)``, ``("close_for_commit", 0)``,
    ``("commit", 0)``), the step it dies at, and how many bytes the recovery writes after recovering."""

    seed: int
    ops: tuple[tuple[str, int], ...]
    kill_step: int
    after_recovery: int

    @property
    def written(self) -> int:
        """Bytes the writer writes when it is not killed."""
        return sum(size for op, size in self.ops if op == "write")


def _write_size(rng: random.Random) -> int:
    kind = rng.random()
    if kind < 0.4:
        return rng.randint(1, 64 * 1024)
    if kind < 0.8:
        return rng.randint(64 * 1024, 1024 * 1024)
    return rng.randint(1024 * 1024, 4 * 1024 * 1024)


def make_plan(seed: int) -> Plan:
    """The plan of ``seed``: 3-10 writes and persists, then close_for_commit and commit."""
    rng = random.Random(seed)
    ops: list[tuple[str, int]] = []
    for _ in range(rng.randint(3, 10)):
        ops.append(("persist", 0) if rng.random() < 0.35 else ("write", _write_size(rng)))
    ops += [("close_for_commit", 0), ("commit", 0)]
    written = sum(size for op, size in ops if op == "write")
    persists = sum(1 for op, _ in ops if op == "persist")
    requests = (
        1 + written // PART_SIZE + 1 + persists + 2 + persists
    )  # create, parts, PUTs, head+complete, deletes
    steps = len(ops) + 2 * requests
    return Plan(
        seed, tuple(ops), rng.randint(1, steps + steps // 8), rng.randint(0, PART_SIZE + PART_SIZE // 2)
    )

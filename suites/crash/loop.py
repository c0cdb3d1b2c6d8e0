"""Run kill points against one target: a writer process dies, this process recovers and checks.

Per kill point (:func:`run_point`), after the writer process (:mod:`suites.crash.child`) ended:

1. Nothing is at the final key unless the checkpoint record is a commit handle (only then may the
   writer have published it).
2. Recovery as a Flink sink does it: no record -> start over; a ``resume`` handle -> ``recover`` it
   (its position must be the handle's size), write ``after_recovery`` more bytes of the same stream,
   ``close_for_commit``, check the key is still empty, ``commit_after_recovery``; a ``commit`` handle
   -> ``recover_for_commit(...).commit_after_recovery()``.
3. The object holds exactly the stream's first ``expected`` bytes (bytes up to the last persist plus
   those written after recovery, or the commit handle's size): anything else counts as lost,
   duplicated or wrong bytes.
4. A second ``commit_after_recovery`` from the JSON handle answers ``"already committed"`` and leaves
   the object's ETag alone.
5. ``cleanup_abandoned`` leaves no pending upload and no temporary object of the key, and the bucket
   holds nothing but the object.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from s3conf.client import new_client
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.fs import S3FileSystem
from s3conf.recoverable import RecoverableCommitter, RecoverableWriter
from suites.crash.plan import PART_SIZE, Plan, data, make_plan

__all__ = ["LoopSummary", "PointResult", "describe", "render", "run_loop", "run_point"]

CHILD_TIMEOUT_SECONDS = 300


@dataclass
class PointResult:
    """What one kill point found (``problems`` empty and no lost/duplicated/wrong byte: it passed)."""

    seed: int
    kill_step: int
    killed: bool
    state: str
    expected: int = 0
    verified: int = 0
    lost: int = 0
    duplicated: int = 0
    wrong: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.lost == self.duplicated == self.wrong == 0


@dataclass
class LoopSummary:
    """The kill points of one target."""

    target: str
    results: list[PointResult] = field(default_factory=list)

    @property
    def failures(self) -> list[PointResult]:
        return [result for result in self.results if not result.ok]

    def row(self) -> dict[str, Any]:
        states = {
            kind: sum(1 for r in self.results if r.state == kind) for kind in ("none", "resume", "commit")
        }
        return {
            "target": self.target,
            "kill_points": len(self.results),
            "killed": sum(1 for r in self.results if r.killed),
            "recovered_from": states,
            "bytes_verified": sum(r.verified for r in self.results),
            "lost": sum(r.lost for r in self.results),
            "duplicated": sum(r.duplicated for r in self.results),
            "wrong": sum(r.wrong for r in self.results),
            "failures": [
                f"seed {r.seed} (kill step {r.kill_step}): {'; '.join(r.problems)}" for r in self.failures
            ],
        }


def _writer(endpoint: Endpoint, bucket: str) -> RecoverableWriter:
    config = S3Config(multipart_part_size=PART_SIZE)
    client = new_client(endpoint, config)
    return S3FileSystem(bucket, endpoint=endpoint, config=config, client=client).recoverable_writer()


def _run_child(
    endpoint: Endpoint, bucket: str, key: str, seed: int, state: Path
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["AWS_ACCESS_KEY_ID"] = endpoint.access_key or ""
    env["AWS_SECRET_ACCESS_KEY"] = endpoint.secret_key.reveal() if endpoint.secret_key else ""
    command = [
        sys.executable,
        "-m",
        "suites.crash.child",
        endpoint.url,
        endpoint.region,
        bucket,
        key,
        str(seed),
        str(state),
    ]
    return subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_SECONDS, check=False
    )


def _compare(result: PointResult, body: bytes | None, expected: bytes) -> None:
    if body is None:
        result.problems.append("no object at the key after the commit")
        result.lost = len(expected)
        return
    result.lost = max(0, len(expected) - len(body))
    result.duplicated = max(0, len(body) - len(expected))
    if body[: len(expected)] != expected[: len(body)]:
        result.wrong = sum(1 for a, b in zip(body, expected, strict=False) if a != b)
    if result.ok:
        result.verified = len(body)


def _etag(writer: RecoverableWriter, key: str) -> str | None:
    head = writer.fs._head(key)
    return None if head is None else str(head.get("ETag"))


def _get(writer: RecoverableWriter, key: str) -> bytes | None:
    if writer.fs._head(key) is None:
        return None
    return bytes(writer.client.get_object(Bucket=writer.bucket, Key=key)["Body"].read())


def _recover(
    writer: RecoverableWriter, plan: Plan, key: str, record: dict[str, Any] | None, result: PointResult
) -> RecoverableCommitter:
    """Step 2 of the module docstring; returns the committer that committed."""
    if record is not None and record["kind"] == "commit":
        committer = writer.recover_for_commit(record["handle"])
        committer.commit_after_recovery()
        result.expected = committer.handle.size
        return committer
    stream = writer.open(key) if record is None else writer.recover(record["handle"])
    position = stream.position
    if record is not None and position != json.loads(record["handle"])["size"]:
        result.problems.append(
            f"recovered at {position}, the handle says {json.loads(record['handle'])['size']}"
        )
    stream.write(data(plan.seed, position, plan.after_recovery))
    committer = stream.close_for_commit()
    if writer.fs._head(key) is not None:
        result.problems.append("an object is at the final key before the commit")
    if committer.commit_after_recovery() != "completed":
        result.problems.append("the first commit after recovery did not complete the upload")
    result.expected = position + plan.after_recovery
    return committer


def run_point(endpoint: Endpoint, bucket: str, seed: int) -> PointResult:
    """One kill point in ``bucket`` (under its own key); see the module docstring."""
    plan = make_plan(seed)
    key = f"crash-{seed}"
    with tempfile.TemporaryDirectory(prefix="s3conf-crash-") as scratch:
        state = Path(scratch) / "checkpoint.json"
        child = _run_child(endpoint, bucket, key, seed, state)
        record = json.loads(state.read_text(encoding="utf-8")) if state.exists() else None
    result = PointResult(seed, plan.kill_step, child.returncode == -9, record["kind"] if record else "none")
    if child.returncode not in (0, -9):
        result.problems.append(f"writer exited {child.returncode}: {child.stderr.strip()[-800:]}")
        return result
    writer = _writer(endpoint, bucket)
    if result.state != "commit" and writer.fs._head(key) is not None:
        result.problems.append("an object is at the final key although no commit handle was recorded")
    committer = _recover(writer, plan, key, record, result)
    body = _get(writer, key)
    _compare(result, body, data(seed, 0, result.expected))
    etag = _etag(writer, key)
    again = _writer(endpoint, bucket).recover_for_commit(committer.to_json()).commit_after_recovery()
    if again != "already committed":
        result.problems.append(f"a second commit after recovery answered {again!r}")
    if _etag(writer, key) != etag:
        result.problems.append("the second commit changed the object")
    writer.cleanup_abandoned(key)
    leftovers = [pending.upload_id for pending in writer._pending(key)] + writer.temp_objects(key)
    if leftovers:
        result.problems.append(f"left after cleanup: {leftovers}")
    return result


def run_loop(
    target: str,
    endpoint: Endpoint,
    bucket: str,
    seeds: list[int],
    on_result: Callable[[PointResult], None] | None = None,
) -> LoopSummary:
    """Every seed's kill point on one target, in one bucket; ``on_result`` sees each as it ends."""
    summary = LoopSummary(target)
    for seed in seeds:
        summary.results.append(run_point(endpoint, bucket, seed))
        if on_result is not None:
            on_result(summary.results[-1])
    return summary


def describe(result: PointResult) -> str:
    """One progress line for a kill point."""
    ending = f"killed at step {result.kill_step}" if result.killed else "ran to the end"
    verdict = "ok" if result.ok else "FAILED: " + "; ".join(result.problems)
    return (
        f"seed {result.seed}: {ending}, recovered from {result.state}, "
        f"{result.verified}/{result.expected} bytes verified, {verdict}"
    )


def render(rows: list[dict[str, Any]]) -> str:
    """A Markdown table of :meth:`LoopSummary.row` rows, then every failure."""
    lines = [
        "| target | kill points | killed | recovered from none/resume/commit | bytes verified | lost | "
        "duplicated | wrong |",
        "|---|---:|---:|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        states = row["recovered_from"]
        lines.append(
            f"| {row['target']} | {row['kill_points']} | {row['killed']} | "
            f"{states['none']}/{states['resume']}/{states['commit']} | {row['bytes_verified']} | "
            f"{row['lost']} | {row['duplicated']} | {row['wrong']} |"
        )
    lines += [f"- {row['target']}: {failure}" for row in rows for failure in row["failures"]]
    return "\n".join(lines)

"""The writer process of one kill point: ``python -m suites.crash.child URL REGION BUCKET KEY SEED STATE``.

Credentials come from ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` in the environment, never from
the command line. It runs :func:`suites.crash.plan.make_plan` and records, like a Flink checkpoint,
the last handle in ``STATE`` (replaced atomically): ``{"kind": "resume"|"commit", "handle": ...,
"committed": bool}``. At the plan's kill step it sends itself SIGKILL (no ``finally``, no ``atexit``).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from s3conf.client import new_client
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.fs import S3FileSystem
from suites.crash.plan import PART_SIZE, data, make_plan


class Killer:
    """Counts steps (from any thread) and kills the process at step ``kill_step``."""

    def __init__(self, kill_step: int) -> None:
        self.kill_step = kill_step
        self.steps = 0
        self._lock = threading.Lock()

    def step(self, *_: Any, **__: Any) -> None:
        with self._lock:
            self.steps += 1
            if self.steps == self.kill_step:
                os.kill(os.getpid(), signal.SIGKILL)


def record(state: Path, kind: str, handle_json: str, *, committed: bool = False) -> None:
    """Replace the checkpoint record atomically (a kill leaves the old one or the new one)."""
    partial = state.with_suffix(".partial")
    partial.write_text(
        json.dumps({"kind": kind, "handle": handle_json, "committed": committed}), encoding="utf-8"
    )
    os.replace(partial, state)


def main(argv: list[str]) -> int:
    url, region, bucket, key, seed_text, state_path = argv
    seed, state = int(seed_text), Path(state_path)
    plan = make_plan(seed)
    killer = Killer(plan.kill_step)
    endpoint = Endpoint(
        "crash-target",
        url,
        region=region,
        access_key=os.environ["AWS_ACCESS_KEY_ID"],
        secret_key=os.environ["AWS_SECRET_ACCESS_KEY"],
    )
    config = S3Config(multipart_part_size=PART_SIZE)
    client = new_client(endpoint, config)
    client.meta.events.register("before-send.s3", killer.step)
    client.meta.events.register("after-call.s3", killer.step)
    writer = S3FileSystem(bucket, endpoint=endpoint, config=config, client=client).recoverable_writer()
    stream = writer.open(key)
    killer.step()
    position = 0
    committer = None
    for op, size in plan.ops:
        if op == "write":
            stream.write(data(seed, position, size))
            position += size
        elif op == "persist":
            record(state, "resume", stream.persist().to_json())
        elif op == "close_for_commit":
            committer = stream.close_for_commit()
            record(state, "commit", committer.to_json())
        elif committer is not None:
            committer.commit()
            record(state, "commit", committer.to_json(), committed=True)
        killer.step()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

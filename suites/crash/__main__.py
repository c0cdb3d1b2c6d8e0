"""``python -m suites.crash [--target moto] [--points 50] [--seed N] [--json FILE]``: the kill loop.

Each target runs ``--points`` kill points with seeds ``N, N+1, ...`` (``--seed`` default: random, and
printed) in a fresh bucket. A target that cannot pass it by design is skipped with the reason from the
conformance expectations (a store that refuses to replace a part cannot let a recovered writer take
over a part its killed predecessor had sent). Exit status 0 when every kill point passed.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

from emulators.buckets import create_bucket, delete_bucket, unique_bucket_name
from emulators.clients import boto3_client
from emulators.registry import TARGET_NAMES, create_emulator, server_name
from suites.conformance.expectations import load_expectations
from suites.crash.loop import describe, render, run_loop

PART_OVERWRITE_CHECK = "mpu.part-overwrite"
"""The conformance check a target must pass: a recovered writer re-sends part numbers its killed
predecessor may already have sent, with other contents."""


def skip_reason(target: str) -> str | None:
    """Why ``target`` cannot run the loop, from the expectations table (``None``: it can)."""
    reason = load_expectations().reason(server_name(target), PART_OVERWRITE_CHECK)
    if reason is None:
        return None
    return f"{target} fails {PART_OVERWRITE_CHECK} ({reason})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suites.crash", description=__doc__)
    parser.add_argument("--target", action="append", choices=TARGET_NAMES, help="repeatable (default moto)")
    parser.add_argument("--points", type=int, default=50, help="kill points per target (default 50)")
    parser.add_argument("--seed", type=int, default=None, help="first seed (default: random, printed)")
    parser.add_argument("--json", type=Path, default=None, help="write the per-target figures here")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2**31)
    seeds = list(range(seed, seed + args.points))
    print(f"seeds {seeds[0]}..{seeds[-1]} (replay one: --seed S --points 1)", flush=True)
    rows = []
    skipped: dict[str, str] = {}
    for target in args.target or ["moto"]:
        reason = skip_reason(target)
        if reason is not None:
            print(f"skipped {reason}")
            skipped[target] = reason
            continue
        emulator = create_emulator(target)
        with emulator as endpoint:
            client = boto3_client(endpoint)
            bucket = unique_bucket_name(emulator.bucket_prefix)
            create_bucket(client, bucket, endpoint)
            try:
                summary = run_loop(
                    target,
                    endpoint,
                    bucket,
                    seeds,
                    lambda result, name=target: print(f"{name} {describe(result)}", flush=True),
                )
            finally:
                delete_bucket(client, bucket, emulator.capabilities)
        rows.append(summary.row())
        print(render([rows[-1]]), flush=True)
    print(render(rows))
    for target, reason in skipped.items():
        print(f"- {target}: skipped, {reason}")
    if args.json is not None:
        document = {"seeds": [seeds[0], seeds[-1]], "targets": rows, "skipped": skipped}
        args.json.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return 0 if rows and all(not row["failures"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())

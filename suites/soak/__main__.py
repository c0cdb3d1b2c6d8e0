"""``python -m suites.soak [--seconds 60] [--target moto] [--seed 2026]``: start a target and soak it.

Exit status 0 when no wrong byte, undocumented error or leak was found, 1 otherwise (``nox -s soak``).
"""

from __future__ import annotations

import argparse
import sys

from emulators.registry import TARGET_NAMES, create_emulator
from suites.soak.runner import run_soak


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suites.soak", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to soak (default 60)")
    parser.add_argument(
        "--target", default="moto", choices=TARGET_NAMES, help="target to start (default moto)"
    )
    parser.add_argument("--seed", type=int, default=2026, help="seed of the fault schedule")
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args(argv)
    with create_emulator(args.target) as endpoint:
        summary = run_soak(
            endpoint, seconds=args.seconds, seed=args.seed, readers=args.readers, writers=args.writers
        )
    print(f"target: {args.target} ({endpoint.version or 'version unknown'}), seed {args.seed}")
    print(summary.render())
    return 0 if summary.ok else 1


if __name__ == "__main__":
    sys.exit(main())

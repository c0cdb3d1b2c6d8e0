"""``python -m suites.mutation`` (what ``nox -s mutation`` runs): mutmut over the scope, then the report.

Usage::

    python -m suites.mutation                      # every unit of suites.mutation.scope, then the report
    python -m suites.mutation --fresh              # the same from scratch (deletes mutants/ first)
    python -m suites.mutation 's3conf.uri.*'       # (re)run only these mutants (mutmut globs)
    python -m suites.mutation --report-only        # rebuild reports/mutation/ from mutants/

mutmut keeps its verdicts in ``mutants/``: a second run tests only mutants of functions whose source
changed, plus (here) every mutant that survived before, since a test may have been added for it. Exit
0 when every unit reaches the goal, 1 when one does not, 2 when mutmut itself failed.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from suites.mutation.report import below_goal, undetected, write_reports
from suites.mutation.scope import GOAL_PERCENT, SCOPE

ROOT = Path(__file__).resolve().parents[2]
REPORT_DIR = ROOT / "reports" / "mutation"


def _mutmut(names: list[str], max_children: int) -> int:
    run = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *names]
    return subprocess.run(run, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m suites.mutation", description=__doc__.split("\n")[0])
    parser.add_argument("mutants", nargs="*", help="mutmut name globs (default: the whole scope)")
    parser.add_argument("--report-only", action="store_true", help="only rebuild the report from mutants/")
    parser.add_argument("--fresh", action="store_true", help="delete mutants/ first: every mutant is run")
    parser.add_argument("--max-children", type=int, default=2, help="parallel mutant workers (default 2)")
    parser.add_argument("--out", type=Path, default=REPORT_DIR, help="report directory")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)

    os.chdir(ROOT)
    os.environ.setdefault("HYPOTHESIS_PROFILE", "mutation")
    named = f" <{len(args.mutants)} mutant names>" if len(args.mutants) > 3 else ""
    shown_argv = [a for a in argv if not (named and a in args.mutants)]
    command = "nox -s mutation" + "".join(f" {shlex.quote(a)}" for a in (["--", *shown_argv] if argv else []))
    command += named
    if args.fresh:
        shutil.rmtree(ROOT / "mutants", ignore_errors=True)
    if not args.report_only:
        if args.mutants:  # named mutants are always rerun
            status = _mutmut(args.mutants, args.max_children)
        else:  # unnamed ones keep their verdict until their function changes: rerun the survivors
            before = undetected(ROOT, SCOPE)
            status = _mutmut([], args.max_children)
            again = sorted(set(before) & set(undetected(ROOT, SCOPE)))
            if status == 0 and again:
                status = _mutmut(again, args.max_children)
        if status != 0:
            print("mutmut failed (see above); the report was not rebuilt", file=sys.stderr)
            return 2
    summaries = write_reports(ROOT, SCOPE, args.out, command)
    for summary in summaries:
        score = "–" if summary.score is None else f"{summary.score:.1f} %"
        print(f"{summary.unit:40} {summary.detected:5} / {summary.scored:<5} {score}")
    print(f"report: {args.out / 'summary.md'}")
    short = below_goal(summaries)
    if short:
        print(f"below the {GOAL_PERCENT:.0f} % goal: {', '.join(short)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""``s3conf bench`` (run a sweep, save results, write the report) and ``s3conf report bench``.

Grids (fragment size S × fragment number N), each cell measured on every workload:

- ``--quick``: S in {1, 4, 16} MiB × N in {1, 4, 16}, 64 MiB objects, 3 repeats, limit at 4 threads
  (about 3-4 minutes on the project's 2-core machine);
- default: S in {256 KiB, 1, 4, 16, 64} MiB × N in {1, 2, 4, 8, 16, 64}, 256 MiB objects, 5 repeats;
- ``--full``: every power of two from 256 KiB to 64 MiB × 1 to 64 (63 cells: hours);
- ``--sizes``/``--numbers`` pick any other grid.

>>> parse_sizes("256KiB,4MiB", "--sizes")
(262144, 4194304)
>>> parse_ints("1,4", "--numbers")
(1, 4)
>>> parse_ints("0", "--numbers")
Traceback (most recent call last):
...
s3conf.errors.ConfigError: --numbers: '0' is not an integer >= 1
"""

from __future__ import annotations

import argparse
import os
import random
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from s3conf.errors import ConfigError, TargetUnavailableError
from s3conf.values import format_size, parse_size
from suites.bench.workloads import WORKLOADS, select_workloads

KiB = 1024
MiB = 1024 * KiB

PRESETS: dict[str, dict[str, Any]] = {
    "quick": {
        "sizes": (1 * MiB, 4 * MiB, 16 * MiB),
        "numbers": (1, 4, 16),
        "object_size": 64 * MiB,
        "repeats": 3,
        "limit_concurrency": (4,),
    },
    "default": {
        "sizes": (256 * KiB, 1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB),
        "numbers": (1, 2, 4, 8, 16, 64),
        "object_size": 256 * MiB,
        "repeats": 5,
        "limit_concurrency": (4, 8),
    },
    "full": {
        "sizes": tuple(256 * KiB * 2**i for i in range(9)),
        "numbers": tuple(2**i for i in range(7)),
        "object_size": 256 * MiB,
        "repeats": 5,
        "limit_concurrency": (2, 4, 8),
    },
}
PEER_NAMES = ("s3fs", "pyarrow", "obstore", "boto3-download")


def parse_sizes(text: str, option: str) -> tuple[int, ...]:
    """Comma-separated sizes (``256KiB,4MiB`` or bytes)."""
    sizes = []
    for part in text.split(","):
        try:
            size = parse_size(part.strip())
        except (ValueError, TypeError) as error:
            raise ConfigError(f"{option}: {part!r} is not a size like 256KiB or 4MiB") from error
        if size < 1:
            raise ConfigError(f"{option}: {part!r} must be at least 1 byte")
        sizes.append(size)
    return tuple(sizes)


def parse_ints(text: str, option: str) -> tuple[int, ...]:
    """Comma-separated integers >= 1."""
    values = []
    for part in (p.strip() for p in text.split(",")):
        if not part.isdigit() or int(part) < 1:
            raise ConfigError(f"{option}: {part!r} is not an integer >= 1")
        values.append(int(part))
    return tuple(values)


def parse_names(text: str, known: tuple[str, ...], option: str) -> list[str]:
    """Comma-separated names from ``known``; ``none`` gives an empty list."""
    if text.strip() == "none":
        return []
    names = [part.strip() for part in text.split(",") if part.strip()]
    for name in names:
        if name not in known:
            raise ConfigError(f"{option}: unknown name {name!r}; known: {', '.join(known)}")
    return names


def _spec_and_command(args: argparse.Namespace) -> tuple[Any, str]:
    from suites.bench.runner import SweepSpec

    preset = PRESETS["quick" if args.quick else "full" if args.full else "default"]
    sizes = parse_sizes(args.sizes, "--sizes") if args.sizes else preset["sizes"]
    numbers = parse_ints(args.numbers, "--numbers") if args.numbers else preset["numbers"]
    object_size = (
        parse_sizes(args.object_size, "--object-size")[0] if args.object_size else preset["object_size"]
    )
    if args.repeats is not None and args.repeats < 1:
        raise ConfigError(f"--repeats: {args.repeats} is not an integer >= 1")
    repeats = args.repeats or preset["repeats"]
    limits = parse_ints(args.limit_concurrency, "--limit-concurrency") if args.limit_concurrency else None
    limits = limits or preset["limit_concurrency"]
    workloads = select_workloads(args.workloads.split(",") if args.workloads else None)
    peers = parse_names(args.peers, PEER_NAMES, "--peers") if args.peers else list(PEER_NAMES)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    spec = SweepSpec(
        workloads=workloads,
        object_sizes={w.name: object_size for w in workloads},
        fragment_sizes=sizes,
        fragment_numbers=numbers,
        limit_concurrencies=limits,
        peers=peers,
        repeats=repeats,
        seed=seed,
        notes=tuple(args.note or ()),
    )
    command = [
        "s3conf", "bench", "--target", args.target,
        "--workloads", ",".join(w.name for w in workloads),
        "--sizes", ",".join(format_size(s) for s in sizes),
        "--numbers", ",".join(str(n) for n in numbers),
        "--object-size", format_size(object_size),
        "--repeats", str(repeats),
        "--limit-concurrency", ",".join(str(c) for c in limits),
        "--peers", ",".join(peers) or "none",
        "--seed", str(seed),
    ]  # fmt: skip
    return spec, shlex.join(command)


def _progress_bar() -> tuple[Any, Callable[[int], Callable[[str], None]]]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())

    def start(total: int) -> Callable[[str], None]:
        task = bar.add_task("bench", total=total)

        def tick(description: str) -> None:
            bar.update(task, advance=1, description=description[:60].ljust(60))

        return tick

    return bar, start


def run_bench(args: argparse.Namespace) -> int:
    """``s3conf bench``: start the target, run the sweep, save results and write the report.

    Exit codes: 0 results (and report) written; 1 the target failed to start or a transfer failed; 2 a
    usage error (bad option, unknown or unavailable target, missing extra), one line on stderr.
    """
    from emulators.registry import create_emulator, options_from_env
    from suites.bench import results
    from suites.bench.runner import TargetInfo, run_sweep
    from suites.conformance.cli import read_secret_key

    if args.workloads and "many-small" in args.workloads.split(","):
        from suites.bench.many_small import run_many_small_bench

        if args.workloads != "many-small":
            raise ConfigError(
                "--workloads many-small measures listings and small objects and runs on its own"
            )
        return run_many_small_bench(args)
    if args.workloads and "write" in args.workloads.split(","):
        from suites.bench.write_workload import run_write_bench

        if args.workloads != "write":
            raise ConfigError(
                "--workloads write measures uploads and runs on its own, not with read workloads"
            )
        return run_write_bench(args)
    spec, command = _spec_and_command(args)
    if not args.no_report:
        # Fail before a sweep of minutes, not after it: the report needs the `data` extra.
        import matplotlib  # noqa: F401
        import pandas  # noqa: F401
    options = options_from_env(
        os.environ,
        endpoint=args.endpoint,
        access_key=args.access_key,
        secret_key=read_secret_key(args, os.environ),
    )
    emulator = create_emulator(args.target, **options)
    ok, reason = emulator.available()
    if not ok:
        raise TargetUnavailableError(f"target {args.target!r} is not available here: {reason}")
    out_dir = Path(args.out) if args.out else _default_out_dir()
    if args.e2e:
        command += " --e2e" + (" --no-grid" if args.no_grid else "")
        command += f" --parquet-size {format_size(parse_sizes(args.parquet_size, '--parquet-size')[0])}"
        if args.e2e_only:
            command += f" --e2e-only {args.e2e_only}"
    print(f"s3conf bench: {command}")
    bar, start = _progress_bar()
    with emulator as endpoint, bar:
        target = TargetInfo(
            name=args.target,
            endpoint=endpoint,
            version=endpoint.version,
            flags=tuple(emulator.launch_flags),
            capabilities=emulator.capabilities,
        )
        if args.e2e:
            _run_e2e(target, spec, args, command=command, out_dir=out_dir, start=start)
        if args.no_grid:
            return 0
        run, samples, skipped = run_sweep(target, spec, command, progress=start)
    results_path = out_dir / "results.json"
    results.save(results_path, run, samples, skipped)
    print(f"results: {results_path}")
    if not args.no_report:
        from suites.bench.build import build_report  # pandas and matplotlib: only for the report

        build_report(results_path, out_dir)
        print(f"report: {out_dir / 'report.md'} and {out_dir / 'report.html'}")
        print_recommendation(results_path)
    return 0


def _default_out_dir() -> Path:
    from suites.bench.build import default_out_dir

    return default_out_dir()


def print_recommendation(results_path: Path) -> None:
    """The recommendation on the terminal: per workload the keys and environment variables to set."""
    from suites.bench import results
    from suites.bench.report import recommendation_lines, summarize

    _, _, recommendation = summarize(results.load(results_path)[1])
    lines = recommendation_lines(recommendation)
    if lines:
        print("recommendation per workload (one reader configuration per process):")
        print("\n".join(lines))


def _run_e2e(
    target: Any, spec: Any, args: argparse.Namespace, *, command: str, out_dir: Path, start: Any
) -> None:
    """End-to-end workloads (Parquet through pandas/pyarrow, records): ``e2e-results.json``, ``e2e.md``."""
    from suites.bench import results
    from suites.bench.e2e import ParquetShape
    from suites.bench.e2e_run import E2ESpec, e2e_markdown, run_e2e

    e2e_spec = E2ESpec(
        shape=ParquetShape(size=parse_sizes(args.parquet_size, "--parquet-size")[0]),
        records_object_size=64 * MiB,
        sequential_object_size=spec.object_sizes[next(iter(spec.object_sizes))]
        if spec.object_sizes
        else 256 * MiB,
        repeats=spec.repeats,
        seed=spec.seed,
        peers=spec.peers,
        only=tuple(p.strip() for p in (args.e2e_only or "").split(",") if p.strip()),
    )
    run, samples, skipped = run_e2e(target, e2e_spec, command, progress=start)
    results.save(out_dir / "e2e-results.json", run, samples, skipped)
    (out_dir / "e2e.md").write_text(e2e_markdown(run, samples, skipped))
    print(f"end-to-end: {out_dir / 'e2e.md'}")


def run_report(args: argparse.Namespace) -> int:
    """``s3conf report bench RESULTS.json [OTHER.json]``: one report, or a comparison of two runs."""
    from suites.bench.build import build_compare, build_report, default_out_dir

    paths = [Path(p) for p in args.results]
    if len(paths) > 2:
        raise ConfigError(f"report bench takes one results file, or two to compare; got {len(paths)}")
    out_dir = Path(args.out) if args.out else default_out_dir()
    if len(paths) == 1 and paths[0].name == "write-results.json":
        from suites.bench.write_report import rebuild_write_report

        print(f"report: {rebuild_write_report(paths[0], out_dir)}")
        return 0
    if len(paths) == 1 and paths[0].name == "e2e-results.json":  # the end-to-end table (bench --e2e)
        from suites.bench import results
        from suites.bench.e2e_run import e2e_markdown

        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "e2e.md").write_text(e2e_markdown(*results.load(paths[0])))
        print(f"report: {out_dir / 'e2e.md'}")
        return 0
    if len(paths) == 2:
        build_compare(paths[0], paths[1], out_dir)
    else:
        build_report(paths[0], out_dir)
    print(f"report: {out_dir / 'report.md'} and {out_dir / 'report.html'}")
    if len(paths) == 1:
        print_recommendation(paths[0])
    return 0


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``s3conf bench``."""
    parser = subparsers.add_parser(
        "bench",
        help="read-ahead benchmark matrices beside the limit and peer readers",
        description=__doc__.split("\n\n>>>")[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--target", default="seaweedfs", help="target to start (default seaweedfs)")
    parser.add_argument("--endpoint", help="URL of an external target (with --target external)")
    parser.add_argument("--access-key", help="access key of an external target")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--secret-key-file", type=Path, metavar="FILE", help="read the secret key from FILE")
    secret.add_argument(
        "--secret-key",
        help="secret key of an external target (prefer --secret-key-file or S3CONF_SECRET_KEY)",
    )
    grid = parser.add_mutually_exclusive_group()
    grid.add_argument("--quick", action="store_true", help="small grid and objects (< 5 minutes here)")
    grid.add_argument("--full", action="store_true", help="the whole 256KiB..64MiB x 1..64 grid")
    parser.add_argument("--sizes", help="fragment sizes, e.g. 256KiB,1MiB,4MiB")
    parser.add_argument("--numbers", help="fragment numbers, e.g. 1,4,16")
    parser.add_argument("--object-size", help="size of the object every workload reads, e.g. 256MiB")
    parser.add_argument(
        "--workloads",
        help=f"comma-separated subset of {','.join(WORKLOADS)}; or write (uploads) or many-small (2000 small "
        "objects: find/glob/cat/info/get), each on its own",
    )
    parser.add_argument("--repeats", type=int, help="repeats of the whole interleaved round")
    parser.add_argument("--limit-concurrency", help="threads of the ranged-GET limit, e.g. 4,8")
    parser.add_argument("--peers", help=f"subset of {','.join(PEER_NAMES)}, or none (default all)")
    parser.add_argument("--seed", type=int, help="seed of the shuffled order and random reads")
    parser.add_argument("--note", action="append", help="a sentence added to the report (repeatable)")
    parser.add_argument("--out", help="output directory (default reports/bench/<timestamp>/)")
    parser.add_argument("--no-report", action="store_true", help="save results only")
    parser.add_argument(
        "--e2e", action="store_true", help="also run Parquet (pandas/pyarrow) and random-record reads"
    )
    parser.add_argument("--no-grid", action="store_true", help="with --e2e: skip the S x N grid")
    parser.add_argument("--parquet-size", default="64MiB", help="data size of the e2e Parquet files")
    parser.add_argument(
        "--e2e-only",
        help="with --e2e: comma-separated fnmatch patterns of the workloads to run, e.g. "
        "records,*projection,*rowgroup (default all)",
    )
    parser.set_defaults(func=run_bench)


def register_report(report_subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``s3conf report bench``."""
    parser = report_subparsers.add_parser(
        "bench", help="bench report from saved results (two files: compare them, A then B)"
    )
    parser.add_argument("results", nargs="+", help="results.json (or two of them to compare)")
    parser.add_argument("--out", help="output directory (default reports/bench/<timestamp>/)")
    parser.set_defaults(func=run_report)

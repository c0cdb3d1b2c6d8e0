"""The end-to-end sweep (:mod:`suites.bench.e2e`): upload the files, interleave, repeat, and tabulate.

Paired ratios: for each repeat, ``other seconds / s3x seconds`` (above 1: s3x is faster), then the
median over repeats, so a slow moment of the shared machine hits both sides of a ratio alike.
"""

from __future__ import annotations

import datetime
import fnmatch
import io
import random
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from s3conf.config import S3Config
from s3conf.errors import S3ConfError, TransferError
from suites.bench.contenders import BenchObject, LimitGet, LimitRanged
from suites.bench.e2e import (
    PARQUET_OPS,
    PROJECTION,
    WIDE_PROJECTION,
    E2EContender,
    ParquetShape,
    build_contenders,
    measure,
    needed_bytes,
    parquet_bytes,
    read_records,
    records_plan,
    run_parquet,
    sample,
    wire_counter,
)
from suites.bench.results import RunInfo, Sample, Skipped, machine_info
from suites.bench.runner import TargetInfo, object_data, source_commit
from suites.bench.workloads import sequential_plan

MiB = 1024 * 1024
GiB = 1024 * MiB
SEQUENTIAL_READ = 1 * MiB  # read size of the sequential workload (a copy, a CSV scan)
COMPRESSIONS = ("snappy", "none")


@dataclass(frozen=True)
class E2ESpec:
    """What the end-to-end sweep reads, how often, and with which peers."""

    shape: ParquetShape
    records_object_size: int
    repeats: int
    seed: int
    peers: list[str]
    sequential_object_size: int = 256 * MiB
    only: tuple[str, ...] = ()  # fnmatch patterns of the workloads to run (all when empty)


def selected(workload: str, only: tuple[str, ...]) -> bool:
    """Whether ``workload`` is one ``only`` (``--e2e-only``: fnmatch patterns) asks for; all when empty.

    >>> selected("parquet-none:pandas-projection", ("*projection", "records"))
    True
    >>> selected("sequential", ("*projection", "records")), selected("sequential", ())
    (False, True)
    """
    return not only or any(fnmatch.fnmatchcase(workload, pattern) for pattern in only)


class _GetPerRead:
    """The records limit: one plain ranged GET per ``read``, nothing cached, nothing read ahead."""

    def __init__(self, client: Any, obj: BenchObject) -> None:
        self.client, self.obj, self.position = client, obj, 0

    def seek(self, offset: int) -> None:
        self.position = offset

    def read(self, length: int) -> bytes:
        byte_range = f"bytes={self.position}-{self.position + length - 1}"
        body = self.client.get_object(Bucket=self.obj.bucket, Key=self.obj.key, Range=byte_range)["Body"]
        data: bytes = body.read()
        self.position += len(data)
        return data

    def close(self) -> None:
        return None


def _limits(client: Any, files: dict[str, bytes]) -> list[E2EContender]:
    memory = E2EContender(
        "limit:memory", "limit", None, lambda o: io.BytesIO(files[o.key]), lambda o: io.BytesIO(files[o.key])
    )
    get = E2EContender(
        "limit:get", "limit", client, lambda o: None, lambda o: _GetPerRead(client, o),
        lambda o: wire_counter(client), parquet=False,
    )  # fmt: skip
    ranged = E2EContender(
        "limit:ranged×4", "limit", client, lambda o: None, lambda o: None, lambda o: wire_counter(client),
        parquet=False,
    )  # fmt: skip
    return [memory, get, ranged]


def run_e2e(
    target: TargetInfo, spec: E2ESpec, command: str, *, progress: Any = None
) -> tuple[RunInfo, list[Sample], list[Skipped]]:
    """Upload two Parquet files and a records object, then run every (workload, contender) per repeat."""
    from emulators.buckets import create_bucket, delete_bucket, unique_bucket_name
    from s3conf.client import make_client
    from s3conf.config import S3Config

    started = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    client = make_client(target.endpoint, S3Config.resolve(env={}))
    bucket = unique_bucket_name("bench-e2e-")
    create_bucket(client, bucket, target.endpoint)
    samples: list[Sample] = []
    skipped: list[Skipped] = []
    try:
        files = {f"e2e/{c}.parquet": parquet_bytes(spec.shape, c, spec.seed) for c in COMPRESSIONS}
        rng = random.Random(spec.seed)
        files["e2e/records.bin"] = object_data(spec.records_object_size, spec.seed)
        if selected("sequential", spec.only):
            files["e2e/sequential.bin"] = object_data(spec.sequential_object_size, spec.seed + 1)
        objects = {}
        for key, data in files.items():
            client.put_object(Bucket=bucket, Key=key, Body=data)
            client.get_object(Bucket=bucket, Key=key)["Body"].read()  # warm the store's page cache
            objects[key] = BenchObject(bucket, key, len(data))
        work, plan, projections, row_group = _workloads(files, objects, spec.seed)
        work = [w for w in work if selected(w[0], spec.only)]
        contenders, skipped = build_contenders(target.endpoint, bucket, spec.peers)
        contenders += _limits(client, files)
        pairs = [(w, c) for w in work for c in contenders if _applies(c, w[2])]
        tick = progress(spec.repeats * len(pairs)) if progress else None
        failed: set[tuple[str, str]] = set()
        order = 0
        for repeat in range(spec.repeats):
            shuffled = list(pairs)
            rng.shuffle(shuffled)
            for (workload, obj, op, needed, rows), contender in shuffled:
                if tick:
                    tick(f"e2e {repeat + 1}/{spec.repeats} {workload} {contender.name}")
                if (workload, contender.name) in failed:
                    continue
                try:
                    measured = measure(
                        contender,
                        obj,
                        _work(
                            contender,
                            obj,
                            op,
                            plan,
                            columns=projections.get(op or "", []),
                            row_group=row_group,
                            rows=rows,
                        ),
                    )
                except (S3ConfError, OSError, RuntimeError, ValueError) as error:
                    failed.add((workload, contender.name))
                    reason = f"failed on {workload} in repeat {repeat + 1}: {type(error).__name__}: {error}"
                    skipped.append(Skipped(contender.name, reason))
                    continue
                samples.append(
                    sample(
                        workload, contender, obj, needed=needed, repeat=repeat, order=order, measured=measured
                    )
                )
                order += 1
    finally:
        if target.capabilities is not None:
            delete_bucket(client, bucket, target.capabilities)
    run = RunInfo(
        command=command,
        target=target.name,
        seed=spec.seed,
        repeats=spec.repeats,
        target_version=target.version,
        target_flags=target.flags,
        object_sizes={w: o.size for w, o, *_ in work},
        started=started,
        finished=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        machine={**machine_info(), "commit": source_commit()},
    )
    return run, samples, skipped


def _workloads(
    files: dict[str, bytes], objects: dict[str, BenchObject], seed: int
) -> tuple[
    list[tuple[str, BenchObject, str | None, int, int]], list[tuple[int, int]], dict[str, list[str]], int
]:
    """Each workload as (name, object, Parquet operation or None for records, bytes needed, rows), and
    the records plan, the columns each Parquet operation projects and the row group they use."""
    import pyarrow.parquet as pq

    records_size = objects["e2e/records.bin"].size
    meta = pq.ParquetFile(io.BytesIO(files["e2e/snappy.parquet"])).metadata
    columns = [meta.schema.column(i).name for i in PROJECTION]
    wide = [meta.schema.column(i).name for i in WIDE_PROJECTION]
    projections = {op: wide if op == "pandas-wide-projection" else columns for op in PARQUET_OPS}
    row_group = meta.num_row_groups // 2
    plan = records_plan(records_size, seed)
    work: list[tuple[str, BenchObject, str | None, int, int]] = []  # workload, object, op, needed, rows
    for compression in COMPRESSIONS:
        key = f"e2e/{compression}.parquet"
        file_meta = pq.ParquetFile(io.BytesIO(files[key])).metadata
        for op in PARQUET_OPS:
            rows = file_meta.row_group(row_group).num_rows if op == "pyarrow-rowgroup" else file_meta.num_rows
            needed = needed_bytes(files[key], op, projections[op], row_group)
            work.append((f"parquet-{compression}:{op}", objects[key], op, needed, rows))
    work.append(("records", objects["e2e/records.bin"], None, sum(n for _, n in plan), len(plan)))
    if "e2e/sequential.bin" in objects:
        sequential = objects["e2e/sequential.bin"]
        work.append(("sequential", sequential, "sequential", sequential.size, 0))
    return work, plan, projections, row_group


def _applies(entrant: E2EContender, op: str | None) -> bool:
    """Which contender runs which workload: Parquet needs a file system (fsspec.parquet's planning an fsspec
    one), the limits fit their workload."""
    contender, parquet = entrant.name, entrant.parquet
    if op == "fsspec-projection":
        return entrant.fsspec
    if contender.startswith("limit:ranged"):
        return op == "sequential"
    if contender == "limit:get":
        return op in (None, "sequential")
    if contender == "limit:memory":
        return op not in (None, "sequential")
    return parquet or op in (None, "sequential")


def _work(contender: E2EContender, obj: BenchObject, op: str | None, plan: list[tuple[int, int]], *,
          columns: list[str], row_group: int, rows: int) -> Any:  # fmt: skip
    def parquet() -> None:
        assert op is not None
        got = run_parquet(op, contender.fs, contender.path(obj), columns, row_group)
        if got != rows:
            raise TransferError(f"{contender.name}: {op} gave {got} rows, expected {rows}")

    def records() -> None:
        read_records(contender.open_file(obj), plan, contender.name)

    def sequential() -> None:
        if contender.name.startswith("limit:"):
            limit = (
                LimitRanged(contender.fs, 4)
                if contender.name.startswith("limit:ranged")
                else LimitGet(contender.fs)
            )
            try:
                limit.run(obj, sequential_plan(obj.size, read_size=SEQUENTIAL_READ))
            finally:
                limit.close()
            return
        read_records(
            contender.open_file(obj),
            list(sequential_plan(obj.size, read_size=SEQUENTIAL_READ)),
            contender.name,
        )

    if op == "sequential":
        return sequential
    return records if op is None else parquet


# -- the table ------------------------------------------------------------------------------------------


def paired(samples: list[Sample], workload: str, ours: str, other: str) -> float | None:
    """Median over repeats of ``other seconds / ours seconds`` (above 1: ours is faster)."""
    by = defaultdict(dict)  # type: ignore[var-annotated]
    for s in samples:
        if s.workload == workload and s.contender in (ours, other):
            by[s.repeat][s.contender] = s.seconds
    ratios = [r[other] / r[ours] for r in by.values() if ours in r and other in r and r[ours] > 0]
    return statistics.median(ratios) if ratios else None


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


#: The policy contender whose settings are the defaults spelled out: its time over ``s3x:default``'s is how
#: much two identical settings differ in this run.
DEFAULT_TWIN = f"s3x:{S3Config().read_policy}"

#: The smallest gain worth a setting, whatever the run's noise.
MIN_GAIN = 0.10


def run_noise(samples: list[Sample], workload: str) -> float:
    """How far :data:`DEFAULT_TWIN` is from ``s3x:default`` (paired), as a fraction; 0 if not measured."""
    twin = paired(samples, workload, DEFAULT_TWIN, "s3x:default")
    return abs(twin - 1) if twin is not None else 0.0


def _s3x_settings(samples: list[Sample], workload: str) -> list[str]:
    return sorted({s.contender for s in samples if s.workload == workload and s.contender.startswith("s3x:")})


def fastest_other(samples: list[Sample], workload: str) -> tuple[str | None, float]:
    """The policy other than the defaults and their twin that is fastest against ``s3x:default`` (paired,
    >1: faster; 1.0 where no repeat pairs them), and that ratio; ``None`` when there is none."""
    others = [name for name in _s3x_settings(samples, workload) if name not in ("s3x:default", DEFAULT_TWIN)]
    speed = {name: paired(samples, workload, name, "s3x:default") or 1.0 for name in others}
    best = max(others, key=lambda name: speed[name], default=None)
    return best, speed[best] if best is not None else 1.0


def _recommendation(samples: list[Sample], workload: str) -> str:
    """The s3x setting to use for ``workload``: another policy only when it beats the default by more than
    the run's noise (and :data:`MIN_GAIN`), and never the default's own twin; how the default compares to
    the peers."""
    if not _s3x_settings(samples, workload):
        return "No s3x measurement."
    best, gain = fastest_other(samples, workload)
    margin = max(MIN_GAIN, run_noise(samples, workload))
    if best is None or gain <= 1 + margin:
        setting = "the defaults"
        if best is not None:
            setting += (
                f" (no policy beats them by more than {margin:.0%}, the larger of this run's noise and "
                f"{MIN_GAIN:.0%}: the fastest other, {best}, takes {1 / gain:.2f}x their time)"
            )
    else:
        policy = best.split(":")[1]
        setting = (
            f"`s3.spi.read.policy={policy}` (env `S3_SPI_READ_POLICY`, fsspec "
            f"`storage_options={{'policy': '{policy}'}}`): it takes {1 / gain:.2f}x the default's "
            f"time, a gain beyond this run's noise ({margin:.0%})"
        )
    peers = [
        f"{peer} {ratio:.2f}x"
        for peer in PEERS
        if (ratio := paired(samples, workload, "s3x:default", peer)) is not None
    ]
    return f"Recommendation: {setting}. Default vs peers (their time / ours): {', '.join(peers) or 'n/a'}."


PEERS = ("peer:pyarrow", "peer:s3fs", "peer:obstore")


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}x"


def summary_lines(samples: list[Sample], workloads: list[str]) -> list[str]:
    """One row per workload: the default against each peer, the fastest other policy and the run's noise
    (paired ratios, >1: the default / that policy / the default's twin is faster), the figures the
    issue's must-shows name. The defaults' twin is the noise, not a policy to pick, so it is not a
    candidate for the fastest."""
    lines = [
        "| workload | default vs pyarrow | default vs s3fs | default vs obstore | fastest other policy "
        f"| its gain | noise ({DEFAULT_TWIN} vs default) |",
        "|---|---|---|---|---|---|---|",
    ]
    for workload in workloads:
        if "s3x:default" not in _s3x_settings(samples, workload):
            continue
        best, gain = fastest_other(samples, workload)
        peers = [_ratio(paired(samples, workload, "s3x:default", peer)) for peer in PEERS]
        fastest = f"{best} | {_ratio(gain)}" if best is not None else "n/a | n/a"
        noise = _ratio(paired(samples, workload, DEFAULT_TWIN, "s3x:default"))
        lines.append(f"| {workload} | {' | '.join(peers)} | {fastest} | {noise} |")
    return lines


def sequential_lines(samples: list[Sample]) -> list[str]:
    """The sequential goals stated plainly: each s3x setting against the best limit of the same repeat (the
    faster of one plain GET and parallel ranged GETs), its client CPU per GiB, and whether the default is
    within 10 % of the fastest setting."""
    rows = [s for s in samples if s.workload == "sequential"]
    best: dict[int, float] = {}
    for s in rows:
        if s.contender.startswith("limit:"):
            best[s.repeat] = min(best.get(s.repeat, s.seconds), s.seconds)
    ours = sorted({s.contender for s in rows if s.contender.startswith("s3x:")})
    if not best or "s3x:default" not in ours:
        return []
    ratio, cpu = {}, {}
    for name in ours:
        mine = [s for s in rows if s.contender == name and s.repeat in best and s.seconds > 0]
        ratio[name] = statistics.median(best[s.repeat] / s.seconds for s in mine)
        cpu[name] = statistics.median(s.cpu_seconds / (s.object_size / GiB) for s in mine)
    fastest = max(ours, key=lambda name: ratio[name])
    default = ratio["s3x:default"]
    within = paired(samples, "sequential", fastest, "s3x:default") or 1.0
    return [
        "## Sequential against the limit (paired: the best limit's seconds / the setting's, per repeat)",
        "",
        "| setting | vs best limit (goal >= 0.9x) | client CPU s/GiB (goal <= 0.35) |",
        "|---|---|---|",
        *(
            f"| {name} | {ratio[name]:.2f}x | {cpu[name]:.2f} |"
            for name in sorted(ours, key=lambda n: -ratio[n])
        ),
        "",
        f"The default is at {default:.2f}x the best limit, the fastest setting ({fastest}) at "
        f"{ratio[fastest]:.2f}x; the default takes {within:.2f}x the fastest setting's time "
        f"(goal: within 10 %, {'met' if within <= 1.1 else 'not met'}).",
        "",
    ]


def e2e_markdown(run: RunInfo, samples: list[Sample], skipped: list[Skipped]) -> str:
    """Per workload: every contender's median time, CPU, GETs and bytes, and paired ratios to s3x:default."""
    workloads = sorted({s.workload for s in samples})
    lines = [
        "# End-to-end reads: Parquet through pandas/pyarrow, random records",
        "",
        f"Command: `{run.command}`  ",
        f"Target: {run.target} {run.target_version or ''}; {run.repeats} repeats, interleaved; "
        f"started {run.started}.",
        "The machine is shared with other jobs: compare only ratios within this run (paired per repeat).",
        "`vs s3x:default` = that contender's seconds / s3x:default's (above 1: s3x:default is faster).",
        "Seconds and CPU are medians; on a machine this loaded only the paired ratios mean anything.",
        "GETs/HEADs/bytes are counted on the wire (botocore events) for s3x and the limits; n/a for peers.",
        f"`{DEFAULT_TWIN}` is the default configuration spelled out: its ratio to `s3x:default` is the noise "
        "of this run, and a policy 'fastest' by less than that (or 10 %) is no recommendation.",
        *(f"Note: {note}" for note in run.notes),
        "",
        "## Summary: the default against the peers (paired ratios, above 1: s3x:default is faster)",
        "",
        *summary_lines(samples, workloads),
        "",
        *sequential_lines(samples),
    ]
    for workload in workloads:
        rows = [s for s in samples if s.workload == workload]
        needed = rows[0].requested_bytes
        lines += [
            f"## {workload}",
            "",
            f"bytes needed: {needed / MiB:.2f} MiB of {rows[0].object_size / MiB:.1f} MiB",
            "",
        ]
        lines += [
            "| contender | median s | CPU s | GETs | HEADs | fetched / needed | vs s3x:default |",
            "|---|---|---|---|---|---|---|",
        ]
        names = sorted(
            {s.contender for s in rows},
            key=lambda n: _median([s.seconds for s in rows if s.contender == n]) or 0,
        )
        for name in names:
            mine = [s for s in rows if s.contender == name]
            seconds = _median([s.seconds for s in mine])
            cpu = _median([s.cpu_seconds for s in mine])
            gets = _median([float(s.get_requests) for s in mine if s.get_requests is not None])
            heads = _median([float(s.head_requests) for s in mine if s.head_requests is not None])
            fetched = _median([float(s.bytes_fetched) for s in mine if s.bytes_fetched is not None])
            ratio = paired(samples, workload, "s3x:default", name) if name != "s3x:default" else 1.0
            lines.append(
                f"| {name} | {seconds:.3f} | {cpu:.3f} | {'n/a' if gets is None else f'{gets:.0f}'} | "
                f"{'n/a' if heads is None else f'{heads:.0f}'} | "
                f"{'n/a' if fetched is None or not needed else f'{fetched / needed:.2f}'} | "
                f"{'n/a' if ratio is None else f'{ratio:.2f}x'} |"
            )
        lines += ["", _recommendation(samples, workload), ""]
    if skipped:
        lines += ["## Skipped", ""] + [f"- {s.contender}: {s.reason}" for s in skipped] + [""]
    return "\n".join(lines)

"""Bench workload ``many-small``: listings and multi-path calls over many small objects (issue 18).

``s3conf bench --workloads many-small`` writes ``--objects`` (default 2000) objects of ``--object-size``
(default 4 KiB) under 20 prefixes (``p00/f000.bin`` ...), then times, through each contender's fsspec
API at its defaults:

- ``find``: every key of the bucket, recursively;
- ``glob``: ``*/f01*.bin`` (one name in ten);
- ``cat``: 200 paths in one ``cat`` call;
- ``info``: the entries of the same 200 paths;
- ``get``: the same 200 objects to local files in one ``get`` call.

Contenders: ``s3x`` (s3conf's fsspec file system; ``info`` takes the list), ``s3fs`` (its ``info`` has no
list form, so its own coroutines run concurrently on its loop: the fastest s3fs offers), and
``obstore`` (``list``/``get_async``/``head_async``, gathered on asyncio) where installed. s3fs's
listing cache is off and invalidated before every call, so every call goes to the server as s3x's
do (s3x never caches listings). Every repeat runs every (operation, contender) once in an order
shuffled by the seeded generator, so a loaded machine's drift spreads over all; the figures are
**paired ratios** per repeat, contender seconds over s3x seconds (above 1 means s3x was faster).
Answers are checked outside the clock (counts, sizes and bytes); one untimed ``info`` per contender
first builds clients and opens connections for all.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import os
import random
import shlex
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from s3conf.endpoint import Endpoint
from s3conf.values import format_size, parse_size
from suites.bench.standalone import available_target, chosen_contenders, now, run_header, save_run

KiB = 1024
PREFIXES = 20
PICKED = 200
PATTERN = "*/f01*.bin"
OPERATIONS = ("find", "glob", "cat", "info", "get")
BASELINE = "s3x"
CONTENDERS = ("s3x", "s3fs", "obstore")
#: What issue 18 asks for: contender seconds / s3x seconds at least this, per operation.
GOALS = {"find": 1.0, "glob": 1.0, "info": 1.0, "cat": 1.5, "get": 1.5}

Check = Callable[[Any], int]


@dataclass(frozen=True)
class Sample:
    """One timed call."""

    operation: str
    contender: str
    repeat: int
    order: int
    seconds: float
    answers: int


def _secret(endpoint: Endpoint) -> str:
    return endpoint.secret_key.reveal() if endpoint.secret_key is not None else ""


def object_keys(objects: int) -> list[str]:
    """``p00/f000.bin`` ...: ``objects`` keys spread evenly over :data:`PREFIXES` prefixes.

    >>> object_keys(4)[:2], len(object_keys(2000))
    (['p00/f000.bin', 'p01/f000.bin'], 2000)
    """
    return [f"p{index % PREFIXES:02d}/f{index // PREFIXES:03d}.bin" for index in range(objects)]


class _Contender:
    """One library's calls; ``run(operation)`` returns the number of answers (checked by the caller)."""

    def __init__(self, endpoint: Endpoint, bucket: str, picked: list[str], scratch: Path) -> None:
        self.endpoint = endpoint
        self.bucket = bucket
        self.picked = picked
        self.scratch = scratch

    def prepare(self) -> None:
        """Outside the clock: drop caches, empty the download directory."""
        shutil.rmtree(self.scratch, ignore_errors=True)
        self.scratch.mkdir(parents=True)

    def local(self) -> list[str]:
        return [str(self.scratch / key.replace("/", "_")) for key in self.picked]


class _S3X(_Contender):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        from s3conf.fsspec import S3XFileSystem

        self.fs = S3XFileSystem(
            key=self.endpoint.access_key,
            secret=_secret(self.endpoint),
            endpoint_protocol=self.endpoint.scheme,
            skip_instance_cache=True,
        )
        self.root = f"{self.endpoint.netloc}/{self.bucket}"
        self.paths = [f"{self.root}/{key}" for key in self.picked]

    def run(self, operation: str) -> int:
        if operation == "find":
            return len(self.fs.find(self.root))
        if operation == "glob":
            return len(self.fs.glob(f"{self.root}/{PATTERN}"))
        if operation == "cat":
            return sum(len(data) for data in self.fs.cat(self.paths).values())
        if operation == "info":
            return sum(entry["size"] for entry in self.fs.info(self.paths))
        self.fs.get(self.paths, self.local())
        return sum(os.path.getsize(path) for path in self.local())


class _S3FS(_Contender):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        import s3fs

        self.fs = s3fs.S3FileSystem(
            key=self.endpoint.access_key,
            secret=_secret(self.endpoint),
            client_kwargs={"endpoint_url": self.endpoint.url, "region_name": self.endpoint.region},
            skip_instance_cache=True,
            use_listings_cache=False,
        )
        self.paths = [f"{self.bucket}/{key}" for key in self.picked]

    def prepare(self) -> None:
        super().prepare()
        self.fs.invalidate_cache()

    def run(self, operation: str) -> int:
        from fsspec.asyn import sync

        if operation == "find":
            return len(self.fs.find(self.bucket))
        if operation == "glob":
            return len(self.fs.glob(f"{self.bucket}/{PATTERN}"))
        if operation == "cat":
            return sum(len(data) for data in self.fs.cat(self.paths).values())
        if operation == "info":

            async def infos() -> list[dict[str, Any]]:
                return list(await asyncio.gather(*(self.fs._info(path) for path in self.paths)))

            return sum(entry["size"] for entry in sync(self.fs.loop, infos))
        self.fs.get(self.paths, self.local())
        return sum(os.path.getsize(path) for path in self.local())


class _Obstore(_Contender):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        from obstore.store import S3Store

        self.store = S3Store(
            self.bucket,
            endpoint=self.endpoint.url,
            access_key_id=self.endpoint.access_key,
            secret_access_key=_secret(self.endpoint),
            region=self.endpoint.region,
            virtual_hosted_style_request=not self.endpoint.path_style,
            client_options={"allow_http": True},
        )

    def _keys(self, prefix: str | None = None) -> list[str]:
        import obstore

        return [meta["path"] for batch in obstore.list(self.store, prefix=prefix) for meta in batch]

    def run(self, operation: str) -> int:
        import obstore

        if operation == "find":
            return len(self._keys())
        if operation == "glob":
            return sum(1 for key in self._keys() if fnmatch.fnmatchcase(key, PATTERN))

        async def gets() -> list[bytes]:
            async def one(key: str) -> bytes:
                result = await obstore.get_async(self.store, key)
                return bytes(await result.bytes_async())

            return list(await asyncio.gather(*(one(key) for key in self.picked)))

        if operation == "cat":
            return sum(len(data) for data in asyncio.run(gets()))
        if operation == "info":

            async def heads() -> list[Any]:
                return list(await asyncio.gather(*(obstore.head_async(self.store, k) for k in self.picked)))

            return sum(int(meta["size"]) for meta in asyncio.run(heads()))
        for path, data in zip(self.local(), asyncio.run(gets()), strict=True):
            Path(path).write_bytes(data)
        return sum(os.path.getsize(path) for path in self.local())


_BUILDERS: dict[str, type[_Contender]] = {"s3x": _S3X, "s3fs": _S3FS, "obstore": _Obstore}


def expected_answers(objects: int, object_size: int) -> dict[str, int]:
    """What each operation must answer (keys found, matches, bytes or sizes summed).

    >>> expected_answers(2000, 4096)["glob"], expected_answers(2000, 4096)["cat"]
    (200, 819200)
    """
    keys = object_keys(objects)
    matches = sum(1 for key in keys if fnmatch.fnmatchcase(key, PATTERN))
    picked_bytes = min(PICKED, objects) * object_size
    return {"find": objects, "glob": matches, "cat": picked_bytes, "info": picked_bytes, "get": picked_bytes}


def measure(
    endpoint: Endpoint, bucket: str, *, objects: int, object_size: int, repeats: int, seed: int,
    names: tuple[str, ...], scratch: Path, progress: Callable[[str], None] | None = None,
) -> tuple[list[Sample], dict[str, str]]:  # fmt: skip
    """Shuffled rounds of every (operation, contender); raises when an answer is wrong."""
    picked = random.Random(seed).sample(object_keys(objects), min(PICKED, objects))
    contenders: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name in names:
        try:
            contenders[name] = _BUILDERS[name](endpoint, bucket, picked, scratch / name)
        except ImportError as error:
            skipped[name] = f"not installed: {error}"
    expected = expected_answers(objects, object_size)
    for contender in contenders.values():  # untimed: clients, connections and imports warm for all
        contender.prepare()
        contender.run("info")
    rng = random.Random(seed)
    samples: list[Sample] = []
    order = 0
    for repeat in range(repeats):
        cells = [(op, name) for op in OPERATIONS for name in contenders]
        rng.shuffle(cells)
        for operation, name in cells:
            if progress is not None:
                progress(f"repeat {repeat + 1}/{repeats} {operation} {name}")
            contender = contenders[name]
            contender.prepare()
            started = time.perf_counter()
            answers = contender.run(operation)
            seconds = time.perf_counter() - started
            if answers != expected[operation]:
                raise AssertionError(f"{name} {operation}: {answers} answers, expected {expected[operation]}")
            samples.append(Sample(operation, name, repeat, order, seconds, answers))
            order += 1
    return samples, skipped


def paired_ratios(samples: list[Sample]) -> dict[str, dict[str, list[float]]]:
    """``operation -> contender -> [its seconds / s3x seconds, per repeat]`` (> 1: s3x was faster).

    >>> s = [Sample("cat", "s3x", 0, 0, 1.0, 1), Sample("cat", "s3fs", 0, 1, 2.0, 1)]
    >>> paired_ratios(s)
    {'cat': {'s3fs': [2.0]}}
    """
    base = {(s.operation, s.repeat): s.seconds for s in samples if s.contender == BASELINE}
    ratios: dict[str, dict[str, list[float]]] = {}
    for sample in samples:
        key = (sample.operation, sample.repeat)
        if sample.contender != BASELINE and key in base:
            ratios.setdefault(sample.operation, {}).setdefault(sample.contender, []).append(
                sample.seconds / base[key]
            )
    return ratios


def render(document: dict[str, Any]) -> str:
    """The Markdown report of a saved ``many-small`` run."""
    run = document["run"]
    samples = [Sample(**sample) for sample in document["samples"]]
    ratios = paired_ratios(samples)
    peers = [name for name in CONTENDERS if name != BASELINE and any(name in r for r in ratios.values())]
    lines = [
        "# many-small: listings and multi-path calls over many small objects",
        "",
        f"`{run['command']}`",
        "",
        f"{run['objects']} objects of {format_size(run['object_size'])} under {PREFIXES} prefixes on "
        f"{run['target']} {run['target_version'] or ''}; {run['repeats']} repeats, seed {run['seed']}; "
        f"{run['machine']}; commit {run['commit']}.",
        "",
        "Paired ratio = contender seconds / s3x seconds in the same repeat (> 1: s3x faster); median "
        "[min–max] over the repeats. Median seconds per call beside it.",
        "",
        "| operation | s3x s | " + " | ".join(f"{p} s | {p}/s3x" for p in peers) + " | goal vs s3fs |",
        "|---|---|" + "---|---|" * len(peers) + "---|",
    ]
    for operation in OPERATIONS:
        seconds = {
            name: statistics.median(
                s.seconds for s in samples if (s.operation, s.contender) == (operation, name)
            )
            for name in [BASELINE, *peers]
            if any((s.operation, s.contender) == (operation, name) for s in samples)
        }
        cells = [operation, f"{seconds[BASELINE]:.3f}"]
        for peer in peers:
            values = ratios.get(operation, {}).get(peer, [])
            cells.append(f"{seconds[peer]:.3f}" if peer in seconds else "–")
            cells.append(
                f"**{statistics.median(values):.2f}×** [{min(values):.2f}–{max(values):.2f}]"
                if values
                else "–"
            )
        goal = GOALS[operation]
        s3fs_values = ratios.get(operation, {}).get("s3fs", [])
        met = "met" if s3fs_values and statistics.median(s3fs_values) >= goal else "not met"
        cells.append(f"≥ {goal:.1f}×: {met}" if s3fs_values else f"≥ {goal:.1f}×")
        lines.append("| " + " | ".join(cells) + " |")
    if document.get("skipped"):
        lines += ["", "Skipped: " + "; ".join(f"{k}: {v}" for k, v in document["skipped"].items())]
    for note in run.get("notes", []):
        lines += ["", note]
    return "\n".join(lines) + "\n"


def _upload(endpoint: Endpoint, bucket: str, objects: int, object_size: int, seed: int) -> None:
    from emulators.clients import boto3_client

    client = boto3_client(endpoint)
    body = random.Random(seed).randbytes(object_size)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda key: client.put_object(Bucket=bucket, Key=key, Body=body), object_keys(objects)))


def run_many_small_bench(args: argparse.Namespace) -> int:
    """``s3conf bench --workloads many-small``: start the target, measure, save JSON and Markdown."""
    from emulators.buckets import create_bucket, delete_bucket, unique_bucket_name
    from emulators.clients import boto3_client
    from suites.bench.build import default_out_dir
    from suites.bench.results import machine_info

    object_size = parse_size(args.object_size) if args.object_size else 4 * KiB
    objects = 2000
    repeats = args.repeats or 5
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    names = chosen_contenders(args.peers, CONTENDERS, BASELINE, "many-small")
    command = [
        "s3conf", "bench", "--target", args.target, "--workloads", "many-small",
        "--object-size", format_size(object_size), "--repeats", str(repeats),
        "--peers", ",".join(n for n in names if n != BASELINE), "--seed", str(seed),
    ]  # fmt: skip
    emulator = available_target(args)
    if emulator is None:
        return 2
    out_dir = Path(args.out) if args.out else default_out_dir()
    print(f"s3conf bench: {shlex.join(command)}")
    started = now()
    machine = machine_info()
    with emulator as endpoint, tempfile.TemporaryDirectory(prefix="s3conf-many-small-") as scratch:
        client = boto3_client(endpoint)
        bucket = unique_bucket_name("bench-many-")
        create_bucket(client, bucket, endpoint)
        try:
            _upload(endpoint, bucket, objects, object_size, seed)
            samples, skipped = measure(
                endpoint, bucket, objects=objects, object_size=object_size, repeats=repeats, seed=seed,
                names=names, scratch=Path(scratch), progress=lambda text: print(text, flush=True),
            )  # fmt: skip
        finally:
            delete_bucket(client, bucket, emulator.capabilities)
    document = {
        "run": {
            **run_header(args, shlex.join(command), endpoint.version, machine, started),
            "objects": objects,
            "object_size": object_size,
            "repeats": repeats,
            "seed": seed,
        },
        "samples": [asdict(s) for s in samples],
        "skipped": skipped,
    }
    save_run(out_dir, "many-small", document, render, echo_report=True)
    return 0

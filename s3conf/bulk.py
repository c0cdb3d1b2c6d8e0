"""Bulk transfer between S3 and local disk (Flink FLIP-444): through ``s5cmd`` when configured, else built in.

:meth:`S3FileSystem.copy_files <s3conf.fs.S3FileSystem.copy_files>` hands a list of
:class:`CopyRequest` (an S3 path and a local path, either way round) to :func:`copy_files`. Decisions:

* **Batches, as Flink cuts them.** Requests are taken in order; a batch closes before a request that
  would take it past ``s3.s5cmd.batch.max-files`` files or ``s3.s5cmd.batch.max-size`` bytes (a
  single request larger than the size bound is a batch of its own). The size of a download is the
  request's ``size`` when the caller gives it (Flink's ``CopyRequest`` carries it); without it a
  download counts 0 bytes, because a HEAD per object to learn it would cost more than the bound saves.
  Both transfers use the same batches and stop after the first batch with a failure, so a recovery
  that cannot get one file does not keep downloading the rest.
* **s5cmd** (``s3.s5cmd.path`` set): one ``s5cmd --json [--endpoint-url URL] ARGS run`` per batch with
  the ``cp --raw`` commands on its standard input (``--raw``: keys with ``*`` or ``?`` are names, not
  wildcards). ``ARGS`` is ``s3.s5cmd.args`` split like a shell does (:func:`shlex.split`), default
  ``-r 0`` as in Flink. Credentials go in the child's **environment only** (``AWS_ACCESS_KEY_ID``,
  ``AWS_SECRET_ACCESS_KEY``, ``AWS_REGION``): a command line is readable by every user of the machine
  through ``/proc/PID/cmdline``. Without configured credentials the child inherits the environment
  and uses s5cmd's own credential chain. Path style: s5cmd 2.x has no addressing flag; it addresses
  every non-AWS ``--endpoint-url`` path style and AWS virtual-host style, which is what
  ``s3.path.style.access`` means for those endpoints (forcing path style on AWS itself is not offered).
  A request succeeded when s5cmd printed its JSON success line; every other request of the batch
  failed, and s5cmd's own error lines are in the :class:`~s3conf.errors.BulkTransferError`.
* **Built in** (no ``s3.s5cmd.path``): each batch runs on the process-wide task pool
  (:mod:`s3conf.taskpool`) of ``s3.connection.maximum`` threads (capped like the fetch pool, see
  :func:`~s3conf.fetchpool.fetch_worker_count`), shared with multi-path calls, so concurrent
  transfers never add threads. Not the fetch pool: a transfer thread that waited on a multipart part
  queued behind other transfers on the same pool could deadlock it. Downloads stream ``GetObject``
  to disk and check the length; uploads are one ``PutObject`` up to
  ``s3.spi.write.multipart-threshold`` and a multipart upload above it, aborted on failure.
* **Nothing partial.** A download is written to a hidden temporary name in its destination directory
  and renamed over the destination only once complete, so a failed or interrupted transfer leaves the
  destination as it was (and no temporary file). An object appears only when its upload completes
  (a single PUT, or a multipart upload that is completed or else aborted).
* **A missing or non-executable ``s3.s5cmd.path``** is a :class:`~s3conf.errors.ConfigError` naming
  it and where it was set, raised before any transfer starts (:func:`s5cmd_executable`).

>>> [len(b) for b in batches([CopyRequest(f"s3://bkt/k{i}", f"/tmp/k{i}", size=10) for i in range(5)],
...                           max_files=2, max_size=100)]
[2, 2, 1]
>>> [len(b) for b in batches([CopyRequest(f"s3://bkt/k{i}", f"/tmp/k{i}", size=60) for i in range(3)],
...                           max_files=100, max_size=100)]
[1, 1, 1]
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from s3conf import taskpool
from s3conf.client import resolve_endpoint
from s3conf.errors import BulkTransferError, ConfigError, InvalidURIError, S3ConfError
from s3conf.fetchpool import fetch_worker_count
from s3conf.multipart import MultipartUpload, part_ranges, part_size_for
from s3conf.paths import S3Path
from s3conf.reader import S3Reader
from s3conf.redaction import redact

if TYPE_CHECKING:
    from s3conf.config import S3Config
    from s3conf.fs import S3FileSystem

__all__ = [
    "DEFAULT_S5CMD_ARGS",
    "CopyRequest",
    "batches",
    "copy_files",
    "s5cmd_command",
    "s5cmd_environment",
    "s5cmd_executable",
]

DEFAULT_S5CMD_ARGS = "-r 0"
"""Flink's default for ``s3.s5cmd.args`` (no s5cmd-level retries: the caller decides what to retry)."""

_REMOTE_SCHEMES = ("s3://", "s3a://", "s3p://", "s3x://")
_CHUNK = 1024 * 1024
_CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def _as_location(value: S3Path | os.PathLike[str] | str) -> S3Path | Path:
    if isinstance(value, S3Path):
        return value
    if isinstance(value, str) and value.startswith(_REMOTE_SCHEMES):
        return S3Path.from_uri(value)
    return Path(value)


def _shown(side: S3Path | Path) -> str:
    return side.as_uri() if isinstance(side, S3Path) else str(side)


@dataclass(frozen=True)
class CopyRequest:
    """Copy one file: an S3 path (``S3Path`` or ``s3://``-style URI) and a local path, either way round.

    A string that starts with ``s3://``, ``s3a://``, ``s3p://`` or ``s3x://`` is remote, anything else
    is local. ``size`` (bytes, optional, as in Flink's ``CopyRequest``) lets downloads count against
    ``s3.s5cmd.batch.max-size``; uploads measure their local file.

    >>> CopyRequest("s3://bkt/a/b", "/tmp/b").is_download
    True
    >>> CopyRequest("/tmp/b", "s3://bkt/a/b").remote.key
    'a/b'
    >>> CopyRequest("/tmp/a", "/tmp/b")
    Traceback (most recent call last):
    ...
    s3conf.errors.InvalidURIError: a copy request needs one S3 path and one local path, got '/tmp/a' -> ...
    """

    source: S3Path | Path = field()
    destination: S3Path | Path = field()
    size: int | None = None

    def __init__(
        self,
        source: S3Path | os.PathLike[str] | str,
        destination: S3Path | os.PathLike[str] | str,
        size: int | None = None,
    ) -> None:
        src, dst = _as_location(source), _as_location(destination)
        if isinstance(src, S3Path) == isinstance(dst, S3Path):
            raise InvalidURIError(
                f"a copy request needs one S3 path and one local path, got {str(src)!r} -> {str(dst)!r}"
            )
        if size is not None and size < 0:
            raise ValueError(f"size must be >= 0, got {size!r}")
        object.__setattr__(self, "source", src)
        object.__setattr__(self, "destination", dst)
        object.__setattr__(self, "size", size)

    @property
    def is_download(self) -> bool:
        """Whether this copies from S3 to local disk."""
        return isinstance(self.source, S3Path)

    @property
    def remote(self) -> S3Path:
        """The S3 side."""
        side = self.source if self.is_download else self.destination
        assert isinstance(side, S3Path)
        return side

    @property
    def local(self) -> Path:
        """The local side."""
        side = self.destination if self.is_download else self.source
        assert isinstance(side, Path)
        return side

    def __str__(self) -> str:
        """``source -> destination``, for messages."""
        return f"{_shown(self.source)} -> {_shown(self.destination)}"


def _size_of(request: CopyRequest) -> int:
    if request.size is not None:
        return request.size
    if request.is_download:
        return 0
    try:
        return request.local.stat().st_size
    except FileNotFoundError as error:
        raise FileNotFoundError(errno.ENOENT, "no such local file to upload", str(request.local)) from error


def batches(requests: Iterable[CopyRequest], *, max_files: int, max_size: int) -> Iterator[list[CopyRequest]]:
    """Cut ``requests`` into batches of at most ``max_files`` requests and ``max_size`` bytes, in order.

    A request bigger than ``max_size`` alone is a batch. Sizes are :attr:`CopyRequest.size`, else the
    local file's size for uploads, else 0.
    """
    batch: list[CopyRequest] = []
    total = 0
    for request in requests:
        size = _size_of(request)
        if batch and (len(batch) >= max_files or total + size > max_size):
            yield batch
            batch, total = [], 0
        batch.append(request)
        total += size
    if batch:
        yield batch


# -- s5cmd ---------------------------------------------------------------------------------------------


def s5cmd_executable(config: S3Config) -> str | None:
    """The configured ``s3.s5cmd.path``, checked; ``None`` when bulk copies use the built-in transfer.

    Raises:
        ConfigError: the path does not exist, is not a file or is not executable (names the path
            and where it was set).
    """
    path = config.s5cmd_path
    if path is None:
        return None
    where = config.source("s3.s5cmd.path")
    if not os.path.isfile(path):
        raise ConfigError(f"s3.s5cmd.path={path!r} (from {where}): no such file")
    if not os.access(path, os.X_OK):
        raise ConfigError(f"s3.s5cmd.path={path!r} (from {where}): not executable")
    return path


def s5cmd_command(executable: str, config: S3Config, endpoint_url: str | None) -> list[str]:
    """The argv of one ``s5cmd run`` (no secret is ever part of it).

    >>> from s3conf.config import S3Config
    >>> s5cmd_command("/bin/s5cmd", S3Config(s5cmd_args="--numworkers 8 -r 1"), "http://127.0.0.1:9000")
    ['/bin/s5cmd', '--json', '--endpoint-url', 'http://127.0.0.1:9000', '--numworkers', '8', '-r', '1', 'run']
    >>> s5cmd_command("/bin/s5cmd", S3Config(), None)
    ['/bin/s5cmd', '--json', '-r', '0', 'run']
    """
    args = config.s5cmd_args if config.s5cmd_args is not None else DEFAULT_S5CMD_ARGS
    command = [executable, "--json"]
    if endpoint_url is not None:
        command += ["--endpoint-url", endpoint_url]
    return [*command, *shlex.split(args), "run"]


def s5cmd_environment(fs: S3FileSystem, base: dict[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ``base`` (default ``os.environ``) with the file system's credentials.

    Configured credentials replace any ``AWS_*`` credentials in ``base`` (a stale session token would
    otherwise be sent with them). Without configured credentials ``base`` is passed unchanged.
    """
    env = dict(os.environ if base is None else base)
    endpoint = resolve_endpoint(fs.endpoint, fs.config)
    access_key = endpoint.access_key if endpoint is not None else fs.config.access_key
    secret_key = endpoint.secret_key if endpoint is not None else fs.config.secret_key
    if access_key is not None and secret_key is not None:
        for name in _CREDENTIAL_ENV:
            env.pop(name, None)
        env["AWS_ACCESS_KEY_ID"] = access_key
        env["AWS_SECRET_ACCESS_KEY"] = secret_key.reveal()
    region = endpoint.region if endpoint is not None else fs.config.region
    if region:
        env["AWS_REGION"] = region
    return env


def _key(fs: S3FileSystem, remote: S3Path) -> str:
    """The key of ``remote`` in ``fs``: same bucket, and same endpoint when the path names one."""
    endpoint = remote.endpoint
    if endpoint is not None and fs.endpoint is not None and endpoint.netloc != fs.endpoint.netloc:
        raise ValueError(f"{remote.as_uri()} is on {endpoint.netloc}, not on {fs.endpoint.netloc}")
    if remote.bucket != fs.bucket:
        raise ValueError(f"{remote.as_uri()} is in bucket {remote.bucket!r}, not in {fs.bucket!r}")
    return fs._key("/" + remote.key)


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.s3conf-{uuid.uuid4().hex[:12]}.part")


@dataclass
class _Job:
    """One request of a batch: its S3 URI as s5cmd spells it and the local file s5cmd touches."""

    request: CopyRequest
    remote_uri: str
    local_file: Path

    def command(self) -> str:
        pair = (self.remote_uri, str(self.local_file))
        source, destination = pair if self.request.is_download else pair[::-1]
        return f"cp --raw {shlex.quote(source)} {shlex.quote(destination)}\n"


def _run_s5cmd(fs: S3FileSystem, executable: str, batch: list[CopyRequest]) -> None:
    endpoint = resolve_endpoint(fs.endpoint, fs.config)
    jobs = []
    for request in batch:
        key = _key(fs, request.remote)
        local = _temporary(request.local) if request.is_download else request.local
        jobs.append(_Job(request, f"s3://{fs.bucket}/{key}", local))
        if request.is_download:
            request.local.parent.mkdir(parents=True, exist_ok=True)
    command = s5cmd_command(executable, fs.config, endpoint.url if endpoint is not None else None)
    try:
        completed = subprocess.run(
            command,
            input="".join(job.command() for job in jobs).encode(),
            env=s5cmd_environment(fs),
            capture_output=True,
            check=False,
        )
        done = _succeeded(completed.stdout)
        failed = []
        for job in jobs:
            source, destination = (
                (job.remote_uri, str(job.local_file))
                if job.request.is_download
                else (str(job.local_file), job.remote_uri)
            )
            if (source, destination) in done:
                if job.request.is_download:
                    os.replace(job.local_file, job.request.local)
            else:
                failed.append(job.request)
    finally:
        for job in jobs:
            if job.request.is_download:
                with contextlib.suppress(FileNotFoundError):
                    job.local_file.unlink()
    if failed or completed.returncode != 0:
        secrets = endpoint.secrets() if endpoint is not None else (fs.config.secret_key,)
        lines = [redact(line, secrets) for line in _error_lines(completed.stderr)]
        raise BulkTransferError.of(failed, lines, f"s5cmd exited with status {completed.returncode}")


def _succeeded(stdout: bytes) -> set[tuple[str, str]]:
    """(source, destination) of every success line of ``s5cmd --json``."""
    done = set()
    for line in stdout.decode(errors="replace").splitlines():
        with contextlib.suppress(ValueError, AttributeError):
            record = json.loads(line)
            if record.get("success") is True:
                done.add((str(record.get("source")), str(record.get("destination"))))
    return done


def _error_lines(stderr: bytes) -> list[str]:
    """s5cmd's error lines, as ``command: error`` when they are JSON, else verbatim."""
    lines = []
    for line in stderr.decode(errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            lines.append(f"{record['command']}: {record['error']}")
        except (ValueError, KeyError, TypeError):
            lines.append(line)
    return lines


# -- built in ------------------------------------------------------------------------------------------


def _download(fs: S3FileSystem, request: CopyRequest) -> None:
    """Download through a reader, not ``client.get_object``: its first GET copies the bucket's last request
    (no botocore call pipeline, 3-4 ms of client CPU per file: ``get`` of 200 small files ran at half
    s3fs's speed), larger files come in parallel S-sized GETs, and every byte is checked against the
    range, size and ETag asked for (a body cut short is fetched again, then fails)."""
    key = _key(fs, request.remote)
    request.local.parent.mkdir(parents=True, exist_ok=True)
    temporary = _temporary(request.local)
    try:
        with (
            S3Reader(fs.client, fs.bucket, key, config=fs.config, policy="whole") as reader,
            open(temporary, "wb") as out,
        ):
            try:
                shutil.copyfileobj(reader, out, _CHUNK)
            except (BotoCoreError, ClientError) as error:
                raise fs._translate(error, key) from error
        os.replace(temporary, request.local)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _upload(fs: S3FileSystem, request: CopyRequest) -> None:
    key = _key(fs, request.remote)
    size = request.local.stat().st_size
    with open(request.local, "rb") as handle:
        if size <= fs.config.multipart_threshold:
            fs._call(fs.client.put_object, key, Bucket=fs.bucket, Key=key, Body=handle.read())
            return
        upload = MultipartUpload.create(fs.client, fs.bucket, key)
        try:
            for number, _, length in part_ranges(size, part_size_for(size, fs.config.multipart_part_size)):
                upload.upload_part(number, handle.read(length))
            upload.complete()
        except BaseException as error:
            upload.abort(cause=error)
            raise


def _run_builtin(fs: S3FileSystem, batch: list[CopyRequest]) -> None:
    workers = fetch_worker_count(fs.config)
    futures = [
        (
            request,
            taskpool.submit(
                partial(_download if request.is_download else _upload, fs, request), workers=workers
            ),
        )
        for request in batch
    ]
    failed, lines = [], []
    for request, future in futures:
        error = future.exception()
        if error is not None:
            if not isinstance(error, (S3ConfError, OSError)):
                raise error
            failed.append(request)
            lines.append(f"{request}: {error}")
    if failed:
        raise BulkTransferError.of(failed, lines, "built-in transfer")


def copy_files(fs: S3FileSystem, requests: Sequence[CopyRequest]) -> None:
    """Run ``requests`` against ``fs``'s bucket in batches, through s5cmd when configured.

    Raises:
        ConfigError: ``s3.s5cmd.path`` is set but missing or not executable.
        FileNotFoundError: the local source of an upload does not exist (before anything is sent).
        BulkTransferError: a batch failed; ``failed`` lists its failed requests and ``messages``
            s5cmd's error lines (or the built-in errors). Later batches were not attempted.
    """
    executable = s5cmd_executable(fs.config)
    for request in requests:
        _key(fs, request.remote)  # a path in another bucket is refused before anything runs
    cut = list(
        batches(requests, max_files=fs.config.s5cmd_batch_max_files, max_size=fs.config.s5cmd_batch_max_size)
    )
    if executable is not None:
        for batch in cut:
            _run_s5cmd(fs, executable, batch)
        return
    for batch in cut:
        _run_builtin(fs, batch)

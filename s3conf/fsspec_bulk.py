"""fsspec ``get``/``put`` of many files through the bulk transfer (:mod:`s3conf.bulk`, Flink FLIP-444).

:class:`~s3conf.fsspec.S3XFileSystem` lets fsspec expand names and destinations as it always does,
collects the (remote, local) pairs its ``get_file``/``put_file`` would copy one by one, and hands them
here. They become :class:`~s3conf.bulk.CopyRequest` lists, one per store and bucket (in the callers'
order), and run through :meth:`S3FileSystem.copy_files <s3conf.fs.S3FileSystem.copy_files>`: ``s5cmd``
when ``s3.s5cmd.path`` is set, else the built-in parallel transfer. So a pandas or Dask user who sets
``s3.s5cmd.path`` gets Flink's native copy from ``fs.get(...)`` with no other change. Decisions:

* **Nothing partial.** Downloads land under a temporary name and are renamed once complete; an object
  appears only when its upload completes (see :mod:`s3conf.bulk`). A failed batch stops the transfer,
  as in Flink: later batches are not attempted.
* **Directories** (fsspec passes them when ``recursive``): a remote name that another name of the set
  lies under is a directory, created locally with no request. A name that fails and turns out to be a
  directory (a lone ``get("bucket/dir", ...)``) is created locally too and the rest is run again;
  local directories given to ``put`` upload nothing (directories are inferred from keys).
* **A missing source** raises :class:`~s3conf.errors.ObjectNotFoundError` (a ``FileNotFoundError``)
  naming it, as fsspec callers expect; any other failure is the
  :class:`~s3conf.errors.BulkTransferError` naming every file that failed.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from s3conf.bulk import CopyRequest
from s3conf.errors import BulkTransferError, ObjectNotFoundError
from s3conf.paths import S3Path

if TYPE_CHECKING:
    from s3conf.fs import S3FileSystem
    from s3conf.fsspec import S3XFileSystem

__all__ = ["directories_among", "get_many", "put_many"]

_Groups = list[tuple["S3FileSystem", list[CopyRequest], dict[CopyRequest, str]]]


def directories_among(names: Sequence[str]) -> set[str]:
    """The names that another name lies under (``a/b`` when ``a/b/c`` is there too).

    >>> sorted(directories_among(["h/b/a", "h/b/a/x", "h/b/a/y/z", "h/b/a/y", "h/b/ab"]))
    ['h/b/a', 'h/b/a/y']
    """
    parents: set[str] = set()
    for name in names:
        parts = name.rstrip("/").split("/")
        parents.update("/".join(parts[:end]) for end in range(1, len(parts)))
    return {name for name in names if name.rstrip("/") in parents}


def _group(fsx: S3XFileSystem, requests: list[tuple[str, CopyRequest]]) -> _Groups:
    """Requests per one-bucket file system, each group in the callers' order; remote name by request."""
    groups: dict[int, tuple[S3FileSystem, list[CopyRequest], dict[CopyRequest, str]]] = {}
    for remote, request in requests:
        fs = fsx._fs(fsx._locate(remote, need_bucket=True))
        group = groups.setdefault(id(fs), (fs, [], {}))
        group[1].append(request)
        group[2][request] = remote
    return list(groups.values())


def _remote(fsx: S3XFileSystem, name: str) -> S3Path:
    where = fsx._locate(name, need_bucket=True)
    return S3Path(where.bucket, "/" + where.key)


def get_many(fsx: S3XFileSystem, pairs: Sequence[tuple[str, str]]) -> None:
    """Download every ``(remote, local)`` pair with the bulk transfer (see the module notes)."""
    directories = directories_among([fsx._strip_protocol(remote) for remote, _ in pairs])
    requests = []
    for remote, local in pairs:
        if fsx._strip_protocol(remote) in directories:
            os.makedirs(local, exist_ok=True)
        else:
            requests.append((remote, CopyRequest(_remote(fsx, remote), local)))
    for fs, group, names in _group(fsx, requests):
        remaining = group
        while remaining:
            try:
                fs.copy_files(remaining)
                break
            except BulkTransferError as error:
                settled = _settle_failed_gets(fsx, error, names)
                remaining = [request for request in remaining if request not in settled]


def _settle_failed_gets(
    fsx: S3XFileSystem, error: BulkTransferError, names: dict[CopyRequest, str]
) -> set[CopyRequest]:
    """The failed requests that were directories (created locally); raises for any other failure."""
    settled = set()
    for failed in error.failed:
        assert isinstance(failed, CopyRequest)
        remote = names[failed]
        if fsx.isdir(remote):
            os.makedirs(failed.local, exist_ok=True)
            settled.add(failed)
        elif not fsx.exists(remote):
            raise ObjectNotFoundError(
                errno.ENOENT, "no such object to get", fsx.unstrip_protocol(remote)
            ) from error
        else:
            raise error
    return settled


def put_many(fsx: S3XFileSystem, pairs: Sequence[tuple[str, str]]) -> None:
    """Upload every ``(local, remote)`` pair with the bulk transfer; local directories upload nothing."""
    requests = [
        (remote, CopyRequest(local, _remote(fsx, remote)))
        for local, remote in pairs
        if not os.path.isdir(local)
    ]
    for fs, batch, _ in _group(fsx, requests):
        fs.copy_files(batch)

"""File-system operations on one bucket: open, stat, list, walk, glob, mkdir, rm, rmdir, copy, move.

S3 has keys, not files and directories, so every operation here is a decision about how to present
keys as a file tree. The decisions, after the Java NIO.2 provider (see ``DESIGN.md`` section 9):

* **Directories are inferred.** ``/d/`` exists when a marker key ``d/`` exists or any key starts
  with ``d/``. ``/d`` (an object) and ``/d/`` (a prefix) are different paths and may both exist;
  :meth:`S3FileSystem.stat` on ``/d`` prefers the object and falls back to the directory.
* **Times.** S3 keeps only a last-modified time; creation time is the same value. Directories
  without a marker object report the Unix epoch, as the Java provider does.
* **No symlinks, no hard links, no hidden files.** Link operations raise
  :class:`~s3conf.errors.UnsupportedOperationError`; names starting with ``.`` are ordinary.
* **Read XOR write.** ``open`` accepts ``rb``/``r``, ``wb``/``w`` and ``xb``/``x`` (exclusive create);
  any ``+`` or ``a`` mode raises :class:`~s3conf.errors.InvalidModeError` naming the mode.
* **Entropy injection** (Flink): with ``s3.entropy.key`` configured, ``open(..., "wb",
  inject_entropy=True)`` replaces the marker with random characters; every other operation removes it.
* **Errors** are the built-ins a local-file caller already catches, from :mod:`s3conf.errors`:
  a missing key or bucket is a ``FileNotFoundError`` naming it, a refusal a ``PermissionError``.
  A missing bucket is an error even for :meth:`~S3FileSystem.exists`: it means the file system is
  misconfigured, which a ``False`` would hide.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import IO, Any

from botocore.exceptions import BotoCoreError, ClientError

from s3conf.bulk import CopyRequest, copy_files
from s3conf.client import error_code, make_client, translate_error
from s3conf.config import S3Config
from s3conf.directhead import DirectHead
from s3conf.endpoint import Endpoint
from s3conf.entropy import EntropyInjector
from s3conf.errors import (
    DirectoryNotEmptyError,
    InvalidModeError,
    ObjectExistsError,
    ObjectNotFoundError,
    UnsupportedOperationError,
)
from s3conf.fetchpool import FetchPool, fetch_worker_count
from s3conf.listing import directory_prefix, glob_regex, implied_directories, literal_prefix
from s3conf.multipart import MultipartUpload, part_ranges, part_size_for, run_parts
from s3conf.multipath import OMITTED, run_each
from s3conf.paths import S3Path
from s3conf.reader import S3Reader
from s3conf.readthrough import ReadThroughBuffer
from s3conf.recoverable import RecoverableWriter
from s3conf.s3errors import NOT_FOUND_CODES
from s3conf.writer import S3Writer

__all__ = ["EPOCH", "FileStat", "S3FileSystem", "parse_mode"]

_log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
"""The time reported when S3 has none (directories without a marker object)."""

_DELETE_BATCH = 1000  # DeleteObjects accepts at most 1000 keys per request


@dataclass(frozen=True)
class FileStat:
    """What :meth:`S3FileSystem.stat` knows about a key or an inferred directory.

    ``key`` is the object key (``d/`` for a directory). ``etag`` is ``None`` for directories without
    a marker object.
    """

    key: str
    size: int
    mtime: datetime
    is_dir: bool
    etag: str | None = None

    @property
    def ctime(self) -> datetime:
        """Creation time: S3 has none, and an overwrite is a new object, so it equals :attr:`mtime`."""
        return self.mtime

    @property
    def name(self) -> str:
        """The last path element, without a trailing ``/``."""
        return self.key.rstrip("/").rpartition("/")[2]


def parse_mode(mode: str) -> tuple[str, bool]:
    """Split an ``open`` mode into (``"r"``, ``"w"`` or ``"x"``; binary?), refusing what S3 cannot do.

    >>> parse_mode("rb"), parse_mode("w"), parse_mode("xb")
    (('r', True), ('w', False), ('x', True))
    >>> parse_mode("r+b")
    Traceback (most recent call last):
    ...
    s3conf.errors.InvalidModeError: unsupported open mode 'r+b': a handle reads XOR writes ...
    """
    kinds = [char for char in mode if char in "rwxa+"]
    valid = set(mode) <= set("rwxbt") and len(kinds) == 1 and len(mode) == len(set(mode))
    if not valid or ("b" in mode and "t" in mode):
        raise InvalidModeError(
            f"unsupported open mode {mode!r}: a handle reads XOR writes and S3 cannot append or update; "
            "use one of 'rb', 'r', 'wb', 'w', 'xb', 'x'"
        )
    return kinds[0], "b" in mode


class _AbortingTextWriter(io.TextIOWrapper):
    """Text over an :class:`S3Writer` that, like the writer, uploads nothing when its block raises."""

    def __exit__(self, exc_type: type[BaseException] | None, *rest: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            writer = self.buffer
            if isinstance(writer, S3Writer):
                writer.abort()


class S3FileSystem:
    """Operations on the keys of one bucket, presented as files and directories.

    Args:
        bucket: the bucket every path refers to.
        endpoint: where the store is; ``None`` takes ``s3.spi.endpoint`` from ``config`` (or AWS).
        config: settings; default :meth:`S3Config.resolve` (environment and process overrides).
        client: a ready boto3 client (shared between file systems); default :func:`make_client`.
        page_size: ``MaxKeys`` per listing request; tests make it small to exercise pagination.
        spool_dir: where writers keep their temporary files (default: the system temp dir).
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint: Endpoint | None = None,
        config: S3Config | None = None,
        client: Any = None,
        page_size: int = 1000,
        spool_dir: str | None = None,
    ) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be >= 1, got {page_size!r}")
        self.bucket = bucket
        self.endpoint = endpoint
        self.config = config if config is not None else S3Config.resolve()
        self.client: Any = client if client is not None else make_client(endpoint, self.config)
        # HEADs without botocore's call pipeline, after the first
        self._heads = DirectHead(self.client, bucket, operation_timeout=self.config.operation_timeout)
        self.page_size = page_size
        self.spool_dir = spool_dir
        self.entropy = EntropyInjector.from_config(self.config)
        self.root = S3Path(bucket, "/", endpoint=endpoint)

    def __repr__(self) -> str:
        where = self.endpoint.netloc if self.endpoint is not None else "configured endpoint"
        return f"S3FileSystem(bucket={self.bucket!r}, endpoint={where!r})"

    # -- paths ----------------------------------------------------------------------------------------
    def path(self, path: S3Path | str) -> S3Path:
        """``path`` as an absolute, normalized :class:`S3Path` in this bucket."""
        if isinstance(path, str):
            path = S3Path(self.bucket, path, endpoint=self.endpoint)
        if path.bucket != self.bucket:
            raise ValueError(f"path {path!s} is in bucket {path.bucket!r}, not in {self.bucket!r}")
        return self.root / path.normalize()

    def _key(self, path: S3Path | str, *, inject: bool = False) -> str:
        key = self.path(path).key
        return self.entropy.apply(key, inject) if self.entropy is not None else key

    def _from_key(self, key: str) -> S3Path:
        return S3Path(self.bucket, "/" + key, endpoint=self.endpoint)

    def _location(self, key: str) -> str:
        """Where ``key`` is, for error messages: ``s3x://host:port/bucket/key`` when the endpoint is known."""
        where = f"s3x://{self.endpoint.netloc}" if self.endpoint is not None else "s3:/"
        return f"{where}/{self.bucket}/{key}"

    def _translate(self, error: Exception, key: str | None) -> Exception:
        """The s3conf error for a botocore ``error`` on ``key``, naming this file system's ``host:port``."""
        netloc = self.endpoint.netloc if self.endpoint is not None else None
        return translate_error(error, self.bucket, key, endpoint=netloc)

    # -- requests -------------------------------------------------------------------------------------
    def _call(self, operation: Callable[..., Any], key: str | None, **kwargs: Any) -> Any:
        try:
            return operation(**kwargs)
        except (ClientError, BotoCoreError) as error:
            raise self._translate(error, key) from error

    def _head(self, key: str) -> dict[str, Any] | None:
        """HEAD ``key``; ``None`` when it does not exist (a missing bucket is found out by listing)."""
        try:
            response: dict[str, Any] = self._heads.head_object(key)
        except ClientError as error:
            if error_code(error) in NOT_FOUND_CODES:
                return None
            raise self._translate(error, key) from error
        except BotoCoreError as error:
            raise self._translate(error, key) from error
        return response

    def _pages(
        self, prefix: str, *, delimiter: bool, max_items: int | None = None
    ) -> Iterator[dict[str, Any]]:
        paginator = self.client.get_paginator("list_objects_v2")
        config: dict[str, int] = {"PageSize": self.page_size}
        if max_items is not None:
            config["MaxItems"] = max_items
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "PaginationConfig": config}
        if delimiter:
            kwargs["Delimiter"] = "/"
        try:
            yield from paginator.paginate(**kwargs)
        except (ClientError, BotoCoreError) as error:
            raise self._translate(error, prefix or None) from error

    def _first_under(self, prefix: str) -> dict[str, Any] | None:
        """The first key under ``prefix`` (a marker ``prefix`` itself sorts first), or ``None``."""
        for page in self._pages(prefix, delimiter=False, max_items=1):
            for entry in page.get("Contents", []):
                return dict(entry)
        return None

    def _missing(self, key: str) -> ObjectNotFoundError:
        return ObjectNotFoundError(2, "no such file or directory", self._location(key))

    # -- queries --------------------------------------------------------------------------------------
    def stat(self, path: S3Path | str) -> FileStat:
        """Size, mtime, etag and kind of an object, or of a directory inferred from its keys.

        Raises:
            ObjectNotFoundError: neither the object nor anything under ``path/`` exists.
            BucketNotFoundError: the bucket does not exist.
        """
        key = self._key(path)
        if key and not key.endswith("/"):
            head = self._head(key)
            if head is not None:
                return FileStat(
                    key, int(head["ContentLength"]), head["LastModified"], False, head.get("ETag")
                )
        prefix = directory_prefix(key)
        first = self._first_under(prefix)
        if first is None and prefix:
            raise self._missing(key)
        if first is not None and first["Key"] == prefix:
            return FileStat(prefix, 0, first["LastModified"], True, first.get("ETag"))
        return FileStat(prefix, 0, EPOCH, True)

    def exists(self, path: S3Path | str) -> bool:
        """Whether an object or a directory is at ``path``.

        Only a 404 for the key and an empty listing read as absent. A missing bucket, rejected
        credentials, a refusal or an unreachable server raise (naming ``host:port``): each means the
        question could not be answered, and ``False`` would let a caller act on a wrong answer.
        """
        try:
            self.stat(path)
        except ObjectNotFoundError:
            return False
        return True

    def is_dir(self, path: S3Path | str) -> bool:
        """Whether ``path/`` is a directory: a marker key or any key under it (the root always is).

        Raises like :meth:`exists` when the listing fails for any reason other than being empty.
        """
        prefix = directory_prefix(self._key(path))
        return self._first_under(prefix) is not None or not prefix

    def is_file(self, path: S3Path | str) -> bool:
        """Whether an object exists at exactly ``path`` (never true for a ``/``-terminated path).

        Only a 404 reads as ``False``; every other failure raises like :meth:`exists`.
        """
        key = self._key(path)
        return bool(key) and not key.endswith("/") and self._head(key) is not None

    def is_symlink(self, path: S3Path | str) -> bool:
        """Always ``False``: S3 has no symbolic links."""
        return False

    def scandir(self, path: S3Path | str = "/") -> Iterator[FileStat]:
        """The entries directly in directory ``path``, with sizes and times, over all listing pages.

        The directory's own marker key is not an entry; keys with an empty segment (``d//x``) cannot be
        named by a path and are skipped. Raises ``FileNotFoundError`` when ``path/`` has no keys at all.
        """
        prefix = directory_prefix(self._key(path))
        found = False
        for page in self._pages(prefix, delimiter=True):
            for common in page.get("CommonPrefixes", []):
                found = True
                name = common["Prefix"][len(prefix) :]
                if name != "/":
                    yield FileStat(common["Prefix"], 0, EPOCH, True)
            for entry in page.get("Contents", []):
                found = True
                if entry["Key"] != prefix:
                    yield FileStat(
                        entry["Key"], int(entry["Size"]), entry["LastModified"], False, entry.get("ETag")
                    )
        if not found and prefix:
            raise self._missing(prefix)

    def iterdir(self, path: S3Path | str = "/") -> Iterator[S3Path]:
        """Paths in directory ``path``: objects as ``/d/x``, sub-directories as ``/d/y/``.

        An object ``d/y`` and a prefix ``d/y/`` are two entries, because they are two paths.
        """
        for entry in self.scandir(path):
            yield self._from_key(entry.key)

    def listdir(self, path: S3Path | str = "/") -> list[str]:
        """Sorted names in directory ``path``, like :func:`os.listdir` (no trailing ``/``).

        A name that is both an object and a prefix appears once; use :meth:`iterdir` to tell them apart.
        """
        return sorted({entry.name for entry in self.scandir(path)})

    def walk(self, top: S3Path | str = "/") -> Iterator[tuple[S3Path, list[str], list[str]]]:
        """Top-down ``(directory, dirnames, filenames)`` like :func:`os.walk`, one listing per directory.

        Removing names from ``dirnames`` before the next step prunes the walk, as with ``os.walk``.
        """
        pending = [self.path(top)]
        while pending:
            directory = pending.pop()
            dirnames: list[str] = []
            filenames: list[str] = []
            for entry in self.scandir(directory):
                (dirnames if entry.is_dir else filenames).append(entry.name)
            yield directory, dirnames, filenames
            pending.extend(directory / f"{name}/" for name in reversed(dirnames))

    def glob(self, pattern: str) -> list[S3Path]:
        """Objects and directories matching ``pattern``, sorted; one flat listing under its literal prefix.

        ``*``, ``?`` and ``[...]`` match within one path element, ``**`` any number of elements;
        directories come back ``/``-terminated. Names starting with ``.`` are not special.
        """
        key_pattern = self._key(pattern if pattern.startswith("/") else "/" + pattern)
        regex = glob_regex(key_pattern)
        prefix = literal_prefix(key_pattern)
        keys = [
            entry["Key"]
            for page in self._pages(prefix, delimiter=False)
            for entry in page.get("Contents", [])
        ]
        candidates = {key for key in keys if not key.endswith("/")}
        candidates |= implied_directories(keys, under=prefix)
        candidates |= {key for key in keys if key.endswith("/")}
        matches = [key for key in candidates if regex.match(key.rstrip("/"))]
        return [self._from_key(key) for key in sorted(matches)]

    # -- many paths -----------------------------------------------------------------------------------
    def _each(self, function: Callable[[Any], Any], paths: list[S3Path | str], on_error: str) -> list[Any]:
        results = run_each(function, paths, workers=fetch_worker_count(self.config), on_error=on_error)
        return [result for result in results if result is not OMITTED]

    def stat_many(self, paths: list[S3Path | str], *, on_error: str = "raise") -> list[Any]:
        """:meth:`stat` of each path, concurrently on a pool of ``s3.connection.maximum`` threads, in order.

        ``on_error``: ``"raise"`` the first failure, ``"omit"`` the missing paths (other failures raise),
        ``"return"`` the exception in the path's place (:mod:`s3conf.multipath`).
        """
        return self._each(self.stat, paths, on_error)

    def read_bytes_many(self, paths: list[S3Path | str], *, on_error: str = "raise") -> list[Any]:
        """:meth:`read_bytes` of each path, concurrently, in order; ``on_error`` as in :meth:`stat_many`."""
        return self._each(self.read_bytes, paths, on_error)

    def rm_many(self, paths: list[S3Path | str]) -> None:
        """Delete the objects at ``paths``: HEADs concurrently, then DeleteObjects of at most 1000 keys each.

        Raises:
            ObjectNotFoundError: a path names no object (raised before anything is deleted).
            IsADirectoryError: a path is ``/``-terminated (use :meth:`rm` with ``recursive``).
        """
        keys = [self._key(path) for path in paths]
        for key in keys:
            if not key or key.endswith("/"):
                raise IsADirectoryError(21, "is a directory; use rm(recursive=True)", self._location(key))
        present = self._each(lambda key: self._head(key) is not None, list(keys), "raise")
        for key, found in zip(keys, present, strict=True):
            if not found:
                raise self._missing(key)
        self._delete_keys(list(dict.fromkeys(keys)))

    # -- open -----------------------------------------------------------------------------------------
    def open(
        self,
        path: S3Path | str,
        mode: str = "rb",
        *,
        encoding: str | None = None,
        newline: str | None = None,
        inject_entropy: bool = False,
        policy: str | None = None,
    ) -> IO[Any]:
        """Open an object for reading XOR writing.

        Reading is lazy (no HEAD): a missing key raises ``FileNotFoundError`` on the first read. Writing
        streams parts while you write and publishes on ``close()`` (:class:`S3Writer`); an exception inside
        ``with`` publishes nothing.
        ``x`` modes refuse to replace an existing key (``FileExistsError`` on close). ``policy`` picks the
        read policy for this file (``adaptive``, ``sequential``, ``random``, ``whole``; default
        ``s3.spi.read.policy``).

        Raises:
            InvalidModeError: ``r+``, ``w+``, ``a`` and other modes S3 cannot honour.
            IsADirectoryError: ``path`` is ``/``-terminated (a directory cannot be opened).
        """
        kind, binary = parse_mode(mode)
        key = self._key(path, inject=inject_entropy and kind != "r")
        if not key or key.endswith("/"):
            raise IsADirectoryError(21, "is a directory, cannot be opened as a file", self._location(key))
        if kind == "r":
            raw = S3Reader(self.client, self.bucket, key, config=self.config, policy=policy)
            reader = ReadThroughBuffer(raw)
            return reader if binary else io.TextIOWrapper(reader, encoding=encoding, newline=newline)
        writer = S3Writer(
            self.client,
            self.bucket,
            key,
            config=self.config,
            create_new=kind == "x",
            spool_dir=self.spool_dir,
        )
        if binary:
            return writer  # type: ignore[return-value]  # a RawIOBase that writes fully, used as BinaryIO
        return _AbortingTextWriter(writer, encoding=encoding, newline=newline)  # type: ignore[arg-type]

    def read_ranges(self, path: S3Path | str, ranges: list[tuple[int, int]]) -> list[bytes]:
        """The bytes of each ``[start, end)`` range of one object, in order: nearby ranges share a GET and
        the GETs run in parallel (:meth:`S3Reader.read_ranges <s3conf.reader.S3Reader.read_ranges>`).

        Raises:
            ValueError: a range with a negative start or an end before its start.
        """
        key = self._key(path)
        with S3Reader(self.client, self.bucket, key, config=self.config, policy="random") as reader:
            return reader.read_ranges(ranges)

    def read_bytes(self, path: S3Path | str) -> bytes:
        """The whole object."""
        with self.open(path, "rb") as handle:
            data: bytes = handle.read()
        return data

    def write_bytes(self, path: S3Path | str, data: bytes, *, create_new: bool = False) -> None:
        """Replace (or, with ``create_new``, exclusively create) the object with ``data``."""
        with self.open(path, "xb" if create_new else "wb") as handle:
            handle.write(data)

    # -- changes --------------------------------------------------------------------------------------
    def mkdir(self, path: S3Path | str, *, parents: bool = False, exist_ok: bool = False) -> None:
        """Create directory ``path`` as an empty marker object ``path/``.

        ``parents=False`` (pathlib's default) requires the parent directory to exist. ``parents=True``
        writes only the leaf marker: S3 directories are inferred, so ``a/b/c/`` already makes ``a/`` and
        ``a/b/`` exist, and writing their markers too would leave them behind after ``rmdir a/b/c``.

        Raises:
            ObjectExistsError: the directory exists (unless ``exist_ok``) or an object named ``path`` does.
            ObjectNotFoundError: the parent is missing and ``parents`` is false.
        """
        target = self.path(path)
        prefix = directory_prefix(self._key(target))
        if not prefix:
            if exist_ok:
                return
            raise ObjectExistsError(17, "the bucket root always exists", self._location(""))
        if self.is_dir(prefix):
            if exist_ok:
                return
            raise ObjectExistsError(17, "directory exists", self._location(prefix))
        if self._head(prefix.rstrip("/")) is not None:
            raise ObjectExistsError(17, "an object of that name exists", self._location(prefix.rstrip("/")))
        parent = target.parent
        if not parents and parent is not None and not self.is_dir(parent):
            raise ObjectNotFoundError(2, "parent directory does not exist", self._location(parent.key))
        self._call(self.client.put_object, prefix, Bucket=self.bucket, Key=prefix, Body=b"")

    def rm(self, path: S3Path | str, *, recursive: bool = False) -> None:
        """Delete the object at ``path``; with ``recursive``, also every key under ``path/``.

        Raises:
            ObjectNotFoundError: nothing was there to delete (S3's DELETE would silently succeed).
            IsADirectoryError: ``path`` is ``/``-terminated and ``recursive`` is false (use :meth:`rmdir`).
        """
        key = self._key(path)
        names_directory = not key or key.endswith("/")
        if not recursive:
            if names_directory:
                raise IsADirectoryError(
                    21, "is a directory; use rmdir or recursive=True", self._location(key)
                )
            if self._head(key) is None:
                if self.is_dir(key):  # listing also finds out a missing bucket
                    raise IsADirectoryError(
                        21, "is a directory; use rmdir or recursive=True", self._location(key)
                    )
                raise self._missing(key)
            self._call(self.client.delete_object, key, Bucket=self.bucket, Key=key)
            return
        deleted_object = False
        if not names_directory and self._head(key) is not None:
            self._call(self.client.delete_object, key, Bucket=self.bucket, Key=key)
            deleted_object = True
        prefix = directory_prefix(key)
        keys = [
            entry["Key"]
            for page in self._pages(prefix, delimiter=False)
            for entry in page.get("Contents", [])
        ]
        if not keys and not deleted_object:
            raise self._missing(key)
        self._delete_keys(keys)

    def _delete_keys(self, keys: list[str]) -> None:
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + _DELETE_BATCH]]
            response = self._call(
                self.client.delete_objects, batch[0]["Key"], Bucket=self.bucket, Delete={"Objects": batch}
            )
            for failure in response.get("Errors", []):
                raise self._translate(ClientError({"Error": failure}, "DeleteObjects"), failure.get("Key"))

    def rmdir(self, path: S3Path | str) -> None:
        """Remove the empty directory ``path`` (its marker object, if any).

        Raises:
            DirectoryNotEmptyError: a key other than the marker lies under ``path/`` (errno ENOTEMPTY).
            ObjectNotFoundError: no marker and no keys: there is no such directory.
            UnsupportedOperationError: ``path`` is the bucket root (buckets are not managed here).
        """
        prefix = directory_prefix(self._key(path))
        if not prefix:
            raise UnsupportedOperationError(f"cannot remove the root of bucket {self.bucket!r}")
        keys = [
            entry["Key"]
            for page in self._pages(prefix, delimiter=False, max_items=2)
            for entry in page.get("Contents", [])
        ]
        if not keys:
            raise self._missing(prefix)
        if any(key != prefix for key in keys):
            raise DirectoryNotEmptyError(self._location(prefix))
        self._call(self.client.delete_object, prefix, Bucket=self.bucket, Key=prefix)

    def copy(self, source: S3Path | str, destination: S3Path | str) -> None:
        """Server-side copy of an object (the bytes never pass through this process).

        Objects of at least ``s3.spi.write.multipart-threshold`` bytes are copied as a multipart upload
        of ``UploadPartCopy`` ranges in parallel (one ``CopyObject`` is limited to 5 GiB); each part
        requires the source's ETag, so a source replaced mid-copy fails instead of mixing versions.
        """
        source_key = self._key(source)
        destination_key = self._key(destination, inject=False)
        info = self.stat(source_key)
        if info.is_dir:
            raise IsADirectoryError(21, "only objects can be copied", self._location(info.key))
        if info.size >= self.config.multipart_threshold and info.size > 0:
            self._copy_multipart(source_key, destination_key, info)
            return
        self._call(
            self.client.copy_object,
            destination_key,
            Bucket=self.bucket,
            Key=destination_key,
            CopySource={"Bucket": self.bucket, "Key": source_key},
        )

    def _copy_multipart(self, source_key: str, destination_key: str, info: FileStat) -> None:
        """``UploadPartCopy`` ranges in parallel on the shared pool, through the one multipart engine."""
        part_size = part_size_for(info.size, self.config.multipart_part_size)
        upload = MultipartUpload.create(self.client, self.bucket, destination_key)
        source = {"Bucket": self.bucket, "Key": source_key}
        jobs = [
            partial(upload.copy_part, number, source, offset, offset + length - 1, if_match=info.etag)
            for number, offset, length in part_ranges(info.size, part_size)
        ]
        pool = FetchPool.shared(self.config)
        run_parts(upload, jobs, pool, max_in_flight=self.config.max_parts_in_flight)

    def recoverable_writer(self) -> RecoverableWriter:
        """Flink's recoverable (exactly-once) writer on this bucket: see :mod:`s3conf.recoverable`."""
        return RecoverableWriter(self)

    def copy_files(self, requests: Sequence[CopyRequest]) -> None:
        """Copy many files between this bucket and local disk in batches (Flink FLIP-444).

        Through ``s3.s5cmd.path`` when it is set, else a built-in parallel transfer; see
        :mod:`s3conf.bulk` for batching, credentials and failure handling.

        Raises:
            ConfigError: ``s3.s5cmd.path`` is missing or not executable.
            BulkTransferError: a batch failed, naming the files that did not copy.
        """
        copy_files(self, requests)

    def move(self, source: S3Path | str, destination: S3Path | str) -> None:
        """Copy then delete the source. Not atomic: S3 has no rename, so a crash can leave both."""
        self.copy(source, destination)
        source_key = self._key(source)
        self._call(self.client.delete_object, source_key, Bucket=self.bucket, Key=source_key)

    # -- links ----------------------------------------------------------------------------------------
    def symlink_to(self, path: S3Path | str, target: S3Path | str) -> None:
        """Always raises: S3 has no symbolic links."""
        raise UnsupportedOperationError(
            f"S3 has no symbolic links: cannot link {self.path(path)} -> {target}"
        )

    def hardlink_to(self, path: S3Path | str, target: S3Path | str) -> None:
        """Always raises: S3 has no hard links (use :meth:`copy`)."""
        raise UnsupportedOperationError(f"S3 has no hard links: cannot link {self.path(path)} -> {target}")

    def readlink(self, path: S3Path | str) -> S3Path:
        """Always raises: no path on S3 is a symbolic link."""
        raise UnsupportedOperationError(f"S3 has no symbolic links: {self.path(path)} is not a link")

"""fsspec file system for ``s3x://`` URLs, so pandas, pyarrow, Dask and UPath read and write through s3conf.

Registered through the ``fsspec.specs`` entry point (``fsspec.filesystem("s3x")`` finds it). It does
not take over ``s3://``, which belongs to s3fs. Storage options are s3fs's (see
:mod:`s3conf.fsspec_options`); unknown ones raise.

Query engines create **one** file system object per protocol and hand it full URLs, so one
:class:`S3XFileSystem` serves every endpoint: host and port come from each path and stay in the names
it returns (``127.0.0.1:9000/bucket/key``), so a name handed back by ``ls`` reaches the same server.

Decisions:

* **Credentials belong to the URL or instance that gave them.** Nothing is remembered per host. When
  fsspec resolves a URL (``fsspec.open``, ``url_to_fs``, pandas, Dask, UPath), the URL's credentials
  become options of the instance it builds (``url_key``/``url_secret``), and the instance cache token
  holds a keyed digest of every secret (:class:`_TokenSecret`), so URLs with different secrets get
  different instances. When a URL with credentials is handed to an existing instance, they sign the
  requests of that one call (and of the calls it makes inside, in that thread), and nothing after it.
  Order: the path's own credentials, then ``url_key``/``url_secret``, then ``key``/``secret``, then
  ``s3.access-key``/``s3.secret-key`` from configuration, then boto3's chain (or unsigned with ``anon``).
* **Names never carry credentials**, ``repr`` shows none and errors show none. With a shared instance,
  give the credentials as storage options (or resolve the URL with ``fsspec.core.url_to_fs``) to reopen
  the names it returns; pyarrow's ``dataset`` wants exactly that: ``fs, path = url_to_fs(url)`` then
  ``ds.dataset(path, filesystem=fs)`` (pyarrow never strips a URL it is given with a file system).
* **One URL, one object**: URLs are percent-decoded exactly as :mod:`s3conf.uri` decodes them, bare
  ``host:port/bucket/key`` names are verbatim (:mod:`s3conf.fsspec_locations`).
* **Failures are not absence**: ``exists``/``isfile``/``isdir``/``glob``/``find``/``walk`` read only a 404
  or an empty listing as "not there"; rejected credentials, refusals and unreachable servers raise,
  naming ``host:port`` (s3fs behaves the same). fsspec's defaults swallow every error; these do not.
* **The instance cache follows the environment**: a digest of the ``S3_*``/``FS_S3A_*``/``AWS_*``
  variables and process overrides is part of the token (and of its clients' cache key), so changing
  ``S3_SPI_ENDPOINT_PROTOCOL`` or ``AWS_ACCESS_KEY_ID`` takes effect for the next
  ``fsspec.filesystem("s3x")`` instead of being read once at first use.
* **One call, one HEAD**: what a request learned about an object (size, ETag, modification time, its
  last bytes) answers ``info``/``isfile``/``size`` and starts the readers of the next calls of this
  instance for ``metadata_ttl`` seconds (:mod:`s3conf.fsspec_metadata`): pandas' ``read_parquet`` costs
  one request before the column chunks (a suffix GET) instead of three HEADs and two footer GETs: for a
  name ending in ``.parquet``/``.parq``/``.pq``, ``info`` and ``isfile`` ask with a GET of the last MiB
  instead of a HEAD (same round trip; its answer has the size, the ETag, the modification time *and* the
  footer pyarrow reads next). A directory so named costs one more request (the GET's 404, then the
  listing).
* **No process-wide state**: an instance pickles as its options (fsspec's ``__reduce__``), so Dask workers
  rebuild the same file system, credentials included, from what they are sent.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import io
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from fsspec.callbacks import DEFAULT_CALLBACK
from fsspec.spec import AbstractFileSystem, _Cached
from fsspec.utils import isfilelike, stringify_path

from s3conf.client import fast_timestamp, make_client, translate_error
from s3conf.config import current_overrides
from s3conf.directget import DirectGet
from s3conf.endpoint import Endpoint
from s3conf.errors import InvalidURIError, ObjectExistsError, ObjectNotFoundError, TransferError
from s3conf.fetchpool import fetch_worker_count
from s3conf.fs import FileStat, S3FileSystem, parse_mode
from s3conf.fsspec_bulk import get_many, put_many
from s3conf.fsspec_locations import PREFIX, Location, locate
from s3conf.fsspec_metadata import FOOTER_READ, MAX_TAIL, MetadataCache, ObjectFacts, trimmed
from s3conf.fsspec_options import (
    CACHE_TYPE_POLICIES,
    StorageOptions,
    cache_type_policy,
    read_policy_option,
)
from s3conf.listing import directory_prefix
from s3conf.multipath import OMITTED, check_on_error, run_each
from s3conf.parquet import footer_length
from s3conf.ranged_get import ByteRange, RangedResponse, read_body
from s3conf.reader import S3Reader
from s3conf.readthrough import ReadThroughBuffer
from s3conf.redaction import MASK, Secret

__all__ = ["CACHE_TYPE_POLICIES", "S3XFileSystem"]

_DIGEST_KEY = secrets.token_bytes(32)
_SECRET_OPTIONS = ("secret", "token", "url_secret")
_SECRET_CLIENT_KWARGS = ("aws_secret_access_key", "aws_session_token")
_ENVIRONMENT_PREFIXES = ("S3_", "FS_S3A_", "AWS_")

Credentials = tuple[str, Secret]
_F = TypeVar("_F", bound=Callable[..., Any])
_GLOB_MAGIC = re.compile(r"[*?\[]")
_UNBOUNDED = 1 << 62  # an end past any object: read_ranges cuts ranges at the object's end
_COPY_CHUNK = 8 << 20  # get/put copy in pieces of this size, whatever the object size
#: Names asked about in order to be read as Parquet: ``info``/``isfile`` answer with one suffix GET.
PARQUET_SUFFIXES = (".parquet", ".parq", ".pq")


def _digest(text: str) -> str:
    """A keyed (per-process random key) digest: tells secrets apart without revealing them."""
    return hmac.new(_DIGEST_KEY, text.encode(), hashlib.sha256).hexdigest()[:16]


def _ignore(_: int) -> None:
    """A progress callback that counts nothing."""


def _http_date(value: str | None) -> datetime | None:
    """An HTTP date header (``Last-Modified``) as botocore parses it (``None`` if absent or malformed)."""
    if not value:
        return None
    try:
        parsed: datetime = fast_timestamp(value)
    except (TypeError, ValueError):
        return None
    return parsed


def _copy_rest(reader: Any, first: bytes, target: Any) -> None:
    target.write(first)
    while chunk := reader.read(_COPY_CHUNK):
        target.write(chunk)


class _TokenSecret(Secret):
    """A :class:`Secret` whose ``repr`` carries a keyed digest, because fsspec tokenizes ``repr``.

    fsspec keys its instance cache on ``str()`` of the constructor arguments; a plain ``Secret`` prints
    ``***`` for every value, which made URLs with different secrets share one instance.
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"Secret({MASK!r}, id={_digest(self.reveal())!r})"


def _token_secret(value: Any) -> Any:
    if isinstance(value, Secret):
        return _TokenSecret(value.reveal())
    return _TokenSecret(value) if isinstance(value, str) else value


def _environment_digest() -> str:
    """What the configuration of a new instance depends on, beyond its arguments."""
    relevant = sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(_ENVIRONMENT_PREFIXES))
    overrides = sorted(
        (k, str(v.reveal() if isinstance(v, Secret) else v)) for k, v in current_overrides().items()
    )
    return _digest(repr((relevant, overrides)))


class _CredentialAwareCache(_Cached):  # type: ignore[misc]  # fsspec is untyped
    """fsspec's instance cache, with secrets wrapped so the cache token tells them apart."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - a metaclass method
        for name in _SECRET_OPTIONS:
            if kwargs.get(name) is not None:
                kwargs[name] = _token_secret(kwargs[name])
        if kwargs.get("client_kwargs"):
            client_kwargs = dict(kwargs["client_kwargs"])
            for name in _SECRET_CLIENT_KWARGS:
                if client_kwargs.get(name) is not None:
                    client_kwargs[name] = _token_secret(client_kwargs[name])
            kwargs["client_kwargs"] = client_kwargs
        kwargs["environment"] = _environment_digest()
        return super().__call__(*args, **kwargs)


def _credentials_in(values: Any) -> dict[str, Credentials]:
    """``host:port -> credentials`` of every ``s3x://`` URL with credentials among ``values``.

    Raises:
        InvalidURIError: two URLs give the same ``host:port`` different credentials in one call.
    """
    found: dict[str, Credentials] = {}
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, list | tuple):
            stack.extend(value)
        elif isinstance(value, str) and value[: len(PREFIX)].lower() == PREFIX and "@" in value:
            where = locate(value)
            if where.credentials is None:
                continue
            if found.setdefault(where.hostport, where.credentials) != where.credentials:
                raise InvalidURIError(f"one call gives {where.hostport} two different credentials")
    return found


def _url_scoped(method: _F) -> _F:
    """Let the credentials of URLs among a call's arguments sign that call, and nothing after it."""

    @functools.wraps(method)
    def scoped(self: S3XFileSystem, *args: Any, **kwargs: Any) -> Any:
        found = _credentials_in((args, tuple(kwargs.values())))
        if not found:
            return method(self, *args, **kwargs)
        with self._credential_scope(found):
            return method(self, *args, **kwargs)

    return scoped  # type: ignore[return-value]


def _whole_metadata(
    direct: DirectGet, got: RangedResponse, tail: bytes, *, key: str, where: Location, timeout: float
) -> tuple[int, bytes]:
    """``tail`` (from ``got.first``) extended back to the start of a Parquet footer's metadata when the
    metadata is longer than ``tail`` and at most :data:`MAX_TAIL`, with a GET conditional on the ETag, so
    the reader recognises the layout and predicts the chunks read (pyarrow reads the rest of a long
    footer next anyway). On any doubt or failure, ``tail`` as it is: still true, only shorter."""
    wanted = footer_length(tail)
    if got.first == 0 or wanted is None or wanted <= len(tail) or wanted > min(MAX_TAIL, got.total):
        return got.first, tail
    requested = ByteRange(got.total - wanted, got.first)
    try:
        more = RangedResponse(direct.get_object(requested.header, got.etag, timeout), where.bucket, key)
        more.check(requested, size=got.total, etag=got.etag, name=where.url())
        head = read_body(
            more, requested.start, requested.end, cancel=threading.Event(), progress=_ignore, name=where.url()
        ).tobytes()
    except (ClientError, BotoCoreError, OSError):  # TransferError is an OSError
        return got.first, tail
    return requested.start, head + tail


def _file_entry(where: Location, facts: ObjectFacts) -> dict[str, Any]:
    """fsspec's ``info`` entry of a file from what one request learned about it."""
    return {
        "name": where.stripped(),
        "size": facts.size,
        "type": "file",
        "mtime": facts.mtime,
        "created": facts.mtime,
        "ETag": facts.etag,
    }


class S3XFileSystem(AbstractFileSystem, metaclass=_CredentialAwareCache):  # type: ignore[misc]
    """fsspec ``AbstractFileSystem`` over :class:`~s3conf.fs.S3FileSystem`, for ``s3x://host:port/bucket/key``.

    Args:
        url_key: access key of the URL fsspec built this instance for (set by fsspec, not by users).
        url_secret: its secret key.
        environment: digest of the environment at creation (set by the instance cache, not by users).
        **options: storage options, see :mod:`s3conf.fsspec_options`.
    """

    protocol = "s3x"
    root_marker = ""

    def __init__(
        self,
        *,
        url_key: str | None = None,
        url_secret: Secret | str | None = None,
        environment: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__()
        self.options = StorageOptions.parse(options)
        self.config = self.options.config
        url_secret = Secret(url_secret) if isinstance(url_secret, str) else url_secret
        self._url_credentials: Credentials | None = (
            (url_key, url_secret) if url_key is not None and url_secret is not None else None
        )
        self._filesystems: dict[tuple[Any, ...], S3FileSystem] = {}
        self._lock = threading.Lock()
        self._scopes = threading.local()
        self._environment = environment or ""
        self._collecting = threading.local()  # get/put: the pairs fsspec expanded, to run concurrently
        self._metadata = MetadataCache(self.options.metadata_ttl)

    def __repr__(self) -> str:
        if self._url_credentials is not None:
            signed = f"url:{MASK}"
        elif self.options.credentials is not None:
            signed = f"options:{MASK}"
        else:
            signed = "anonymous" if self.options.anonymous else "configuration"
        return f"S3XFileSystem(endpoint_protocol={self.options.protocol!r}, credentials={signed!r})"

    __str__ = __repr__

    # -- paths ----------------------------------------------------------------------------------------
    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        """``host:port/bucket/key``: URLs percent-decoded and without credentials, bare paths verbatim."""
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        text = stringify_path(path)
        if text[: len(PREFIX)].lower() == PREFIX:
            return locate(text).stripped()
        return text.rstrip("/")

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> dict[str, Any]:
        """The URL's credentials, as options of the instance fsspec builds for it (never in the path)."""
        where = locate(stringify_path(path))
        if where.credentials is None:
            return {}
        return {"url_key": where.credentials[0], "url_secret": where.credentials[1]}

    def unstrip_protocol(self, name: str) -> str:
        """``s3x://host:port/bucket/key`` with the key percent-encoded (it parses back to ``name``)."""
        return locate(stringify_path(name)).url()

    # -- credentials and clients ----------------------------------------------------------------------
    @contextmanager
    def _credential_scope(self, found: Mapping[str, Credentials]) -> Iterator[None]:
        stack: list[Mapping[str, Credentials]] = self._scopes.__dict__.setdefault("stack", [])
        stack.append(found)
        try:
            yield
        finally:
            stack.pop()

    def _credentials_for(self, where: Location) -> tuple[Credentials | None, bool]:
        """(credentials, whether they came from a URL) for a request to ``where``."""
        if where.credentials is not None:
            return where.credentials, True
        for found in reversed(self._scopes.__dict__.get("stack", [])):
            if where.hostport in found:
                return found[where.hostport], True
        if self._url_credentials is not None:
            return self._url_credentials, True
        return self.options.credentials, False

    def _client(self, where: Location) -> tuple[Endpoint, Any]:
        """The endpoint of ``where`` with the credentials that sign its requests, and its (cached) client."""
        credentials, from_url = self._credentials_for(where)
        endpoint = Endpoint(
            name=where.hostport,
            url=f"{self.options.protocol_for(where.hostport)}://{where.hostport}",
            region=self.config.region or "us-east-1",
            access_key=credentials[0] if credentials else None,
            secret_key=credentials[1] if credentials else None,
            path_style=True,
        )
        options = self.options.client_options(url_credentials=from_url, ambient=self._environment)
        return endpoint, make_client(endpoint, self.config, options)

    def _fs(self, where: Location) -> S3FileSystem:
        """The (cached) one-bucket file system for ``where``, signed with the right credentials."""
        endpoint, client = self._client(where)
        cache_key = (where.bucket, endpoint, id(client))
        with self._lock:
            fs = self._filesystems.get(cache_key)
            if fs is None or fs.client is not client:
                fs = S3FileSystem(where.bucket, endpoint=endpoint, config=self.config, client=client)
                self._filesystems[cache_key] = fs
        return fs

    def _locate(self, path: Any, *, need_bucket: bool = False) -> Location:
        where = locate(stringify_path(path))
        if need_bucket and not where.bucket:
            raise InvalidURIError(f"s3x path needs host:port/bucket/key, got {where.url()!r}")
        return where

    def _facts_key(self, where: Location) -> tuple[str, str, str, Any]:
        """The metadata cache key of ``where``: the object and the identity of the credentials asking."""
        credentials, _ = self._credentials_for(where)
        identity = (credentials[0], _digest(credentials[1].reveal())) if credentials else None
        return where.hostport, where.bucket, where.key, identity

    def _remember(self, where: Location, entry: dict[str, Any]) -> None:
        if entry.get("type") == "file":
            self._metadata.put(
                self._facts_key(where), ObjectFacts(int(entry["size"]), entry.get("ETag"), entry.get("mtime"))
            )

    def _remembered_entry(self, where: Location) -> dict[str, Any] | None:
        facts = self._metadata.get(self._facts_key(where))
        if facts is None or facts.mtime is None:
            return None
        return _file_entry(where, facts)

    def _probe_tail(self, where: Location) -> dict[str, Any] | None:
        """The entry of an object from one GET of its last :data:`FOOTER_READ` bytes, remembered with them
        (and with the rest of a Parquet footer's metadata up to :data:`MAX_TAIL`, in a second GET).

        ``None`` when that GET cannot say (no such key, a directory, an empty object, a store refusing
        the suffix, any failure): the caller asks as usual (HEAD, listing), which raises what it should.
        """
        fs = self._fs(where)
        key = fs._key("/" + where.key)
        # botocore's call pipeline for a client's first GET of the bucket, else a copy of its request
        direct = DirectGet(fs.client, where.bucket, key)
        try:
            response = direct.get_object(f"bytes=-{FOOTER_READ}", None, fs.config.operation_timeout)
            got = RangedResponse(response, where.bucket, key)
        except (ClientError, BotoCoreError, TransferError):
            return None
        if got.full_body and got.total > FOOTER_READ:  # a store ignoring the range: not a whole object
            got.abort()
            got.body.close()
            return None
        try:  # read to the end, the connection goes back to the pool; exact length or an error
            data = read_body(
                got, got.first, got.total, cancel=threading.Event(), progress=_ignore, name=where.url()
            ).tobytes()
        except (BotoCoreError, OSError):
            return None
        first, data = _whole_metadata(
            direct, got, data, key=key, where=where, timeout=fs.config.operation_timeout
        )
        modified = response.get("LastModified") or _http_date(
            response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("last-modified")
        )  # a copied request's answer is not parsed by botocore: its header as botocore would give it
        facts = ObjectFacts(got.total, got.etag, modified, first, data, direct.captured)
        self._metadata.put(self._facts_key(where), facts)
        return _file_entry(where, facts)

    @staticmethod
    def _entry(where: Location, stat: FileStat) -> dict[str, Any]:
        name = f"{where.hostport}/{where.bucket}/{stat.key}".rstrip("/")
        return {
            "name": name,
            "size": stat.size,
            "type": "directory" if stat.is_dir else "file",
            "mtime": stat.mtime,
            "created": stat.ctime,
            "ETag": stat.etag,
        }

    # -- queries --------------------------------------------------------------------------------------
    def _buckets(self, where: Location) -> list[dict[str, Any]]:
        client = self._client(where)[1]
        try:
            buckets = client.list_buckets().get("Buckets", [])
        except (ClientError, BotoCoreError) as error:
            raise translate_error(error, "", None, endpoint=where.hostport) from error
        return [{"name": f"{where.hostport}/{b['Name']}", "size": 0, "type": "directory"} for b in buckets]

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        """Entries directly under ``path`` (a file lists as itself); a missing path raises."""
        where = self._locate(path)
        if not where.bucket:
            entries = self._buckets(where)
        else:
            fs = self._fs(where)
            try:
                entries = [self._entry(where, stat) for stat in fs.scandir("/" + where.key)]
                for entry in entries:
                    self._remember(locate(entry["name"]), entry)
            except ObjectNotFoundError:
                entries = [self.info(path)]
                if entries[0]["type"] == "directory":
                    entries = []
        return entries if detail else [entry["name"] for entry in entries]

    def info(self, path: Any, on_error: str = "raise", **kwargs: Any) -> Any:
        """The entry of ``path``; for a list of paths, the entries in order, fetched concurrently.

        A list is fsspec's multi-path convention extended to ``info``: ``on_error`` (``"raise"``,
        ``"omit"`` or ``"return"``, see :mod:`s3conf.multipath`) says what a failing path gives.
        """
        if isinstance(path, list):
            return self._each(self.info, path, on_error)
        where = self._locate(path)
        if not where.bucket:
            return {"name": where.hostport, "size": 0, "type": "directory"}
        remembered = self._remembered_entry(where) if where.key else None
        if remembered is None and where.key.lower().endswith(PARQUET_SUFFIXES):
            remembered = self._probe_tail(where)
        if remembered is not None:
            return remembered
        entry = self._entry(where, self._fs(where).stat("/" + where.key))
        self._remember(where, entry)
        return entry

    def exists(self, path: Any, **kwargs: Any) -> Any:
        """``False`` only for a 404 or an empty listing; others raise (fsspec's default hides them).

        A list of paths gives a list of answers, asked concurrently; a failure raises.
        """
        if isinstance(path, list):
            return self._each(self.exists, path, "raise")
        try:
            self.info(path)
        except FileNotFoundError:
            return False
        return True

    def sizes(self, paths: list[str]) -> list[int | None]:
        """Sizes of ``paths`` in order, asked concurrently (fsspec asks one after another)."""
        return [entry["size"] for entry in self._each(self.info, list(paths), "raise")]

    def lexists(self, path: str, **kwargs: Any) -> bool:
        return bool(self.exists(path))

    def isdir(self, path: str) -> bool:
        """Whether keys lie under ``path/`` (or a marker); a missing bucket is ``False``, failures raise."""
        where = self._locate(path)
        if not where.bucket:
            return True
        try:
            return self._fs(where).is_dir("/" + where.key + "/")
        except FileNotFoundError:
            return False

    def isfile(self, path: str) -> bool:
        """Whether an object is at exactly ``path``; only a 404 is ``False``."""
        where = self._locate(path)
        if not (where.bucket and where.key):
            return False
        if self._metadata.get(self._facts_key(where)) is not None:
            return True
        if where.key.lower().endswith(PARQUET_SUFFIXES) and self._probe_tail(where) is not None:
            return True
        return self._fs(where).is_file("/" + where.key)

    def find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        prefix: str = "",
        **kwargs: Any,
    ) -> Any:
        """Everything under ``path`` in the fewest listing requests (fsspec's default lists every directory).

        One flat listing (no delimiter, every page) of ``path/`` plus ``prefix`` (s3fs's argument: only
        names under ``path`` starting with ``prefix``; :meth:`glob` passes the literal start of its
        pattern's first wildcard segment). ``maxdepth=1`` needs only one level, so it is one delimiter
        listing instead, which does not page through the keys below. Directories are those implied by
        keys and marker objects. Keys with an empty, ``.`` or ``..`` segment cannot be named by a path
        (see ``DESIGN.md`` section 2) and are left out.
        """
        if maxdepth is not None and maxdepth < 1:
            raise ValueError("maxdepth must be at least 1")
        if "/" in prefix:
            raise ValueError(f"find prefix must be part of one name (no '/'), got {prefix!r}")
        where = self._locate(path)
        if not where.bucket:
            return super().find(path, maxdepth=maxdepth, withdirs=withdirs, detail=detail, **kwargs)
        fs = self._fs(where)
        base_prefix = directory_prefix(where.key)
        base = where.stripped()
        found: dict[str, dict[str, Any]] = {}
        any_key = False
        for page in fs._pages(base_prefix + prefix, delimiter=maxdepth == 1):
            for common in page.get("CommonPrefixes", []):
                any_key = True
                name = common["Prefix"][len(base_prefix) :].rstrip("/")
                if withdirs and name not in ("", ".", "..") and "/" not in name:
                    full = f"{where.hostport}/{where.bucket}/{base_prefix}{name}"
                    found.setdefault(full, {"name": full, "size": 0, "type": "directory"})
            for entry in page.get("Contents", []):
                any_key = True
                self._add_found(found, where, base_prefix, entry, maxdepth=maxdepth, withdirs=withdirs)
        if any_key and withdirs and where.key and not prefix:
            found.setdefault(base, {"name": base, "size": 0, "type": "directory"})
        if not any_key and where.key and not prefix and self.isfile(path):
            found[base] = self.info(base)
        for name, entry in found.items():
            self._remember(locate(name), entry)
        names = sorted(found)
        return {name: found[name] for name in names} if detail else names

    def glob(self, path: str, maxdepth: int | None = None, **kwargs: Any) -> Any:
        """fsspec's ``glob`` over one flat listing that starts at the pattern's longest literal prefix.

        ``data/part-0*.parquet`` lists ``Prefix=data/part-0`` once (all pages); fsspec's own ``find`` would
        list ``data/`` directory by directory. ``**`` and ``maxdepth`` keep fsspec's meaning.
        """
        stripped = self._strip_protocol(path)
        magic = _GLOB_MAGIC.search(stripped)
        if magic is not None and "prefix" not in kwargs:
            head = stripped[: magic.start()]
            partial = head[head.rfind("/") + 1 :]
            if partial and head.count("/") >= 2:  # host:port/bucket/...: the partial name is in a key
                kwargs["prefix"] = partial
        return super().glob(path, maxdepth=maxdepth, **kwargs)

    @staticmethod
    def _add_found(
        found: dict[str, dict[str, Any]],
        where: Location,
        prefix: str,
        entry: dict[str, Any],
        *,
        maxdepth: int | None,
        withdirs: bool,
    ) -> None:
        key: str = entry["Key"]
        parts = key[len(prefix) :].split("/")
        is_marker = parts[-1] == ""
        if is_marker:
            parts.pop()
        if not parts or any(part in ("", ".", "..") for part in parts):
            return
        root = f"{where.hostport}/{where.bucket}/{prefix}"
        if withdirs:
            depth_limit = len(parts) if is_marker else len(parts) - 1
            for depth in range(1, depth_limit + 1):
                if maxdepth is None or depth <= maxdepth:
                    name = root + "/".join(parts[:depth])
                    found.setdefault(name, {"name": name, "size": 0, "type": "directory"})
        if not is_marker and (maxdepth is None or len(parts) <= maxdepth):
            name = root + "/".join(parts)
            found[name] = {
                "name": name,
                "size": int(entry["Size"]),
                "type": "file",
                "mtime": entry["LastModified"],
                "created": entry["LastModified"],
                "ETag": entry.get("ETag"),
            }

    def walk(
        self,
        path: str,
        maxdepth: int | None = None,
        topdown: bool = True,
        on_error: Any = "omit",
        **kwargs: Any,
    ) -> Iterator[Any]:
        """``os.walk`` over ``ls``; ``on_error="omit"`` omits only missing paths, other failures raise.

        URL credentials sign each listing of this walk (the scope is entered around each request, not
        held across ``yield``, so code run between steps never borrows them).
        """
        if maxdepth is not None and maxdepth < 1:
            raise ValueError("maxdepth must be at least 1")
        found = _credentials_in((path,))
        detail = kwargs.pop("detail", False)
        yield from self._walk(
            self._strip_protocol(path),
            maxdepth=maxdepth,
            topdown=topdown,
            on_error=on_error,
            detail=detail,
            found=found,
        )

    def _walk(
        self,
        path: str,
        *,
        maxdepth: int | None,
        topdown: bool,
        on_error: Any,
        detail: bool,
        found: Mapping[str, Credentials],
    ) -> Iterator[Any]:
        try:
            with self._credential_scope(found):
                listing = self.ls(path, detail=True)
        except FileNotFoundError as error:
            if on_error == "raise":
                raise
            if callable(on_error):
                on_error(error)
            return
        dirs: dict[str, Any] = {}
        files: dict[str, Any] = {}
        for info in listing:
            name = info["name"].rstrip("/")
            if info["type"] == "directory" and name != path:
                dirs[name.rsplit("/", 1)[-1]] = info
            else:
                files["" if name == path else name.rsplit("/", 1)[-1]] = info
        shown = (dirs, files) if detail else (list(dirs), list(files))
        if topdown:
            yield path, *shown
        if maxdepth is None or maxdepth > 1:
            for info in dirs.values():
                deeper = None if maxdepth is None else maxdepth - 1
                yield from self._walk(
                    info["name"],
                    maxdepth=deeper,
                    topdown=topdown,
                    on_error=on_error,
                    detail=detail,
                    found=found,
                )
        if not topdown:
            yield path, *shown

    def created(self, path: str) -> datetime:
        """S3 keeps no creation time; as in the Java provider it equals the modification time."""
        return self.modified(path)

    def modified(self, path: str) -> datetime:
        mtime: datetime = self.info(path)["mtime"]
        return mtime

    # -- open -----------------------------------------------------------------------------------------
    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        kind, binary = parse_mode(mode)  # refuse r+/a/w+ before touching the network
        where = self._locate(path, need_bucket=True)
        fs = self._fs(where)
        if kind == "x" and fs.is_file("/" + where.key):
            # fsspec callers expect "xb" to fail at open; the upload still sends If-None-Match: *,
            # so a key created in between is not replaced either.
            raise ObjectExistsError(17, "exclusive create: the key exists", where.url())
        policy = None
        if kwargs.get("cache_type") is not None:
            policy = cache_type_policy("open cache_type", kwargs["cache_type"])
        if kwargs.get("policy") is not None:
            policy = read_policy_option("open policy", kwargs["policy"])
        if "r" not in mode:
            writer = fs.open("/" + where.key, mode)
            self._metadata.writing(self._facts_key(where), writer)
            return writer
        if not binary or not where.key or where.key.endswith("/"):
            return fs.open("/" + where.key, mode, policy=policy)
        facts_key = self._facts_key(where)
        raw = S3Reader(fs.client, fs.bucket, fs._key("/" + where.key), config=fs.config, policy=policy)
        facts = self._metadata.get(facts_key)
        if facts is not None and facts.tail and facts.tail_start > 0:
            # Only a *part* of the object is served from memory (a Parquet footer): every other byte
            # is a GET with If-Match, so an object replaced in between fails loudly. A tail that is
            # the whole object would be served without asking the store at all, and could be an old
            # version: such a reader starts afresh.
            raw.preload(facts.size, facts.etag, facts.tail_start, facts.tail, facts.request)
        return _RememberingReader(
            raw,
            remember=lambda known: self._metadata.put(facts_key, trimmed(*known, raw.captured_request)),
            forget=lambda: self._metadata.forget(facts_key),
        )

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        """Write ``value``; ``mode="create"`` is an atomic exclusive create (``If-None-Match: *``)."""
        if mode not in ("overwrite", "create"):
            raise ValueError(f"pipe_file mode must be 'overwrite' or 'create', got {mode!r}")
        with self.open(path, "xb" if mode == "create" else "wb") as handle:
            handle.write(value)

    # -- ranges ---------------------------------------------------------------------------------------
    def cat_file(self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any) -> bytes:
        """The object, or bytes ``[start, end)`` of it, in one ranged GET (negative offsets: fsspec's)."""
        where = self._locate(path, need_bucket=True)
        fs, key = self._fs(where), where.key
        if (start is not None and start < 0) or (end is not None and end < 0):
            with fs.open("/" + key, "rb", policy="random") as file:
                size = file.seek(0, io.SEEK_END)  # one suffix GET, which also holds the object's tail
                first = max(0, size + start) if start is not None and start < 0 else (start or 0)
                last = size if end is None else (max(0, size + end) if end < 0 else min(end, size))
                file.seek(first)
                data: bytes = file.read(max(0, last - first))
                return data
        if start is None and end is None:
            return fs.read_bytes("/" + key)
        return fs.read_ranges("/" + key, [(start or 0, _UNBOUNDED if end is None else end)])[0]

    def cat_ranges(
        self,
        paths: list[str],
        starts: list[int | None] | int | None,
        ends: list[int | None] | int | None,
        max_gap: int | None = None,
        on_error: str = "return",
        **kwargs: Any,
    ) -> list[bytes | Exception]:
        """Byte ranges of objects, in order; objects are read concurrently (at most ``s3.connection.maximum``
        at once), and ranges of one object are coalesced and fetched in parallel
        (``s3.spi.read.vectored.min-seek``/``max-merged``; ``max_gap`` is accepted and left to those keys).

        With ``on_error="return"`` (fsspec's default) a failing object's ranges come back as the exception.
        """
        count = len(paths)
        starts_list = starts if isinstance(starts, list) else [starts] * count
        ends_list = ends if isinstance(ends, list) else [ends] * count
        if not len(starts_list) == len(ends_list) == count:
            raise ValueError(f"cat_ranges needs as many starts and ends as paths ({count})")
        wanted: dict[str, tuple[str, list[tuple[int, int, int]]]] = {}
        for index, (path, start, end) in enumerate(zip(paths, starts_list, ends_list, strict=True)):
            _, parts = wanted.setdefault(self._strip_protocol(path), (path, []))
            parts.append((index, start or 0, _UNBOUNDED if end is None else end))
        results: list[bytes | Exception] = [b""] * count
        groups = list(wanted.values())

        def fetch(group: tuple[str, list[tuple[int, int, int]]]) -> list[bytes]:
            where = self._locate(group[0], need_bucket=True)
            return self._fs(where).read_ranges("/" + where.key, [(s, e) for _, s, e in group[1]])

        # Objects concurrently on the bounded pool (issue 18); fsspec's contract for "return": the error
        # takes the ranges' places. Anything else raises the first failure in path order.
        fetched = self._each(fetch, groups, "return" if on_error == "return" else "raise")
        for (_, parts), got in zip(groups, fetched, strict=True):
            values = [got] * len(parts) if isinstance(got, BaseException) else got
            for (index, _, _), data in zip(parts, values, strict=True):
                results[index] = data
        return results

    # -- changes --------------------------------------------------------------------------------------
    def rm_file(self, path: str) -> None:
        self._metadata.clear()
        where = self._locate(path, need_bucket=True)
        self._fs(where).rm("/" + where.key)

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Delete objects (and with ``recursive`` everything under them), concurrently for many paths.

        Many plain paths: one HEAD each, concurrently (a missing path raises naming it, as S3's DELETE
        would silently succeed), then DeleteObjects in batches of at most 1000 keys per bucket; a path
        that is no object is removed as an empty directory (``rmdir``). A path that is neither raises
        ``FileNotFoundError`` naming it before anything is deleted.
        """
        self._metadata.clear()
        paths = path if isinstance(path, list) else [path]
        if recursive or len(paths) == 1:
            self._each(functools.partial(self._rm_one, recursive=recursive), paths, "raise")
            return
        located = [self._locate(one, need_bucket=True) for one in paths]
        targets = [(self._fs(where), where.key) for where in located]
        is_file = self._each(lambda target: target[0].is_file("/" + target[1]), targets, "raise")
        batches: dict[int, tuple[S3FileSystem, list[str]]] = {}
        directories = []
        for (fs, key), one, file in zip(targets, paths, is_file, strict=True):
            if file:
                batches.setdefault(id(fs), (fs, []))[1].append(key)
            else:
                directories.append(one)
        present = self._each(self.isdir, directories, "raise")
        for one, is_dir in zip(directories, present, strict=True):
            if not is_dir:  # before any delete: a missing path leaves every other path in place
                raise FileNotFoundError(2, "no such file or directory", self.unstrip_protocol(one))
        for fs, keys in batches.values():
            fs._delete_keys(keys)
        self._each(functools.partial(self._rm_one, recursive=False), directories, "raise")

    def _rm_one(self, path: str, *, recursive: bool) -> None:
        where = self._locate(path, need_bucket=True)
        fs = self._fs(where)
        if recursive:
            fs.rm("/" + where.key, recursive=True)
        elif fs.is_file("/" + where.key):
            fs.rm("/" + where.key)
        else:
            fs.rmdir("/" + where.key)

    # -- many paths -----------------------------------------------------------------------------------
    def _each(
        self, function: Callable[[Any], Any], items: list[Any], on_error: str, *, keep_omitted: bool = False
    ) -> list[Any]:
        """``function`` over ``items`` on the bounded pool (:mod:`s3conf.multipath`), results in order.

        The caller's URL credential scopes follow each task into its thread; ``"omit"`` drops the
        missing items from the result (unless ``keep_omitted``: then :data:`~s3conf.multipath.OMITTED`
        stands in their place).
        """
        stack = list(self._scopes.__dict__.get("stack", []))

        def scoped(item: Any) -> Any:
            saved = self._scopes.__dict__.get("stack")
            self._scopes.__dict__["stack"] = list(stack)
            try:
                return function(item)
            finally:
                self._scopes.__dict__["stack"] = saved if saved is not None else []

        results = run_each(scoped, items, workers=fetch_worker_count(self.config), on_error=on_error)
        return results if keep_omitted else [result for result in results if result is not OMITTED]

    def cat(self, path: Any, recursive: bool = False, on_error: str = "raise", **kwargs: Any) -> Any:
        """Contents of one path (bytes), or of many (a dict ``name -> bytes``), read concurrently.

        Many: a list, a glob or ``recursive=True`` (directories are expanded to the files under them
        with one listing each). ``on_error``: ``"raise"`` the first failure, ``"omit"`` the missing paths,
        ``"return"`` the exception as the path's value (:mod:`s3conf.multipath`).
        """
        check_on_error(on_error)
        paths = self._expand_files(path, recursive=recursive)
        if len(paths) > 1 or isinstance(path, list) or paths[0] != self._strip_protocol(path):
            got = self._each(functools.partial(self.cat_file, **kwargs), paths, on_error, keep_omitted=True)
            return {one: data for one, data in zip(paths, got, strict=True) if data is not OMITTED}
        return self.cat_file(paths[0], **kwargs)

    def _expand_files(self, path: Any, *, recursive: bool) -> list[str]:
        """The files ``path`` names, in the caller's order: plain names as given (no request), a glob
        by one listing, and with ``recursive`` each name's files by one flat listing (``find``)."""
        out: list[str] = []
        for one in path if isinstance(path, list) else [path]:
            stripped = self._strip_protocol(one)
            if _GLOB_MAGIC.search(stripped):
                matched = self.glob(one, detail=True)
                for name, entry in matched.items():
                    if entry["type"] != "directory":
                        out.append(name)
                    elif recursive:
                        out.extend(self.find(name))
            elif recursive:
                out.extend(self.find(one))
            else:
                out.append(stripped)
        return list(dict.fromkeys(out))

    def get(self, rpath: Any, lpath: Any, recursive: bool = False, callback: Any = DEFAULT_CALLBACK,
            maxdepth: int | None = None, **kwargs: Any) -> None:  # fmt: skip
        """fsspec's ``get`` (same expansion of names and destinations) through the bulk transfer.

        The files go through :meth:`~s3conf.fs.S3FileSystem.copy_files` (``s5cmd`` when
        ``s3.s5cmd.path`` is set, else the built-in parallel transfer): see :mod:`s3conf.fsspec_bulk`.
        """
        pairs: list[tuple[str, str]] = []
        self._collecting.pairs = pairs
        try:
            super().get(rpath, lpath, recursive=recursive, callback=callback, maxdepth=maxdepth, **kwargs)
        finally:
            self._collecting.pairs = None
        get_many(self, pairs)

    def get_file(self, rpath: str, lpath: Any, callback: Any = DEFAULT_CALLBACK, outfile: Any = None,
                 **kwargs: Any) -> None:  # fmt: skip
        """Copy one object to a local file (created only once the object's first bytes arrived)."""
        if getattr(self._collecting, "pairs", None) is not None and not isfilelike(lpath):
            self._collecting.pairs.append((rpath, lpath))
            return
        self._get_one(rpath, lpath)

    def _get_one(self, rpath: str, lpath: Any) -> None:
        where = self._locate(rpath, need_bucket=True)
        fs = self._fs(where)
        try:
            reader = fs.open("/" + where.key, "rb")
            first = reader.read(_COPY_CHUNK)
        except FileNotFoundError:
            if self.isdir(rpath):
                if not isfilelike(lpath):
                    os.makedirs(lpath, exist_ok=True)
                return
            raise
        with reader:
            if isfilelike(lpath):
                _copy_rest(reader, first, lpath)
                return
            parent = os.path.dirname(lpath)
            if parent:
                os.makedirs(parent, exist_ok=True)
            with open(lpath, "wb") as local:
                _copy_rest(reader, first, local)

    def put(self, lpath: Any, rpath: Any, recursive: bool = False, callback: Any = DEFAULT_CALLBACK,
            maxdepth: int | None = None, **kwargs: Any) -> None:  # fmt: skip
        """fsspec's ``put`` (same expansion of names and destinations) through the bulk transfer.

        See :meth:`get` and :mod:`s3conf.fsspec_bulk`.
        """
        pairs: list[tuple[str, str]] = []
        self._collecting.pairs = pairs
        try:
            super().put(lpath, rpath, recursive=recursive, callback=callback, maxdepth=maxdepth, **kwargs)
        finally:
            self._collecting.pairs = None
        put_many(self, pairs)

    def put_file(self, lpath: Any, rpath: str, callback: Any = DEFAULT_CALLBACK, mode: str = "overwrite",
                 **kwargs: Any) -> None:  # fmt: skip
        """Upload one local file (a local directory writes nothing: directories are inferred)."""
        if mode not in ("overwrite", "create"):
            raise ValueError(f"put_file mode must be 'overwrite' or 'create', got {mode!r}")
        if getattr(self._collecting, "pairs", None) is not None and mode == "overwrite":
            self._collecting.pairs.append((lpath, rpath))
            return
        self._put_one(lpath, rpath, mode=mode)

    def _put_one(self, lpath: Any, rpath: str, mode: str = "overwrite") -> None:
        if isinstance(lpath, str) and os.path.isdir(lpath):
            return
        with open(lpath, "rb") as local, self.open(rpath, "xb" if mode == "create" else "wb") as remote:
            while chunk := local.read(_COPY_CHUNK):
                remote.write(chunk)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        """Create a bucket if asked for one; for keys, write nothing (as s3fs does).

        Directories are inferred from keys, so a directory exists once something is written under it;
        an empty marker would outlive its contents. :meth:`s3conf.fs.S3FileSystem.mkdir` writes one for
        those who want it.
        """
        where = self._locate(path, need_bucket=True)
        if where.key:
            return
        fs = self._fs(where)
        try:
            fs.client.create_bucket(Bucket=where.bucket)
        except (ClientError, BotoCoreError) as error:
            raise translate_error(error, where.bucket, None, endpoint=where.hostport) from error

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Create a bucket if asked for one and it is missing; for keys, write nothing (see :meth:`mkdir`)."""
        where = self._locate(path, need_bucket=True)
        if not where.key and not (exist_ok and self.exists(path)):
            self.mkdir(path)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        """Copy one object (server-side within a store); a directory copies as nothing.

        fsspec's recursive ``copy`` hands directories to ``cp_file`` too; an S3 directory exists only
        through the keys under it, which ``copy`` copies one by one.
        """
        self._metadata.clear()
        source = self._locate(path1, need_bucket=True)
        destination = self._locate(path2, need_bucket=True)
        if self.info(path1)["type"] == "directory":
            return
        same_store = (source.hostport, source.bucket) == (destination.hostport, destination.bucket)
        if same_store and self._credentials_for(source) == self._credentials_for(destination):
            self._fs(source).copy("/" + source.key, "/" + destination.key)
            return
        with self.open(path1, "rb") as reader, self.open(path2, "wb") as writer:
            while chunk := reader.read(io.DEFAULT_BUFFER_SIZE * 256):
                writer.write(chunk)


class _RememberingReader(ReadThroughBuffer):
    """The file ``open(..., "rb")`` returns: on close it hands what its reader learned (size, ETag, the
    object's last bytes) to ``remember``, for the next open of that object (:mod:`s3conf.fsspec_metadata`).
    A reader that found the object changed calls ``forget`` instead: what the instance remembered is of
    an older version, and kept (or, worse, remembered again by this reader) it would fail every open of
    the object until it expired, however often the caller tried again.
    """

    raw: S3Reader

    def __init__(
        self,
        raw: S3Reader,
        *,
        remember: Callable[[tuple[int, str | None, int, bytes]], None],
        forget: Callable[[], None],
    ) -> None:
        super().__init__(raw)
        self._remember = remember
        self._forget = forget

    def close(self) -> None:
        if not self.closed:
            if self.raw.stale:
                self._forget()
            else:
                known = self.raw.known_tail(MAX_TAIL)
                if known is not None:
                    self._remember(known)
        super().close()


_URL_METHODS = (
    "open",
    "cat",
    "cat_file",
    "cat_ranges",
    "pipe",
    "pipe_file",
    "ls",
    "info",
    "exists",
    "lexists",
    "isdir",
    "isfile",
    "find",
    "glob",
    "du",
    "size",
    "sizes",
    "modified",
    "created",
    "checksum",
    "rm",
    "rm_file",
    "mkdir",
    "makedirs",
    "rmdir",
    "touch",
    "cp_file",
    "copy",
    "mv",
    "get",
    "get_file",
    "put",
    "put_file",
    "head",
    "tail",
    "read_text",
    "write_text",
    "read_bytes",
    "write_bytes",
    "read_block",
    "expand_path",
)
for _name in _URL_METHODS:
    setattr(S3XFileSystem, _name, _url_scoped(getattr(S3XFileSystem, _name)))

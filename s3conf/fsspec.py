"""fsspec file system for ``s3x://`` URLs, so pandas, pyarrow and Dask read and write through s3conf.

Registered through the ``fsspec.specs`` entry point (``fsspec.filesystem("s3x")`` finds it). It does
not take over ``s3://``, which belongs to s3fs.

Query engines create **one** file system object per protocol and hand it full URLs, so one
:class:`S3XFileSystem` serves every endpoint: host and port come from each URL and stay in the paths
it returns (``127.0.0.1:9000/bucket/key``), so a path handed back by ``ls`` reaches the same server.
Credentials in a URL (``s3x://AK:SK@host:port/bucket/key``) are remembered for that ``host:port``
(process-wide, as a :class:`~s3conf.redaction.Secret`) and are never part of a returned path, a
``repr`` or an error. Without URL credentials, ``key``/``secret`` storage options apply, then
``s3.access-key``/``s3.secret-key`` from configuration, then boto3's default chain.

Decisions:

* Paths follow the fsspec convention: keys are used verbatim, never percent-decoded, as s3fs does,
  because pandas and pyarrow pass keys unencoded.
* ``_get_kwargs_from_urls`` returns no credentials: fsspec would store them in ``storage_options``
  and in its instance-cache token; URL credentials are taken from each URL instead.
* The endpoint protocol (``http``/``https``) comes from ``s3.spi.endpoint-protocol`` (env
  ``S3_SPI_ENDPOINT_PROTOCOL``) or the ``endpoint_protocol`` storage option.
"""

from __future__ import annotations

import io
import threading
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import unquote

from fsspec.spec import AbstractFileSystem

from s3conf.client import make_client
from s3conf.config import S3Config
from s3conf.endpoint import Endpoint
from s3conf.errors import InvalidURIError, ObjectNotFoundError
from s3conf.fs import FileStat, S3FileSystem, parse_mode
from s3conf.redaction import Secret, shown
from s3conf.uri import check_bucket_name

__all__ = ["S3XFileSystem"]

_PREFIX = "s3x://"


def _split_url(path: str) -> tuple[str, str | None, Secret | None]:
    """``(path without protocol and credentials, access key, secret)`` for an ``s3x://`` URL or path.

    >>> _split_url("s3x://AK:S%2Fk@127.0.0.1:9000/b/k")
    ('127.0.0.1:9000/b/k', 'AK', Secret('***'))
    >>> _split_url("127.0.0.1:9000/b/k")
    ('127.0.0.1:9000/b/k', None, None)
    """
    rest = path[len(_PREFIX) :] if path.startswith(_PREFIX) else path
    authority, slash, tail = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    if not at:
        return rest, None, None
    access_key, colon, secret = userinfo.partition(":")
    if not colon or not access_key:
        raise InvalidURIError(
            f"s3x URL credentials must be ACCESS_KEY:SECRET_KEY, in s3x://***@{hostport}/..."
        )
    return hostport + slash + tail, unquote(access_key), Secret(unquote(secret))


class S3XFileSystem(AbstractFileSystem):  # type: ignore[misc]  # fsspec is untyped
    """fsspec ``AbstractFileSystem`` over :class:`~s3conf.fs.S3FileSystem`, for ``s3x://host:port/bucket/key``.

    Args:
        key: access key for URLs that carry none.
        secret: secret key for URLs that carry none.
        endpoint_protocol: ``http`` or ``https``; default from configuration.
        config: an :class:`S3Config`; default :meth:`S3Config.resolve` (environment included).
    """

    protocol = "s3x"
    root_marker = ""

    _url_credentials: ClassVar[dict[str, tuple[str, Secret]]] = {}
    _url_credentials_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        key: str | None = None,
        secret: str | None = None,
        endpoint_protocol: str | None = None,
        config: S3Config | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        base = config if config is not None else S3Config.resolve()
        if endpoint_protocol is not None:
            base = base.with_values({"s3.spi.endpoint-protocol": endpoint_protocol})
        self.config = base
        self._default_key = key
        self._default_secret = Secret(secret) if secret is not None else None
        self._filesystems: dict[tuple[str, str, str | None], S3FileSystem] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"S3XFileSystem(endpoint_protocol={self.config.endpoint_protocol!r})"

    __str__ = __repr__

    # -- paths ----------------------------------------------------------------------------------------
    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        stripped, access_key, secret = _split_url(str(path))
        if access_key is not None and secret is not None:
            hostport = stripped.partition("/")[0]
            with cls._url_credentials_lock:
                cls._url_credentials[hostport.lower()] = (access_key, secret)
        return stripped.rstrip("/")

    @staticmethod
    def _get_kwargs_from_urls(path: str) -> dict[str, Any]:
        """Nothing: host, port and credentials are read from every URL, not fixed per instance."""
        return {}

    def unstrip_protocol(self, name: str) -> str:
        """``s3x://host:port/bucket/key``, never with credentials."""
        stripped: str = self._strip_protocol(name)
        return _PREFIX + stripped

    def _parts(self, path: str) -> tuple[str, str, str]:
        """``(host:port, bucket, key)``; bucket and key may be empty."""
        stripped = self._strip_protocol(path)
        hostport, _, rest = stripped.partition("/")
        if not hostport:
            raise InvalidURIError(f"s3x path needs host:port/bucket/key, got {shown(stripped)}")
        bucket, _, key = rest.partition("/")
        if bucket:
            check_bucket_name(bucket)
        return hostport, bucket, key

    def _endpoint(self, hostport: str) -> Endpoint:
        with self._url_credentials_lock:
            credentials = self._url_credentials.get(hostport.lower())
        access_key, secret = credentials or (self._default_key, self._default_secret)
        if access_key is None:
            access_key, secret = self.config.access_key, self.config.secret_key
        return Endpoint(
            name=hostport,
            url=f"{self.config.endpoint_protocol}://{hostport}",
            region=self.config.region or "us-east-1",
            access_key=access_key,
            secret_key=secret,
            path_style=True,
        )

    def _fs(self, hostport: str, bucket: str) -> S3FileSystem:
        endpoint = self._endpoint(hostport)
        cache_key = (hostport.lower(), bucket, endpoint.access_key)
        with self._lock:
            fs = self._filesystems.get(cache_key)
            if fs is None:
                client = make_client(endpoint, self.config)
                fs = S3FileSystem(bucket, endpoint=endpoint, config=self.config, client=client)
                self._filesystems[cache_key] = fs
        return fs

    def _entry(self, hostport: str, bucket: str, stat: FileStat) -> dict[str, Any]:
        name = f"{hostport}/{bucket}/{stat.key}".rstrip("/")
        return {
            "name": name,
            "size": stat.size,
            "type": "directory" if stat.is_dir else "file",
            "mtime": stat.mtime,
            "created": stat.ctime,
            "ETag": stat.etag,
        }

    # -- queries --------------------------------------------------------------------------------------
    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        hostport, bucket, key = self._parts(path)
        if not bucket:
            client = make_client(self._endpoint(hostport), self.config)
            buckets = client.list_buckets().get("Buckets", [])
            entries = [{"name": f"{hostport}/{b['Name']}", "size": 0, "type": "directory"} for b in buckets]
        else:
            fs = self._fs(hostport, bucket)
            try:
                entries = [self._entry(hostport, bucket, stat) for stat in fs.scandir("/" + key)]
            except ObjectNotFoundError:
                entries = [self.info(path)]
                if entries[0]["type"] == "directory":
                    entries = []
        return entries if detail else [entry["name"] for entry in entries]

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        hostport, bucket, key = self._parts(path)
        if not bucket:
            return {"name": hostport, "size": 0, "type": "directory"}
        stat = self._fs(hostport, bucket).stat("/" + key)
        return self._entry(hostport, bucket, stat)

    def created(self, path: str) -> datetime:
        """S3 keeps no creation time; as in the Java provider it equals the modification time."""
        return self.modified(path)

    def modified(self, path: str) -> datetime:
        info = self.info(path)
        mtime: datetime = info["mtime"]
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
        parse_mode(mode)  # refuse r+/a/w+ before touching the network
        hostport, bucket, key = self._parts(path)
        return self._fs(hostport, bucket).open("/" + key, mode)

    # -- changes --------------------------------------------------------------------------------------
    def rm_file(self, path: str) -> None:
        hostport, bucket, key = self._parts(path)
        self._fs(hostport, bucket).rm("/" + key)

    def _rm(self, path: str) -> None:
        self.rm_file(path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        paths = path if isinstance(path, list) else [path]
        for one in paths:
            hostport, bucket, key = self._parts(one)
            fs = self._fs(hostport, bucket)
            if recursive:
                fs.rm("/" + key, recursive=True)
            elif fs.is_file("/" + key):
                fs.rm("/" + key)
            else:
                fs.rmdir("/" + key)

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        hostport, bucket, key = self._parts(path)
        fs = self._fs(hostport, bucket)
        if key:
            fs.mkdir("/" + key, parents=create_parents, exist_ok=True)
        else:
            fs.client.create_bucket(Bucket=bucket)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        """Create a bucket if asked for one; for keys, write nothing.

        fsspec calls this before every write (``auto_mkdir``) and a write already makes its parents
        exist (directories are inferred from keys), so no marker objects are left behind. An explicit
        :meth:`mkdir` does write a marker.
        """
        key = self._parts(path)[2]
        if not key and not (exist_ok and self.exists(path)):
            self.mkdir(path)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        source, destination = self._parts(path1), self._parts(path2)
        if source[:2] == destination[:2]:
            self._fs(*source[:2]).copy("/" + source[2], "/" + destination[2])
            return
        with self.open(path1, "rb") as reader, self.open(path2, "wb") as writer:
            while chunk := reader.read(io.DEFAULT_BUFFER_SIZE * 256):
                writer.write(chunk)

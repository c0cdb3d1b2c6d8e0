"""Peer readers a user would otherwise pick, each with its defaults, replaying the same plans.

- ``peer:s3fs``: ``s3fs.S3FileSystem(...).open(path, "rb")``, default block size (50 MiB) and
  ``readahead`` cache, as pandas/fsspec users get it;
- ``peer:pyarrow``: ``pyarrow.fs.S3FileSystem(...).open_input_file(path)`` (random-access file);
- ``peer:obstore``: ``obstore.open_reader(store, key)`` (buffered reader, 1 MiB buffer by default);
- ``peer:boto3-download``: ``client.download_fileobj`` into memory (boto3's default multi-threaded
  transfer), then the reads served from that copy: "just download it".

A peer whose package is missing is reported as skipped with the reason (:func:`available_peers`),
never replaced by something else. The file-system objects and clients are built before the clock starts;
opening the file (which may HEAD the object) is inside it, because every open pays it.
"""

from __future__ import annotations

import importlib.metadata
import io
from typing import Any

from s3conf.endpoint import Endpoint
from suites.bench.contenders import BenchObject, Clock, Contender, Measured, replay
from suites.bench.results import Skipped
from suites.bench.workloads import Read


def _secret(endpoint: Endpoint) -> str | None:
    return endpoint.secret_key.reveal() if endpoint.secret_key is not None else None


class _Peer:
    kind = "peer"
    fragment_size = None
    fragment_number = None
    concurrency = None
    name = "peer:?"

    def open(self, obj: BenchObject) -> Any:
        raise NotImplementedError

    def run(self, obj: BenchObject, plan: tuple[Read, ...]) -> Measured:
        clock = Clock()
        file = self.open(obj)
        try:
            replay(file, plan, clock, self.name)
        finally:
            file.close()
        seconds, ttfb, cpu = clock.stop()
        return Measured(seconds, ttfb, cpu)

    def close(self) -> None:
        return None


class S3fsPeer(_Peer):
    """s3fs with its default read-ahead (``block_size`` 50 MiB, ``cache_type="readahead"``)."""

    name = "peer:s3fs"

    def __init__(self, endpoint: Endpoint) -> None:
        import s3fs

        self.fs = s3fs.S3FileSystem(
            key=endpoint.access_key,
            secret=_secret(endpoint),
            client_kwargs={"endpoint_url": endpoint.url, "region_name": endpoint.region},
            skip_instance_cache=True,
            use_listings_cache=False,
        )

    def open(self, obj: BenchObject) -> Any:
        self.fs.invalidate_cache()
        return self.fs.open(f"{obj.bucket}/{obj.key}", "rb")


class PyarrowPeer(_Peer):
    """pyarrow's native S3 file system (``open_input_file``: a random-access file)."""

    name = "peer:pyarrow"

    def __init__(self, endpoint: Endpoint) -> None:
        from pyarrow import fs

        self.fs = fs.S3FileSystem(
            access_key=endpoint.access_key,
            secret_key=_secret(endpoint),
            endpoint_override=endpoint.netloc,
            scheme=endpoint.scheme,
            region=endpoint.region,
        )

    def open(self, obj: BenchObject) -> Any:
        return self.fs.open_input_file(f"{obj.bucket}/{obj.key}")


class _ObstoreFile:
    """``ReadableFile`` has no ``close`` in some releases; give :func:`replay` a uniform handle."""

    def __init__(self, file: Any) -> None:
        self.file = file
        self.seek = file.seek
        self.read = file.read

    def close(self) -> None:
        close = getattr(self.file, "close", None)
        if close is not None:
            close()


class ObstorePeer(_Peer):
    """obstore's buffered reader with its default buffer size."""

    name = "peer:obstore"

    def __init__(self, endpoint: Endpoint, bucket: str) -> None:
        from obstore.store import S3Store

        self.store = S3Store(
            bucket,
            endpoint=endpoint.url,
            access_key_id=endpoint.access_key,
            secret_access_key=_secret(endpoint),
            region=endpoint.region,
            virtual_hosted_style_request=not endpoint.path_style,
            client_options={"allow_http": True},
        )

    def open(self, obj: BenchObject) -> Any:
        import obstore

        return _ObstoreFile(obstore.open_reader(self.store, obj.key))


class Boto3DownloadPeer(_Peer):
    """``download_fileobj`` of the whole object into memory, then the plan read from the copy."""

    name = "peer:boto3-download"

    def __init__(self, endpoint: Endpoint) -> None:
        import boto3

        self.client = boto3.client("s3", **endpoint.client_kwargs())

    def open(self, obj: BenchObject) -> Any:
        buffer = io.BytesIO()
        self.client.download_fileobj(obj.bucket, obj.key, buffer)
        return buffer


# name -> (distribution that must be installed, factory(endpoint, bucket))
PEERS: dict[str, tuple[str, Any]] = {
    "s3fs": ("s3fs", lambda ep, bucket: S3fsPeer(ep)),
    "pyarrow": ("pyarrow", lambda ep, bucket: PyarrowPeer(ep)),
    "obstore": ("obstore", ObstorePeer),
    "boto3-download": ("boto3", lambda ep, bucket: Boto3DownloadPeer(ep)),
}


def peer_versions() -> dict[str, str]:
    """Installed versions of the peers' distributions (missing ones are left out)."""
    versions = {}
    for distribution, _ in PEERS.values():
        try:
            versions[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def available_peers(
    names: list[str], endpoint: Endpoint, bucket: str
) -> tuple[list[Contender], list[Skipped]]:
    """Build the named peers; each one that cannot be built is skipped with the reason."""
    peers: list[Contender] = []
    skipped: list[Skipped] = []
    for name in names:
        distribution, factory = PEERS[name]
        try:
            peers.append(factory(endpoint, bucket))
        except ImportError as error:
            skipped.append(Skipped(f"peer:{name}", f"{distribution} is not installed ({error})"))
    return peers, skipped

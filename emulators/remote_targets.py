"""Targets that already run somewhere: real AWS S3 and any endpoint a vendor hands out.

Nothing is launched; ``start`` only checks that the endpoint answers. Both are shared stores, so the
suites must keep inside buckets whose names carry a prefix the owner chose (``bucket_prefix``), and
AWS never runs unless asked for explicitly: credentials alone are not consent to create buckets.
"""

from __future__ import annotations

import dataclasses
import re

from emulators.base import Capabilities, Emulator, wait_until_ready
from emulators.clients import probe_client
from s3conf.endpoint import Endpoint
from s3conf.errors import ConfigError, TargetError
from s3conf.redaction import Secret

#: Longest prefix that still leaves room for ``s3conf-`` and 16 random characters in 63.
MAX_BUCKET_PREFIX = 40
_PREFIX = re.compile(r"^([a-z0-9][a-z0-9.-]*)?$")


def check_bucket_prefix(prefix: str, source: str) -> str:
    """Validate a bucket-name prefix so every name built from it is a legal S3 bucket name.

    >>> check_bucket_prefix("team-a-", "--bucket-prefix")
    'team-a-'
    >>> check_bucket_prefix("Team", "--bucket-prefix")
    Traceback (most recent call last):
    ...
    s3conf.errors.ConfigError: bucket prefix 'Team' from --bucket-prefix must be lowercase letters, ...
    """
    if len(prefix) > MAX_BUCKET_PREFIX or not _PREFIX.match(prefix) or ".." in prefix:
        raise ConfigError(
            f"bucket prefix {prefix!r} from {source} must be lowercase letters, digits, '.' or '-', "
            f"start with a letter or digit, and be at most {MAX_BUCKET_PREFIX} characters"
        )
    return prefix


def _reachable_probe(endpoint: Endpoint) -> str | None:
    """Any HTTP answer proves the endpoint is up; a refused ListBuckets is fine (keys may be scoped)."""
    from botocore.exceptions import ClientError

    client = probe_client(endpoint)
    try:
        response = client.list_buckets()
    except ClientError as error:
        headers: dict[str, str] = error.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        return headers.get("server")
    server: str | None = response.get("ResponseMetadata", {}).get("HTTPHeaders", {}).get("server")
    return server


class ExternalEmulator(Emulator):
    """Any S3-compatible endpoint given by URL and keys (``--endpoint``/``S3CONF_ENDPOINT``).

    Capabilities default to full S3: a vendor claiming compatibility is tested on everything, and the
    conformance report shows what fails.
    """

    name = "external"

    def __init__(
        self,
        *,
        endpoint: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        region: str | None = None,
        bucket_prefix: str = "",
        path_style: bool = True,
    ) -> None:
        super().__init__()
        self.url = endpoint
        self.access_key = access_key
        self._secret_key = secret_key
        self.region = region or "us-east-1"
        self.bucket_prefix = check_bucket_prefix(bucket_prefix, "--bucket-prefix")
        self.path_style = path_style

    def available(self) -> tuple[bool, str]:
        if not self.url:
            return (
                False,
                "no endpoint given (pass --endpoint URL --access-key KEY --secret-key SECRET, "
                "or set S3CONF_ENDPOINT)",
            )
        if (self.access_key is None) != (self._secret_key is None):
            return False, "--access-key and --secret-key must be given together"
        return True, f"endpoint {self.url}"

    @property
    def launch_flags(self) -> tuple[str, ...]:
        return (f"endpoint={self.url}", f"region={self.region}", f"path_style={self.path_style}")

    def _start(self) -> Endpoint:
        assert self.url is not None
        endpoint = Endpoint(
            name=self.name,
            url=self.url.rstrip("/"),
            region=self.region,
            access_key=self.access_key,
            secret_key=Secret(self._secret_key) if self._secret_key is not None else None,
            path_style=self.path_style,
        )
        server = wait_until_ready(
            lambda: _reachable_probe(endpoint),
            deadline_seconds=20,
            describe=f"external endpoint {endpoint.url}",
            secrets=endpoint.secrets(),
        )
        return dataclasses.replace(endpoint, version=server)

    def _stop(self) -> None:
        """Nothing to stop: the endpoint is not ours."""


class AWSEmulator(Emulator):
    """Real Amazon S3: opt-in through resolvable credentials and ``S3CONF_AWS_BUCKET_PREFIX``."""

    name = "aws"
    capabilities = Capabilities()

    def __init__(self, *, bucket_prefix: str | None = None, region: str | None = None) -> None:
        super().__init__()
        self._prefix_given = bucket_prefix
        if bucket_prefix:
            self.bucket_prefix = check_bucket_prefix(bucket_prefix, "S3CONF_AWS_BUCKET_PREFIX")
        self.region = region or "us-east-1"

    def available(self) -> tuple[bool, str]:
        if not self._prefix_given:
            return False, (
                "opt-in only: set S3CONF_AWS_BUCKET_PREFIX (buckets are created and deleted under it) "
                "and provide AWS credentials"
            )
        if not _local_aws_credentials():
            return False, "no AWS credentials in the environment or shared config/credentials files"
        return True, f"AWS S3 in {self.region}, buckets prefixed {self.bucket_prefix!r}"

    @property
    def launch_flags(self) -> tuple[str, ...]:
        return (f"region={self.region}", f"bucket_prefix={self.bucket_prefix}")

    def _start(self) -> Endpoint:
        # Credentials stay with boto3's default chain, so they never pass through our objects.
        endpoint = Endpoint(
            name=self.name,
            url=f"https://s3.{self.region}.amazonaws.com",
            region=self.region,
            path_style=False,
        )
        client = probe_client(endpoint)
        try:
            client.list_buckets(MaxBuckets=1)
        except Exception as error:
            raise TargetError(f"AWS S3 in {self.region} did not answer ListBuckets: {error}") from error
        return Endpoint(
            name=endpoint.name, url=endpoint.url, region=endpoint.region, path_style=False, version="AWS S3"
        )

    def _stop(self) -> None:
        """Nothing to stop."""


def _local_aws_credentials() -> bool:
    """Whether botocore finds credentials without touching the network.

    The instance-metadata and container providers are removed from the chain: on a laptop they would
    each wait for a timeout, and a target listing must be instant.
    """
    import botocore.session

    session = botocore.session.get_session()
    resolver = session.get_component("credential_provider")
    for provider in ("iam-role", "container-role"):
        resolver.remove(provider)
    try:
        return resolver.load_credentials() is not None
    except Exception:  # a broken profile means "not configured here"
        return False

"""Targets that already run somewhere: real AWS S3 and any endpoint a vendor hands out.

Nothing is launched; ``start`` only checks that the endpoint answers. Both are shared stores, so the
suites must keep inside buckets whose names carry a prefix the owner chose (``bucket_prefix``), and
AWS never runs unless asked for explicitly: credentials alone are not consent to create buckets.

**Skip or error.** Only a target that is genuinely not configured here is *unavailable* (a skip with
the reason): no ``--endpoint`` for ``external``; no ``S3CONF_AWS_BUCKET_PREFIX``, or no credentials
anywhere, for ``aws``. Once the user has opted in, whatever goes wrong (a profile that does not exist
or does not parse, half a key pair, an endpoint URL that is not one, a store that does not answer)
is a :class:`~s3conf.errors.TargetError` from ``start`` naming the cause, so a broken setup fails
loudly instead of hiding as a skip. Credentials are never part of the message.
"""

from __future__ import annotations

import dataclasses
import os
import re

from emulators.base import Capabilities, Emulator, wait_until_ready
from emulators.clients import probe_client
from s3conf.endpoint import Endpoint
from s3conf.errors import ConfigError, InvalidURIError, TargetError
from s3conf.redaction import Secret, redact, redact_userinfo

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
        return True, f"endpoint {redact_userinfo(self.url)}"

    @property
    def launch_flags(self) -> tuple[str, ...]:
        url = redact_userinfo(self.url) if self.url else self.url
        return (f"endpoint={url}", f"region={self.region}", f"path_style={self.path_style}")

    def _start(self) -> Endpoint:
        assert self.url is not None
        if (self.access_key is None) != (self._secret_key is None):
            raise TargetError("external target: --access-key and --secret-key must be given together")
        try:
            endpoint = Endpoint(
                name=self.name,
                url=self.url.rstrip("/"),
                region=self.region,
                access_key=self.access_key,
                secret_key=Secret(self._secret_key) if self._secret_key is not None else None,
                path_style=self.path_style,
            )
        except InvalidURIError as error:
            raise TargetError(f"external target: {error}") from None
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
        try:
            found = _local_aws_credentials()
        except TargetError:
            # Configured and opted in, but broken: available, so that start() fails with the cause.
            return True, f"AWS S3 in {self.region}: credentials are configured but do not load"
        if not found:
            return False, "no AWS credentials in the environment or shared config/credentials files"
        return True, f"AWS S3 in {self.region}, buckets prefixed {self.bucket_prefix!r}"

    @property
    def launch_flags(self) -> tuple[str, ...]:
        return (f"region={self.region}", f"bucket_prefix={self.bucket_prefix}")

    def _start(self) -> Endpoint:
        from botocore.exceptions import BotoCoreError, ClientError

        _local_aws_credentials()  # a broken profile fails here, naming the cause, before any request
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
        except (BotoCoreError, ClientError) as error:
            raise TargetError(
                f"AWS S3 in {self.region} did not answer ListBuckets: {_without_credentials(error)}"
            ) from None
        return Endpoint(
            name=endpoint.name, url=endpoint.url, region=endpoint.region, path_style=False, version="AWS S3"
        )

    def _stop(self) -> None:
        """Nothing to stop."""


def _local_aws_credentials() -> bool:
    """Whether botocore finds credentials without touching the network.

    The instance-metadata and container providers are removed from the chain: on a laptop they would
    each wait for a timeout, and a target listing must be instant.

    Raises:
        TargetError: credentials are configured but cannot be loaded (a profile that does not exist
            or does not parse, half a key pair, a failing ``credential_process``), naming the cause.
    """
    import botocore.session
    from botocore.exceptions import BotoCoreError

    try:
        session = botocore.session.get_session()
        resolver = session.get_component("credential_provider")
        for provider in ("iam-role", "container-role"):
            resolver.remove(provider)
        return resolver.load_credentials() is not None
    except (BotoCoreError, OSError, ValueError) as error:
        raise TargetError(f"AWS credentials could not be loaded: {_without_credentials(error)}") from None


def _without_credentials(error: BaseException) -> str:
    """``error``'s type and first line, with the secrets the environment holds masked and the text cut.

    botocore messages name files, profiles and variables, not values, but a ``credential_process``
    error quotes the process's output, which may hold anything.
    """
    from botocore.exceptions import CredentialRetrievalError

    if isinstance(error, CredentialRetrievalError):
        provider = error.kwargs.get("provider", "a credential provider")
        return f"{type(error).__name__}: {provider} failed (its output is not shown: it may hold credentials)"
    known = (os.environ.get(name) for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"))
    first_line = (str(error).strip().splitlines() or [""])[0]
    text = redact(first_line, known)
    return f"{type(error).__name__}: {text[:300]}"

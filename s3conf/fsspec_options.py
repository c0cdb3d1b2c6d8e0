"""The ``storage_options`` of ``s3x://``: s3fs's names and meanings, checked once, unknown ones refused.

A data engineer moving from ``s3://`` (s3fs) passes the same options and gets the same behaviour:

========================== ================================================================================
option                     meaning
========================== ================================================================================
``key``, ``secret``        credentials for URLs that carry none (both or neither)
``token``                  session token of temporary credentials (with ``key``/``secret``)
``anon``                   unsigned requests, no credentials at all (public buckets); URL credentials
                           still sign the requests of that URL
``endpoint_url``           ``http(s)://host[:port]``: the protocol to use for that host (s3x URLs name the
                           host themselves, so this chooses http or https per host)
``use_ssl``                ``False`` = plain HTTP, ``True`` = HTTPS, for every host of this instance
``endpoint_protocol``      ``"http"`` or ``"https"`` (s3conf's name for the same choice as ``use_ssl``)
``client_kwargs``          boto3 client arguments s3fs users put there: ``endpoint_url``, ``region_name``,
                           ``verify``, ``use_ssl``, ``aws_access_key_id``, ``aws_secret_access_key``,
                           ``aws_session_token``
``config_kwargs``          ``botocore.config.Config`` arguments (timeouts, retries, ``s3`` addressing...)
``profile``                a named AWS profile for credentials
``verify``                 ``False`` (no TLS verification) or the path of a CA bundle
``config``                 an :class:`~s3conf.config.S3Config` (default: resolved from the environment)
``policy``                 the read policy of every file this instance opens (``adaptive``, ``sequential``,
                           ``random``, ``whole``; S3A's spellings too): ``s3.spi.read.policy`` for this
                           instance; ``open(..., policy=)`` still picks one per file
``default_cache_type``     s3fs's name for the same choice, as an fsspec cache type, mapped by
                           :data:`CACHE_TYPE_POLICIES` (``none``/``parts`` -> ``random``, ``all`` ->
                           ``whole``, ``readahead``/``background`` -> ``sequential``, the others ->
                           ``adaptive``); ``policy`` wins when both are given
``metadata_ttl``           seconds an object's size, ETag and footer bytes learned by one request serve
                           the next calls of this instance (default 2; 0 = never reused), see
                           :mod:`s3conf.fsspec_metadata`
========================== ================================================================================

fsspec's listing-cache options (``use_listings_cache``, ``listings_expiry_time``, ``max_paths``) are
accepted and have no effect: listings are never cached, so a listing is never stale. Anything else,
including s3fs options that have no meaning here (``requester_pays``, ``version_aware``...), raises
:class:`~s3conf.errors.ConfigError` naming it: a silently ignored option is a wrong answer later.

>>> options = StorageOptions.parse({"endpoint_url": "http://minio:9000", "key": "AK", "secret": "SK"})
>>> options.protocol_for("minio:9000"), options.protocol_for("other:9000")
('http', 'https')
>>> options.credentials
('AK', Secret('***'))
>>> StorageOptions.parse({"default_cache_type": "none"}).read_policy
'random'
>>> StorageOptions.parse({"policy": "fast"})
Traceback (most recent call last):
...
s3conf.errors.ConfigError: storage option policy='fast' is not a read policy (adaptive, default, normal, ...
>>> StorageOptions.parse({"requester_pays": True})
Traceback (most recent call last):
...
s3conf.errors.ConfigError: unknown storage option 'requester_pays' for s3x:// (supported: anon, ...
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from s3conf.client_options import ClientOptions
from s3conf.config import S3Config
from s3conf.errors import ConfigError
from s3conf.readpolicy import POLICIES, parse_policy
from s3conf.redaction import Secret

__all__ = [
    "CACHE_TYPE_POLICIES",
    "DEFAULT_METADATA_TTL",
    "KNOWN_OPTIONS",
    "StorageOptions",
    "cache_type_policy",
    "read_policy_option",
]

#: fsspec ``cache_type`` values and the read policy that serves the same intent (``policy=`` wins).
CACHE_TYPE_POLICIES = {
    "none": "random",
    "parts": "random",
    "all": "whole",
    "readahead": "sequential",
    "background": "sequential",
    "bytes": "adaptive",
    "blockcache": "adaptive",
    "first": "adaptive",
    "mmap": "adaptive",
}

#: Seconds an object's size, ETag and tail bytes are reused by the calls of one instance (one pandas call).
DEFAULT_METADATA_TTL = 2.0


def read_policy_option(name: str, value: Any) -> str:
    """The canonical read policy named by option ``name``; ``ConfigError`` naming the value otherwise."""
    try:
        return parse_policy(value)
    except ValueError:
        raise ConfigError(f"{name}={value!r} is not a read policy ({', '.join(sorted(POLICIES))})") from None


def cache_type_policy(name: str, value: Any) -> str:
    """The read policy for an fsspec cache type; ``ConfigError`` naming an unknown one."""
    policy = CACHE_TYPE_POLICIES.get(str(value).strip().lower())
    if policy is None:
        raise ConfigError(
            f"{name}={value!r} is not an fsspec cache type s3x understands "
            f"({', '.join(CACHE_TYPE_POLICIES)}; or pass policy=)"
        )
    return policy


_CLIENT_KWARGS = {
    "endpoint_url": "endpoint_url",
    "region_name": "region",
    "verify": "verify",
    "use_ssl": "use_ssl",
    "aws_access_key_id": "key",
    "aws_secret_access_key": "secret",
    "aws_session_token": "token",
}
_IGNORED = frozenset({"use_listings_cache", "listings_expiry_time", "max_paths"})
KNOWN_OPTIONS = frozenset(
    {
        "key",
        "secret",
        "token",
        "anon",
        "endpoint_url",
        "use_ssl",
        "endpoint_protocol",
        "client_kwargs",
        "config_kwargs",
        "profile",
        "verify",
        "config",
        "region",
        "policy",
        "default_cache_type",
        "metadata_ttl",
    }
    | _IGNORED
)
"""Every storage option ``s3x`` understands (besides the URL credentials fsspec passes internally)."""


def _secret(name: str, value: Any) -> Secret | None:
    if value is None or isinstance(value, Secret):
        return value
    if isinstance(value, str):
        return Secret(value)
    raise ConfigError(f"storage option {name!r} must be a string, got {type(value).__name__}")


@dataclass(frozen=True)
class StorageOptions:
    """Parsed storage options of one fsspec instance."""

    config: S3Config
    protocol: str
    host_protocols: tuple[tuple[str, str], ...] = ()
    credentials: tuple[str, Secret] | None = None
    token: Secret | None = None
    anonymous: bool = False
    verify: bool | str | None = None
    profile: str | None = None
    config_kwargs: Mapping[str, Any] = field(default_factory=dict)
    read_policy: str | None = None
    metadata_ttl: float = DEFAULT_METADATA_TTL

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> StorageOptions:
        """Check and merge ``options`` (s3fs names, ``client_kwargs`` folded in).

        Raises:
            ConfigError: an unknown option, a conflict (two values for one setting, ``anon`` with
                credentials, a key without its secret), or a value of the wrong kind; named, never shown
                when secret.
        """
        values = dict(options)
        unknown = sorted(set(values) - KNOWN_OPTIONS)
        if unknown:
            raise ConfigError(
                f"unknown storage option {unknown[0]!r} for s3x:// "
                f"(supported: {', '.join(sorted(KNOWN_OPTIONS))})"
            )
        for name, value in dict(values.pop("client_kwargs", None) or {}).items():
            if name not in _CLIENT_KWARGS:
                raise ConfigError(
                    f"unsupported client_kwargs key {name!r} for s3x:// "
                    f"(supported: {', '.join(_CLIENT_KWARGS)})"
                )
            target = _CLIENT_KWARGS[name]
            if values.get(target) is not None and values[target] != value:
                raise ConfigError(f"client_kwargs[{name!r}] conflicts with storage option {target!r}")
            values[target] = value
        config = values.get("config")
        if config is None:
            config = S3Config.resolve()
        elif not isinstance(config, S3Config):
            raise ConfigError(f"storage option 'config' must be an S3Config, got {type(config).__name__}")
        if values.get("region") is not None:
            config = config.with_values({"s3.spi.region": values["region"]})
        read_policy = None
        if values.get("default_cache_type") is not None:
            read_policy = cache_type_policy("storage option default_cache_type", values["default_cache_type"])
        if values.get("policy") is not None:
            read_policy = read_policy_option("storage option policy", values["policy"])
        if read_policy is not None:
            config = config.with_values({"s3.spi.read.policy": read_policy})
        metadata_ttl = cls._metadata_ttl(values.get("metadata_ttl"))
        protocol = cls._protocol(values, config)
        host_protocols = cls._host_protocols(values.get("endpoint_url"))
        key, secret = values.get("key"), _secret("secret", values.get("secret"))
        token = _secret("token", values.get("token"))
        if (key is None) != (secret is None):
            raise ConfigError("storage options 'key' and 'secret' must be given together")
        if key is not None and not isinstance(key, str):
            raise ConfigError(f"storage option 'key' must be a string, got {type(key).__name__}")
        if token is not None and key is None:
            raise ConfigError("storage option 'token' needs 'key' and 'secret' (temporary credentials)")
        anonymous = bool(values.get("anon", False))
        if anonymous and (key is not None or values.get("profile") is not None):
            raise ConfigError(
                "storage option anon=True sends unsigned requests: drop 'key'/'secret'/'profile'"
            )
        profile = values.get("profile")
        if profile is not None:
            import boto3

            available = boto3.session.Session().available_profiles
            if profile not in available:
                raise ConfigError(
                    f"storage option profile {profile!r} not found (profiles: {sorted(available)})"
                )
        verify = values.get("verify")
        if verify is not None and not isinstance(verify, bool | str):
            raise ConfigError(f"storage option 'verify' must be a bool or a CA bundle path, got {verify!r}")
        config_kwargs = dict(values.get("config_kwargs") or {})
        ClientOptions.from_config_kwargs(config_kwargs)  # refuses unknown keys now, not at first request
        return cls(
            config=config,
            protocol=protocol,
            host_protocols=host_protocols,
            credentials=(key, secret) if key is not None and secret is not None else None,
            token=token,
            anonymous=anonymous,
            verify=verify,
            profile=profile,
            config_kwargs=config_kwargs,
            read_policy=read_policy,
            metadata_ttl=metadata_ttl,
        )

    @staticmethod
    def _metadata_ttl(value: Any) -> float:
        if value is None:
            return DEFAULT_METADATA_TTL
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 3600:
            raise ConfigError(f"storage option metadata_ttl must be seconds in [0, 3600], got {value!r}")
        return float(value)

    @staticmethod
    def _protocol(values: Mapping[str, Any], config: S3Config) -> str:
        chosen: dict[str, str] = {}
        if values.get("endpoint_protocol") is not None:
            protocol = str(values["endpoint_protocol"]).lower()
            if protocol not in ("http", "https"):
                raise ConfigError(
                    "storage option endpoint_protocol must be 'http' or 'https', "
                    f"got {values['endpoint_protocol']!r}"
                )
            chosen["endpoint_protocol"] = protocol
        if values.get("use_ssl") is not None:
            chosen["use_ssl"] = "https" if values["use_ssl"] else "http"
        if len(set(chosen.values())) > 1:
            raise ConfigError(f"storage options disagree on http/https: {chosen}")
        return next(iter(chosen.values()), config.endpoint_protocol)

    @staticmethod
    def _host_protocols(endpoint_url: Any) -> tuple[tuple[str, str], ...]:
        if endpoint_url is None:
            return ()
        parts = urlsplit(str(endpoint_url))
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
            raise ConfigError(
                f"storage option endpoint_url must be http(s)://host[:port], got {endpoint_url!r}"
            )
        if parts.username is not None:
            raise ConfigError("storage option endpoint_url must not carry credentials (use key/secret)")
        netloc = parts.netloc.lower()
        default_port = 443 if parts.scheme == "https" else 80
        with_port = netloc if parts.port is not None else f"{netloc}:{default_port}"
        return tuple(sorted({(netloc, parts.scheme), (with_port, parts.scheme)}))

    def protocol_for(self, hostport: str) -> str:
        """``http`` or ``https`` for ``hostport``: ``endpoint_url``'s scheme for its host, else default."""
        return dict(self.host_protocols).get(hostport.lower(), self.protocol)

    def client_options(self, *, url_credentials: bool, ambient: str = "") -> ClientOptions:
        """Client settings; a URL's own credentials sign its requests, without this instance's token."""
        return ClientOptions.from_config_kwargs(
            self.config_kwargs,
            session_token=None if url_credentials else self.token,
            anonymous=self.anonymous and not url_credentials,
            verify=self.verify,
            profile=self.profile,
            ambient=ambient,
        )

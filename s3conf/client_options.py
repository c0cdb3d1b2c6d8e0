"""Client settings beyond an :class:`~s3conf.endpoint.Endpoint` and an :class:`~s3conf.config.S3Config`.

These are what s3fs users pass as ``storage_options`` and boto3 users as client arguments: a session
token, anonymous (unsigned) access, a CA bundle or ``verify=False``, a named profile, and botocore
``Config`` arguments. They are a frozen value so :func:`s3conf.client.make_client` can key its cache on
them; the session token is a :class:`~s3conf.redaction.Secret` and never printed.

Unknown ``config_kwargs`` keys are refused here, naming the key, instead of failing deep inside
botocore or being ignored.

>>> ClientOptions(anonymous=True, verify="/etc/ca.pem")
ClientOptions(session_token=None, anonymous=True, verify='/etc/ca.pem', profile=None, config_kwargs=())
>>> ClientOptions.from_config_kwargs({"connect_timeout": 5}).config_kwargs
(('connect_timeout', 5),)
>>> ClientOptions.from_config_kwargs({"conect_timeout": 5})
Traceback (most recent call last):
...
s3conf.errors.ConfigError: unknown config_kwargs key 'conect_timeout' (botocore.config.Config takes ...
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.config import Config

from s3conf.errors import ConfigError
from s3conf.redaction import MASK, Secret

__all__ = ["ClientOptions"]


@dataclass(frozen=True)
class ClientOptions:
    """Extra client settings; the defaults change nothing.

    Args:
        session_token: temporary-credential token (``aws_session_token``), sent with the keys.
        anonymous: send unsigned requests, with no credentials at all (public buckets).
        verify: ``False`` to skip TLS verification, or the path of a CA bundle; ``None`` = boto3's default.
        profile: a named profile from the AWS config files for credentials.
        config_kwargs: ``botocore.config.Config`` arguments, applied over s3conf's own.
        ambient: a digest of the environment boto3's default credential chain reads (``AWS_*``), so a
            client built before those variables changed is not reused after; never the values.
    """

    session_token: Secret | None = None
    anonymous: bool = False
    verify: bool | str | None = None
    profile: str | None = None
    config_kwargs: tuple[tuple[str, Any], ...] = ()
    ambient: str = ""

    def __repr__(self) -> str:
        token = MASK if self.session_token is not None else None
        return (
            f"ClientOptions(session_token={token}, anonymous={self.anonymous!r}, verify={self.verify!r}, "
            f"profile={self.profile!r}, config_kwargs={self.config_kwargs!r})"
        )

    @classmethod
    def from_config_kwargs(cls, config_kwargs: Mapping[str, Any] | None, **fields: Any) -> ClientOptions:
        """Options with ``config_kwargs`` checked against what ``botocore.config.Config`` accepts."""
        items = dict(config_kwargs or {})
        known = set(Config.OPTION_DEFAULTS)
        for name in items:
            if name not in known:
                raise ConfigError(
                    f"unknown config_kwargs key {name!r} (botocore.config.Config takes {sorted(known)})"
                )
        return cls(config_kwargs=tuple(sorted(items.items())), **fields)

    def cache_key(self) -> tuple[Any, ...]:
        """A hashable identity for client caching (config values may be dicts, so they are serialised)."""
        config = json.dumps(self.config_kwargs, sort_keys=True, default=repr)
        return (self.session_token, self.anonymous, self.verify, self.profile, config, self.ambient)

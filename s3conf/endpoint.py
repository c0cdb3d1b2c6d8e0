"""Where an S3 store is and how to sign for it.

An :class:`Endpoint` is what every target launcher returns and what clients are built from. It is a
pure value: no network, no environment. The secret key is a :class:`~s3conf.redaction.Secret`, so an
endpoint can be logged, put in an exception or a report without leaking it.

>>> ep = Endpoint(name="moto", url="http://127.0.0.1:5000", access_key="AKIA", secret_key="hunter2")
>>> ep  # doctest: +NORMALIZE_WHITESPACE
Endpoint(name='moto', url='http://127.0.0.1:5000', region='us-east-1', access_key='AKIA',
         secret_key=***, path_style=True, version=None)
>>> "hunter2" in repr(ep) or "hunter2" in str(ep)
False
>>> ep.host, ep.port, ep.scheme
('127.0.0.1', 5000, 'http')
>>> ep.client_kwargs()["aws_secret_access_key"]
'hunter2'
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from s3conf.errors import InvalidURIError
from s3conf.redaction import MASK, Secret, redact_userinfo, shown

_DEFAULT_PORTS = {"http": 80, "https": 443}


def endpoint_url(setting: str, protocol: str) -> str:
    """The URL an ``s3.spi.endpoint`` setting names: a full URL as given, ``host[:port]`` with ``protocol``.

    >>> endpoint_url("localhost:9000", "http"), endpoint_url("https://s3.example.com/", "http")
    ('http://localhost:9000', 'https://s3.example.com')
    """
    url = setting if "://" in setting else f"{protocol}://{setting}"
    return url.rstrip("/")


def endpoint_url_problem(url: str) -> str | None:
    """Why ``url`` is not an endpoint URL (``http(s)://host[:port]``), or ``None`` when it is one.

    The answer never quotes the URL (callers show it through :func:`s3conf.redaction.shown`), and no
    ``ValueError`` of :func:`urllib.parse.urlsplit` escapes: it raises for unbalanced IPv6 brackets and
    for characters that NFKC normalisation turns into ``/``, ``?``, ``#``, ``@`` or ``:``, and quotes
    the whole netloc, credentials included, when it does.

    >>> endpoint_url_problem("http://127.0.0.1:9000") is None
    True
    >>> endpoint_url_problem("http://AK:SK@h:9000"), endpoint_url_problem("http://h:99999")
    ('must not contain credentials', 'port out of range 1-65535 (at most 5 digits)')
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "not a URL (unbalanced IPv6 brackets, or characters that normalise to URL delimiters)"
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname or any(c.isspace() for c in parts.netloc):
        return "must be http(s)://host[:port]"
    if "@" in parts.netloc:
        return "must not contain credentials"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "must have no path, query or fragment"
    port_text = parts.netloc.rpartition("]")[2].partition(":")[2]
    if port_text and not (port_text.isascii() and port_text.isdigit()):
        return "the port must be a number"
    # Length first: urlsplit's .port, like int(), refuses more than 4300 digits with a bare ValueError.
    if port_text and not (len(port_text) <= 5 and 1 <= int(port_text) <= 65535):
        return "port out of range 1-65535 (at most 5 digits)"
    return None


@dataclass(frozen=True)
class Endpoint:
    """An S3 endpoint: URL, region, credentials and addressing style.

    ``url`` is ``scheme://host[:port]`` with no path. ``access_key``/``secret_key`` may be ``None``,
    in which case clients fall back to the default credential chain (env, profile, instance role).
    ``version`` is the server's version when a launcher knows it, for reports.
    """

    name: str
    url: str
    region: str = "us-east-1"
    access_key: str | None = None
    secret_key: Secret | None = field(default=None)
    path_style: bool = True
    version: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.secret_key, str):
            object.__setattr__(self, "secret_key", Secret(self.secret_key))
        problem = endpoint_url_problem(self.url)
        if problem:
            raise InvalidURIError(f"endpoint URL {shown(self.url)}: {problem}")
        if (self.access_key is None) != (self.secret_key is None):
            raise InvalidURIError(
                f"endpoint {shown(self.name)}: access key and secret key must be given together"
            )

    def __repr__(self) -> str:
        secret = MASK if self.secret_key is not None else None
        return (
            f"Endpoint(name={redact_userinfo(self.name)!r}, url={self.url!r}, region={self.region!r}, "
            f"access_key={self.access_key!r}, secret_key={secret or 'None'}, "
            f"path_style={self.path_style!r}, version={self.version!r})"
        )

    __str__ = __repr__

    @property
    def scheme(self) -> str:
        """``http`` or ``https``."""
        return urlsplit(self.url).scheme

    @property
    def host(self) -> str:
        """Host name or IP address, without port."""
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        """The port, defaulted from the scheme when the URL has none."""
        return urlsplit(self.url).port or _DEFAULT_PORTS[self.scheme]

    @property
    def netloc(self) -> str:
        """``host:port`` as it appears in ``s3x://`` URIs (port always written)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def with_credentials(self, access_key: str | None, secret_key: Secret | str | None) -> Endpoint:
        """A copy with other credentials (used by tests that prove auth is enforced)."""
        secret = Secret(secret_key) if isinstance(secret_key, str) else secret_key
        return dataclasses.replace(self, access_key=access_key, secret_key=secret)

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``boto3.client("s3", ...)``; the only place the secret is revealed.

        Addressing style goes in a botocore ``Config``, which callers build (they also add timeouts
        and pool sizes), so it is returned separately by :meth:`addressing_style`.
        """
        kwargs: dict[str, Any] = {"endpoint_url": self.url, "region_name": self.region}
        if self.access_key is not None and self.secret_key is not None:
            kwargs["aws_access_key_id"] = self.access_key
            kwargs["aws_secret_access_key"] = self.secret_key.reveal()
        return kwargs

    def addressing_style(self) -> str:
        """``path`` or ``virtual``, for ``botocore.config.Config(s3={"addressing_style": ...})``."""
        return "path" if self.path_style else "virtual"

    def secrets(self) -> tuple[Secret, ...]:
        """The secrets this endpoint carries, for :func:`s3conf.redaction.redact`."""
        return (self.secret_key,) if self.secret_key is not None else ()

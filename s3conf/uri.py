"""Parse and format ``s3://``, ``s3a://``, ``s3p://`` and ``s3x://`` URIs, losslessly.

``s3://bucket/key`` names an object on the configured endpoint (AWS by default); ``s3a://`` and
``s3p://`` are Flink's aliases for the same locations and normalise to ``s3`` (the spelling the user
gave is kept in :attr:`S3URI.given_scheme`). ``s3x://[access:secret@]host[:port]/bucket/key`` carries
its own endpoint, as in the Java NIO.2 provider; the endpoint protocol is not in the URI but comes from
``s3.spi.endpoint-protocol`` and is passed in as ``protocol``.

This module does no path arithmetic: the key is returned exactly as stored in S3, percent-decoded,
so ``a//b`` stays ``a//b`` and ``parse_uri(format_uri(bucket, key)).key == key`` for every key
(the Java provider turns ``+`` into a space; we do not). :class:`s3conf.paths.S3Path` adds path
semantics on top.

Decisions a caller may trip over, made deliberately:

* An unencoded ``?`` or ``#`` is an error rather than a silently dropped query or fragment: S3 keys
  may contain both, so ``s3://b/a#1`` is ambiguous. Write ``%3F`` and ``%23``.
* A ``%`` not followed by two hex digits, or escapes that are not UTF-8, are errors; raw non-ASCII
  characters and spaces are accepted as typed.
* Scheme and host are case-insensitive and lower-cased; an ``s3x`` URI without a port gets the
  protocol's default port (443 or 80), so the endpoint name is always ``host:port``.
* Credentials (``s3x`` only) become an :class:`~s3conf.endpoint.Endpoint` whose secret is a
  :class:`~s3conf.redaction.Secret`; they never appear in ``repr``, ``str``, :meth:`S3URI.as_uri` or an
  error message, and take no part in equality. A secret containing ``/``, ``?``, ``#``, ``@`` or
  ``:`` must be percent-encoded; if it is not, error messages mask everything up to the last ``@``.

>>> u = parse_uri("s3a://some-bucket/input/my%20file+1")
>>> u.scheme, u.given_scheme, u.bucket, u.key, u.endpoint
('s3', 's3a', 'some-bucket', 'input/my file+1', None)
>>> u.as_uri()
's3://some-bucket/input/my%20file%2B1'
>>> x = parse_uri("s3x://AKIA:s3cr%2Ft@my-s3-service:9000/some-bucket/input/file", protocol="http")
>>> x.endpoint.name, x.endpoint.url, x.endpoint.secret_key.reveal()
('my-s3-service:9000', 'http://my-s3-service:9000', 's3cr/t')
>>> x  # doctest: +ELLIPSIS
S3URI(scheme='s3x', ..., endpoint='my-s3-service:9000', credentials=***)
>>> x.as_uri()
's3x://my-s3-service:9000/some-bucket/input/file'
>>> format_uri("b-1", "a//b?#%")
's3://b-1/a//b%3F%23%25'
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from s3conf.endpoint import Endpoint
from s3conf.errors import InvalidURIError
from s3conf.redaction import MASK, Secret, shown, userinfo_span

SCHEMES = {"s3": "s3", "s3a": "s3", "s3p": "s3", "s3x": "s3x"}
"""Accepted schemes and the canonical scheme each one means."""

PROTOCOLS = {"https": 443, "http": 80}
"""Endpoint protocols for ``s3x`` URIs and their default ports."""

_BUCKET_CHARS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_IPV4_LIKE = re.compile(r"\d+\.\d+\.\d+\.\d+")
_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9._-]*[a-z0-9_])?")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ZONE = re.compile(r"[A-Za-z0-9._~-]+")


def check_bucket_name(bucket: str) -> str:
    """Return ``bucket`` if it follows the S3 naming rules, else raise :class:`InvalidURIError`.

    The rules are the general-purpose bucket rules every S3-compatible store accepts: 3-63 characters
    of lowercase letters, digits, ``.`` and ``-``, a letter or digit at both ends, no ``..``, and not
    shaped like an IPv4 address. AWS's reserved prefixes and suffixes (``xn--``, ``-s3alias``...) are
    not rejected, because other stores allow them and a client must be able to reach what exists.

    >>> check_bucket_name("my-bucket.v2")
    'my-bucket.v2'
    >>> check_bucket_name("My_Bucket")
    Traceback (most recent call last):
    ...
    s3conf.errors.InvalidURIError: invalid bucket name 'My_Bucket': only lowercase letters, digits, ...
    """
    if not isinstance(bucket, str):
        raise TypeError(f"bucket name must be a str, got {type(bucket).__name__}")
    problem = _bucket_problem(bucket)
    if problem:
        raise InvalidURIError(f"invalid bucket name {shown(bucket)}: {problem}")
    return bucket


def _bucket_problem(bucket: str) -> str:
    if not 3 <= len(bucket) <= 63:
        return f"must be 3 to 63 characters long, not {len(bucket)}"
    if not re.fullmatch(r"[a-z0-9.-]+", bucket):
        return "only lowercase letters, digits, '.' and '-' are allowed"
    if not _BUCKET_CHARS.fullmatch(bucket):
        return "must begin and end with a lowercase letter or digit"
    if ".." in bucket:
        return "must not contain '..'"
    if _IPV4_LIKE.fullmatch(bucket):
        return "must not be formatted as an IP address"
    return ""


def _check_protocol(protocol: str) -> str:
    normal = protocol.lower() if isinstance(protocol, str) else protocol
    if normal not in PROTOCOLS:
        raise InvalidURIError(f"endpoint protocol must be 'http' or 'https', got {shown(protocol)}")
    return str(normal)


def encode_key(key: str) -> str:
    """Percent-encode ``key`` for a URI: everything but RFC 3986 unreserved characters and ``/``.

    >>> encode_key("dir/ä b+c%")
    'dir/%C3%A4%20b%2Bc%25'
    """
    return quote(key, safe="/")


@dataclass(frozen=True, eq=False)
class S3URI:
    """A parsed S3 URI: which endpoint (``None`` for ``s3://``), which bucket, which raw key.

    Two URIs are equal when they name the same object: same canonical scheme, endpoint ``host:port``,
    bucket and key. The spelling of the scheme, the endpoint protocol and credentials do not count.
    """

    scheme: str
    bucket: str
    key: str
    endpoint: Endpoint | None = None
    given_scheme: str = ""

    def __post_init__(self) -> None:
        if not self.given_scheme:
            object.__setattr__(self, "given_scheme", self.scheme)

    def _identity(self) -> tuple[str, str | None, str, str]:
        netloc = self.endpoint.netloc.lower() if self.endpoint is not None else None
        return (self.scheme, netloc, self.bucket, self.key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, S3URI):
            return NotImplemented
        return self._identity() == other._identity()

    def __hash__(self) -> int:
        return hash(self._identity())

    def __repr__(self) -> str:
        endpoint = repr(self.endpoint.netloc) if self.endpoint is not None else "None"
        credentials = f", credentials={MASK}" if self.endpoint is not None and self.endpoint.secrets() else ""
        return (
            f"S3URI(scheme={self.scheme!r}, given_scheme={self.given_scheme!r}, bucket={self.bucket!r}, "
            f"key={self.key!r}, endpoint={endpoint}{credentials})"
        )

    def __str__(self) -> str:
        return self.as_uri()

    def as_uri(self) -> str:
        """The canonical URI (``s3://`` or ``s3x://host:port/``), without credentials."""
        return format_uri(self.bucket, self.key, endpoint=self.endpoint)


def format_uri(bucket: str, key: str = "", *, endpoint: Endpoint | None = None) -> str:
    """Build the canonical URI for ``key`` in ``bucket``; the inverse of :func:`parse_uri`.

    With an ``endpoint`` the result is ``s3x://host:port/bucket/key``; the endpoint's protocol and
    credentials are deliberately left out (the protocol is configuration, credentials are secret).

    >>> format_uri("mybucket", "foo/./baa")
    's3://mybucket/foo/./baa'
    >>> format_uri("b-1", "k", endpoint=Endpoint(name="local", url="http://[::1]:9000"))
    's3x://[::1]:9000/b-1/k'
    """
    check_bucket_name(bucket)
    if not isinstance(key, str):
        raise TypeError(f"key must be a str, got {type(key).__name__}")
    if endpoint is None:
        return f"s3://{bucket}/{encode_key(key)}"
    return f"s3x://{endpoint.netloc.lower()}/{bucket}/{encode_key(key)}"


class _Parser:
    """One parse of one URI; knows which characters may be secret so errors can mask them."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        start = uri.find("://")
        self.rest_start = start + 3 if start >= 0 else 0
        # Everything that may be userinfo (up to the last '@', wherever the scheme separator is, even
        # when an unencoded '/' in a secret makes the real authority ambiguous) is never shown.
        self.secret_span = userinfo_span(uri) or (0, 0)

    def show(self, start: int, end: int) -> str:
        """``repr`` of ``uri[start:end]`` (shortened if huge), or the mask when it overlaps the
        possibly secret span."""
        lo, hi = self.secret_span
        if start < hi and end > lo:
            return repr(MASK)
        return shown(self.uri[start:end])

    def fail(self, message: str) -> InvalidURIError:
        return InvalidURIError(f"{message} in URI {shown(self.uri)}")

    def decode(self, start: int, end: int, what: str, *, secret: bool = False) -> str:
        text = self.uri[start:end]
        shown = repr(MASK) if secret else self.show(start, end)
        if _BAD_ESCAPE.search(text):
            raise self.fail(f"malformed percent-escape in {what} {shown}")
        try:
            return unquote(text, errors="strict")
        except UnicodeDecodeError:
            pass  # raised below, outside the handler, so no __context__ carries the raw bytes
        raise self.fail(f"percent-escapes in {what} {shown} are not UTF-8")


def parse_uri(uri: str, *, protocol: str = "https") -> S3URI:
    """Split an S3 URI into scheme, endpoint, bucket and percent-decoded key.

    Args:
        uri: ``s3://``, ``s3a://``, ``s3p://`` or ``s3x://`` URI.
        protocol: ``http`` or ``https``, the protocol of an ``s3x`` endpoint (``s3.spi.endpoint-protocol``).

    Raises:
        InvalidURIError: naming the offending part (scheme, host, port, bucket, escape, query...);
            credentials are masked in the message.

    >>> parse_uri("s3x://myendpoint.com:1000/mybucket").endpoint.url
    'https://myendpoint.com:1000'
    >>> parse_uri("s3://foo/foobar/x").key
    'foobar/x'
    >>> parse_uri("s3x://AKIA:hunter2@host:99999/b-1/k")
    Traceback (most recent call last):
    ...
    s3conf.errors.InvalidURIError: port '99999' out of range 1-65535 in URI 's3x://***@host:99999/b-1/k'
    """
    if not isinstance(uri, str):
        raise TypeError(f"URI must be a str, got {type(uri).__name__}")
    protocol = _check_protocol(protocol)
    p = _Parser(uri)
    scheme_end = uri.find("://")
    if scheme_end < 0:
        raise p.fail("missing scheme (expected s3://, s3a://, s3p:// or s3x://)")
    given = uri[:scheme_end].lower()
    if given not in SCHEMES:
        raise p.fail(f"unknown scheme {p.show(0, scheme_end)} (expected s3, s3a, s3p or s3x)")
    for char, part, code in (("?", "query", "%3F"), ("#", "fragment", "%23")):
        index = uri.find(char, p.rest_start)
        if index >= 0:
            raise p.fail(f"unexpected {part} {p.show(index, len(uri))}; write {char!r} in keys as {code}")
    authority_end = uri.find("/", p.rest_start)
    if authority_end < 0:
        authority_end = len(uri)
    scheme = SCHEMES[given]
    endpoint = None
    bucket_start = p.rest_start
    if scheme == "s3x":
        endpoint = _parse_endpoint(p, p.rest_start, authority_end, protocol)
        bucket_start = authority_end + 1
    elif "@" in uri[p.rest_start : authority_end]:
        raise p.fail(f"credentials are only allowed in s3x:// URIs, not {given}://")
    if bucket_start > len(uri):
        raise p.fail("missing bucket")
    bucket_end = uri.find("/", bucket_start)
    key_start = bucket_end + 1 if bucket_end >= 0 else len(uri)
    bucket_end = bucket_end if bucket_end >= 0 else len(uri)
    bucket = uri[bucket_start:bucket_end]
    if not bucket:
        raise p.fail("missing bucket")
    problem = _bucket_problem(bucket)
    if problem:
        raise p.fail(f"invalid bucket name {p.show(bucket_start, bucket_end)}: {problem}")
    key = p.decode(key_start, len(uri), "key")
    return S3URI(scheme=scheme, bucket=bucket, key=key, endpoint=endpoint, given_scheme=given)


def _parse_endpoint(p: _Parser, start: int, end: int, protocol: str) -> Endpoint:
    """Parse ``[access:secret@]host[:port]`` in ``p.uri[start:end]`` into an :class:`Endpoint`."""
    authority = p.uri[start:end]
    at = authority.rfind("@")
    access_key = secret_key = None
    if at >= 0:
        colon = authority.find(":", 0, at)
        if colon < 0:
            raise p.fail("access key without a secret key (expected access:secret@host)")
        access_key = p.decode(start, start + colon, "access key", secret=True)
        secret_key = p.decode(start + colon + 1, start + at, "secret key", secret=True)
        if not access_key or not secret_key:
            raise p.fail("empty access key or secret key (expected access:secret@host)")
    host_start = start + at + 1
    hostport = p.uri[host_start:end]
    port_text: str | None = None
    if hostport.startswith("["):
        close = hostport.find("]")
        if close < 0:
            raise p.fail(f"unterminated IPv6 host {p.show(host_start, end)}")
        host = hostport[1:close]
        if not _is_ipv6(host):
            raise p.fail(f"invalid IPv6 host {p.show(host_start, host_start + close + 1)}")
        if not _ZONE.fullmatch(host.partition("%")[2] or "-"):
            raise p.fail(
                f"invalid IPv6 zone in {p.show(host_start, host_start + close + 1)}: "
                "only ASCII letters, digits, '.', '-', '_' and '~' are allowed"
            )
        host_text = f"[{host.lower()}]"
        after = hostport[close + 1 :]
        if after and not after.startswith(":"):
            raise p.fail(f"unexpected {p.show(host_start + close + 1, end)} after IPv6 host")
        port_text = after[1:] if after else None
        port_start = host_start + close + 2
    else:
        host, port_sep, port = hostport.partition(":")
        if not host:
            raise p.fail("empty endpoint host (expected s3x://host[:port]/bucket/key)")
        if not (host.isascii() and _HOST_NAME.fullmatch(host.lower())):
            raise p.fail(f"invalid endpoint host {p.show(host_start, host_start + len(host))}")
        host_text = host.lower()
        port_text = port if port_sep else None
        port_start = host_start + len(host) + 1
    port_number = PROTOCOLS[protocol] if port_text is None else _parse_port(p, port_text, port_start, end)
    netloc = f"{host_text}:{port_number}"
    return Endpoint(
        name=netloc,
        url=f"{protocol}://{netloc}",
        access_key=access_key,
        secret_key=Secret(secret_key) if secret_key is not None else None,
        path_style=True,
    )


def _parse_port(p: _Parser, port_text: str, start: int, end: int) -> int:
    """The port in ``p.uri[start:end]`` (``port_text``): 1-65535, ASCII digits, leading zeros allowed."""
    if not port_text:
        raise p.fail("empty port after ':'")
    if not (port_text.isascii() and port_text.isdigit()):
        raise p.fail(f"invalid port {p.show(start, end)}")
    # Compare the length first: int() refuses strings of more than 4300 digits with a bare ValueError.
    digits = port_text.lstrip("0") or "0"
    port_number = int(digits) if len(digits) <= 5 else 65536
    if not 1 <= port_number <= 65535:
        raise p.fail(f"port {p.show(start, end)} out of range 1-65535")
    return port_number


def _is_ipv6(host: str) -> bool:
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True

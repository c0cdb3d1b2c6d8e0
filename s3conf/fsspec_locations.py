"""Where an fsspec ``s3x`` path points: host:port, bucket, key, and the credentials its URL carries.

Two spellings reach the fsspec layer, and each is read one way only:

* an ``s3x://[access:secret@]host[:port]/bucket/key`` **URL** is parsed by :func:`s3conf.uri.parse_uri`,
  so its key is percent-decoded exactly as ``S3Path.from_uri`` decodes it (``%20`` is a space, ``%2B`` a
  ``+``, a raw ``+`` stays ``+``) and an ``S3Path.as_uri()`` opens the object it names;
* a bare ``host:port/bucket/key`` **path** (fsspec's stripped form: what ``ls``/``find``/``glob`` return
  and what ``url_to_fs`` hands pandas and Dask) is taken verbatim, so every returned name opens again,
  whatever characters its key holds (``%``, ``+``, spaces, unicode).

A URL whose credentials contain an unencoded ``/`` cannot be split unambiguously; the error says to
percent-encode it and shows nothing before the last ``@``.

>>> where = locate("s3x://AK:s%2Fk@Minio:9000/data/my%20file+1")
>>> where.hostport, where.bucket, where.key, where.credentials
('minio:9000', 'data', 'my file+1', ('AK', Secret('***')))
>>> where.stripped()
'minio:9000/data/my file+1'
>>> locate("minio:9000/data/a%20b").key
'a%20b'
>>> locate("s3x://AK:se/cret@minio:9000/data/k")
Traceback (most recent call last):
...
s3conf.errors.InvalidURIError: cannot parse s3x URL 's3x://***@minio:9000/data/k': percent-encode / in ...
"""

from __future__ import annotations

from dataclasses import dataclass

from s3conf.errors import InvalidURIError
from s3conf.redaction import Secret, shown
from s3conf.uri import check_bucket_name, encode_key, parse_uri

__all__ = ["PREFIX", "Location", "locate"]

PREFIX = "s3x://"
_PLACEHOLDER_BUCKET = "placeholder-bucket"


@dataclass(frozen=True)
class Location:
    """One ``s3x`` location; ``bucket`` and ``key`` may be empty (host or bucket level).

    ``hostport`` is the authority as written, lower-cased (the port may be absent: the endpoint
    protocol then supplies it). ``credentials`` are those of the URL, never of anything remembered.
    """

    hostport: str
    bucket: str = ""
    key: str = ""
    credentials: tuple[str, Secret] | None = None

    def stripped(self) -> str:
        """fsspec's form: ``host:port/bucket/key`` without credentials or trailing ``/``."""
        return "/".join(part for part in (self.hostport, self.bucket, self.key) if part).rstrip("/")

    def url(self) -> str:
        """``s3x://host:port/bucket/key`` with the key percent-encoded, never with credentials."""
        tail = "/".join(part for part in (self.bucket, encode_key(self.key)) if part)
        return f"{PREFIX}{self.hostport}/{tail}" if tail else f"{PREFIX}{self.hostport}"


def locate(path: str) -> Location:
    """Parse an ``s3x://`` URL (percent-decoded) or a bare ``host:port/bucket/key`` path (verbatim).

    Raises:
        InvalidURIError: no host, a bad bucket name, a bad escape or port, credentials outside a URL
            or with an unencoded ``/``; the message never contains any part of the credentials.
    """
    if not isinstance(path, str):
        raise TypeError(f"s3x path must be a str, got {type(path).__name__}")
    if path[: len(PREFIX)].lower() == PREFIX:
        return _locate_url(PREFIX + path[len(PREFIX) :])
    hostport, _, rest = path.partition("/")
    if "@" in hostport:
        raise InvalidURIError(
            f"credentials are only read from s3x:// URLs, not from the bare path {shown(path)}"
        )
    if not hostport:
        raise InvalidURIError(f"s3x path needs host:port/bucket/key, got {shown(path)}")
    bucket, _, key = rest.partition("/")
    if bucket:
        check_bucket_name(bucket)
    return Location(hostport.lower(), bucket, key)


def _locate_url(url: str) -> Location:
    rest = url[len(PREFIX) :]
    slash = rest.find("/")
    authority = rest if slash < 0 else rest[:slash]
    host_only = slash < 0 or not rest[slash + 1 :].strip("/")
    try:
        parsed = parse_uri(
            f"{PREFIX}{authority}/{_PLACEHOLDER_BUCKET}" if host_only else url.rstrip("/") or url,
            protocol="https",
        )
    except InvalidURIError as error:
        at = rest.rfind("@")
        if at > slash >= 0:
            raise InvalidURIError(
                f"cannot parse s3x URL {shown(url)}: percent-encode / in credentials "
                "(as %2F; likewise @ : ? # as %40 %3A %3F %23)"
            ) from None
        raise error from None
    endpoint = parsed.endpoint
    assert endpoint is not None  # an s3x URI always has one
    hostport = authority.rpartition("@")[2].lower()
    credentials = None
    if endpoint.access_key is not None and endpoint.secret_key is not None:
        credentials = (endpoint.access_key, endpoint.secret_key)
    if host_only:
        return Location(hostport, credentials=credentials)
    return Location(hostport, parsed.bucket, parsed.key, credentials)

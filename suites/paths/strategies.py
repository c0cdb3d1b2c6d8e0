"""Hypothesis strategies for S3 keys, path elements, paths, buckets and endpoints.

They lean towards the characters that broke other S3 libraries (``+``, ``%``, spaces, ``#``, ``?``,
unicode, repeated ``/``) while still exploring all of Unicode except lone surrogates, which cannot be
encoded as UTF-8 and so cannot be S3 keys.
"""

from __future__ import annotations

from hypothesis import strategies as st

from s3conf.endpoint import Endpoint
from s3conf.paths import S3Path
from s3conf.redaction import Secret

TRICKY = (" ", "+", "%", "#", "?", "&", "=", "~", "é", "€", "日本", "\t", "%2F", "%zz", ":", "@", "\\")
BUCKETS = ("some-bucket", "mybucket", "my-bucket", "foo", "b.1-2", "a" * 63)
HOSTS = ("localhost", "my-s3-service", "myendpoint.com", "127.0.0.1", "[::1]", "[2001:db8::7]", "minio_1")

_chars = st.characters(codec="utf-8", exclude_characters="/")


def names() -> st.SearchStrategy[str]:
    """Path elements with no special meaning: never empty, never ``.`` or ``..``, no ``/``."""
    text = st.one_of(
        st.text(_chars, min_size=1, max_size=8),
        st.lists(st.sampled_from((*TRICKY, "a", "b", "x.txt", "...", ".hidden")), min_size=1, max_size=3).map(
            "".join
        ),
    )
    return text.filter(lambda name: name not in (".", ".."))


def segments() -> st.SearchStrategy[str]:
    """Path elements including the special ``.`` and ``..``."""
    return st.one_of(names(), st.sampled_from((".", "..")))


def keys() -> st.SearchStrategy[str]:
    """Raw S3 keys: any text, with a bias to ``/`` runs, leading/trailing ``/`` and tricky characters."""
    pieces = st.one_of(
        st.text(st.characters(codec="utf-8"), max_size=6),
        st.sampled_from((*TRICKY, "/", "//", ".", "..")),
    )
    return st.lists(pieces, max_size=8).map("".join)


def path_strings(*, dots: bool = True, absolute: bool | None = None) -> st.SearchStrategy[str]:
    """Path spellings: optional leading ``/``, elements joined by runs of ``/``, optional trailing ``/``."""
    elements = segments() if dots else names()

    @st.composite
    def build(draw: st.DrawFn) -> str:
        parts = draw(st.lists(elements, max_size=6))
        separators = [draw(st.sampled_from(("/", "/", "/", "//"))) for _ in parts[1:]]
        text = parts[0] if parts else ""
        for separator, part in zip(separators, parts[1:], strict=True):
            text += separator + part
        lead: bool = draw(st.booleans()) if absolute is None else absolute
        if lead:
            text = draw(st.sampled_from(("/", "/", "//"))) + text
        trailing_slash: bool = draw(st.booleans())
        if parts and trailing_slash:
            text += "/"
        return text

    return build()


def buckets() -> st.SearchStrategy[str]:
    """Valid bucket names: the fixed examples plus generated DNS-like names."""
    generated = st.from_regex(r"[a-z0-9]([a-z0-9-]{1,20}\.)?[a-z0-9-]{0,20}[a-z][a-z0-9]", fullmatch=True)
    return st.one_of(st.sampled_from(BUCKETS), generated)


def credentials() -> st.SearchStrategy[tuple[str, str]]:
    """(access key, secret key) pairs; secrets start with ``SK`` so tests can look for them in text."""
    access = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
    secret = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789/+=:@?#%", min_size=8, max_size=40).map(
        lambda s: "SK" + s
    )
    return st.tuples(access, secret)


def endpoints(*, with_credentials: bool | None = None) -> st.SearchStrategy[Endpoint]:
    """Endpoints as an ``s3x`` URI would produce them (name ``host:port``), with or without credentials."""

    @st.composite
    def build(draw: st.DrawFn) -> Endpoint:
        host = draw(st.sampled_from(HOSTS))
        port = draw(st.integers(min_value=1, max_value=65535))
        protocol = draw(st.sampled_from(("http", "https")))
        netloc = f"{host}:{port}"
        endpoint = Endpoint(name=netloc, url=f"{protocol}://{netloc}")
        wanted: bool = draw(st.booleans()) if with_credentials is None else with_credentials
        if wanted:
            access, secret = draw(credentials())
            endpoint = endpoint.with_credentials(access, Secret(secret))
        return endpoint

    return build()


def paths(
    *, dots: bool = True, absolute: bool | None = None, bucket: str | None = None
) -> st.SearchStrategy[S3Path]:
    """``S3Path`` values over generated spellings, optionally on an ``s3x`` endpoint."""
    bucket_names = st.just(bucket) if bucket is not None else buckets()
    return st.builds(
        lambda b, text, endpoint: S3Path(b, text, endpoint=endpoint),
        bucket_names,
        path_strings(dots=dots, absolute=absolute),
        st.one_of(st.none(), endpoints()),
    )

"""Properties of :mod:`s3conf.uri`: lossless round trips, canonical output, aliases, secrecy."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3conf.endpoint import Endpoint
from s3conf.errors import InvalidURIError
from s3conf.uri import format_uri, parse_uri
from suites.paths.strategies import buckets, credentials, endpoints, keys

_CANONICAL_KEY = re.compile(r"(?:[A-Za-z0-9\-._~/]|%[0-9A-F]{2})*")


@given(buckets(), keys())
def test_format_then_parse_is_lossless(bucket: str, key: str) -> None:
    parsed = parse_uri(format_uri(bucket, key))
    assert (parsed.scheme, parsed.bucket, parsed.key, parsed.endpoint) == ("s3", bucket, key, None)


@given(buckets(), keys(), endpoints())
def test_format_then_parse_is_lossless_with_endpoint(bucket: str, key: str, endpoint: Endpoint) -> None:
    parsed = parse_uri(format_uri(bucket, key, endpoint=endpoint), protocol=endpoint.scheme)
    assert (parsed.scheme, parsed.bucket, parsed.key) == ("s3x", bucket, key)
    assert parsed.endpoint is not None
    assert (parsed.endpoint.name, parsed.endpoint.url) == (endpoint.name, endpoint.url)
    assert parsed.endpoint.secret_key is None


@given(buckets(), keys())
def test_formatted_key_uses_only_unreserved_slash_and_escapes(bucket: str, key: str) -> None:
    uri = format_uri(bucket, key)
    prefix = f"s3://{bucket}/"
    assert uri.startswith(prefix)
    assert _CANONICAL_KEY.fullmatch(uri[len(prefix) :])


@given(buckets(), keys(), st.sampled_from(["s3a", "s3p", "S3"]))
def test_aliases_name_the_same_location(bucket: str, key: str, alias: str) -> None:
    canonical = format_uri(bucket, key)
    aliased = parse_uri(alias + canonical[2:])
    assert aliased == parse_uri(canonical)
    assert aliased.given_scheme == alias.lower()
    assert aliased.as_uri() == canonical


@given(buckets(), keys(), endpoints(with_credentials=False), credentials())
def test_credentials_are_parsed_and_never_shown(
    bucket: str, key: str, endpoint: Endpoint, pair: tuple[str, str]
) -> None:
    access, secret = pair
    userinfo = f"{quote(access, safe='')}:{quote(secret, safe='')}"
    uri = f"s3x://{userinfo}@{endpoint.netloc}/{bucket}/{quote(key, safe='/')}"
    parsed = parse_uri(uri, protocol=endpoint.scheme)
    assert parsed.endpoint is not None
    assert parsed.endpoint.access_key == access
    assert parsed.endpoint.secret_key is not None
    assert parsed.endpoint.secret_key.reveal() == secret
    assert parsed.key == key
    for text in (repr(parsed), str(parsed), parsed.as_uri()):
        assert secret not in text
    assert parsed == parse_uri(parsed.as_uri())


@given(
    endpoints(with_credentials=False),
    credentials(),
    st.text("abcxyz-_:0123456789 ", max_size=8).filter(lambda p: not (p.isdigit() and 0 < int(p) < 65536)),
)
def test_bad_port_errors_hide_the_secret(endpoint: Endpoint, pair: tuple[str, str], port: str) -> None:
    _, secret = pair
    host = endpoint.netloc.rsplit(":", 1)[0]
    with pytest.raises(InvalidURIError) as caught:
        parse_uri(f"s3x://AKIA:{quote(secret, safe='')}@{host}:{port}/bkt/k")
    assert secret not in str(caught.value)
    assert "***" in str(caught.value)


SCHEME_AUTHORITIES = [("s3", "bkt"), ("s3a", "bkt"), ("s3p", "bkt"), ("s3x", "host:9000/bkt")]


@pytest.mark.parametrize(("scheme", "authority"), SCHEME_AUTHORITIES, ids=["s3", "s3a", "s3p", "s3x"])
@given(keys(), st.sampled_from("?#"), keys())
def test_raw_query_or_fragment_is_rejected(
    scheme: str, authority: str, head: str, mark: str, tail: str
) -> None:
    with pytest.raises(InvalidURIError, match=r"query|fragment"):
        parse_uri(f"{scheme}://{authority}/{head}{mark}{tail}")


@pytest.mark.parametrize(("scheme", "authority"), SCHEME_AUTHORITIES, ids=["s3", "s3a", "s3p", "s3x"])
@given(keys().map(lambda key: key.replace("?", "").replace("#", "").replace("%", "")))
def test_raw_keys_without_reserved_marks_are_taken_verbatim(scheme: str, authority: str, key: str) -> None:
    parsed = parse_uri(f"{scheme}://{authority}/{key}")
    assert parsed.key == key
    assert parse_uri(parsed.as_uri()) == parsed

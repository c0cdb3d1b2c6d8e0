"""Parsing and formatting S3 URIs: accepted forms, rejected forms with their messages, and secrecy."""

from __future__ import annotations

import pytest

from s3conf.endpoint import Endpoint
from s3conf.errors import InvalidURIError
from s3conf.redaction import Secret
from s3conf.uri import S3URI, check_bucket_name, format_uri, parse_uri

SECRET = "wJalrXUtnFEMIK7MDENG"

VALID = [
    ("s3://some-bucket/input/file", ("s3", "s3", "some-bucket", "input/file"), None),
    ("s3a://some-bucket/input/file", ("s3", "s3a", "some-bucket", "input/file"), None),
    ("s3p://some-bucket/input/file", ("s3", "s3p", "some-bucket", "input/file"), None),
    ("S3A://some-bucket/k", ("s3", "s3a", "some-bucket", "k"), None),
    ("s3://bkt", ("s3", "s3", "bkt", ""), None),
    ("s3://bkt/", ("s3", "s3", "bkt", ""), None),
    ("s3://bkt//lead", ("s3", "s3", "bkt", "/lead"), None),
    ("s3://bkt/a//b/", ("s3", "s3", "bkt", "a//b/"), None),
    ("s3://bkt/a+b%2Bc", ("s3", "s3", "bkt", "a+b+c"), None),
    ("s3://bkt/my file ", ("s3", "s3", "bkt", "my file "), None),
    ("s3://bkt/%3F%23%25", ("s3", "s3", "bkt", "?#%"), None),
    ("s3://bkt/caf%C3%A9/€", ("s3", "s3", "bkt", "café/€"), None),
    ("s3://bkt/user@example.com", ("s3", "s3", "bkt", "user@example.com"), None),
    ("s3://foo/foobar/x", ("s3", "s3", "foo", "foobar/x"), None),
    ("s3x://my-s3-service:9000/some-bucket/input/file", ("s3x", "s3x", "some-bucket", "input/file"), "A"),
    ("s3x://myendpoint.com:1000/mybucket", ("s3x", "s3x", "mybucket", ""), "B"),
    ("s3x://Local_Host/bkt/k", ("s3x", "s3x", "bkt", "k"), "C"),
    ("s3x://[::1]:9000/bkt/k", ("s3x", "s3x", "bkt", "k"), "D"),
    ("s3x://ak:sk@127.0.0.1:5000/bkt/k@x", ("s3x", "s3x", "bkt", "k@x"), "E"),
]
ENDPOINTS = {
    "A": ("my-s3-service:9000", "https://my-s3-service:9000"),
    "B": ("myendpoint.com:1000", "https://myendpoint.com:1000"),
    "C": ("local_host:443", "https://local_host:443"),
    "D": ("[::1]:9000", "https://[::1]:9000"),
    "E": ("127.0.0.1:5000", "https://127.0.0.1:5000"),
}


@pytest.mark.parametrize(
    ("uri", "expected", "endpoint"),
    VALID,
    ids=[
        "s3",
        "s3a-alias",
        "s3p-alias",
        "scheme-case-insensitive",
        "bucket-only",
        "bucket-slash",
        "leading-empty-segment",
        "repeated-slash-kept",
        "plus-kept",
        "raw-spaces",
        "encoded-reserved",
        "unicode",
        "at-sign-in-key",
        "bucket-prefix-of-key",
        "s3x-seed",
        "s3x-bucket-only",
        "s3x-default-port-lowercased-host",
        "s3x-ipv6",
        "s3x-credentials",
    ],
)
def test_parse_valid(uri: str, expected: tuple[str, str, str, str], endpoint: str | None) -> None:
    parsed = parse_uri(uri)
    assert (parsed.scheme, parsed.given_scheme, parsed.bucket, parsed.key) == expected
    if endpoint is None:
        assert parsed.endpoint is None
    else:
        assert parsed.endpoint is not None
        assert (parsed.endpoint.name, parsed.endpoint.url) == ENDPOINTS[endpoint]
        assert parsed.endpoint.path_style is True


@pytest.mark.parametrize(
    ("protocol", "url"),
    [("http", "http://host:80"), ("https", "https://host:443"), ("HTTP", "http://host:80")],
    ids=["http-default-port", "https-default-port", "protocol-case-insensitive"],
)
def test_protocol_sets_endpoint_url(protocol: str, url: str) -> None:
    endpoint = parse_uri("s3x://host/bkt/k", protocol=protocol).endpoint
    assert endpoint is not None
    assert endpoint.url == url


def test_unknown_protocol_is_named() -> None:
    with pytest.raises(InvalidURIError, match="'ftp'"):
        parse_uri("s3x://host/bkt/k", protocol="ftp")


def test_credentials_become_endpoint_secrets() -> None:
    parsed = parse_uri(f"s3x://AKIA%3A1:{SECRET}%2F%2B@host:9000/bkt/k")
    assert parsed.endpoint is not None
    assert parsed.endpoint.access_key == "AKIA:1"
    assert parsed.endpoint.secret_key is not None
    assert parsed.endpoint.secret_key.reveal() == SECRET + "/+"


INVALID = [
    ("bkt/key", "missing scheme"),
    ("http://bkt/key", "unknown scheme 'http'"),
    ("s3:/bkt/key", "missing scheme"),
    ("s3://", "missing bucket"),
    ("s3:///key", "missing bucket"),
    ("s3x://host:9000", "missing bucket"),
    ("s3x://host:9000/", "missing bucket"),
    ("s3://ab/k", "invalid bucket name 'ab'"),
    ("s3://" + "a" * 64 + "/k", "64"),
    ("s3://My-Bucket/k", "invalid bucket name 'My-Bucket'"),
    ("s3://my_bucket/k", "invalid bucket name 'my_bucket'"),
    ("s3://-bucket/k", "begin and end"),
    ("s3://bucket-/k", "begin and end"),
    ("s3://my..bucket/k", "'..'"),
    ("s3://192.168.1.1/k", "IP address"),
    ("s3://bkt:9000/k", "invalid bucket name 'bkt:9000'"),
    ("s3://bkt/a?versionId=1", "query"),
    ("s3://bkt/a#frag", "fragment"),
    ("s3://bkt/a%2", "malformed percent-escape in key"),
    ("s3://bkt/a%zz", "malformed percent-escape in key"),
    ("s3://bkt/a%FF", "not UTF-8"),
    ("s3x:///bkt/k", "empty endpoint host"),
    ("s3x://:9000/bkt/k", "empty endpoint host"),
    ("s3x://host:/bkt/k", "empty port"),
    ("s3x://host:http/bkt/k", "invalid port 'http'"),
    ("s3x://host:0/bkt/k", "port '0' out of range"),
    ("s3x://host:65536/bkt/k", "port '65536' out of range"),
    ("s3x://host:９０/bkt/k", "invalid port"),
    ("s3x://ho st/bkt/k", "invalid endpoint host 'ho st'"),
    ("s3x://[::1/bkt/k", "unterminated IPv6 host"),
    ("s3x://[zz::1]:9/bkt/k", "invalid IPv6 host"),
    ("s3x://[::1]x/bkt/k", "after IPv6 host"),
    ("s3x://AKIAONLY@host/bkt/k", "access key without a secret key"),
    ("s3x://:sk@host/bkt/k", "empty access key or secret key"),
    ("s3x://ak:@host/bkt/k", "empty access key or secret key"),
    ("s3://ak:sk@bkt/k", "only allowed in s3x"),
    ("s3x://host:" + "9" * 5000 + "/bkt/k", "out of range 1-65535"),
    ("s3x://host:" + "0" * 5000 + "80/bkt/k", None),
    ("s3x://[fe80::1%a\uff0fb]:9000/bkt/k", "invalid IPv6 zone"),
    ("s3x://[fe80::1%a b]:9000/bkt/k", "invalid IPv6 zone"),
    ("s3x://\u212aey:9000/bkt/k", "invalid endpoint host"),
]


@pytest.mark.parametrize(
    ("uri", "message"),
    INVALID,
    ids=[
        "no-scheme",
        "unknown-scheme",
        "single-slash",
        "empty",
        "empty-bucket",
        "s3x-no-path",
        "s3x-empty-bucket",
        "bucket-too-short",
        "bucket-too-long",
        "bucket-uppercase",
        "bucket-underscore",
        "bucket-leading-dash",
        "bucket-trailing-dash",
        "bucket-double-dot",
        "bucket-ipv4",
        "s3-with-port",
        "query",
        "fragment",
        "truncated-escape",
        "non-hex-escape",
        "escape-not-utf8",
        "s3x-no-host",
        "s3x-port-without-host",
        "empty-port",
        "non-numeric-port",
        "port-zero",
        "port-too-big",
        "non-ascii-digits-port",
        "host-with-space",
        "ipv6-unterminated",
        "ipv6-invalid",
        "ipv6-trailing-junk",
        "access-key-without-secret",
        "empty-access-key",
        "empty-secret-key",
        "credentials-in-s3",
        "port-of-5000-digits",
        "port-with-5000-leading-zeros",
        "ipv6-zone-nfkc-slash",
        "ipv6-zone-space",
        "host-kelvin-sign-lowercases-to-k",
    ],
)
def test_parse_invalid_names_the_part(uri: str, message: str | None) -> None:
    if message is None:  # leading zeros are not a number too large to read: port 80
        assert parse_uri(uri).endpoint == Endpoint(name="host:80", url="https://host:80")
        return
    with pytest.raises(InvalidURIError) as caught:
        parse_uri(uri)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert len(str(caught.value)) < 600, "a huge input is shortened in the message"


LEAKY = [
    f"s3x://AKIA:{SECRET}@host:99999/bkt/k",
    f"s3x://AKIA:{SECRET}@host:abc/bkt/k",
    f"s3x://AKIA:{SECRET}@/bkt/k",
    f"s3x://AKIA:{SECRET}@host:9000/Bad_Bucket/k",
    f"s3x://AKIA:{SECRET}@host:9000/bkt/k%zz",
    f"s3x://AKIA:{SECRET}@host:9000/bkt/k?x=1",
    f"s3x://AKIA:{SECRET}%zz@host:9000/bkt/k",
    f"s3x://AKIA:{SECRET}%FF@host:9000/bkt/k",
    f"s3x://AKIA:{SECRET[:5]}/{SECRET[5:]}@host:9000/bkt/k",
    f"s3x://AKIA:12/{SECRET}@host:9000/bkt/k",
    f"s3x://AKIA:{SECRET}?@host:9000/bkt/k",
    f"s3://AKIA:{SECRET}@bkt/k",
    f"s3p://AKIA:{SECRET}@/k",
    f"s3x:/AKIA:{SECRET}@host:1/bkt/k",
    f"AKIA:{SECRET}@host:9000/bkt/k",
    f"s3x:AKIA:{SECRET}@host://bkt/k",
    f"s3x://AKIA:{SECRET}@host:{'9' * 5000}/bkt/k",
    f"s3x://AKIA:{SECRET}@[fe80::1%a\uff0fb]:9000/bkt/k",
    f"gs://AKIA:{SECRET}@host/bkt/k",
    f"s3x://AKIA:{SECRET}@host@/bkt/k",
]


@pytest.mark.parametrize(
    "uri",
    LEAKY,
    ids=[
        "port-out-of-range",
        "port-not-numeric",
        "empty-host",
        "bad-bucket",
        "bad-key-escape",
        "query",
        "bad-secret-escape",
        "secret-not-utf8",
        "unencoded-slash-in-secret",
        "unencoded-slash-numeric-port",
        "unencoded-question-mark",
        "credentials-in-s3",
        "credentials-in-s3p-no-bucket",
        "single-slash-after-scheme",
        "no-scheme",
        "scheme-separator-after-credentials",
        "port-of-5000-digits",
        "ipv6-zone-nfkc-slash",
        "unknown-scheme",
        "two-at-signs",
    ],
)
def test_errors_never_show_the_secret(uri: str) -> None:
    with pytest.raises(InvalidURIError) as caught:
        parse_uri(uri)
    chain: list[BaseException] = []
    error: BaseException | None = caught.value
    while error is not None:
        chain.append(error)
        error = error.__cause__ or error.__context__
    for link in chain:
        for text in (str(link), repr(link), *map(str, link.args)):
            assert SECRET[:5] not in text
            assert SECRET[5:] not in text
    assert "***" in str(caught.value)


def test_parsed_uri_never_shows_the_secret() -> None:
    parsed = parse_uri(f"s3x://AKIA:{SECRET}@host:9000/bkt/k")
    for text in (repr(parsed), str(parsed), parsed.as_uri(), f"{parsed}", repr(parsed.endpoint)):
        assert SECRET not in text
    assert "credentials=***" in repr(parsed)
    assert parsed.as_uri() == "s3x://host:9000/bkt/k"


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("s3://bkt/k", "s3a://bkt/k"),
        ("s3p://bkt/k", "S3://bkt/k"),
        ("s3x://a:b@host:9/bkt/k", "s3x://c:d@HOST:9/bkt/k"),
        ("s3://bkt/a%20b", "s3://bkt/a b"),
    ],
    ids=["s3a-alias", "s3p-alias", "credentials-and-host-case", "escape-vs-raw"],
)
def test_equal_uris(left: str, right: str) -> None:
    assert parse_uri(left) == parse_uri(right)
    assert hash(parse_uri(left)) == hash(parse_uri(right))


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("s3://bkt/k", "s3x://host:9/bkt/k"),
        ("s3x://host:9/bkt/k", "s3x://host:10/bkt/k"),
        ("s3://bkt/a//b", "s3://bkt/a/b"),
        ("s3://bkt/a/", "s3://bkt/a"),
    ],
    ids=["endpoint-vs-none", "other-port", "repeated-slash", "trailing-slash"],
)
def test_unequal_uris(left: str, right: str) -> None:
    assert parse_uri(left) != parse_uri(right)


@pytest.mark.parametrize(
    ("key", "encoded"),
    [
        ("a b", "a%20b"),
        ("a+b", "a%2Bb"),
        ("100%", "100%25"),
        ("?#", "%3F%23"),
        ("a//b/", "a//b/"),
        ("-._~", "-._~"),
        ("é", "%C3%A9"),
        ("!$&'()*,;=:@", "%21%24%26%27%28%29%2A%2C%3B%3D%3A%40"),
    ],
    ids=[
        "space",
        "plus",
        "percent",
        "query-fragment",
        "slashes-kept",
        "unreserved-kept",
        "unicode",
        "sub-delims",
    ],
)
def test_format_encodes_all_but_unreserved_and_slash(key: str, encoded: str) -> None:
    assert format_uri("bkt", key) == f"s3://bkt/{encoded}"
    assert parse_uri(format_uri("bkt", key)).key == key


def test_format_with_endpoint_omits_protocol_and_credentials() -> None:
    endpoint = Endpoint(
        name="moto", url="http://127.0.0.1:5000", access_key="AKIA", secret_key=Secret(SECRET)
    )
    uri = format_uri("bkt", "k", endpoint=endpoint)
    assert uri == "s3x://127.0.0.1:5000/bkt/k"
    assert parse_uri(uri, protocol="http").endpoint == Endpoint(name="127.0.0.1:5000", url=endpoint.url)


def test_format_rejects_bad_bucket() -> None:
    with pytest.raises(InvalidURIError, match="'Bad'"):
        format_uri("Bad", "k")


@pytest.mark.parametrize("bucket", ["abc", "a" * 63, "my.bucket-1", "1-2-3", "192.168.1.1a"], ids=str.__str__)
def test_valid_bucket_names(bucket: str) -> None:
    assert check_bucket_name(bucket) == bucket


def test_s3uri_defaults_given_scheme() -> None:
    assert S3URI(scheme="s3", bucket="bkt", key="k").given_scheme == "s3"


@pytest.mark.parametrize("value", [None, b"s3://bkt/k", 3], ids=["none", "bytes", "int"])
def test_non_string_uri_is_a_type_error(value: object) -> None:
    with pytest.raises(TypeError, match="URI must be a str"):
        parse_uri(value)  # type: ignore[arg-type]


def test_distinct_uris_hash_apart_and_equal_ones_alike() -> None:
    uris = [parse_uri(text) for text in ("s3://bkt/a", "s3://bkt/b", "s3://other/a", "s3x://h:9000/bkt/a")]
    assert len({hash(uri) for uri in uris}) == len(uris)
    assert hash(parse_uri("s3://bkt/a")) == hash(parse_uri("s3a://bkt/a"))

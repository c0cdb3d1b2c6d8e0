"""Parsing and formatting S3 URIs: accepted forms, rejected forms with their messages, and secrecy."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote, urlsplit

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
    ("s3x://[::1]/bkt/k", ("s3x", "s3x", "bkt", "k"), "F"),
    ("s3://bkt/a://b", ("s3", "s3", "bkt", "a://b"), None),
]
ENDPOINTS = {
    "A": ("my-s3-service:9000", "https://my-s3-service:9000"),
    "B": ("myendpoint.com:1000", "https://myendpoint.com:1000"),
    "C": ("local_host:443", "https://local_host:443"),
    "D": ("[::1]:9000", "https://[::1]:9000"),
    "E": ("127.0.0.1:5000", "https://127.0.0.1:5000"),
    "F": ("[::1]:443", "https://[::1]:443"),
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
        "s3x-ipv6-default-port",
        "scheme-separator-in-key",
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


@pytest.mark.parametrize(("protocol", "shown"), [("ftp", "'ftp'"), (None, "None")], ids=["ftp", "none"])
def test_unknown_protocol_is_named(protocol: object, shown: str) -> None:
    with pytest.raises(InvalidURIError) as caught:
        parse_uri("s3x://host/bkt/k", protocol=protocol)  # type: ignore[arg-type]
    assert str(caught.value) == f"endpoint protocol must be 'http' or 'https', got {shown}"


@pytest.mark.parametrize(
    "uri",
    ["s3x://ak:s:k@host:9/bkt/k", "s3x://a%3Ak:s@host:9/bkt/k", "s3x://ak:s%40k@host:9/bkt/k"],
    ids=["colon-in-secret", "encoded-colon-in-access-key", "encoded-at-in-secret"],
)
def test_userinfo_splits_like_urllib(uri: str) -> None:
    """RFC 3986 userinfo: the access key ends at the first ':' (urllib.parse is the oracle)."""
    oracle = urlsplit(uri)
    endpoint = parse_uri(uri).endpoint
    assert endpoint is not None
    assert endpoint.secret_key is not None
    assert (endpoint.access_key, endpoint.secret_key.reveal()) == (
        unquote(oracle.username or ""),
        unquote(oracle.password or ""),
    )


def test_credentials_become_endpoint_secrets() -> None:
    parsed = parse_uri(f"s3x://AKIA%3A1:{SECRET}%2F%2B@host:9000/bkt/k")
    assert parsed.endpoint is not None
    assert parsed.endpoint.access_key == "AKIA:1"
    assert parsed.endpoint.secret_key is not None
    assert parsed.endpoint.secret_key.reveal() == SECRET + "/+"


EXPECTED_SCHEMES = "(expected s3://, s3a://, s3p:// or s3x://)"
NO_SECRET = "access key without a secret key (expected access:secret@host)"
EMPTY_CREDENTIAL = "empty access key or secret key (expected access:secret@host)"
NO_HOST = "empty endpoint host (expected s3x://host[:port]/bucket/key)"
BUCKET_CHARS = "only lowercase letters, digits, '.' and '-' are allowed"
BUCKET_ENDS = "must begin and end with a lowercase letter or digit"
ZONE_CHARS = "only ASCII letters, digits, '.', '-', '_' and '~' are allowed"
# The problem, word for word, as the message starts; " in URI <the URI, credentials masked>" follows.
INVALID = [
    ("bkt/key", f"missing scheme {EXPECTED_SCHEMES}"),
    ("http://bkt/key", "unknown scheme 'http' (expected s3, s3a, s3p or s3x)"),
    ("s3:/bkt/key", f"missing scheme {EXPECTED_SCHEMES}"),
    ("s3://", "missing bucket"),
    ("s3:///key", "missing bucket"),
    ("s3x://host:9000", "missing bucket"),
    ("s3x://host:9000/", "missing bucket"),
    ("s3://ab/k", "invalid bucket name 'ab': must be 3 to 63 characters long, not 2"),
    ("s3://" + "a" * 64 + "/k", f"invalid bucket name '{'a' * 64}': must be 3 to 63 characters long, not 64"),
    ("s3://My-Bucket/k", f"invalid bucket name 'My-Bucket': {BUCKET_CHARS}"),
    ("s3://my_bucket/k", f"invalid bucket name 'my_bucket': {BUCKET_CHARS}"),
    ("s3://-bucket/k", f"invalid bucket name '-bucket': {BUCKET_ENDS}"),
    ("s3://bucket-/k", f"invalid bucket name 'bucket-': {BUCKET_ENDS}"),
    ("s3://my..bucket/k", "invalid bucket name 'my..bucket': must not contain '..'"),
    ("s3://192.168.1.1/k", "invalid bucket name '192.168.1.1': must not be formatted as an IP address"),
    ("s3://bkt:9000/k", f"invalid bucket name 'bkt:9000': {BUCKET_CHARS}"),
    ("s3://bkt/a?versionId=1", "unexpected query '?versionId=1'; write '?' in keys as %3F"),
    ("s3://bkt/a#frag", "unexpected fragment '#frag'; write '#' in keys as %23"),
    ("s3://bkt/a%2", "malformed percent-escape in key 'a%2'"),
    ("s3://bkt/a%zz", "malformed percent-escape in key 'a%zz'"),
    ("s3://bkt/a%FF", "percent-escapes in key 'a%FF' are not UTF-8"),
    ("s3x:///bkt/k", NO_HOST),
    ("s3x://:9000/bkt/k", NO_HOST),
    ("s3x://host:/bkt/k", "empty port after ':'"),
    ("s3x://host:http/bkt/k", "invalid port 'http'"),
    ("s3x://host:0/bkt/k", "port '0' out of range 1-65535"),
    ("s3x://host:65536/bkt/k", "port '65536' out of range 1-65535"),
    ("s3x://host:９０/bkt/k", "invalid port '９０'"),
    ("s3x://ho st/bkt/k", "invalid endpoint host 'ho st'"),
    ("s3x://[::1/bkt/k", "unterminated IPv6 host '[::1'"),
    ("s3x://[zz::1]:9/bkt/k", "invalid IPv6 host '[zz::1]'"),
    ("s3x://[::1]x/bkt/k", "unexpected 'x' after IPv6 host"),
    ("s3x://AKIAONLY@host/bkt/k", NO_SECRET),
    ("s3x://:sk@host/bkt/k", EMPTY_CREDENTIAL),
    ("s3x://ak:@host/bkt/k", EMPTY_CREDENTIAL),
    ("s3://ak:sk@bkt/k", "credentials are only allowed in s3x:// URIs, not s3://"),
    # A long value is cut after 200 characters of its repr (the quote and 199 digits), with its length.
    (
        "s3x://host:" + "9" * 5000 + "/bkt/k",
        "port '" + "9" * 199 + "... (5002 characters) out of range 1-65535",
    ),
    ("s3x://host:" + "0" * 5000 + "80/bkt/k", None),
    ("s3x://[fe80::1%a\uff0fb]:9000/bkt/k", f"invalid IPv6 zone in '[fe80::1%a\uff0fb]': {ZONE_CHARS}"),
    ("s3x://[fe80::1%a b]:9000/bkt/k", f"invalid IPv6 zone in '[fe80::1%a b]': {ZONE_CHARS}"),
    ("s3x://\u212aey:9000/bkt/k", "invalid endpoint host '\u212aey'"),
    ("://bkt/k", "unknown scheme '' (expected s3, s3a, s3p or s3x)"),
    ("s3://bkt/a?x?y", "unexpected query '?x?y'; write '?' in keys as %3F"),
    ("s3x://@host/bkt/k", NO_SECRET),
    ("s3x://ak@host:9/bkt/k", NO_SECRET),
    ("s3x://[::1]x]/bkt/k", "unexpected 'x]' after IPv6 host"),
    ("s3x://[::1]:abc/bkt/k", "invalid port 'abc'"),
    ("s3x://a%zz:sk@host/bkt/k", "malformed percent-escape in access key '***'"),
    ("s3x://ak:s%zz@host/bkt/k", "malformed percent-escape in secret key '***'"),
    ("s3x://a%FF:sk@host/bkt/k", "percent-escapes in access key '***' are not UTF-8"),
    ("s3x://ak:s%FF@host/bkt/k", "percent-escapes in secret key '***' are not UTF-8"),
    ("s3x://AK:SK@host@/bkt/k", NO_HOST),
    ("s3:://AK:SK@host/bkt/k", "unknown scheme 's3:' (expected s3, s3a, s3p or s3x)"),
    ("gs://AK:SK@host/bkt/k", "unknown scheme '***' (expected s3, s3a, s3p or s3x)"),
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
        "empty-scheme",
        "query-shown-from-the-first-question-mark",
        "empty-userinfo",
        "access-key-without-secret-before-port",
        "ipv6-ends-at-the-first-bracket",
        "ipv6-non-numeric-port",
        "access-key-escape-masked",
        "secret-key-escape-masked",
        "access-key-not-utf8-masked",
        "secret-key-not-utf8-masked",
        "userinfo-ends-at-the-last-at-sign",
        "scheme-before-userinfo-is-shown",
        "unknown-scheme-inside-the-userinfo-span-masked",
    ],
)
def test_parse_invalid_names_the_part(uri: str, message: str | None) -> None:
    if message is None:  # leading zeros are not a number too large to read: port 80
        assert parse_uri(uri).endpoint == Endpoint(name="host:80", url="https://host:80")
        return
    with pytest.raises(InvalidURIError) as caught:
        parse_uri(uri)
    assert str(caught.value).startswith(f"{message} in URI ")
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


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: parse_uri(None), "URI must be a str, got NoneType"),  # type: ignore[arg-type]
        (lambda: parse_uri(b"s3://bkt/k"), "URI must be a str, got bytes"),  # type: ignore[arg-type]
        (lambda: parse_uri(3), "URI must be a str, got int"),  # type: ignore[arg-type]
        (lambda: check_bucket_name(3), "bucket name must be a str, got int"),  # type: ignore[arg-type]
        (lambda: format_uri("bkt", b"k"), "key must be a str, got bytes"),  # type: ignore[arg-type]
    ],
    ids=["uri-none", "uri-bytes", "uri-int", "bucket-int", "key-bytes"],
)
def test_non_string_is_a_type_error_naming_the_type(call: Callable[[], object], message: str) -> None:
    with pytest.raises(TypeError) as caught:
        call()
    assert str(caught.value) == message


def test_format_without_key_names_the_bucket_root() -> None:
    assert format_uri("bkt") == "s3://bkt/"


REPRS = [
    ("s3a://bkt/k", "S3URI(scheme='s3', given_scheme='s3a', bucket='bkt', key='k', endpoint=None)"),
    (
        "s3x://HOST:9/bkt/a b",
        "S3URI(scheme='s3x', given_scheme='s3x', bucket='bkt', key='a b', endpoint='host:9')",
    ),
    (
        f"s3x://AKIA:{SECRET}@host:9/bkt/k",
        "S3URI(scheme='s3x', given_scheme='s3x', bucket='bkt', key='k', endpoint='host:9', credentials=***)",
    ),
]


@pytest.mark.parametrize(("uri", "expected"), REPRS, ids=["s3", "s3x", "s3x-credentials"])
def test_repr_is_exact_and_masks_credentials(uri: str, expected: str) -> None:
    assert repr(parse_uri(uri)) == expected
    assert "AKIA" not in repr(parse_uri(uri))
    assert SECRET not in repr(parse_uri(uri))


def test_hosts_that_only_fold_together_in_upper_case_stay_distinct() -> None:
    """``straße`` and ``strasse`` are two hosts (as ``as_uri()`` shows); only upper-casing merges them."""
    sharp, double = (
        S3URI(scheme="s3x", bucket="bkt", key="k", endpoint=Endpoint(name=host, url=f"http://{host}:9000"))
        for host in ("straße", "strasse")
    )
    assert sharp.as_uri() != double.as_uri()
    assert sharp != double


def test_distinct_uris_hash_apart_and_equal_ones_alike() -> None:
    uris = [parse_uri(text) for text in ("s3://bkt/a", "s3://bkt/b", "s3://other/a", "s3x://h:9000/bkt/a")]
    assert len({hash(uri) for uri in uris}) == len(uris)
    assert hash(parse_uri("s3://bkt/a")) == hash(parse_uri("s3a://bkt/a"))

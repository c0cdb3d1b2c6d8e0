"""Properties over untrusted input: only documented exceptions, and no embedded secret in any text.

Generated URIs, endpoint URLs, paths and settings carry a secret in many malformed places that look
like userinfo (before an ``@``: after ``s3x:/``, with no scheme, before ``://``, percent-encoded or
raw with ``/ ? # : @`` inside, in a bucket position, in a setting's value or key), together with
huge numbers (beyond Python's 4300-digit ``int()`` limit and ``float`` range), odd unicode (NFKC
look-alikes of URL delimiters, the Kelvin sign, non-ASCII digits) and IPv6 hosts with zones.

Two promises are checked for every input: the call either succeeds or raises the documented
exception (``InvalidURIError`` for URIs, endpoints and bucket names, ``ValueError`` for path
arithmetic, ``ConfigError`` for settings), and no window of four characters of the secret appears,
in any case, in ``str``/``repr``/``args`` of the exception, of anything in its ``__cause__`` or
``__context__`` chain, or of the objects built. Secrets are drawn from letters that the other
strategies never produce (in any case or NFKC form), so a window cannot appear by chance.
``nox -s tests`` runs the ``ci`` profile (bounded); ``nox -s thorough`` runs thousands of examples.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from urllib.parse import quote

from hypothesis import example, given
from hypothesis import strategies as st

from s3conf.client import resolve_endpoint
from s3conf.config import SPECS, S3Config
from s3conf.endpoint import Endpoint
from s3conf.entropy import EntropyInjector
from s3conf.errors import ConfigError, InvalidURIError
from s3conf.paths import S3Path
from s3conf.uri import parse_uri

SECRET_LETTERS = "QXZJЖΩ"
WINDOW = 4
_FORBIDDEN = {form for letter in SECRET_LETTERS for form in (letter, letter.lower(), letter.casefold())}


def _harmless(char: str) -> bool:
    """Whether ``char`` can never spell part of a secret, whatever case or normalisation is applied."""
    forms = (char, char.lower(), char.upper(), char.casefold(), unicodedata.normalize("NFKC", char))
    return not any(set(form) & _FORBIDDEN for form in forms)


# The Basic Multilingual Plane holds every look-alike that matters (fullwidth forms, letterlike symbols);
# excluding the few harmful characters up front keeps generation fast (a filter would discard draws), and
# deferring the scan keeps it out of test collection.
_filler_chars = st.deferred(
    lambda: st.characters(
        max_codepoint=0xFFFF,
        exclude_categories=("Cs",),
        exclude_characters="".join(chr(code) for code in range(0x10000) if not _harmless(chr(code))),
    )
)
ODD = ("\uff0f", "\uff20", "\uff1a", "\u212a", "٣", "\u2100", "é", " ", "\t", "%", "%zz", "%FF", "[", "]")


def fillers(max_size: int = 6) -> st.SearchStrategy[str]:
    """Text that is not secret: any harmless unicode, leaning to look-alikes of URL delimiters."""
    return st.one_of(st.text(_filler_chars, max_size=max_size), st.sampled_from(ODD))


@st.composite
def secrets(draw: st.DrawFn) -> str:
    """A secret: runs of secret letters (at least one of WINDOW or more), raw URL delimiters between."""
    runs = draw(
        st.lists(
            st.text(st.sampled_from(SECRET_LETTERS), min_size=WINDOW, max_size=10), min_size=1, max_size=3
        )
    )
    marks = draw(
        st.lists(
            st.sampled_from(["", "/", "?", "#", ":", "@", "%", "[", "]", " ", "é"]),
            min_size=len(runs) - 1,
            max_size=len(runs) - 1,
        )
    )
    text = runs[0]
    for mark, run in zip(marks, runs[1:], strict=True):
        text += mark + run
    return text


def _windows(secret: str) -> Iterator[str]:
    run = ""
    for char in secret + "\0":
        if char in SECRET_LETTERS:
            run += char
            continue
        for start in range(len(run) - WINDOW + 1):
            yield run[start : start + WINDOW].casefold()
        run = ""


def _texts(thing: object) -> Iterator[str]:
    seen: set[int] = set()
    error: object = thing
    while isinstance(error, BaseException) and id(error) not in seen:
        seen.add(id(error))
        yield from (str(error), repr(error), *map(repr, error.args))
        error = error.__cause__ or error.__context__
    if not isinstance(thing, BaseException):
        yield from (str(thing), repr(thing))


def assert_no_leak(secret: str, *things: object) -> None:
    for thing in things:
        for text in _texts(thing):
            folded = text.casefold()
            leaked = [window for window in _windows(secret) if window in folded]
            assert not leaked, f"{leaked} of the secret in {text[:300]!r}"


SCHEMES = ("s3x", "S3X", "s3", "s3a", "s3p", "http", "gs", "")
SEPARATORS = ("://", ":/", ":", "", ":///", "//", "/", ":\\\\")
HOSTS = (
    "h",
    "host",
    "127.0.0.1",
    "[::1]",
    "[fe80::1%eth0]",
    "[fe80::1%a\uff0fb]",
    "[zz::1]",
    "[::1",
    "",
    "\u212aey",
)
PORTS = ("", ":", ":1", ":9000", ":0", ":65536", ":" + "9" * 5000, ":" + "0" * 5000 + "80", ":http", ":٣")
TAILS = (
    "/bkt/k",
    "",
    "/",
    "//bkt/k",
    "/bkt/k?x=1",
    "/bkt/k#f",
    "/bkt/%zz",
    "/bkt/%FF",
    "/Bad_Bucket/k",
    "://b/k",
)
USERINFO = ("{a}:{s}", "{s}", ":{s}", "{a}:{s}:{a}", "{s}@{a}")


@st.composite
def uris_with_secrets(draw: st.DrawFn) -> tuple[str, str]:
    """``(uri, secret)`` with the secret where userinfo would be, in a well- or malformed URI."""
    secret = draw(secrets())
    written = quote(secret, safe="") if draw(st.booleans()) else secret
    access = draw(st.one_of(st.sampled_from(("AK", "AKIA", "", "a:b")), fillers()))
    userinfo = draw(st.sampled_from(USERINFO)).format(a=access, s=written)
    scheme = draw(st.one_of(st.sampled_from(SCHEMES), fillers(3)))
    separator = draw(st.sampled_from(SEPARATORS))
    host = draw(st.one_of(st.sampled_from(HOSTS), fillers()))
    port = draw(st.sampled_from(PORTS))
    tail = draw(st.one_of(st.sampled_from(TAILS), fillers().map(lambda text: "/bkt/" + text)))
    authority = f"{host}{port}"
    layout = draw(
        st.sampled_from(
            ("{scheme}{sep}{userinfo}@{authority}{tail}", "{scheme}{sep}{authority}/{userinfo}@{tail}")
        )
    )
    uri = layout.format(scheme=scheme, sep=separator, userinfo=userinfo, authority=authority, tail=tail)
    return uri, secret


@given(uris_with_secrets(), st.sampled_from(["https", "http"]))
@example(("s3x:/AK:QXZJQXZJ@h:1/b/k", "QXZJQXZJ"), "https")
@example(("AK:QXZJQXZJ@h:9000/b/k", "QXZJQXZJ"), "https")
@example(("s3x:AK:QXZJQXZJ@h://b/k", "QXZJQXZJ"), "https")
@example(("s3x://AK:QXZJ@[fe80::1%a\uff0fb]:9000/bkt/k", "QXZJ"), "https")
def test_uris_raise_only_invalid_uri_error_and_never_show_the_secret(
    case: tuple[str, str], protocol: str
) -> None:
    uri, secret = case
    try:
        parsed = parse_uri(uri, protocol=protocol)
    except InvalidURIError as error:
        assert_no_leak(secret, error)
        return
    path = S3Path.from_uri(uri, protocol=protocol)
    assert_no_leak(secret, parsed, parsed.endpoint, parsed.as_uri(), path, path.as_uri(), path.parent)
    if parsed.endpoint is not None:
        assert_no_leak(secret, parsed.endpoint.netloc, parsed.endpoint.port, parsed.endpoint.url)


@given(uris_with_secrets())
def test_endpoint_urls_raise_only_invalid_uri_error_and_never_show_the_secret(case: tuple[str, str]) -> None:
    url, secret = case
    try:
        endpoint = Endpoint(name="target", url=url)
    except InvalidURIError as error:
        assert_no_leak(secret, error)
        return
    assert_no_leak(secret, endpoint, endpoint.netloc, endpoint.host, endpoint.port)


@st.composite
def secret_paths(draw: st.DrawFn) -> tuple[str, str]:
    secret = draw(secrets())
    template = draw(st.sampled_from(("/AK:{s}@h/x", "AK:{s}@h", "{s}@", "/a/{s}@/b/", "s3x:/AK:{s}@h:1/b")))
    return template.format(s=secret), secret


@given(secret_paths(), st.one_of(st.sampled_from(("bkt", "Bad_Bucket", "ab", "a" * 64, "")), fillers(8)))
def test_paths_raise_only_documented_errors_and_their_messages_never_show_the_secret(
    case: tuple[str, str], bucket: str
) -> None:
    text, secret = case
    try:
        S3Path(text, "/k")
    except InvalidURIError as error:
        assert_no_leak(secret, error)
    try:
        path = S3Path(bucket, text)
    except InvalidURIError as error:
        assert_no_leak(secret, error)
        return
    failures: list[BaseException] = []
    for operation in (
        lambda: path.relative_to("/elsewhere/"),
        lambda: S3Path(bucket, "/elsewhere").relative_to(path),
        lambda: path.with_name(text),
        lambda: path < S3Path(bucket, "/k", endpoint=Endpoint(name="e", url="http://127.0.0.1:9")),
    ):
        try:
            operation()
        except ValueError as error:
            failures.append(error)
    assert_no_leak(secret, *failures)


NAMES = tuple(name for spec in SPECS for name in spec.names)
SECRET_NAMES = tuple(name for spec in SPECS if spec.secret for name in spec.names)
ENV_NAMES = tuple(name for spec in SPECS for name in spec.env_names)
SPECIAL_VALUES = (10**400, -(10**400), 10**5000, 2**63, 2**63 - 1, 0, -1, 1e10, float("nan"), float("inf"))
SPECIAL_TEXT = (
    "1" * 5000,
    "0" * 5000 + "8MiB",
    "9" * 5000 + "MiB",
    "1e400",
    "5min",
    "8MiB",
    "true",
    "[fe80::1%eth0]:9000",
    "http://[fe80::1%a\uff0fb]:9",
    "h:" + "9" * 5000,
)
USERINFO_VALUES = (
    "http://AK:{s}@h:9000",
    "AK:{s}@h",
    "{s}@",
    "s3x:/AK:{s}@h",
    "--endpoint-url http://AK:{s}@h",
    "[::1%{s}@h]:9",
)


def plain_values() -> st.SearchStrategy[object]:
    """Setting values with no secret: numbers of every size, text, odd types."""
    return st.one_of(
        st.integers(),
        st.sampled_from(SPECIAL_VALUES),
        st.floats(),
        st.sampled_from(SPECIAL_TEXT),
        fillers(12),
        st.booleans(),
        st.none(),
        st.binary(max_size=6),
        st.lists(st.integers(), max_size=2),
    )


@st.composite
def settings_with_secrets(draw: st.DrawFn) -> tuple[dict[object, object], dict[str, str], str]:
    """``(explicit, env, secret)``: plain values, values with userinfo, keys with userinfo, secret keys."""
    secret = draw(secrets())
    userinfo_values = st.sampled_from(USERINFO_VALUES).map(lambda template: template.format(s=secret))
    keys = st.one_of(
        st.sampled_from(NAMES),
        fillers(8).map(lambda text: "s3." + text),
        st.just(f"s3.AK:{secret}@h"),
        st.integers(0, 3),
    )
    explicit: dict[object, object] = draw(
        st.dictionaries(keys, st.one_of(plain_values(), userinfo_values), max_size=4)
    )
    for name in draw(st.lists(st.sampled_from(SECRET_NAMES), max_size=2)):
        explicit[name] = draw(st.sampled_from((secret, secret + "x", "   ")))
    env_values = st.one_of(st.sampled_from(SPECIAL_TEXT), fillers(8), userinfo_values).filter(
        lambda v: "\0" not in v
    )
    env = draw(st.dictionaries(st.sampled_from(ENV_NAMES), env_values, max_size=3))
    return explicit, env, secret


@given(settings_with_secrets())
@example(({"s3.spi.timeouts.read": 10**400}, {}, "QXZJ"))
@example(({"s3.spi.read.max-fragment-number": "1" * 5000}, {}, "QXZJ"))
@example(({"s3.spi.endpoint": "http://AK:QXZJQXZJ@h:9000"}, {}, "QXZJQXZJ"))
@example(({"s3.spi.endpoint": "http://[fe80::1%a\uff0fb]:9000"}, {}, "QXZJ"))
def test_settings_raise_only_config_error_and_never_show_the_secret(
    case: tuple[dict[object, object], dict[str, str], str],
) -> None:
    explicit, env, secret = case
    try:
        config = S3Config.resolve(explicit, env=env)  # type: ignore[arg-type]  # keys of any type on purpose
    except ConfigError as error:
        assert_no_leak(secret, error)
        return
    endpoint = resolve_endpoint(None, config)  # a configuration that resolves can always build its endpoint
    assert_no_leak(secret, config, config.describe(), endpoint)
    try:
        injector = EntropyInjector.from_config(config)
    except ConfigError as error:  # pragma: no cover - resolve checks the same bounds
        raise AssertionError("resolve accepted entropy settings the injector refuses") from error
    assert_no_leak(secret, injector)

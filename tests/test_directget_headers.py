"""The direct GET's header split gives what ``http.client.parse_headers`` gives, for any header block."""

from __future__ import annotations

import http.client
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from s3conf.directget import _headers, _request_head, _Response

S3_ANSWER = (
    b"Accept-Ranges: bytes\r\nContent-Length: 34000\r\nContent-Range: bytes 100-34099/67108864\r\n"
    b'Etag: "0123456789abcdef0123456789abcdef"\r\nLast-Modified: Thu, 03 Dec 2026 06:52:26 GMT\r\n'
    b"X-Amz-Meta-Empty:\r\nX-Odd:   spaced\tvalue  \r\n\r\n"
)


def _lines(block: bytes) -> list[bytes]:
    return [line for line in io.BytesIO(block)]


def _same(block: bytes) -> None:
    expected = http.client.parse_headers(io.BytesIO(block))
    got = _headers(_lines(block))
    assert isinstance(got, http.client.HTTPMessage)
    assert got.items() == expected.items()
    for name in {name for name, _ in expected.items()}:
        assert got.get_all(name.upper()) == expected.get_all(name.upper())


@pytest.mark.parametrize(
    "block",
    [S3_ANSWER, b"\r\n", b"A: 1\nB: 2\n\n", b"Folded: one\r\n two\r\n\r\n", b"no colon here\r\nA: 1\r\n\r\n"],
    ids=["s3-answer", "empty", "bare-newlines", "folded-line", "line-without-colon"],
)
def test_a_header_block_splits_as_http_client_parses_it(block: bytes) -> None:
    _same(block)


header_names = st.text(st.sampled_from("abcXYZ-_0129"), min_size=1, max_size=12)
header_values = st.text(
    st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"), max_size=30
)


@given(st.lists(st.tuples(header_names, header_values), max_size=8))
def test_any_simple_header_block_splits_as_http_client_parses_it(fields: list[tuple[str, str]]) -> None:
    _same(b"".join(f"{name}: {value}\r\n".encode("iso-8859-1") for name, value in fields) + b"\r\n")


class _Socket:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def makefile(self, mode: str) -> io.BufferedReader:
        return io.BufferedReader(io.BytesIO(self.data))


@pytest.mark.parametrize(
    ("answer", "length", "will_close", "body"),
    [
        (
            b"HTTP/1.1 206 Partial Content\r\n" + S3_ANSWER.replace(b"34000", b"5") + b"hello",
            5,
            False,
            b"hello",
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            None,
            False,
            b"hello",
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", 2, True, b"hi"),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nrest", None, True, b"rest"),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n", 0, False, b""),
    ],
    ids=["ranged", "chunked", "http-1.0", "close-delimited", "continue-then-no-content"],
)
def test_the_response_reads_its_framing_as_http_client_does(
    answer: bytes, length: int | None, will_close: bool, body: bytes
) -> None:
    ours = _Response(_Socket(answer), method="GET")  # type: ignore[arg-type]
    theirs = http.client.HTTPResponse(_Socket(answer), method="GET")  # type: ignore[arg-type]
    ours.begin()
    theirs.begin()
    for response in (ours, theirs):
        assert (response.length, response.will_close) == (length, will_close)
    assert (ours.status, ours.reason, ours.version, ours.chunked) == (
        theirs.status,
        theirs.reason,
        theirs.version,
        theirs.chunked,
    )
    assert ours.headers.items() == theirs.headers.items()
    assert ours.read() == theirs.read() == body


class _Recorder:
    def __init__(self) -> None:
        self.sent = b""

    def sendall(self, data: bytes) -> None:
        self.sent += data


@pytest.mark.parametrize(
    ("host", "port", "shown"),
    [("127.0.0.1", 9000, "127.0.0.1:9000"), ("s3.example.com", 80, "s3.example.com")],
    ids=["with-port", "default-port"],
)
def test_the_request_head_is_what_http_client_sends(host: str, port: int, shown: str) -> None:
    headers = [("User-Agent", "Boto3/1.0"), ("Range", "bytes=0-9"), ("If-Match", '"abc"'),
               ("Authorization", "AWS4-HMAC-SHA256 Credential=k/d/r/s3/aws4_request")]  # fmt: skip
    connection = http.client.HTTPConnection(host, port)
    connection.sock = _Recorder()  # type: ignore[assignment]
    connection.request("GET", "/b/a%20key", headers=dict(headers))
    assert _request_head("/b/a%20key", shown, headers) == connection.sock.sent  # type: ignore[attr-defined]


def test_a_line_break_in_a_header_is_refused() -> None:
    with pytest.raises(ValueError, match="line break"):
        _request_head("/b/k", "h", [("If-Match", '"x"\r\nX-Evil: 1')])

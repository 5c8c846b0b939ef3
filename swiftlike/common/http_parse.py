"""Strict HTTP/1.x request-head and chunk-size parsing, the way a strict
front end (HAProxy) reads them, so that this server and a proxy in front of
it never disagree on where a request ends (request smuggling). Pure: works
on bytes and a ``readline`` callable; no sockets, no eventlet, no webob.

What is refused (:class:`HeadError`, answered 400 and the connection closed):
a request line that is not ``METHOD SP target SP HTTP/1.x``, control
characters in the target, header lines without a colon or with a name that
is not a token (whitespace before the colon, NUL), control characters in a
value, obs-fold continuation lines, more than one ``Host``, more than one
``Content-Length`` or one that is not ASCII digits, a ``Transfer-Encoding``
other than a single ``chunked`` (or on HTTP/1.0), and ``Content-Length``
together with ``Transfer-Encoding``. Bytes >= 0x80 are allowed in the
request target and in values (Swift clients send raw UTF-8 names); they
are decoded as latin-1, as PEP 3333 wants.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from swiftlike.common.numbers import NumberError, parse_int

#: Longest request line (method, target, version); eventlet's default.
MAX_REQUEST_LINE: Final = 8192
#: Longest header line, and most bytes of all header lines together.
MAX_HEADER_LINE: Final = 8192
MAX_HEAD_BYTES: Final = 65536
#: Most header lines in one request or backend response: an object may carry 90 metadata
#: headers (Swift's max_meta_count) besides the 20-odd the cluster adds (http.client's 100 is too few).
MAX_HEADERS: Final = 256
#: Most hex digits of a chunk size (16 fit a 64-bit size).
MAX_CHUNK_SIZE_DIGITS: Final = 16
#: Empty lines tolerated before a request line (RFC 9112 section 2.2).
_MAX_LEADING_EMPTY: Final = 4

_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_VERSION: Final = re.compile(rb'HTTP/([0-9])\.([0-9])\Z')
_TARGET_BAD: Final = re.compile(rb'[\x00-\x20\x7f]')
_VALUE_BAD: Final = re.compile(rb'[\x00-\x08\x0a-\x1f\x7f]')
_CHUNK_SIZE: Final = re.compile(rb'[0-9A-Fa-f]{1,%d}\Z' % MAX_CHUNK_SIZE_DIGITS)


class HeadError(Exception):
    """A request head to refuse: ``status`` (400, 414, 431, 501, 505) and why."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class IncompleteHeadError(Exception):
    """The connection ended (or was closed) before the head was complete."""


class ChunkFramingError(OSError):
    """A chunked request body is malformed (bad chunk size, missing CRLF,
    no last chunk before the end of the stream). An OSError, as any failed
    body read is, so apps answer it as they answer a client that went away;
    the protocol then turns the response into a 400."""


@dataclass(frozen=True, slots=True)
class RequestHead:
    """A parsed request head; strings are latin-1 decodings of the bytes."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]

    def get(self, name: str, default: str = '') -> str:
        """The first value of header ``name`` (case-insensitive), else ``default``."""
        lowered = name.lower()
        return next((v for k, v in self.headers if k.lower() == lowered), default)


def _strip_eol(line: bytes) -> bytes:
    if line.endswith(b'\r\n'):
        return line[:-2]
    return line[:-1]


def parse_request_line(line: bytes) -> tuple[str, str, str]:
    """``(method, target, version)`` of a request line ending in LF.

    >>> parse_request_line(b'GET /v1/a/c/\\xc3\\xa9 HTTP/1.1\\r\\n')
    ('GET', '/v1/a/c/Ã©', 'HTTP/1.1')

    :raises HeadError: unless exactly ``token SP target SP HTTP/1.x``
    """
    parts = _strip_eol(line).split(b' ')
    if len(parts) != 3 or not _TOKEN.match(parts[0]) or not parts[1]:
        raise HeadError('malformed request line')
    method, target, version = parts
    if _TARGET_BAD.search(target):
        raise HeadError('control character or whitespace in the request target')
    found = _VERSION.match(version)
    if not found:
        raise HeadError('malformed HTTP version')
    if found.group(1) != b'1':
        raise HeadError('HTTP version not supported', 505)
    return method.decode('ascii'), target.decode('latin-1'), version.decode('ascii')


def parse_header_line(line: bytes) -> tuple[str, str]:
    """``(name, value)`` of one header line ending in LF, value without
    surrounding spaces and tabs.

    >>> parse_header_line(b'X-Object-Meta-Color:  blue \\r\\n')
    ('X-Object-Meta-Color', 'blue')

    :raises HeadError: for obs-fold, a missing colon, a name that is not a
        token, or a control character in the value
    """
    text = _strip_eol(line)
    if text[:1] in (b' ', b'\t'):
        raise HeadError('obsolete line folding in headers')
    name, colon, value = text.partition(b':')
    if not colon:
        raise HeadError('header line without a colon')
    if not _TOKEN.match(name):
        raise HeadError('malformed header name')
    value = value.strip(b' \t')
    if _VALUE_BAD.search(value):
        raise HeadError('control character in a header value')
    return name.decode('ascii'), value.decode('latin-1')


def check_framing(headers: list[tuple[str, str]], version: str) -> None:
    """Refuse heads whose body length or target host is ambiguous.

    :raises HeadError: for two ``Host`` headers, two or a malformed
        ``Content-Length``, a ``Transfer-Encoding`` other than one
        ``chunked`` (or any on HTTP/1.0), or both length headers
    """
    values: dict[str, list[str]] = {}
    for name, value in headers:
        values.setdefault(name.lower(), []).append(value)
    if len(values.get('host', ())) > 1:
        raise HeadError('more than one Host header')
    lengths = values.get('content-length', [])
    codings = values.get('transfer-encoding', [])
    if len(lengths) > 1:
        raise HeadError('more than one Content-Length header')
    if lengths:
        try:
            parse_int(lengths[0], what='Content-Length')
        except NumberError as err:
            raise HeadError(str(err)) from None
    if codings:
        layers = [c.strip().lower() for value in codings for c in value.split(',')]
        if len(layers) > 1 and layers[-1] == 'chunked':   # as Swift: a coding under chunked, 501
            raise HeadError('Transfer-Encoding: only chunked is implemented, alone', 501)
        if len(codings) > 1 or codings[0].lower() != 'chunked':
            raise HeadError('Transfer-Encoding must be chunked, alone')
        if version == 'HTTP/1.0':
            raise HeadError('Transfer-Encoding on an HTTP/1.0 request')
        if lengths:
            raise HeadError('Content-Length together with Transfer-Encoding')


def _read_line(readline: Callable[[int], bytes], limit: int, status: int, what: str) -> bytes:
    line = readline(limit + 1)
    if line.endswith(b'\n'):
        return line
    if len(line) > limit:
        raise HeadError(f'{what} too long', status)
    raise IncompleteHeadError(what)


def read_head(readline: Callable[[int], bytes]) -> RequestHead:
    """Read and check one request head (request line to the empty line).

    :param readline: reads one line of at most the given number of bytes
    :raises HeadError: for a head to refuse (see the module docstring)
    :raises IncompleteHeadError: if the stream ends first
    """
    line = _read_line(readline, MAX_REQUEST_LINE, 414, 'request line')
    for _ in range(_MAX_LEADING_EMPTY):
        if line not in (b'\r\n', b'\n'):
            break
        line = _read_line(readline, MAX_REQUEST_LINE, 414, 'request line')
    method, target, version = parse_request_line(line)
    headers: list[tuple[str, str]] = []
    size = 0
    while True:
        line = _read_line(readline, MAX_HEADER_LINE, 431, 'header line')
        size += len(line)
        if size > MAX_HEAD_BYTES or len(headers) > MAX_HEADERS:
            raise HeadError('request headers too large', 431)
        if line in (b'\r\n', b'\n'):
            break
        headers.append(parse_header_line(line))
    check_framing(headers, version)
    return RequestHead(method, target, version, headers)


def parse_chunk_size(line: bytes) -> int:
    """The size in a chunk-size line (hex, then optional ``;extensions``).

    >>> parse_chunk_size(b'1f;name=value\\r\\n'), parse_chunk_size(b'0\\r\\n')
    (31, 0)

    :raises ChunkFramingError: unless 1 to 16 ASCII hex digits end in LF
    """
    if not line.endswith(b'\n'):
        raise ChunkFramingError('the chunked body ends without its last chunk, or a size line is too long')
    size = _strip_eol(line).split(b';', 1)[0].rstrip(b' \t')
    if not _CHUNK_SIZE.match(size):
        raise ChunkFramingError(f'invalid chunk size {size[:20]!r}')
    return int(size, 16)

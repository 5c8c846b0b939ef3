"""Strict request-head and chunk-size parsing (swiftlike.common.http_parse)."""

from __future__ import annotations

import io

import pytest

from swiftlike.common.connections import ACTIVE, HEAD, IDLE, ConnectionRegistry
from swiftlike.common.http_parse import (
    MAX_HEADERS,
    ChunkFramingError,
    HeadError,
    IncompleteHeadError,
    parse_chunk_size,
    read_head,
)


def head(raw: bytes):
    return read_head(io.BytesIO(raw).readline)


def test_a_good_head_keeps_raw_utf8_and_trims_values():
    got = head('PUT /v1/a/c/Åà\u00a0 HTTP/1.1\r\nHost: x\r\nX-Meta:  é \t\r\n'
               'Content-Length: 5\r\n\r\n'.encode())
    assert (got.method, got.version) == ('PUT', 'HTTP/1.1')
    assert got.target.encode('latin-1').decode('utf-8') == '/v1/a/c/Åà\u00a0'
    assert got.headers == [('Host', 'x'), ('X-Meta', 'é'.encode().decode('latin-1')), ('Content-Length', '5')]


def test_leading_empty_lines_and_bare_lf_are_accepted():
    assert head(b'\r\nGET / HTTP/1.0\nA: b\n\n').headers == [('A', 'b')]


@pytest.mark.parametrize('raw', [
    b'GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n',
    b'GET / HTTP/1.1\r\nContent-Length: +1\r\n\r\n',
    b'GET / HTTP/1.1\r\nContent-Length: 1,1\r\n\r\n',
    'GET / HTTP/1.1\r\nContent-Length: ²\r\n\r\n'.encode(),
    b'GET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n',
    b'GET / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n',
    b'GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n',
    b'GET / HTTP/1.1\r\nA b\r\n\r\n',
    b'GET / HTTP/1.1\r\nA : b\r\n\r\n',
    b'GET / HTTP/1.1\r\nA: b\x00\r\n\r\n',
    b'GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n',
    b'GET /\r\n\r\n',
    b'GET / HTTP/1.1 x\r\n\r\n',
])
def test_ambiguous_heads_are_refused(raw):
    with pytest.raises(HeadError) as info:
        head(raw)
    assert info.value.status == 400


@pytest.mark.parametrize(('raw', 'status'), [
    (b'GET / HTTP/2.0\r\n\r\n', 505),
    (b'GET /' + b'a' * 9000 + b' HTTP/1.1\r\n\r\n', 414),
    (b'GET / HTTP/1.1\r\nA: ' + b'a' * 9000 + b'\r\n\r\n', 431),
    (b'GET / HTTP/1.1\r\n' + b'A: b\r\n' * (MAX_HEADERS + 1) + b'\r\n', 431),
])
def test_oversized_or_unsupported_heads_have_their_own_status(raw, status):
    with pytest.raises(HeadError) as info:
        head(raw)
    assert info.value.status == status


@pytest.mark.parametrize('raw', [b'', b'GET / HTTP/1.1\r\n', b'GET / HTTP/1.1\r\nHost: a'])
def test_a_head_cut_short_is_incomplete(raw):
    with pytest.raises(IncompleteHeadError):
        head(raw)


@pytest.mark.parametrize('line', [b'zz\r\n', '²\r\n'.encode(), b'-5\r\n', b' 5\r\n', b'0x5\r\n',
                                  b'1' * 17 + b'\r\n', b'5', b''])
def test_bad_chunk_sizes_are_framing_errors(line):
    with pytest.raises(ChunkFramingError):
        parse_chunk_size(line)


def test_oldest_waiting_connection_is_found_in_order():
    ticks = iter(range(100))
    reg = ConnectionRegistry(clock=lambda: next(ticks))
    first, second, third = (reg.open(f's{n}', n) for n in range(3))
    first.enter(HEAD)
    second.enter(ACTIVE)
    assert reg.oldest_waiting() is third
    reg.forget(third)
    assert reg.oldest_waiting() is first and len(reg) == 2
    second.enter(IDLE)
    assert reg.idle() == [second]

"""Hostile values at every header, query parameter, path segment and
internal-verb body the object, container and account servers read, through
real HTTP against real servers: never a 5xx, never a traceback in their logs,
and the expected 4xx where the answer matters.

The values are a fixed table (Unicode digits that pass ``str.isdigit()``,
huge, negative, signed, padded, NUL, invalid UTF-8, empty) plus a few drawn
from a seeded generator, so a failure always replays the same way.
"""

from __future__ import annotations

import http.client
import itertools
import json
import random
import socket
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest

from .cluster import request

PART = 5
ACCOUNT = f'/sda/{PART}/AUTH_hostile'
CONTAINER = f'{ACCOUNT}/c'
OBJECT = f'{CONTAINER}/o'

#: Header values as the bytes on the wire (WSGI sees them decoded as latin-1,
#: so b'\xb2' arrives as '²', which passes str.isdigit() and fails int()).
#: (Leading and trailing spaces are not part of a header's value in HTTP.)
HEADER_JUNK: list[bytes] = [
    b'\xb2', b'\xb3\xb9', b'\xc2\xb2', b'\xd9\xa3', b'9' * 100, b'18446744073709551616', b'-1',
    b'+5', b'5\x00', b'\x00', b'\xff\xfe', b'', b'1e3', b'5.0', b'0x1f', b'5_0', b'abc', b'5 5',
    b'nan', b'inf', b'1700000000.5_zz', b'1700000000.5_', b'\xef\xbb\xbf5', b'1,2',
]
#: Of those, the ones that are valid (old) timestamps: a write with one may
#: succeed or conflict, but never fail.
OLD_TIMESTAMPS = {b'5.0', b'5_0'}
#: Values for query parameters and path segments: str, sent UTF-8 and percent-encoded.
TEXT_JUNK: list[str] = [
    '\u00b2', '\u0663', '\u0663\u0663', '9' * 100, '-1', '+5', ' 5', '5 ', '\x00', '5\x00', '',
    '5000.0', '1e3', '0x1f', '5_0', 'abc', '\ufeff5',
]
#: Raw (already encoded) query values: invalid UTF-8.
RAW_JUNK: list[str] = ['%ff', '%c2', '%ed%a0%80']


def _seeded(rng: random.Random, count: int) -> list[bytes]:
    alphabet = b'0123456789\xb2\xb3\xb9 -+._eExX\x00\xff\xc2'
    return [bytes(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(count)]


HEADER_JUNK += _seeded(random.Random(10), 8)
TEXT_JUNK += [v.decode('latin-1') for v in _seeded(random.Random(11), 4)]


@dataclass
class Tally:
    """What the hostile requests got, over the whole module."""

    sent: int = 0
    server_errors: list[str] = field(default_factory=list)
    tracebacks: int = 0


TALLY = Tally()


@pytest.fixture(scope='module', autouse=True)
def report():
    yield
    print(f'\nhostile requests: {TALLY.sent}, 5xx: {len(TALLY.server_errors)}, '
          f'tracebacks: {TALLY.tracebacks}')


class Logs:
    """The servers' log files, read from where the last check stopped."""

    def __init__(self, node) -> None:
        self.paths = [s.log for s in node.servers.values()]
        self.offsets = {p: p.stat().st_size for p in self.paths}

    def new_text(self) -> str:
        time.sleep(0.05)                      # let the workers' last lines reach the files
        out = []
        for path in self.paths:
            with open(path, 'rb') as fh:
                fh.seek(self.offsets[path])
                data = fh.read()
            self.offsets[path] += len(data)
            out.append(data.decode('utf-8', 'replace'))
        return ''.join(out)


@pytest.fixture(scope='module')
def setup(node):
    """An account, a container and an object to aim at, and the log reader."""
    now = _stamp()
    assert request('127.0.0.1', node.port('account'), 'PUT', ACCOUNT, {'X-Timestamp': now})[0] in (201, 202)
    assert request('127.0.0.1', node.port('container'), 'PUT', CONTAINER,
                   {'X-Timestamp': now})[0] in (201, 202)
    assert request('127.0.0.1', node.port('object'), 'PUT', OBJECT,
                   {'X-Timestamp': now, 'Content-Type': 'text/plain'}, b'hello')[0] == 201
    return Logs(node)


@dataclass
class Case:
    """One hostile request and what it must get (any 4xx if ``want`` is empty)."""

    label: str
    kind: str
    method: str
    path: str
    headers: dict[str, bytes | str] = field(default_factory=dict)
    body: bytes | None = None
    want: tuple[int, ...] = ()

    def __str__(self) -> str:
        return self.label


_BASE = time.time()
_TICKS = itertools.count(1)


def _stamp() -> str:
    """A fresh X-Timestamp, later than every one before it."""
    return f'{_BASE + next(_TICKS) * 0.0001:016.5f}'


def _send(node, case: Case) -> int:
    headers = {k: v for k, v in case.headers.items() if v is not None}
    try:
        status, _, _ = request('127.0.0.1', node.port(case.kind), case.method, case.path, headers,
                               case.body, raw_path=True, timeout=20)
    except (http.client.RemoteDisconnected, ConnectionResetError):
        return 0                                     # refused at the protocol level: fine
    return status


def check(node, logs: Logs, cases: list[Case]) -> None:
    """Send every case; fail on any 5xx, unexpected status or traceback."""
    bad = []
    for case in cases:
        TALLY.sent += 1
        status = _send(node, case)
        if status >= 500:
            TALLY.server_errors.append(f'{case}: {status}')
        if status >= 500 or (case.want and status not in case.want) or (not case.want and status < 400):
            bad.append(f'{case} -> {status}')
    text = logs.new_text()
    TALLY.tracebacks += text.count('Traceback')
    assert not bad, '\n'.join(bad)
    assert 'Traceback' not in text, text[-3000:]


def _q(value: str) -> str:
    return quote(value, safe='')


# -- object server -------------------------------------------------------------


def _obj_put_headers(node) -> dict[str, bytes | str]:
    cport = node.port('container')
    day = str(int(time.time()) // 86400 * 86400)
    return {'X-Timestamp': _stamp(), 'Content-Type': 'text/plain', 'Content-Length': '1',
            'X-Container-Host': f'127.0.0.1:{cport}', 'X-Container-Device': 'sda',
            'X-Container-Partition': str(PART), 'X-Delete-At': str(int(time.time()) + 86400),
            'X-Delete-At-Host': f'127.0.0.1:{cport}', 'X-Delete-At-Device': 'sda',
            'X-Delete-At-Partition': str(PART), 'X-Delete-At-Container': day}


OBJ_PUT_HEADERS = ['X-Timestamp', 'X-Delete-At', 'X-Container-Partition', 'X-Container-Host',
                   'X-Container-Device', 'X-Delete-At-Partition', 'X-Delete-At-Host', 'X-Delete-At-Device',
                   'X-Delete-At-Container', 'Content-Type', 'ETag',
                   'X-Object-Sysmeta-Container-Update-Override-Size',
                   'X-Object-Sysmeta-Container-Update-Override-Etag']
#: Statuses other than 400 that some values of a header may rightly get: a
#: valid but old X-Timestamp conflicts; free-form text is stored.
WANT = {'ETag': (201, 400, 422), 'Content-Type': (201, 400),
        'X-Delete-At-Container': (201, 400), 'X-Object-Sysmeta-Container-Update-Override-Etag': (201, 400),
        'X-Container-Device': (201, 400), 'X-Delete-At-Device': (201, 400)}


def test_object_put_headers(node, setup):
    cases = []
    for name in OBJ_PUT_HEADERS:
        for value in HEADER_JUNK:
            want = WANT.get(name, _write_want(name, value, 201))
            cases.append(Case(f'PUT {name}: {value!r}', 'object', 'PUT', OBJECT + '-put',
                              {**_obj_put_headers(node), name: value}, b'x', want))
    check(node, setup, cases)


CONTENT_LENGTH_JUNK = [b'\xb2', b'-1', b'+5', b'abc', b'', b'5.0', b'\x00', b'\xff', b'9' * 100,
                       b'0x5', b'5, 5']


def test_object_content_length(node, setup):
    cases = [Case(f'PUT Content-Length: {v!r}', 'object', 'PUT', OBJECT + '-cl',
                  {'X-Timestamp': _stamp(), 'Content-Type': 'a/b', 'Content-Length': v}, b'x' * 5)
             for v in CONTENT_LENGTH_JUNK]
    check(node, setup, cases)


def test_object_post_and_delete_headers(node, setup):
    cases = []
    for value in HEADER_JUNK:
        for name in ('X-Timestamp', 'X-Delete-At', 'X-Delete-At-Partition', 'X-Delete-At-Host'):
            headers = {**_obj_put_headers(node), name: value}
            del headers['Content-Length']
            cases.append(Case(f'POST {name}: {value!r}', 'object', 'POST', OBJECT, headers, None,
                              _write_want(name, value, 202)))
        for name in ('X-Timestamp', 'X-Container-Partition', 'X-Container-Host'):
            headers = {'X-Timestamp': _stamp(), 'X-Container-Host': f'127.0.0.1:{node.port("container")}',
                       'X-Container-Device': 'sda', 'X-Container-Partition': str(PART), name: value}
            cases.append(Case(f'DELETE {name}: {value!r}', 'object', 'DELETE', OBJECT + '-gone',
                              headers, None, _write_want(name, value, 404)))
        cases.append(Case(f'DELETE X-If-Delete-At: {value!r}', 'object', 'DELETE', OBJECT + '-gone',
                          {'X-Timestamp': _stamp(), 'X-If-Delete-At': value}, None, (400, 404, 412)))
        cases.append(Case(f'POST X-Backend-Sysmeta-Only: {value!r}', 'object', 'POST', OBJECT,
                          {'X-Timestamp': _stamp(), 'X-Backend-Sysmeta-Only': value}, None, (202, 400)))
    check(node, setup, cases)


def _write_want(name: str, value: bytes, ok: int) -> tuple[int, ...]:
    """400, except that an old timestamp may conflict and no host means no target."""
    if name.endswith('Timestamp') and value in OLD_TIMESTAMPS:
        return (ok, 201, 202, 204, 409)
    if name.endswith('-Host') and value == b'':
        return (ok,)
    return (400,)


def test_object_read_headers(node, setup):
    cases = []
    for value in HEADER_JUNK:
        for name in ('Range', 'If-Match', 'If-None-Match', 'If-Modified-Since', 'If-Unmodified-Since'):
            for method in ('GET', 'HEAD'):
                cases.append(Case(f'{method} {name}: {value!r}', 'object', method, OBJECT, {name: value},
                                  None, (200, 206, 304, 400, 412, 416)))
        for spec in (b'bytes=%s-' % value, b'bytes=-%s' % value, b'bytes=0-%s' % value):
            cases.append(Case(f'GET Range: {spec!r}', 'object', 'GET', OBJECT, {'Range': spec}, None,
                              (200, 206, 400, 416)))
    check(node, setup, cases)


def _sync_headers(kind: str | bytes, meta_length: str | bytes) -> dict[str, bytes | str]:
    return {'X-Backend-Sync-Kind': kind, 'X-Backend-Sync-Meta-Length': meta_length,
            'Content-Type': 'application/octet-stream'}


def _sync_meta(**fields: object) -> bytes:
    meta = {'name': '/AUTH_hostile/c/s', 'X-Timestamp': _stamp(), 'ETag': '9dd4e461268c8034f5c8564e155c67a6',
            'Content-Length': '1', 'Content-Type': 'a/b', **fields}
    return json.dumps({k: v for k, v in meta.items() if v is not None}).encode()


def test_object_sync(node, setup):
    cases = []
    path = f'{CONTAINER}/s'
    for value in HEADER_JUNK:
        raw = _sync_meta()
        cases.append(Case(f'SYNC meta length {value!r}', 'object', 'SYNC', path,
                          _sync_headers('data', value), raw + b'x', (400,)))
        cases.append(Case(f'SYNC kind {value!r}', 'object', 'SYNC', path,
                          _sync_headers(value, str(len(raw))), raw + b'x', (400,)))
        text = value.decode('latin-1')
        for key in ('X-Timestamp', 'Content-Length', 'X-Delete-At', 'name'):
            raw = _sync_meta(**{key: text})
            want = (201, 409) if key == 'X-Timestamp' and value in OLD_TIMESTAMPS else (400, 422)
            cases.append(Case(f'SYNC meta {key}: {value!r}', 'object', 'SYNC', path,
                              _sync_headers('data', str(len(raw))), raw + b'x', want))
    for body in JSON_JUNK:
        cases.append(Case(f'SYNC meta body {body[:40]!r}', 'object', 'SYNC', path,
                          _sync_headers('meta', str(len(body))), body, (400, 413)))
    for key in ('Content-Length', 'ETag', 'X-Data-Timestamp'):       # they would replace the data's own
        raw = json.dumps({'name': '/AUTH_hostile/c/o', 'X-Timestamp': _stamp(), key: '\u00b2'}).encode()
        cases.append(Case(f'SYNC .meta with {key}', 'object', 'SYNC', OBJECT,
                          _sync_headers('meta', str(len(raw))), raw, (400,)))
    raw = _sync_meta(**{'X-Timestamp': None})
    cases.append(Case('SYNC meta without X-Timestamp', 'object', 'SYNC', path,
                      _sync_headers('ts', str(len(raw))), raw, (400,)))
    cases.append(Case('SYNC meta length over the body', 'object', 'SYNC', path,
                      _sync_headers('data', '9999'), raw, (400,)))
    check(node, setup, cases)
    assert request('127.0.0.1', node.port('object'), 'GET', OBJECT)[2] == b'hello'


#: Bodies that are not the JSON an internal verb expects.
JSON_JUNK: list[bytes] = [
    b'', b'{', b'{"op": "sync"', b'[]', b'"x"', b'null', b'5', b'\x00', b'\xff\xfe{}', b'{"op": 5}',
    b'{"op": null}', b'{"op": "\\u0000"}', b'{"op": "\xff"}', b'{"op": "nope"}', b'[' * 100000,
    b'{"a": ' * 50000, b'{"op": "sync", "remote_id": {}}', b'{"op": "list", "suffixes": "abc"}',
    b'{"op": "list", "suffixes": [1]}', b'{"op": "list", "suffixes": null}',
    b'{"op": "list", "suffixes": ["\\ud800"]}', b'{"op": "list", "suffixes": {"abc": 1}}',
    b'{"op": "list", "suffixes": ["' + b'a' * 100 + b'"]}', b'1' * 5000, b'{"op": 1e999}',
]


def test_object_replicate(node, setup):
    cases = []
    for body in JSON_JUNK:
        cases.append(Case(f'REPLICATE body {body[:40]!r}', 'object', 'REPLICATE', f'/sda/{PART}', {},
                          body or b' ', (400,)))
    not_suffixes = ['ab', 'ABC', '\u00b2\u00b2\u00b2', 'abc-', 'a\x00c', 'abc-d\u00b2f', 'abc/def']
    for value in [v for v in TEXT_JUNK if v not in ('', '1e3', 'abc')] + not_suffixes:
        cases.append(Case(f'REPLICATE suffix {value!r}', 'object', 'REPLICATE', f'/sda/{PART}/{_q(value)}',
                          {}, None, (400,)))
    for raw in RAW_JUNK:
        cases.append(Case(f'REPLICATE suffix {raw}', 'object', 'REPLICATE', f'/sda/{PART}/{raw}', {}, None,
                          (400, 412)))
    check(node, setup, cases)


def _refused_before_the_body(port: int, path: str, length: int) -> int:
    """The status a server answers a REPLICATE announcing ``length`` bytes, before any is sent
    (it refuses on the length alone and closes, so a client still sending would get EPIPE)."""
    with socket.create_connection(('127.0.0.1', port), timeout=20) as sock:
        sock.sendall(f'REPLICATE {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n'
                     'Expect: 100-continue\r\n\r\n'.encode())
        line = sock.makefile('rb').readline()
    return int(line.split()[1])


def test_oversized_bodies(node, setup):
    cases = [('object', f'/sda/{PART}', 20 << 20, (400, 413))]
    for kind, path in (('container', CONTAINER), ('account', ACCOUNT)):
        cases.append((kind, path, 40 << 20, (413,)))
    for kind, path, length, want in cases:
        TALLY.sent += 1
        status = _refused_before_the_body(node.port(kind), path, length)
        assert status in want, (kind, length, status)
    text = setup.new_text()
    assert 'Traceback' not in text, text[-3000:]


# -- paths -------------------------------------------------------------------------


def _path_cases(kind: str, names: str) -> Iterator[Case]:
    methods = ('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'REPLICATE', 'SYNC')
    for value in TEXT_JUNK + ['.', '..', 'a' * 300, 'd\x00']:
        for method in methods:
            headers = {'X-Timestamp': _stamp(), 'Content-Type': 'a/b', 'Content-Length': '0'}
            yield Case(f'{kind} {method} partition {value!r}', kind, method, f'/sda/{_q(value)}{names}',
                       headers, b'', (400, 412))
            if value not in TEXT_JUNK or value in ('', '\x00', '5\x00'):
                yield Case(f'{kind} {method} device {value!r}', kind, method, f'/{_q(value)}/{PART}{names}',
                           headers, b'', (400, 412))
    for raw in RAW_JUNK:
        yield Case(f'{kind} GET partition {raw}', kind, 'GET', f'/sda/{raw}{names}', {}, None, (400, 412))
        yield Case(f'{kind} GET device {raw}', kind, 'GET', f'/{raw}/{PART}{names}', {}, None, (400, 412))


def _name_cases() -> Iterator[Case]:
    """Bad account, container and object names: invalid UTF-8, NUL, too long."""
    for bad in ('%ff', 'a%00b', 'a' * 9000, '%ed%a0%80'):
        for kind, template in (('object', '/sda/5/{}/c/o'), ('object', '/sda/5/AUTH_hostile/{}/o'),
                               ('object', '/sda/5/AUTH_hostile/c/{}'), ('container', '/sda/5/{}/c'),
                               ('container', '/sda/5/AUTH_hostile/{}'), ('account', '/sda/5/{}')):
            for method in ('GET', 'PUT', 'POST', 'DELETE', 'REPLICATE', 'SYNC'):
                headers = {'X-Timestamp': _stamp(), 'Content-Type': 'a/b', 'Content-Length': '0'}
                yield Case(f'{kind} {method} {template.format(bad[:20])}', kind, method, template.format(bad),
                           headers, b'', (400, 412, 414))


def test_path_segments(node, setup):
    cases = [*_path_cases('object', '/AUTH_hostile/c/o'), *_path_cases('container', '/AUTH_hostile/c'),
             *_path_cases('account', '/AUTH_hostile'), *_name_cases()]
    cases += [Case('object REPLICATE partition ²', 'object', 'REPLICATE', '/sda/%C2%B2', {}, None, (400,)),
              Case('object REPLICATE partition ٣', 'object', 'REPLICATE', '/sda/%D9%A3', {}, None, (400,)),
              Case('object REPLICATE device ..', 'object', 'REPLICATE', '/../5', {}, None, (400,))]
    check(node, setup, cases)


# -- container and account servers ----------------------------------------------------------

LISTING_PARAMS = ('limit', 'marker', 'end_marker', 'prefix', 'delimiter', 'reverse', 'format')


def _listing_want(param: str, value: str) -> tuple[int, ...]:
    # as Swift: a limit that is not ASCII digits is ignored, a delimiter may be several
    # characters, and markers may hold NUL; NUL anywhere else is refused
    if param == 'limit' and value.isascii() and value.isdigit():
        return (200, 204, 412)
    if param == 'format':
        return (200, 204) if value == '' else (400,)
    if param.endswith('marker'):
        return (200, 204)
    return (400,) if '\x00' in value else (200, 204)


def test_listing_params(node, setup):
    cases = []
    for kind, path in (('container', CONTAINER), ('account', ACCOUNT)):
        for param in LISTING_PARAMS:
            for value in TEXT_JUNK:
                query = f'{param}={_q(value)}'
                cases.append(Case(f'{kind} GET ?{param}={value!r}', kind, 'GET', f'{path}?{query}', {}, None,
                                  _listing_want(param, value)))
            for raw in RAW_JUNK:
                cases.append(Case(f'{kind} GET ?{param}={raw}', kind, 'GET', f'{path}?{param}={raw}', {},
                                  None, (412,)))
        for query in ('limit=-1', 'limit=abc', 'limit=5000.0', 'limit=%C2%B2', 'limit=%D9%A3', 'delimiter=ab',
                      'reverse=on&marker=%00', 'marker=%ff', 'limit=99999999', 'prefix=%00', 'limit=1%00'):
            want = {'marker=%ff': (412,), 'limit=99999999': (412,), 'prefix=%00': (400,),
                    'limit=1%00': (400,)}.get(query, (200, 204))
            cases.append(Case(f'{kind} GET ?{query}', kind, 'GET', f'{path}?{query}', {}, None, want))
        for value in HEADER_JUNK:
            cases.append(Case(f'{kind} GET Accept: {value!r}', kind, 'GET', path, {'Accept': value}, None,
                              (200, 204, 400, 406)))
    check(node, setup, cases)


def test_metadata_headers(node, setup):
    cases = []
    for value in [*HEADER_JUNK, b'a' * 10000]:
        for kind, path in (('object', OBJECT), ('container', CONTAINER), ('account', ACCOUNT)):
            header = f'X-{kind.title()}-Meta-A'
            cases.append(Case(f'{kind} POST {header}: {value[:20]!r}', kind, 'POST', path,
                              {'X-Timestamp': _stamp(), header: value}, None, (202, 204, 400, 431)))
        cases.append(Case(f'object PUT X-Object-Meta-A: {value[:20]!r}', 'object', 'PUT', OBJECT + '-meta',
                          {'X-Timestamp': _stamp(), 'Content-Type': 'a/b', 'X-Object-Meta-A': value}, b'x',
                          (201, 400, 431)))
    check(node, setup, cases)


def test_container_headers(node, setup):
    cases = []
    row = {'X-Timestamp': _stamp(), 'X-Size': '1', 'X-Content-Type': 'a/b', 'X-Etag': 'e' * 32}
    report = {'X-Timestamp': _stamp(), 'X-Account-Host': f'127.0.0.1:{node.port("account")}',
              'X-Account-Device': 'sda', 'X-Account-Partition': str(PART)}
    for value in HEADER_JUNK:
        for name in ('X-Timestamp', 'X-Size'):
            cases.append(Case(f'container PUT row {name}: {value!r}', 'container', 'PUT', f'{CONTAINER}/r',
                              {**row, name: value}, None, _write_want(name, value, 201)))
        for name in ('X-Content-Type', 'X-Etag'):
            cases.append(Case(f'container PUT row {name}: {value!r}', 'container', 'PUT', f'{CONTAINER}/r',
                              {**row, 'X-Timestamp': _stamp(), name: value}, None, (201, 400)))
        for name in ('X-Timestamp', 'X-Account-Partition', 'X-Account-Host'):
            cases.append(Case(f'container PUT {name}: {value!r}', 'container', 'PUT', CONTAINER,
                              {**report, 'X-Timestamp': _stamp(), name: value}, None,
                              _write_want(name, value, 202)))
        for method in ('POST', 'DELETE'):
            cases.append(Case(f'container {method} X-Timestamp: {value!r}', 'container', method, CONTAINER,
                              {'X-Timestamp': value}, None, _write_want('X-Timestamp', value, 204)))
        cases.append(Case(f'container DELETE row X-Timestamp: {value!r}', 'container', 'DELETE',
                          f'{CONTAINER}/r', {'X-Timestamp': value}, None,
                          _write_want('X-Timestamp', value, 204)))
    check(node, setup, cases)


def test_account_headers(node, setup):
    cases = []
    report = {'X-Put-Timestamp': _stamp(), 'X-Delete-Timestamp': '0', 'X-Object-Count': '1',
              'X-Bytes-Used': '1', 'X-Timestamp': _stamp()}
    for value in HEADER_JUNK:
        for name in ('X-Object-Count', 'X-Bytes-Used', 'X-Put-Timestamp', 'X-Delete-Timestamp'):
            cases.append(Case(f'account PUT report {name}: {value!r}', 'account', 'PUT', f'{ACCOUNT}/rc',
                              {**report, name: value}, None, _write_want(name, value, 201)))
        for method in ('PUT', 'POST', 'DELETE'):
            cases.append(Case(f'account {method} X-Timestamp: {value!r}', 'account', method, ACCOUNT + 'x',
                              {'X-Timestamp': value}, None, _write_want('X-Timestamp', value, 204)))
    check(node, setup, cases)


def _db_bodies(kind: str) -> list[bytes]:
    """REPLICATE bodies of every op with wrong types, missing keys and huge numbers."""
    if kind == 'container':
        good = {'name': 'n', 'created_at': _stamp(), 'size': 1, 'content_type': 'a/b', 'etag': 'e',
                'deleted': 0}
    else:
        good = {'name': 'n', 'put_timestamp': _stamp(), 'delete_timestamp': '0', 'object_count': 1,
                'bytes_used': 1, 'deleted': 0}
    junk: list[object] = ['\u00b2', '\u0663', '9' * 100, 10 ** 100, -1, 1.5, 1e308, True, None, [], {}, '',
                          '\x00', '\ud800', 'x' * 5000]
    bodies = [json.dumps({'op': 'merge_items', 'items': [{k: v for k, v in good.items() if k != key}]})
              for key in good]
    for key in [*good, 'ROWID']:
        bodies += [json.dumps({'op': 'merge_items', 'items': [{**good, key: v}], 'source_id': 's'})
                   for v in junk]
    for key in ('since', 'limit'):
        bodies += [json.dumps({'op': 'get_items', key: v}) for v in junk]
    bodies += [json.dumps({'op': 'merge_items', 'items': v}) for v in junk]
    bodies += [json.dumps({'op': 'merge_items', 'items': [good], 'source_id': v}) for v in junk]
    bodies += [json.dumps({'op': 'sync', 'remote_id': v}) for v in junk]
    info = {'put_timestamp': _stamp(), 'delete_timestamp': '0', 'metadata': '{}'}
    for key in info:
        bodies += [json.dumps({'op': 'merge_info', 'info': {**info, key: v}}) for v in junk]
    for meta in ('[1]', '{"a": 5}', '{"a": ["v"]}', '{"a": ["v", "\u00b2"]}', '{"a": [5, "1"]}', '{"a": '):
        bodies.append(json.dumps({'op': 'merge_info', 'info': {**info, 'metadata': meta}}))
    bodies += [json.dumps({'op': 'merge_info', 'info': v}) for v in junk]
    return [b.encode('utf-8', 'surrogatepass') for b in bodies] + JSON_JUNK


def test_db_replicate_bodies(node, setup):
    cases = []
    for kind, path in (('container', CONTAINER), ('account', ACCOUNT)):
        for body in _db_bodies(kind):
            cases.append(Case(f'{kind} REPLICATE {body[:80]!r}', kind, 'REPLICATE', path, {}, body or b' ',
                              (200, 202, 400)))
    check(node, setup, cases)


CONTAINER_STAT = ('CREATE TABLE container_stat (account TEXT, container TEXT, created_at TEXT, '
                  'put_timestamp TEXT, delete_timestamp TEXT, status_changed_at TEXT, object_count INTEGER, '
                  "bytes_used INTEGER, id TEXT, metadata TEXT DEFAULT '{}'); "
                  'CREATE TABLE sync (remote_id TEXT, sync_point INTEGER);')
OBJECT_TABLE = ('CREATE TABLE object (ROWID INTEGER PRIMARY KEY, name TEXT, created_at TEXT, size INTEGER, '
                'content_type TEXT, etag TEXT, deleted INTEGER);')
STAT_ROW = ("INSERT INTO container_stat (account, container, created_at, put_timestamp, delete_timestamp, "
            "metadata) VALUES ('AUTH_hostile', 'c', '1', '1', '0', '{}')")


def _copy(tmp_path, schema: str, *rows: str) -> bytes:
    """A SQLite file that claims to be the container's database."""
    path = tmp_path / f'{len(list(tmp_path.iterdir()))}.db'
    conn = sqlite3.connect(path)
    conn.executescript(schema)
    for row in rows:
        conn.execute(row)
    conn.commit()
    conn.close()
    return path.read_bytes()


def test_db_sync_of_unsound_copies(node, setup, tmp_path):
    bad_row = ("INSERT INTO object (name, created_at, size, content_type, etag, deleted) "
               "VALUES ('x', '\u00b2', 'big', NULL, 'e', 7)")
    bodies = [_copy(tmp_path, CONTAINER_STAT, STAT_ROW), _copy(tmp_path, CONTAINER_STAT + OBJECT_TABLE),
              _copy(tmp_path, CONTAINER_STAT + 'CREATE TABLE object (ROWID INTEGER PRIMARY KEY, name TEXT);',
                    STAT_ROW, "INSERT INTO object (name) VALUES ('x')"),
              _copy(tmp_path, CONTAINER_STAT + OBJECT_TABLE, STAT_ROW, bad_row),
              _copy(tmp_path, CONTAINER_STAT + OBJECT_TABLE, STAT_ROW.replace("'{}'", "'[5]'")),
              _copy(tmp_path, CONTAINER_STAT + OBJECT_TABLE, STAT_ROW.replace("'1', '1'", "'1', '+1'"))]
    cases = [Case(f'container SYNC unsound copy {i}', 'container', 'SYNC', CONTAINER,
                  {'X-Backend-Source-Id': 's', 'X-Backend-Source-Max-Row': '5'}, body, (422,))
             for i, body in enumerate(bodies)]
    check(node, setup, cases)


def test_db_sync(node, setup):
    cases = []
    for kind, path in (('container', CONTAINER), ('account', ACCOUNT)):
        for value in HEADER_JUNK:
            want = (422,) if value == b'-1' else (400,)               # -1: no rows yet; the body is junk
            cases.append(Case(f'{kind} SYNC max row {value!r}', kind, 'SYNC', path,
                              {'X-Backend-Source-Id': 's', 'X-Backend-Source-Max-Row': value}, b'junk', want))
            cases.append(Case(f'{kind} SYNC source id {value!r}', kind, 'SYNC', path,
                              {'X-Backend-Source-Id': value, 'X-Backend-Source-Max-Row': '5'}, b'junk',
                              (400, 422)))
        for body in JSON_JUNK[:14] + [b'SQLite format 3\x00' + b'\x00' * 200]:
            cases.append(Case(f'{kind} SYNC body {body[:30]!r}', kind, 'SYNC', path,
                              {'X-Backend-Source-Id': 's', 'X-Backend-Source-Max-Row': '5'}, body or b' ',
                              (400, 422)))
    check(node, setup, cases)


# -- client disconnects -----------------------------------------------------------------


def _hang_up(port: int, head: bytes, body: bytes) -> None:
    with socket.create_connection(('127.0.0.1', port), timeout=10) as sock:
        sock.sendall(head + b'\r\n' + body)
        time.sleep(0.2)


def test_disconnect_mid_upload_is_a_499_without_traceback(node, setup):
    port = node.port('object')
    chunked = b'Transfer-Encoding: chunked\r\n'
    for extra, body in ((b'Content-Length: 1000\r\n', b'x' * 10), (chunked, b'5\r\nab'),
                        (chunked, b'a\r\n0123456789\r\n'), (chunked, b'zz\r\nab\r\n')):
        head = (f'PUT {OBJECT}-hangup HTTP/1.1\r\nHost: x\r\nX-Timestamp: {_stamp()}\r\n'
                'Content-Type: a/b\r\n').encode() + extra
        _hang_up(port, head, body)
    sync_head = (f'SYNC {CONTAINER}/s HTTP/1.1\r\nHost: x\r\nX-Backend-Sync-Kind: data\r\n'
                 'X-Backend-Sync-Meta-Length: 10\r\nTransfer-Encoding: chunked\r\n').encode()
    _hang_up(port, sync_head, b'3\r\n{"a')
    _hang_up(port, f'REPLICATE /sda/{PART} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n'.encode(), b'{"op"')
    _hang_up(node.port('container'), f'REPLICATE {CONTAINER} HTTP/1.1\r\nHost: x\r\n'
             'Transfer-Encoding: chunked\r\n'.encode(), b'5\r\n{"op"')
    for kind, path in (('container', CONTAINER), ('account', ACCOUNT)):
        _hang_up(node.port(kind), f'SYNC {path} HTTP/1.1\r\nHost: x\r\nX-Backend-Source-Id: s\r\n'
                 'X-Backend-Source-Max-Row: 5\r\nTransfer-Encoding: chunked\r\n'.encode(), b'9\r\nSQLite')
    text = setup.new_text()
    TALLY.sent += 9
    TALLY.tracebacks += text.count('Traceback')
    assert 'Traceback' not in text, text[-3000:]
    assert f'PUT /sda/{PART}/AUTH_hostile/c/o-hangup 499' in text
    assert text.count('-hangup 499') + text.count('-hangup 400') == 4     # one line each

"""The object server as a real process, driven over HTTP only."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
from email.utils import formatdate

import pytest

DEV = '/sda/7/AUTH_test/cont'


def put(call, ts, name, body=b'data', headers=None):
    hdrs = {'X-Timestamp': ts(), 'Content-Type': 'text/plain', **(headers or {})}
    return call('object', 'PUT', f'{DEV}/{name}', hdrs, body)


def test_put_get_head_roundtrip(call, ts):
    body = os.urandom(200_000)
    status, headers, _ = put(call, ts, 'roundtrip', body, {'X-Object-Meta-Color': 'blue'})
    assert status == 201
    assert headers['etag'] == hashlib.md5(body).hexdigest()
    status, headers, got = call('object', 'GET', f'{DEV}/roundtrip')
    assert (status, got) == (200, body)
    assert headers['x-object-meta-color'] == 'blue' and headers['content-length'] == '200000'
    status, headers, got = call('object', 'HEAD', f'{DEV}/roundtrip')
    assert (status, got, headers['content-type']) == (200, b'', 'text/plain')


def test_utf8_and_odd_names(call, ts):
    for name in ('snow \u2603 man', 'a/b/c/', '%25 percent', 'q?x=1#frag', ' lead space'):
        assert put(call, ts, name, name.encode())[0] == 201
        assert call('object', 'GET', f'{DEV}/{name}')[2] == name.encode()


def test_chunked_put(call, ts):
    chunks = [b'a' * 70000, b'b' * 3, b'c' * 100000]
    assert _chunked_put(call, ts, 'chunked', chunks)[0] == 201
    assert call('object', 'GET', f'{DEV}/chunked')[2] == b''.join(chunks)


def _chunked_put(call, ts, name, chunks):
    return call('object', 'PUT', f'{DEV}/{name}',
                {'X-Timestamp': ts(), 'Content-Type': 'x/y', 'Transfer-Encoding': 'chunked'},
                iter(chunks))


def test_newest_wins_and_older_writes_conflict(call, ts):
    old, new = ts(), ts()
    assert call('object', 'PUT', f'{DEV}/nw', {'X-Timestamp': new, 'Content-Type': 'a/b'}, b'new')[0] == 201
    status, headers, _ = call('object', 'PUT', f'{DEV}/nw', {'X-Timestamp': old, 'Content-Type': 'a/b'},
                              b'old')
    assert status == 409 and headers['x-backend-timestamp'] == new
    assert call('object', 'DELETE', f'{DEV}/nw', {'X-Timestamp': old})[0] == 409
    assert call('object', 'PUT', f'{DEV}/nw', {'X-Timestamp': new, 'Content-Type': 'a/b'}, b'same')[0] == 409
    assert call('object', 'GET', f'{DEV}/nw')[2] == b'new'


def test_delete_then_get_and_tombstone_timestamp(call, ts):
    put(call, ts, 'gone')
    delete_ts = ts()
    assert call('object', 'DELETE', f'{DEV}/gone', {'X-Timestamp': delete_ts})[0] == 204
    status, headers, _ = call('object', 'GET', f'{DEV}/gone')
    assert status == 404 and headers['x-backend-timestamp'] == delete_ts
    assert call('object', 'DELETE', f'{DEV}/never', {'X-Timestamp': ts()})[0] == 404
    assert put(call, ts, 'gone', b'back')[0] == 201
    assert call('object', 'GET', f'{DEV}/gone')[2] == b'back'


def test_post_replaces_metadata(call, ts):
    put(call, ts, 'meta', b'x', {'X-Object-Meta-A': '1', 'X-Object-Meta-B': '2'})
    assert call('object', 'POST', f'{DEV}/meta', {'X-Timestamp': ts(), 'X-Object-Meta-C': '3'})[0] == 202
    _, headers, body = call('object', 'GET', f'{DEV}/meta')
    assert body == b'x' and headers['x-object-meta-c'] == '3'
    assert 'x-object-meta-a' not in headers and headers['content-type'] == 'text/plain'
    assert call('object', 'POST', f'{DEV}/nothing', {'X-Timestamp': ts()})[0] == 404


def test_post_sets_sysmeta_and_sysmeta_only_keeps_the_rest(call, ts):
    later = str(int(time.time()) + 3600)
    put(call, ts, 'sys', b'x', {'X-Object-Meta-A': '1', 'X-Object-Sysmeta-Kept': 'k', 'X-Delete-At': later})
    only = {'X-Timestamp': ts(), 'X-Object-Sysmeta-Tag': 't1', 'X-Backend-Sysmeta-Only': 'true',
            'X-Object-Meta-Ignored': 'x'}
    assert call('object', 'POST', f'{DEV}/sys', only)[0] == 202
    _, headers, _ = call('object', 'HEAD', f'{DEV}/sys')
    assert headers['x-object-meta-a'] == '1' and headers['x-delete-at'] == later
    assert headers['x-object-sysmeta-tag'] == 't1' and headers['x-object-sysmeta-kept'] == 'k'
    assert 'x-object-meta-ignored' not in headers
    assert call('object', 'POST', f'{DEV}/sys', {'X-Timestamp': ts(), 'X-Object-Meta-B': '2'})[0] == 202
    _, headers, _ = call('object', 'HEAD', f'{DEV}/sys')     # a plain POST: user metadata replaced,
    assert headers['x-object-meta-b'] == '2' and 'x-object-meta-a' not in headers    # sysmeta kept
    assert headers['x-object-sysmeta-tag'] == 't1' and 'x-delete-at' not in headers


def test_ranges(call, ts):
    body = bytes(range(256)) * 4
    put(call, ts, 'ranged', body)
    status, headers, got = call('object', 'GET', f'{DEV}/ranged', {'Range': 'bytes=10-19'})
    assert (status, got, headers['content-range']) == (206, body[10:20], 'bytes 10-19/1024')
    assert call('object', 'GET', f'{DEV}/ranged', {'Range': 'bytes=-4'})[2] == body[-4:]
    assert call('object', 'GET', f'{DEV}/ranged', {'Range': 'bytes=1000-'})[2] == body[1000:]
    status, headers, got = call('object', 'GET', f'{DEV}/ranged', {'Range': 'bytes=0-1,100-101'})
    assert status == 206 and headers['content-type'].startswith('multipart/byteranges;boundary=')
    boundary = headers['content-type'].split('=')[1].encode()
    parts = got.split(b'--' + boundary)
    assert b'Content-Range: bytes 0-1/1024\r\n\r\n' + body[0:2] in parts[1]
    assert b'Content-Range: bytes 100-101/1024\r\n\r\n' + body[100:102] in parts[2]
    assert int(headers['content-length']) == len(got)
    status, headers, _ = call('object', 'GET', f'{DEV}/ranged', {'Range': 'bytes=5000-'})
    assert status == 416 and headers['content-range'] == 'bytes */1024'
    assert call('object', 'GET', f'{DEV}/ranged', {'Range': 'bytes=9-2'})[0] == 200   # invalid: ignored


def test_conditional_requests(call, ts):
    put(call, ts, 'cond', b'hello')
    etag = '"' + hashlib.md5(b'hello').hexdigest() + '"'
    assert call('object', 'GET', f'{DEV}/cond', {'If-Match': etag})[0] == 200
    assert call('object', 'GET', f'{DEV}/cond', {'If-Match': '"nope"'})[0] == 412
    assert call('object', 'GET', f'{DEV}/cond', {'If-None-Match': etag})[0] == 304
    assert call('object', 'HEAD', f'{DEV}/cond', {'If-None-Match': '*'})[0] == 304
    future, past = formatdate(time.time() + 3600, usegmt=True), formatdate(1000, usegmt=True)
    assert call('object', 'GET', f'{DEV}/cond', {'If-Modified-Since': future})[0] == 304
    assert call('object', 'GET', f'{DEV}/cond', {'If-Modified-Since': past})[0] == 200
    assert call('object', 'GET', f'{DEV}/cond', {'If-Unmodified-Since': past})[0] == 412


def test_delete_at_is_honoured_on_read(call, ts):
    at = int(time.time()) + 2
    put(call, ts, 'expiring', b'x', {'X-Delete-At': str(at)})
    assert call('object', 'GET', f'{DEV}/expiring')[0] == 200
    deadline = time.time() + 10
    while time.time() < deadline and call('object', 'GET', f'{DEV}/expiring')[0] == 200:
        time.sleep(0.2)
    assert call('object', 'GET', f'{DEV}/expiring')[0] == 404
    assert put(call, ts, 'past', b'x', {'X-Delete-At': '1000'})[0] == 400


def test_full_size_metadata_uses_the_trailer(call, ts, node, monkeypatch):
    import http.client
    monkeypatch.setattr(http.client, '_MAXHEADERS', 200)   # a client-side cap, not the server's
    meta = {f'X-Object-Meta-K{i:02d}': 'v' * 38 for i in range(90)}     # 90 keys, ~4 KiB in all
    assert put(call, ts, 'bigmeta', b'body', meta)[0] == 201
    _, headers, body = call('object', 'GET', f'{DEV}/bigmeta')
    assert body == b'body' and sum(k.startswith('x-object-meta-') for k in headers) == 90
    data_files = [p for p in (node.root / 'node' / 'sda').rglob('*.data')
                  if json_name(p) == '/AUTH_test/cont/bigmeta']
    assert os.getxattr(data_files[0], 'user.swiftlike.meta').startswith(b'@4')   # trailer at offset 4
    assert put(call, ts, 'onemax', b'b', {'X-Object-Meta-' + 'n' * 128: 'v' * 256})[0] == 201


def json_name(path) -> str:
    raw = os.getxattr(path, 'user.swiftlike.meta')
    if raw.startswith(b'@'):
        raw = path.read_bytes()[int(raw[1:]):]
    return json.loads(raw)['name']


@pytest.mark.parametrize('path, headers, status', [
    ('/sda/7/AUTH_test/cont/o', {'Content-Type': 'a/b'}, 400),                           # no X-Timestamp
    ('/sda/7/AUTH_test/cont/o', {'X-Timestamp': 'yesterday', 'Content-Type': 'a/b'}, 400),
    ('/sda/7/AUTH_test/cont/' + 'n' * 1025, {'X-Timestamp': '1', 'Content-Type': 'a/b'}, 400),
    ('/sda/7/AUTH_test/cont/o', {'X-Timestamp': '1', 'Content-Type': 'a/b',
                                 'X-Object-Meta-X': 'v' * 257}, 400),
    ('/sda/7/AUTH_test/cont/o', {'X-Timestamp': '1', 'Content-Type': 'a/b',
                                 **{f'X-Object-Meta-{i}': 'v' for i in range(91)}}, 400),
    ('/sda/7/AUTH_test/cont/o', {'X-Timestamp': '1', 'Content-Type': 'a/b', 'X-Delete-At': 'soon'}, 400),
    ('/sda/7/AUTH_test/cont/o', {'X-Timestamp': '1', 'Content-Type': 'a/b', 'ETag': 'abc'}, 422),
    ('/../7/AUTH_test/cont/o', {'X-Timestamp': '1', 'Content-Type': 'a/b'}, 400),
    ('/sda/x7/AUTH_test/cont/o', {'X-Timestamp': '1', 'Content-Type': 'a/b'}, 400),
    ('/sda/../../AUTH_test/cont/o', {'X-Timestamp': '1', 'Content-Type': 'a/b'}, 400),
    ('/sda/7/AUTH_test/cont', {'X-Timestamp': '1', 'Content-Type': 'a/b'}, 400),
    ('/nodev/7/AUTH_test/cont/o', {'X-Timestamp': '1', 'Content-Type': 'a/b'}, 507),
])
def test_bad_puts_get_clear_errors(call, path, headers, status):
    got, resp_headers, body = call('object', 'PUT', path, headers, b'data')
    assert got == status, body
    assert body.strip() and b'Traceback' not in body and resp_headers['x-trans-id']


def test_bad_bytes_in_path_and_sizes(call, node):
    got, _, body = call('object', 'GET', '/sda/7/AUTH_test/cont/%FF%FE', raw_path=True)
    assert got == 412 and b'UTF8' in body
    got, _, _ = call('object', 'GET', '/sda/7/AUTH_test/cont/a%00b', raw_path=True)
    assert got == 412
    got, _, _ = call('object', 'PUT', '/sda/7/AUTH_test/cont/huge',
                     {'X-Timestamp': '1', 'Content-Type': 'a/b', 'Content-Length': str(6 * 1024 ** 3)})
    assert got == 413
    assert _raw(node, b'PUT /sda/7/AUTH_test/cont/nolen HTTP/1.1\r\nHost: x\r\nX-Timestamp: 1\r\n'
                      b'Content-Type: a/b\r\nConnection: close\r\n\r\n').startswith(b'HTTP/1.1 411')
    assert call('object', 'PATCH', '/sda/7/AUTH_test/cont/o')[0] == 405


def _raw(node, data: bytes, *, close_early: bool = False) -> bytes:
    with socket.create_connection(('127.0.0.1', node.port('object')), timeout=10) as sock:
        sock.sendall(data)
        if close_early:
            return b''
        return sock.recv(65536)


def test_short_body_leaves_nothing(call, node, ts):
    _raw(node, (f'PUT /sda/7/AUTH_test/cont/short HTTP/1.1\r\nHost: x\r\nX-Timestamp: {ts()}\r\n'
                'Content-Type: a/b\r\nContent-Length: 1000\r\n\r\n').encode() + b'x' * 10, close_early=True)
    # The server may not have opened its temp file yet when we look, and a busy machine notices
    # the disconnect slowly: wait for the file to appear (or 3 s), then for it to go.
    start = time.time()
    tmp = node.root / 'node' / 'sda' / 'tmp'
    seen = False
    while time.time() < start + 30:
        if tmp.exists() and any(tmp.iterdir()):
            seen = True
        elif seen or time.time() > start + 3:
            break
        time.sleep(0.02)
    assert call('object', 'GET', f'{DEV}/short')[0] == 404
    assert not tmp.exists() or not any(tmp.iterdir()), sorted(p.name for p in tmp.iterdir())


def test_container_update_and_async_pending(call, node, ts):
    account_ts = ts()
    call('account', 'PUT', '/sda/1/AUTH_up', {'X-Timestamp': account_ts})
    assert call('container', 'PUT', '/sda/2/AUTH_up/c', {'X-Timestamp': ts()})[0] == 201
    target = {'X-Container-Host': f'127.0.0.1:{node.port("container")}', 'X-Container-Device': 'sda',
              'X-Container-Partition': '2'}
    assert call('object', 'PUT', '/sda/9/AUTH_up/c/listed',
                {'X-Timestamp': ts(), 'Content-Type': 'a/b', **target}, b'12345')[0] == 201
    _, _, listing = call('container', 'GET', '/sda/2/AUTH_up/c', {'Accept': 'application/json'})
    assert [(e['name'], e['bytes']) for e in json.loads(listing)] == [('listed', 5)]
    assert call('object', 'DELETE', '/sda/9/AUTH_up/c/listed', {'X-Timestamp': ts(), **target})[0] == 204
    assert call('container', 'GET', '/sda/2/AUTH_up/c')[0] == 204
    dead = {**target, 'X-Container-Host': '127.0.0.1:1'}
    assert call('object', 'PUT', '/sda/9/AUTH_up/c/pending',
                {'X-Timestamp': ts(), 'Content-Type': 'a/b', **dead}, b'x')[0] == 201
    pendings = list((node.root / 'node' / 'sda' / 'async_pending').rglob('*-*'))
    docs = [json.loads(p.read_bytes()) for p in pendings]
    assert any(d['obj'] == 'pending' and d['op'] == 'PUT' and d['targets'][0]['port'] == 1 for d in docs)


def test_replicate_returns_suffix_hashes(call, ts):
    headers = {'X-Timestamp': ts(), 'Content-Type': 'a/b'}
    assert call('object', 'PUT', '/sdb/3/AUTH_r/c/o', headers, b'x')[0] == 201
    status, _, body = call('object', 'REPLICATE', '/sdb/3')
    hashes = json.loads(body)
    assert status == 200 and len(hashes) == 1
    suffix, value = next(iter(hashes.items()))
    assert len(suffix) == 3 and len(value) == 32
    call('object', 'PUT', '/sdb/3/AUTH_r/c/o', {'X-Timestamp': ts(), 'Content-Type': 'a/b'}, b'y')
    assert json.loads(call('object', 'REPLICATE', f'/sdb/3/{suffix}')[2])[suffix] != value
    assert call('object', 'REPLICATE', '/sdb/3/zzzz')[0] == 400

"""The replication verbs as real servers answer them: REPLICATE's list of
files, SYNC of object files, SYNC of whole databases, and X-If-Delete-At;
bad input gets a 4xx, never a 500."""

from __future__ import annotations

import hashlib
import json
import sqlite3

BASE = '/sdb/9'


def sync(call, name, kind, meta, body=b'', headers=None):
    raw = json.dumps(meta).encode()
    hdrs = {'X-Backend-Sync-Kind': kind, 'X-Backend-Sync-Meta-Length': str(len(raw)),
            'Content-Type': 'application/octet-stream', **(headers or {})}
    return call('object', 'SYNC', f'{BASE}/AUTH_s/c/{name}', hdrs, raw + body)


def data_meta(name, ts, body):
    return {'name': f'/AUTH_s/c/{name}', 'X-Timestamp': ts, 'ETag': hashlib.md5(body).hexdigest(),
            'Content-Length': str(len(body)), 'Content-Type': 'text/plain', 'X-Object-Meta-Kind': 'synced'}


def test_sync_stores_data_then_refuses_older_and_accepts_a_tombstone(call, ts):
    first, second = ts(), ts()
    assert sync(call, 'o', 'data', data_meta('o', second, b'hello'), b'hello')[0] == 201
    status, headers, body = call('object', 'GET', f'{BASE}/AUTH_s/c/o')
    assert (status, body, headers['x-object-meta-kind']) == (200, b'hello', 'synced')
    assert sync(call, 'o', 'data', data_meta('o', first, b'old'), b'old')[0] == 409
    assert sync(call, 'o', 'data', data_meta('o', second, b'hello'), b'hello')[0] == 409
    assert sync(call, 'o', 'ts', {'name': '/AUTH_s/c/o', 'X-Timestamp': ts()})[0] == 201
    assert call('object', 'GET', f'{BASE}/AUTH_s/c/o')[0] == 404


def test_sync_of_meta_needs_data(call, ts):
    assert sync(call, 'm', 'meta', {'name': '/AUTH_s/c/m', 'X-Timestamp': ts()})[0] == 409
    assert sync(call, 'm', 'data', data_meta('m', ts(), b'x'), b'x')[0] == 201
    meta = {'name': '/AUTH_s/c/m', 'X-Timestamp': ts(), 'X-Object-Meta-Kind': 'posted'}
    assert sync(call, 'm', 'meta', meta)[0] == 201
    assert call('object', 'HEAD', f'{BASE}/AUTH_s/c/m')[1]['x-object-meta-kind'] == 'posted'


def test_sync_rejects_bad_input(call, ts):
    good = data_meta('b', ts(), b'body')
    assert sync(call, 'b', 'data', {**good, 'ETag': '0' * 32}, b'body')[0] == 422
    assert sync(call, 'b', 'data', {**good, 'name': '/AUTH_s/c/other'}, b'body')[0] == 400
    assert sync(call, 'b', 'data', {k: v for k, v in good.items() if k != 'X-Timestamp'}, b'body')[0] == 400
    assert sync(call, 'b', 'exe', good, b'body')[0] == 400
    assert sync(call, 'b', 'data', good, b'body', {'X-Backend-Sync-Meta-Length': '99999'})[0] == 400
    status, _, _ = call('object', 'SYNC', f'{BASE}/AUTH_s/c/b', {'X-Backend-Sync-Kind': 'data',
                        'X-Backend-Sync-Meta-Length': '4'}, b'{[}x')
    assert status == 400
    assert call('object', 'GET', f'{BASE}/AUTH_s/c/b')[0] == 404


def test_replicate_lists_the_files_of_suffixes(call, ts):
    stamp = ts()
    assert sync(call, 'listed', 'data', data_meta('listed', stamp, b'z'), b'z')[0] == 201
    hashes = json.loads(call('object', 'REPLICATE', BASE)[2])
    listing = json.dumps({'op': 'list', 'suffixes': sorted(hashes)}).encode()
    status, _, body = call('object', 'REPLICATE', BASE, {}, listing)
    files = json.loads(body)
    assert status == 200 and [f'{stamp}.data'] in files.values()
    bad = json.dumps({'op': 'list', 'suffixes': ['../../etc']}).encode()
    assert call('object', 'REPLICATE', BASE, {}, bad)[0] == 400
    assert call('object', 'REPLICATE', BASE, {}, b'not json')[0] == 400


def test_if_delete_at_guards_the_expirer_delete(call, ts):
    import time
    at = str(int(time.time()) + 100)
    hdrs = {'X-Timestamp': ts(), 'Content-Type': 'a/b', 'X-Delete-At': at}
    assert call('object', 'PUT', f'{BASE}/AUTH_s/c/exp', hdrs, b'x')[0] == 201
    wrong = {'X-Timestamp': ts(), 'X-If-Delete-At': str(int(at) + 1)}
    assert call('object', 'DELETE', f'{BASE}/AUTH_s/c/exp', wrong)[0] == 412
    assert call('object', 'GET', f'{BASE}/AUTH_s/c/exp')[0] == 200
    right = {'X-Timestamp': ts(), 'X-If-Delete-At': at}
    assert call('object', 'DELETE', f'{BASE}/AUTH_s/c/exp', right)[0] == 204
    assert call('object', 'DELETE', f'{BASE}/AUTH_s/c/none', right)[0] == 404


def test_database_sync_takes_a_whole_copy_and_refuses_garbage(node, call, ts, tmp_path):
    path = '/sdb/9413/AUTH_s/dbc'
    assert call('container', 'PUT', path, {'X-Timestamp': ts()})[0] == 201
    for i in range(3):
        row = {'X-Timestamp': ts(), 'X-Size': '1', 'X-Content-Type': 'a/b', 'X-Etag': 'e'}
        assert call('container', 'PUT', f'{path}/o{i}', row)[0] == 201
    db = next((node.root / 'node' / 'sdb' / 'containers' / '9413').rglob('*.db'))
    copy = tmp_path / 'copy.db'
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dest:
        src.backup(dest)
    headers = {'X-Backend-Source-Id': 'peer', 'X-Backend-Source-Max-Row': '3'}

    status, _, body = call('container', 'SYNC', '/sda/9413/AUTH_s/dbc', headers, copy.read_bytes())
    assert (status, json.loads(body)) == (201, {'result': 'created'})
    status, _, body = call('container', 'GET', '/sda/9413/AUTH_s/dbc')
    assert body.split() == [b'o0', b'o1', b'o2']
    sync = json.loads(call('container', 'REPLICATE', '/sda/9413/AUTH_s/dbc', {},
                           json.dumps({'op': 'sync', 'remote_id': 'peer'}).encode())[2])
    assert sync['sync_point'] == 3 and sync['id'] != json.loads(call(
        'container', 'REPLICATE', path, {}, b'{"op": "sync"}')[2])['id']
    status, _, body = call('container', 'SYNC', '/sda/9413/AUTH_s/dbc', headers, copy.read_bytes())
    assert (status, json.loads(body)) == (201, {'result': 'merged'})

    junk = tmp_path / 'junk.db'
    with sqlite3.connect(junk) as conn:
        conn.execute('CREATE TABLE junk (x)')
    assert call('container', 'SYNC', '/sdb/9413/AUTH_s/other', headers, copy.read_bytes())[0] == 422
    assert call('container', 'SYNC', '/sdb/9413/AUTH_s/other', headers, junk.read_bytes())[0] == 422
    assert call('container', 'SYNC', '/sdb/9413/AUTH_s/other', headers, b'garbage' * 100)[0] == 422
    assert call('container', 'SYNC', '/sdb/9413/AUTH_s/other', {}, b'x')[0] == 400
    assert call('container', 'HEAD', '/sdb/9413/AUTH_s/other')[0] == 404

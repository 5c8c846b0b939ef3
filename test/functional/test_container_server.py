"""The container server as a real process, driven over HTTP only."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest


def make(call, ts, path, headers=None):
    status = call('container', 'PUT', path, {'X-Timestamp': ts(), **(headers or {})})[0]
    assert status == 201
    return path


def row(call, ts, path, name, size=1, ctype='text/plain'):
    headers = {'X-Timestamp': ts(), 'X-Size': str(size), 'X-Content-Type': ctype, 'X-Etag': 'e' * 32}
    assert call('container', 'PUT', f'{path}/{name}', headers)[0] == 201


def names(call, path, query=''):
    status, _, body = call('container', 'GET', f'{path}?format=json{query}', raw_path=True)
    assert status == 200, body
    return [e.get('name') or 'D:' + e['subdir'] for e in json.loads(body)]


def test_lifecycle_and_metadata(call, ts):
    path = make(call, ts, '/sda/3/AUTH_c/life', {'X-Container-Meta-Color': 'red',
                                                   'X-Container-Read': '.r:*',
                                                   'X-Versions-Location': 'old'})
    assert call('container', 'PUT', path, {'X-Timestamp': ts()})[0] == 202
    row(call, ts, path, 'o', size=7)
    status, headers, _ = call('container', 'HEAD', path)
    assert status == 204
    assert (headers['x-container-object-count'], headers['x-container-bytes-used']) == ('1', '7')
    assert headers['x-container-meta-color'] == 'red' and headers['x-container-read'] == '.r:*'
    assert headers['x-versions-location'] == 'old'
    assert call('container', 'POST', path, {'X-Timestamp': ts(), 'X-Container-Meta-Color': ''})[0] == 204
    assert 'x-container-meta-color' not in call('container', 'HEAD', path)[1]
    assert call('container', 'DELETE', path, {'X-Timestamp': ts()})[0] == 409       # not empty
    assert call('container', 'DELETE', f'{path}/o', {'X-Timestamp': ts()})[0] == 204
    assert call('container', 'HEAD', path)[1]['x-container-object-count'] == '0'
    assert call('container', 'DELETE', path, {'X-Timestamp': ts()})[0] == 204
    assert call('container', 'HEAD', path)[0] == 404
    assert call('container', 'GET', path)[0] == 404
    assert call('container', 'PUT', path, {'X-Timestamp': ts()})[0] == 201            # re-created


def test_rows_newest_wins(call, ts):
    path = make(call, ts, '/sda/3/AUTH_c/rows')
    old = ts()
    row(call, ts, path, 'x', size=10)
    call('container', 'PUT', f'{path}/x', {'X-Timestamp': old, 'X-Size': '99', 'X-Content-Type': 'a/b',
                                           'X-Etag': 'f'})
    status, _, body = call('container', 'GET', f'{path}?format=json', raw_path=True)
    assert [e['bytes'] for e in json.loads(body)] == [10]
    call('container', 'DELETE', f'{path}/x', {'X-Timestamp': old})
    assert names(call, path) == ['x']


@pytest.fixture(scope='module')
def listing(node):
    from .cluster import request
    path = '/sdb/4/AUTH_c/listing'

    def call(method, p, headers=None):
        return request('127.0.0.1', node.port('container'), method, p, headers)
    call('PUT', path, {'X-Timestamp': '1000000000.00000'})
    for i, name in enumerate(['a', 'b/1', 'b/2', 'b/c/3', 'c', 'photos', 'photos.jpg', 'photos/x',
                              'photos/y/z', 'z', '\u00e9', '\u2603', '\U0001f600']):
        call('PUT', f'{path}/{name}', {'X-Timestamp': f'{1000000001 + i}.00000', 'X-Size': str(i),
                                       'X-Content-Type': 'text/plain', 'X-Etag': 'e'})
    return path


@pytest.mark.parametrize('query, expected', [
    ('', ['a', 'b/1', 'b/2', 'b/c/3', 'c', 'photos', 'photos.jpg', 'photos/x', 'photos/y/z', 'z',
          '\u00e9', '\u2603', '\U0001f600']),
    ('&delimiter=/', ['a', 'D:b/', 'c', 'photos', 'photos.jpg', 'D:photos/', 'z', '\u00e9', '\u2603',
                      '\U0001f600']),
    ('&delimiter=/&reverse=true', ['\U0001f600', '\u2603', '\u00e9', 'z', 'D:photos/', 'photos.jpg',
                                   'photos', 'c', 'D:b/', 'a']),
    ('&prefix=b/&delimiter=/', ['b/1', 'b/2', 'D:b/c/']),
    ('&prefix=photos/', ['photos/x', 'photos/y/z']),
    ('&marker=b/2&limit=3', ['b/c/3', 'c', 'photos']),
    ('&marker=b/2&end_marker=photos', ['b/c/3', 'c']),
    ('&reverse=true&marker=c&limit=2', ['b/c/3', 'b/2']),
    ('&marker=%E2%98%83', ['\U0001f600']),
    ('&prefix=nothing', []),
])
def test_listing_parameters(call, listing, query, expected):
    assert names(call, listing, query) == expected


def test_listing_formats_and_limits(call, listing):
    status, headers, body = call('container', 'GET', f'{listing}?limit=2', raw_path=True)
    assert status == 200 and body == b'a\nb/1\n' and headers['content-type'].startswith('text/plain')
    status, headers, body = call('container', 'GET', f'{listing}?format=xml&limit=1&prefix=b',
                                 raw_path=True)
    root = ET.fromstring(body)
    assert root.tag == 'container' and root.find('object/name').text == 'b/1'
    status, _, body = call('container', 'GET', f'{listing}?limit=1', {'Accept': 'application/json'},
                           raw_path=True)
    assert json.loads(body)[0].keys() == {'name', 'hash', 'bytes', 'content_type', 'last_modified'}
    assert call('container', 'GET', f'{listing}?limit=10001', raw_path=True)[0] == 412
    assert call('container', 'GET', f'{listing}?limit=-1', raw_path=True)[0] == 200    # ignored, as Swift
    assert call('container', 'GET', f'{listing}?format=yaml', raw_path=True)[0] == 400
    assert call('container', 'GET', f'{listing}?prefix=%FF', raw_path=True)[0] == 412   # bad UTF-8
    assert call('container', 'GET', f'{listing}?prefix=nothing', raw_path=True)[0] == 204


def test_account_report(call, ts, node):
    call('account', 'PUT', '/sda/5/AUTH_rep', {'X-Timestamp': ts()})
    target = {'X-Account-Host': f'127.0.0.1:{node.port("account")}', 'X-Account-Device': 'sda',
              'X-Account-Partition': '5'}
    make(call, ts, '/sda/6/AUTH_rep/reported', target)
    _, _, body = call('account', 'GET', '/sda/5/AUTH_rep?format=json', raw_path=True)
    assert [e['name'] for e in json.loads(body)] == ['reported']
    assert call('container', 'DELETE', '/sda/6/AUTH_rep/reported', {'X-Timestamp': ts(), **target})[0] == 204
    assert call('account', 'GET', '/sda/5/AUTH_rep')[0] == 204


def test_replicate_ops(call, ts):
    path = make(call, ts, '/sda/3/AUTH_c/repl')
    row(call, ts, path, 'r1')
    row(call, ts, path, 'r2')
    sync = json.dumps({'op': 'sync', 'remote_id': 'peer'}).encode()
    status, _, body = call('container', 'REPLICATE', path, {}, sync)
    info = json.loads(body)
    assert status == 200 and info['max_row'] >= 2 and info['sync_point'] == -1
    get = json.dumps({'op': 'get_items', 'since': -1}).encode()
    _, _, body = call('container', 'REPLICATE', path, {}, get)
    items = json.loads(body)
    assert [i['name'] for i in items] == ['r1', 'r2']
    other = make(call, ts, '/sda/3/AUTH_c/repl2')
    merge = {'op': 'merge_items', 'items': items, 'source_id': info['id']}
    assert call('container', 'REPLICATE', other, {}, json.dumps(merge).encode())[0] == 202
    assert names(call, other) == ['r1', 'r2']
    sync = json.dumps({'op': 'sync', 'remote_id': info['id']}).encode()
    _, _, body = call('container', 'REPLICATE', other, {}, sync)
    assert json.loads(body)['sync_point'] == max(i['ROWID'] for i in items)
    assert call('container', 'REPLICATE', other, {}, b'not json')[0] == 400


@pytest.mark.parametrize('method, path, headers, status', [
    ('PUT', '/sda/3/AUTH_c', {'X-Timestamp': '1'}, 400),
    ('PUT', '/sda/3/AUTH_c/x', {}, 400),
    ('PUT', '/sda/3/AUTH_c/' + 'c' * 257, {'X-Timestamp': '1'}, 400),
    ('PUT', '/sda/3/AUTH_c/x', {'X-Timestamp': '1', 'X-Container-Meta-A': 'v' * 300}, 400),
    ('PUT', '/sda/3/AUTH_c/nocontainer/o', {'X-Timestamp': '1', 'X-Size': '1', 'X-Content-Type': 'a',
                                            'X-Etag': 'e'}, 404),
    ('PUT', '/sda/3/AUTH_c/x/o', {'X-Timestamp': '1', 'X-Size': 'big'}, 400),
    ('PUT', '/..', {'X-Timestamp': '1'}, 400),
    ('PUT', '/sdq/3/AUTH_c/x', {'X-Timestamp': '1'}, 507),
    ('HEAD', '/sda/3/AUTH_c/missing', {}, 404),
    ('POST', '/sda/3/AUTH_c/missing', {'X-Timestamp': '1'}, 404),
    ('DELETE', '/sda/3/AUTH_c/missing', {'X-Timestamp': '1'}, 404),
])
def test_container_errors(call, method, path, headers, status):
    got, _, body = call('container', method, path, headers)
    assert got == status and b'Traceback' not in body


def test_account_server(call, ts):
    path = '/sda/8/AUTH_acct'
    assert call('account', 'PUT', path, {'X-Timestamp': ts(), 'X-Account-Meta-Quota': '5'})[0] == 201
    assert call('account', 'PUT', path, {'X-Timestamp': ts()})[0] == 202
    put_ts = ts()
    report = {'X-Put-Timestamp': put_ts, 'X-Delete-Timestamp': '0', 'X-Object-Count': '3',
              'X-Bytes-Used': '30'}
    assert call('account', 'PUT', f'{path}/c1', report)[0] == 201
    assert call('account', 'PUT', f'{path}/c2', {**report, 'X-Put-Timestamp': ts()})[0] == 201
    status, headers, _ = call('account', 'HEAD', path)
    assert (headers['x-account-container-count'], headers['x-account-object-count'],
            headers['x-account-bytes-used'], headers['x-account-meta-quota']) == ('2', '6', '60', '5')
    assert call('account', 'PUT', f'{path}/c1', {**report, 'X-Delete-Timestamp': ts()})[0] == 201
    _, _, body = call('account', 'GET', f'{path}?format=json', raw_path=True)
    assert [(e['name'], e['count']) for e in json.loads(body)] == [('c2', 3)]
    assert call('account', 'POST', path, {'X-Timestamp': ts(), 'X-Account-Meta-Quota': '9'})[0] == 204
    assert call('account', 'HEAD', path)[1]['x-account-meta-quota'] == '9'
    assert call('account', 'DELETE', path, {'X-Timestamp': ts()})[0] == 204
    status, headers, _ = call('account', 'HEAD', path)
    assert status == 404 and headers['x-account-status'] == 'Deleted'
    assert call('account', 'PUT', f'{path}/c3', report)[0] == 404
    assert call('account', 'PUT', '/sda/8/AUTH_none/c', report)[0] == 404
    assert call('account', 'PUT', f'{path}/c4', {'X-Object-Count': 'x'})[0] == 400

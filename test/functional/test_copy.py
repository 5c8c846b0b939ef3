"""Server-side copy as Swift clients use it: raw UTF-8 and percent-encoded
names, a Range copied alone, and copies across accounts."""

from __future__ import annotations

import pytest

from .cluster import request


@pytest.fixture(scope='module')
def login(cluster):
    def auth(user: str, key: str) -> tuple[str, str]:
        status, headers, _ = request('127.0.0.1', cluster.proxy_port, 'GET', '/auth/v1.0',
                                     {'X-Auth-User': user, 'X-Auth-Key': key})
        assert status == 200
        return headers['x-auth-token'], '/' + headers['x-storage-url'].split('/', 3)[3]
    return auth


@pytest.fixture(scope='module')
def call(cluster):
    def do(token: str, method: str, path: str, headers=None, body=b''):
        headers = {'X-Auth-Token': token, **(headers or {})}
        return request('127.0.0.1', cluster.proxy_port, method, path, headers, body)
    return do


def test_raw_utf8_and_encoded_sources(login, call):
    token, base = login('test:tester', 'testing')
    call(token, 'PUT', f'{base}/copies')
    assert call(token, 'PUT', f'{base}/copies/été', body=b'summer')[0] == 201
    raw = '/copies/été'.encode().decode('latin-1')
    for source in (raw, '/copies/%C3%A9t%C3%A9'):
        status, _, body = call(token, 'PUT', f'{base}/copies/copy', {'X-Copy-From': source})
        assert status == 201, body
        assert call(token, 'GET', f'{base}/copies/copy')[2] == b'summer'
    assert call(token, 'PUT', f'{base}/copies/bad', {'X-Copy-From': '/copies/\xff'})[0] == 412


def test_a_range_copies_those_bytes(login, call):
    token, base = login('test:tester', 'testing')
    call(token, 'PUT', f'{base}/copies')
    call(token, 'PUT', f'{base}/copies/digits', body=b'0123456789')
    status, _, _ = call(token, 'PUT', f'{base}/copies/part', {'X-Copy-From': '/copies/digits',
                                                              'Range': 'bytes=2-5'})
    assert status == 201
    assert call(token, 'GET', f'{base}/copies/part')[2] == b'2345'


def test_copies_across_accounts(login, call):
    token, base = login('test:tester', 'testing')
    token2, base2 = login('test2:tester2', 'testing2')
    call(token, 'PUT', f'{base}/shared', {'X-Container-Read': 'test2:tester2'})
    call(token, 'PUT', f'{base}/shared/doc', {'Content-Type': 'text/x-doc'}, b'shared text')
    call(token2, 'PUT', f'{base2}/mine')
    account = base.rpartition('/')[2]
    status, headers, body = call(token2, 'PUT', f'{base2}/mine/doc',
                                 {'X-Copy-From': '/shared/doc', 'X-Copy-From-Account': account})
    assert status == 201, body
    assert headers['x-copied-from-account'] == account
    status, headers, body = call(token2, 'GET', f'{base2}/mine/doc')
    assert (status, body, headers['content-type']) == (200, b'shared text', 'text/x-doc')
    account2 = base2.rpartition('/')[2]
    status, _, body = call(token2, 'COPY', f'{base}/shared/doc', {'Destination': 'mine/doc2',
                                                                  'Destination-Account': account2})
    assert status == 201, body
    assert call(token2, 'GET', f'{base2}/mine/doc2')[2] == b'shared text'

"""Accounts and containers as host names through a whole dev cluster (its
proxy has domain_remap with storage_domain example.com, and s3api with
localhost): reads and writes by account and container host, the ``-`` form
of the account, objects whose names start with a slash, staticweb's
redirect keeping the client's path, S3's virtual-host buckets untouched,
and hostile Host headers."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from .hostile import RAW_HEADER_VALUES, Answer, LogMarks, auth_token, s3_signed, send


class Remote:
    def __init__(self, port: int) -> None:
        self.port = port
        self.token, self.account = auth_token(port)

    def __call__(self, method: str, host: str | bytes, path: str, body: bytes = b'',
                 headers: dict[str, str] | None = None, token: bool = True) -> Answer:
        sent = [('Host', host), *(headers or {}).items()] + ([('X-Auth-Token', self.token)] if token else [])
        return send(self.port, method, path, sent, body)

    def plain(self, method: str, path: str, body: bytes = b'', **headers: str) -> Answer:
        return self(method, f'127.0.0.1:{self.port}', f'/v1/{self.account}/{path}', body, headers)


@pytest.fixture(scope='module')
def r(cluster) -> Iterator[Remote]:
    remote = Remote(cluster.proxy_port)
    assert remote.plain('PUT', 'dom').status in (201, 202)
    assert remote.plain('PUT', 'dom/obj', b'obj contents').status == 201
    assert remote.plain('PUT', 'dom//v1', b'slash contents').status == 201
    marks = LogMarks.now(cluster.logs)
    yield remote
    assert marks.new_tracebacks() == {}


def test_info_lists_domain_remap(cluster):
    info = json.loads(send(cluster.proxy_port, 'GET', '/info').body)
    assert info['domain_remap'] == {'default_reseller_prefix': None}


@pytest.mark.parametrize('label', ['auth_test', 'auth-test', 'AUTH_test', 'Auth-Test'])
def test_account_host(r, label):
    host = f'{label}.example.com:{r.port}'
    assert 'dom' in r('GET', host, '/').body.decode().split('\n')
    listing = r('GET', host, '/dom').body.decode().split('\n')
    assert 'obj' in listing and '/v1' in listing
    assert r('GET', host, '/dom/obj').body == b'obj contents'
    assert r('GET', host, '/dom//v1').body == b'slash contents'
    assert r('PUT', host, '/dom/new-' + label, b'new').status == 201
    assert r.plain('GET', 'dom/new-' + label).body == b'new'


@pytest.mark.parametrize('label', ['auth_test', 'auth-test'])
def test_container_host(r, label):
    host = f'dom.{label}.example.com'
    assert r('GET', host, '/').status == 200 and b'obj\n' in r('GET', host, '/').body
    assert r('GET', host, '/obj').body == b'obj contents'
    assert r('GET', host, '//v1').body == b'slash contents'
    assert r('PUT', host, '/via-host', b'put by host').status == 201
    assert r.plain('GET', 'dom/via-host').body == b'put by host'
    assert r('GET', host, '/obj', token=False).status == 401          # auth still applies


def test_other_hosts_are_untouched(r):
    assert r('GET', 'example.com', f'/v1/{r.account}/dom/obj').body == b'obj contents'
    assert r('GET', 'other.org', f'/v1/{r.account}/dom/obj').body == b'obj contents'
    assert r('GET', 'auth-test.example.com.evil', f'/v1/{r.account}/dom/obj').status == 200


def test_unknown_reseller_prefix_is_404(r):
    got = r('GET', 'nobody.example.com', '/')
    assert (got.status, got.body) == (404, b'Bad domain in host header\n')


def test_staticweb_redirect_keeps_the_client_path(r):
    assert r.plain('PUT', 'site', **{'X-Container-Read': '.r:*,.rlistings',
                                     'X-Container-Meta-Web-Listings': 'true'}).status in (201, 202)
    assert r.plain('PUT', 'site/d/x', b'x').status == 201
    got = r('GET', 'site.auth-test.example.com', '/d', token=False)
    assert got.status == 301 and got.headers['location'] == 'http://site.auth-test.example.com/d/'
    got = r('GET', 'site.auth-test.example.com', '/d/', token=False)
    assert got.status == 200 and b'<a href="./x">x</a>' in got.body


def test_s3_virtual_host_buckets_are_left_to_s3api(r):
    assert r.plain('PUT', 'bucket1').status in (201, 202)
    assert r.plain('PUT', 'bucket1/key', b'from s3').status == 201
    path = '/key'
    headers = s3_signed(r.port, 'GET', path, headers={'Host': 'bucket1.localhost'})
    got = send(r.port, 'GET', path, headers)
    assert (got.status, got.body) == (200, b'from s3')
    # an S3 request to a remapped domain is not rewritten either (so s3api may refuse it)
    headers = s3_signed(r.port, 'GET', '/bucket1/key', headers={'Host': 'auth-test.example.com'})
    assert send(r.port, 'GET', '/bucket1/key', headers).status != 500


HOSTILE_HOSTS = [*(v + b'.example.com' for v in RAW_HEADER_VALUES), b'a.b.auth-test.example.com',
                 b'.example.com', b'..example.com', b'-x.example.com', b'auth-test.example.com:99999999',
                 b'auth_\xc2\xb2.example.com', b'a' * 5000 + b'.example.com', b'%41uth-test.example.com',
                 b'AUTH-test.example.com.', b'c%2Fd.auth-test.example.com', b'auth-.example.com']


@pytest.mark.parametrize('host', HOSTILE_HOSTS, ids=range(len(HOSTILE_HOSTS)))
def test_hostile_hosts(r, host):
    got = r('GET', host, '/dom/obj')
    assert got.status == 200 and got.body == b'obj contents' or 400 <= got.status < 500, got


@pytest.mark.parametrize('path', ['/%ff', '/%00', '/' + 'a' * 2000, '/dom/%C0%80', '/../../x', '//'])
def test_hostile_paths(r, path):
    got = r('GET', 'auth-test.example.com', path)
    assert 200 <= got.status < 500, got


def test_utf8_container_label(r):
    assert r.plain('PUT', 'd%C3%A9').status in (201, 202)
    assert r.plain('PUT', 'd%C3%A9/o', b'utf8 container').status == 201
    assert r('GET', 'dé.auth-test.example.com'.encode(), '/o').body == b'utf8 container'

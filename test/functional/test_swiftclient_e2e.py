"""python-swiftclient (library and the swift CLI) against a whole cluster:
proxy, tempauth, and one object/container/account server per device."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from swiftclient import client as sc
from swiftclient.exceptions import ClientException

SWIFT = str(Path(sys.executable).parent / 'swift')


@pytest.fixture(scope='module')
def auth(cluster):
    return f'http://127.0.0.1:{cluster.proxy_port}/auth/v1.0'


def conn(auth: str, user: str = 'test:tester', key: str = 'testing') -> sc.Connection:
    return sc.Connection(authurl=auth, user=user, key=key, retries=0)


def cli(auth: str, *args: str, user: str = 'test:tester', key: str = 'testing', cwd=None):
    return subprocess.run([SWIFT, '-A', auth, '-U', user, '-K', key, *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_stat_post_and_metadata(auth):
    c = conn(auth)
    headers = c.head_account()
    assert headers['x-account-container-count'] == '0' or int(headers['x-account-container-count']) >= 0
    c.put_container('meta', headers={'X-Container-Meta-Color': 'blue'})
    assert c.head_container('meta')['x-container-meta-color'] == 'blue'
    result = cli(auth, 'post', '-m', 'color:green', 'meta')
    assert result.returncode == 0, result.stderr
    assert c.head_container('meta')['x-container-meta-color'] == 'green'
    c.post_account({'X-Account-Meta-Owner': 'me'})
    assert c.head_account()['x-account-meta-owner'] == 'me'
    stat = cli(auth, 'stat')
    assert stat.returncode == 0 and 'Account: AUTH_test' in stat.stdout


def test_upload_download_50mb_with_md5(auth, tmp_path):
    big = tmp_path / 'big.bin'
    data = os.urandom(50 * 1024 * 1024)
    big.write_bytes(data)
    small = tmp_path / 'small.txt'
    small.write_text('small file\n')
    result = cli(auth, 'upload', 'uploads', 'big.bin', 'small.txt', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = tmp_path / 'out'
    out.mkdir()
    result = cli(auth, 'download', 'uploads', cwd=out)        # the CLI checks each md5 against the ETag
    assert result.returncode == 0, result.stderr
    assert hashlib.md5((out / 'big.bin').read_bytes()).digest() == hashlib.md5(data).digest()
    headers, body = conn(auth).get_object('uploads', 'small.txt')
    assert body == b'small file\n' and headers['etag'] == hashlib.md5(body).hexdigest()
    assert headers['content-type'] == 'text/plain'


def test_listing_prefix_delimiter(auth):
    c = conn(auth)
    c.put_container('tree')
    for name in ('a/1', 'a/2', 'a/b/3', 'b', 'c/\u2603'):
        c.put_object('tree', name, b'x')
    _, listing = c.get_container('tree', delimiter='/')
    assert [e.get('name') or e['subdir'] for e in listing] == ['a/', 'b', 'c/']
    _, listing = c.get_container('tree', prefix='a/', delimiter='/')
    assert [e.get('name') or e['subdir'] for e in listing] == ['a/1', 'a/2', 'a/b/']
    result = cli(auth, 'list', 'tree', '--prefix', 'c/')
    assert result.stdout.split() == ['c/\u2603']
    assert int(c.head_container('tree')['x-container-object-count']) == 5
    _, containers = c.get_account()
    assert 'tree' in [e['name'] for e in containers]


def test_copy_and_delete(auth):
    c = conn(auth)
    c.put_container('copies')
    c.put_object('copies', 'src', b'copy me', headers={'X-Object-Meta-Kind': 'original'})
    result = cli(auth, 'copy', 'copies', 'src', '-d', '/copies/via-cli')
    assert result.returncode == 0, result.stderr
    c.put_object('copies', 'via-header', b'', headers={'X-Copy-From': '/copies/src'})
    for name in ('via-cli', 'via-header'):
        headers, body = c.get_object('copies', name)
        assert body == b'copy me' and headers['x-object-meta-kind'] == 'original'
    assert cli(auth, 'delete', 'copies', 'src').returncode == 0
    with pytest.raises(ClientException) as err:
        c.get_object('copies', 'src')
    assert err.value.http_status == 404
    with pytest.raises(ClientException) as err:
        c.delete_container('copies')
    assert err.value.http_status == 409
    result = cli(auth, 'delete', 'copies')
    assert result.returncode == 0, result.stderr
    with pytest.raises(ClientException):
        c.head_container('copies')


def test_ranges_and_conditionals_pass_through(auth):
    c = conn(auth)
    c.put_container('ranges')
    etag = c.put_object('ranges', 'r', b'0123456789')
    headers, body = c.get_object('ranges', 'r', headers={'Range': 'bytes=2-4'})
    assert body == b'234' and headers['content-range'] == 'bytes 2-4/10'
    with pytest.raises(ClientException) as err:
        c.get_object('ranges', 'r', headers={'If-Match': '"nope"'})
    assert err.value.http_status == 412
    with pytest.raises(ClientException) as err:
        c.get_object('ranges', 'r', headers={'If-None-Match': f'"{etag}"'})
    assert err.value.http_status == 304


def test_acls_between_accounts(auth):
    owner, other = conn(auth), conn(auth, 'test2:tester2', 'testing2')
    url, _ = owner.get_auth()
    _, other_token = other.get_auth()
    owner.put_container('shared')
    owner.put_object('shared', 'doc', b'secret')
    with pytest.raises(ClientException) as err:
        sc.get_object(url, other_token, 'shared', 'doc')
    assert err.value.http_status == 403
    with pytest.raises(ClientException) as err:
        sc.get_object(url, '', 'shared', 'doc')
    assert err.value.http_status == 401
    owner.post_container('shared', {'X-Container-Read': 'test2:tester2'})
    assert sc.get_object(url, other_token, 'shared', 'doc')[1] == b'secret'
    with pytest.raises(ClientException) as err:
        sc.put_object(url, other_token, 'shared', 'new', b'x')
    assert err.value.http_status == 403
    owner.post_container('shared', {'X-Container-Write': 'test2'})
    sc.put_object(url, other_token, 'shared', 'new', b'x')
    owner.post_container('shared', {'X-Container-Read': '.r:*'})
    assert sc.get_object(url, '', 'shared', 'doc')[1] == b'secret'
    with pytest.raises(ClientException) as err:
        sc.get_container(url, '', 'shared')
    assert err.value.http_status == 401                       # listings need .rlistings
    owner.post_container('shared', {'X-Container-Read': '.r:*,.rlistings'})
    assert [e['name'] for e in sc.get_container(url, '', 'shared')[1]] == ['doc', 'new']
    with pytest.raises(ClientException) as err:
        owner.post_container('shared', {'X-Container-Read': '.r:'})
    assert err.value.http_status == 400


def test_non_admin_and_other_accounts(auth):
    limited = conn(auth, 'test:tester3', 'testing3')
    with pytest.raises(ClientException) as err:
        limited.put_container('nope')
    assert err.value.http_status == 403
    url2, _ = conn(auth, 'test2:tester2', 'testing2').get_auth()
    _, token = conn(auth).get_auth()
    with pytest.raises(ClientException) as err:
        sc.head_account(url2, token)
    assert err.value.http_status == 403
    admin_url, admin_token = conn(auth, 'admin:admin', 'admin').get_auth()
    sc.head_account(admin_url.replace('AUTH_admin', 'AUTH_test'), admin_token)    # reseller admin
    with pytest.raises(ClientException) as err:
        conn(auth, 'test:tester', 'wrong').head_account()
    assert err.value.http_status == 401


def test_errors_are_clear(auth):
    c = conn(auth)
    c.put_container('errs')
    url, token = c.get_auth()
    with pytest.raises(ClientException) as err:
        c.put_object('errs', 'n' * 1025, b'x')
    assert err.value.http_status == 400
    with pytest.raises(ClientException) as err:
        c.put_object('errs', 'meta', b'x', headers={'X-Object-Meta-Big': 'v' * 300})
    assert err.value.http_status == 400
    with pytest.raises(ClientException) as err:
        c.put_object('missing-container', 'o', b'x')
    assert err.value.http_status == 404
    with pytest.raises(ClientException) as err:
        c.put_object('errs', 'bad-etag', b'x', etag='0' * 32)
    assert err.value.http_status == 422
    with pytest.raises(ClientException) as err:
        c.put_object('errs', 'past', b'x', headers={'X-Delete-At': '1000'})
    assert err.value.http_status == 400
    c.put_object('errs', 'later', b'x', headers={'X-Delete-After': '3600'})
    assert int(c.head_object('errs', 'later')['x-delete-at']) > 0


def test_every_response_has_a_trans_id_and_no_backend_headers(cluster):
    from .cluster import request
    for method, path, headers in (('GET', '/v1/AUTH_test', {}), ('GET', '/info', {}),
                                  ('GET', '/auth/v1.0', {'X-Auth-User': 'x', 'X-Auth-Key': 'y'}),
                                  ('GET', '/nowhere', {}), ('GET', '/healthcheck', {})):
        status, resp_headers, _ = request('127.0.0.1', cluster.proxy_port, method, path, headers)
        assert resp_headers.get('x-trans-id', '').startswith('tx'), (path, status)
        assert not any(k.startswith('x-backend-') for k in resp_headers)
    _, headers, body = request('127.0.0.1', cluster.proxy_port, 'GET', '/info')
    import json
    assert json.loads(body)['swift']['max_file_size'] == 5 * 1024 ** 3 + 2

"""Browser form uploads through a whole cluster, sent with curl -F as a
browser would: with and without a redirect, to a prefix, size and count
limits, expiry, bad signatures, each digest, and malformed bodies (each a
4xx, never a 5xx)."""

from __future__ import annotations

import base64
import hmac
import http.client
import json
import os
import subprocess
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from swiftclient import client as sc

ACCOUNT = 'AUTH_test'
KEY = 'form-secret'


@pytest.fixture(scope='module')
def base(cluster):
    url = f'http://127.0.0.1:{cluster.proxy_port}'
    c = sc.Connection(authurl=f'{url}/auth/v1.0', user='test:tester', key='testing', retries=0)
    c.post_account({'X-Account-Meta-Temp-URL-Key': KEY})
    c.put_container('fp')
    c.put_container('fp2')
    c.post_container('fp2', {'X-Container-Meta-Temp-URL-Key': 'ckey'})
    return url


@pytest.fixture(scope='module')
def conn(base):
    return sc.Connection(authurl=f'{base}/auth/v1.0', user='test:tester', key='testing', retries=0)


def fields(path: str, *, redirect: str = '', max_size: int = 1 << 20, max_count: int = 5,
           expires: int | None = None, key: str = KEY, digest: str = 'sha1',
           b64: bool = False) -> dict[str, str]:
    expires = expires if expires is not None else int(time.time() + 300)
    body = f'{path}\n{redirect}\n{max_size}\n{max_count}\n{expires}'
    mac = hmac.new(key.encode(), body.encode(), digest)
    sig = f'{digest}:' + base64.b64encode(mac.digest()).decode() if b64 else mac.hexdigest()
    out = {'max_file_size': str(max_size), 'max_file_count': str(max_count), 'expires': str(expires),
           'signature': sig}
    if redirect:
        out = {'redirect': redirect, **out}
    return out


def post(url: str, form: dict[str, str], files: list[tuple[str, str]]) -> tuple[int, dict[str, str], bytes]:
    """curl -F: the fields (literal strings), then ``name=@path`` files."""
    args = ['curl', '-s', '-i', '--globoff']
    for name, value in form.items():
        args += ['--form-string', f'{name}={value}']
    for name, path in files:
        args += ['-F', f'{name}=@{path}']
    out = subprocess.run([*args, url], capture_output=True, timeout=120, check=True).stdout
    head, _, body = out.partition(b'\r\n\r\n')
    while head.startswith(b'HTTP/1.1 1'):
        head, _, body = body.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(':') for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


@pytest.fixture
def files(tmp_path):
    def make(name: str, size: int) -> str:
        path = tmp_path / name
        path.write_bytes(os.urandom(size))
        return str(path)
    return make


def test_upload_with_redirect_to_a_prefix(base, conn, files):
    path = f'/v1/{ACCOUNT}/fp/up/'
    one, two = files('one.bin', 1000), files('two.txt', 70_000)
    status, headers, _ = post(base + path, fields(path, redirect='https://example.com/done?x=1'),
                              [('file1', one), ('file2', two)])
    assert status == 303
    location = urlsplit(headers['location'])
    assert location.netloc == 'example.com' and parse_qs(location.query) == {'x': ['1'], 'status': ['201']}
    for name, local in (('up/one.bin', one), ('up/two.txt', two)):
        assert conn.get_object('fp', name)[1] == open(local, 'rb').read()
    assert conn.head_object('fp', 'up/two.txt')['content-type'].startswith('text/plain')


def test_upload_without_redirect_to_the_container(base, conn, files):
    path = f'/v1/{ACCOUNT}/fp'
    big = files('big.bin', 5_000_000)
    status, headers, body = post(base + path, fields(path, max_size=5_000_000), [('file', big)])
    assert (status, body) == (201, b'201 Created') and headers['x-trans-id']
    assert conn.get_object('fp', 'big.bin')[1] == open(big, 'rb').read()


@pytest.mark.parametrize('digest,b64', [('sha256', False), ('sha512', False), ('sha256', True),
                                        ('sha512', True)])
def test_each_digest(base, conn, files, digest, b64):
    path = f'/v1/{ACCOUNT}/fp/{digest}{b64}-'
    status, _, _ = post(base + path, fields(path, digest=digest, b64=b64), [('f', files('x', 10))])
    assert status == 201
    assert conn.head_object('fp', f'{digest}{b64}-x')['content-length'] == '10'


def test_container_key(base, conn, files):
    path = f'/v1/{ACCOUNT}/fp2/'
    assert post(base + path, fields(path, key='ckey'), [('f', files('c', 3))])[0] == 201
    other = f'/v1/{ACCOUNT}/fp/'
    assert post(base + other, fields(other, key='ckey'), [('f', files('c', 3))])[0] == 401


def test_too_large_stores_nothing(base, conn, files):
    path = f'/v1/{ACCOUNT}/fp/large/'
    status, _, body = post(base + path, fields(path, max_size=1000), [('f', files('big', 1001))])
    assert status == 400 and b'Max_File_Size Exceeded' in body
    status, headers, _ = post(base + path, fields(path, max_size=1000, redirect='http://r/'),
                              [('f', files('big2', 5000))])
    assert status == 303 and 'status=400' in headers['location'] and 'max_file_size' in headers['location']
    assert [o['name'] for o in conn.get_container('fp', prefix='large/')[1]] == []


def test_too_many_files(base, conn, files):
    path = f'/v1/{ACCOUNT}/fp/count/'
    two = [('a', files('a', 5)), ('b', files('b', 5))]
    status, _, body = post(base + path, fields(path, max_count=1), two)
    assert status == 400 and b'Max File Count Exceeded' in body
    assert [o['name'] for o in conn.get_container('fp', prefix='count/')[1]] == ['count/a']


def test_expired_and_bad_signatures(base, files):
    path = f'/v1/{ACCOUNT}/fp/'
    status, _, body = post(base + path, fields(path, expires=int(time.time()) - 5), [('f', files('e', 1))])
    assert (status, body) == (401, b'FormPost: Form Expired\n')
    for form in (fields(path, key='wrong'), fields(f'/v1/{ACCOUNT}/fp/other', redirect=''),
                 {**fields(path), 'max_file_size': '999999999'}, {**fields(path), 'signature': 'x' * 40},
                 {**fields(path), 'signature': ''}, {**fields(path), 'signature': 'é' * 40}):
        status, _, body = post(base + path, form, [('f', files('e', 1))])
        assert (status, body) == (401, b'FormPost: Invalid Signature\n'), form


@pytest.mark.parametrize('name,value', [('expires', '٣٣٣٣٣٣٣٣٣٣'), ('expires', '-1'), ('expires', '9' * 30),
                                        ('max_file_size', '1e6'), ('max_file_count', '²'),
                                        ('redirect', 'http://x/\r\nSet-Cookie: a=b'),
                                        ('x_delete_at', 'soon')])
def test_malformed_fields_are_400(base, files, name, value):
    path = f'/v1/{ACCOUNT}/fp/'
    status, _, body = post(base + path, {**fields(path), name: value}, [('f', files('m', 1))])
    assert status == 400 and body.startswith(b'FormPost: '), (name, body)


def test_no_files_and_huge_fields(base, files):
    path = f'/v1/{ACCOUNT}/fp/'
    assert post(base + path, fields(path), [])[0] == 400
    status, _, body = post(base + path, {**fields(path), 'redirect': 'x' * 5000}, [('f', files('h', 1))])
    assert status == 400 and b'longer than 4096' in body


def raw_post(base: str, path: str, content_type: str, body: bytes,
             length: int | None = None) -> tuple[int, bytes]:
    host, port = urlsplit(base).hostname, urlsplit(base).port
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.putrequest('POST', path)
    conn.putheader('Content-Type', content_type)
    conn.putheader('Content-Length', str(len(body) if length is None else length))
    conn.endheaders()
    conn.send(body)
    if length is not None and length > len(body):
        conn.sock.shutdown(1)                  # the client stops sending mid-body
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def multipart(form: dict[str, str], boundary: str = 'XyZ') -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
             for k, v in form.items()]
    return ''.join(parts).encode() + (f'--{boundary}\r\nContent-Disposition: form-data; name="f"; '
                                      f'filename="t.bin"\r\n\r\n').encode()


@pytest.mark.parametrize('case', ['truncated', 'no-boundary', 'bad-boundary', 'no-opening', 'hung-up',
                                  'header-flood', 'no-end'])
def test_malformed_bodies_are_4xx(base, case):
    path = f'/v1/{ACCOUNT}/fp/raw-'
    start = multipart(fields(path))
    ctype, body, length = 'multipart/form-data; boundary=XyZ', start + b'abc', None
    if case == 'no-boundary':
        ctype = 'multipart/form-data'
    elif case == 'bad-boundary':
        ctype = 'multipart/form-data; boundary="' + 'x' * 100 + '"'
    elif case == 'no-opening':
        body = b'just text' * 100
    elif case == 'hung-up':
        length = len(body) + 1000
    elif case == 'header-flood':
        body = b'--XyZ\r\n' + b'X-A: b\r\n' * 5000 + b'\r\n'
    elif case == 'no-end':
        body = start + b'abc\r\n--XyZ'
    status, data = raw_post(base, path, ctype, body, length)
    assert 400 <= status < 500 and b'Traceback' not in data, (case, status, data)


def test_other_posts_pass_through(base):
    path = f'/v1/{ACCOUNT}/fp'
    assert raw_post(base, path, 'application/x-www-form-urlencoded', b'a=b')[0] == 401    # tempauth's answer


def test_info_lists_formpost(base):
    conn = http.client.HTTPConnection(urlsplit(base).hostname, urlsplit(base).port, timeout=30)
    conn.request('GET', '/info')
    section = json.loads(conn.getresponse().read())['formpost']
    assert section == {'allowed_digests': ['sha1', 'sha256', 'sha512']}

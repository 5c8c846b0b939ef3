"""Temporary URLs through a whole cluster, driven by python-swiftclient's
``swift tempurl`` and by curl: signatures of each digest, prefix URLs, IP
ranges, Content-Disposition, and the refusals (expired, bad signature,
wrong method, another object, a listing, pointers to other data)."""

from __future__ import annotations

import base64
import hmac
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from swiftclient import client as sc

SWIFT = str(Path(sys.executable).parent / 'swift')
ACCOUNT = 'AUTH_test'
KEY = 'acct-secret'
CONTAINER_KEY = 'cont-secret'


@pytest.fixture(scope='module')
def base(cluster):
    """The proxy's URL, with an account key, a container key on ``tu2`` and a few objects."""
    url = f'http://127.0.0.1:{cluster.proxy_port}'
    c = sc.Connection(authurl=f'{url}/auth/v1.0', user='test:tester', key='testing', retries=0)
    c.post_account({'X-Account-Meta-Temp-URL-Key': KEY})
    for container in ('tu', 'tu2'):
        c.put_container(container)
    c.post_container('tu2', {'X-Container-Meta-Temp-URL-Key': CONTAINER_KEY})
    c.put_object('tu', 'obj.txt', b'hello tempurl', headers={'X-Object-Meta-Secret': 's',
                                                            'X-Object-Meta-Public-Color': 'blue'})
    c.put_object('tu', 'other', b'not for you')
    for name in ('pre/a', 'pre/b', 'prelude', 'elsewhere'):
        c.put_object('tu', name, name.encode())
    c.put_object('tu2', 'obj', b'container keyed')
    return url


@pytest.fixture(scope='module')
def conn(base):
    return sc.Connection(authurl=f'{base}/auth/v1.0', user='test:tester', key='testing', retries=0)


def swift_tempurl(*args: str) -> str:
    result = subprocess.run([SWIFT, 'tempurl', *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def curl(method: str, url: str, *extra: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers (lower-case names) and body of one curl request."""
    args = ['curl', '-s', '-i', '--globoff', '-X', method, *extra, url]
    if method == 'HEAD':
        args = ['curl', '-s', '-I', '--globoff', *extra, url]
    out = subprocess.run(args, capture_output=True, timeout=60, check=True).stdout
    head, _, body = out.partition(b'\r\n\r\n')
    while head.startswith(b'HTTP/1.1 1'):                 # 100 Continue
        head, _, body = body.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def sign(method: str, path: str, *, key: str = KEY, expires: int | None = None, digest: str = 'sha256',
         ip_range: str = '', encode: str = 'hex') -> str:
    """The query string of a temp URL for ``path``."""
    expires = expires if expires is not None else int(time.time() + 300)
    body = '\n'.join(([f'ip={ip_range}'] if ip_range else []) + [method, str(expires), path])
    mac = hmac.new(key.encode(), body.encode(), digest)
    sig = mac.hexdigest() if encode == 'hex' else \
        f'{digest}:' + base64.urlsafe_b64encode(mac.digest()).decode().rstrip('=')
    query = f'temp_url_sig={quote(sig)}&temp_url_expires={expires}'
    return query + (f'&temp_url_ip_range={quote(ip_range)}' if ip_range else '')


def test_swift_tempurl_get_with_curl(base):
    url = swift_tempurl('GET', '300', f'/v1/{ACCOUNT}/tu/obj.txt', KEY)
    status, headers, body = curl('GET', base + url)
    assert (status, body) == (200, b'hello tempurl')
    assert headers['content-disposition'] == 'attachment; filename="obj.txt"; filename*=UTF-8\'\'obj.txt'
    assert 'expires' in headers and headers['x-trans-id']
    assert 'x-object-meta-secret' not in headers and headers['x-object-meta-public-color'] == 'blue'
    status, headers, _ = curl('HEAD', base + url)         # HEAD with a GET signature, as Swift allows
    assert status == 200 and headers['content-length'] == '13'


def test_swift_tempurl_put_with_curl(base, conn, tmp_path):
    url = swift_tempurl('PUT', '300', f'/v1/{ACCOUNT}/tu/uploaded', KEY)
    (tmp_path / 'up').write_bytes(b'x' * 70000)
    status, _, _ = curl('PUT', base + url, '-T', str(tmp_path / 'up'), '-H', 'X-Object-Meta-Kind: upload')
    assert status == 201
    headers, body = conn.get_object('tu', 'uploaded')
    assert body == b'x' * 70000 and headers['x-object-meta-kind'] == 'upload'
    assert curl('GET', base + url)[0] == 401          # a PUT signature does not read


@pytest.mark.parametrize('args', [('--digest', 'sha1'), ('--digest', 'sha256'), ('--digest', 'sha512'),
                                  ('--iso8601',), ('--iso8601', '--digest', 'sha512')])
def test_each_digest_and_iso8601(base, args):
    url = swift_tempurl(*args, 'GET', '300', f'/v1/{ACCOUNT}/tu/obj.txt', KEY)
    status, _, body = curl('GET', base + url)
    assert (status, body) == (200, b'hello tempurl'), url


@pytest.mark.parametrize('digest,encode', [('sha1', 'b64'), ('sha256', 'b64'), ('sha512', 'hex')])
def test_other_encodings(base, digest, encode):
    path = f'/v1/{ACCOUNT}/tu/obj.txt'
    assert curl('GET', f'{base}{path}?{sign("GET", path, digest=digest, encode=encode)}')[0] == 200


def test_utf8_names(base, conn):
    conn.put_object('tu', 'naïve/ñame €', b'utf8')
    path = f'/v1/{ACCOUNT}/tu/naïve/ñame €'
    assert curl('GET', f'{base}{quote(path)}?{sign("GET", path)}')[:3:2] == (200, b'utf8')
    url = swift_tempurl('--prefix-based', 'GET', '300', f'/v1/{ACCOUNT}/tu/naïve/', KEY)
    query = url.partition('?')[2].replace('temp_url_prefix=naïve/', 'temp_url_prefix=' + quote('naïve/'))
    assert curl('GET', f'{base}{quote(path)}?{query}')[0] == 200
    assert curl('GET', f'{base}/v1/{ACCOUNT}/tu/na%FF?{sign("GET", path)}')[0] in (401, 412)


def test_prefix_urls(base):
    url = swift_tempurl('--prefix-based', 'GET', '300', f'/v1/{ACCOUNT}/tu/pre', KEY)
    query = url.partition('?')[2]
    for name in ('pre/a', 'pre/b', 'prelude'):
        status, _, body = curl('GET', f'{base}/v1/{ACCOUNT}/tu/{name}?{query}')
        assert (status, body) == (200, name.encode())
    assert curl('GET', f'{base}/v1/{ACCOUNT}/tu/elsewhere?{query}')[0] == 401
    assert curl('GET', f'{base}/v1/{ACCOUNT}/tu?{query}')[0] == 401            # not a listing


def test_refusals(base):
    path = f'/v1/{ACCOUNT}/tu/obj.txt'
    expired = sign('GET', path, expires=int(time.time()) - 10)
    status, headers, body = curl('GET', f'{base}{path}?{expired}')
    assert status == 401 and body == b'401 Unauthorized: Temp URL invalid\n' and headers['x-trans-id']
    good = sign('GET', path)
    bad = 'temp_url_sig=' + ('0' * 64) + '&' + good.partition('&')[2]
    assert curl('GET', f'{base}{path}?{bad}')[0] == 401
    assert curl('GET', f'{base}{path}?{sign("GET", path, key="wrong")}')[0] == 401
    for method in ('PUT', 'DELETE', 'POST'):
        assert curl(method, f'{base}{path}?{good}')[0] == 401, method     # a GET signature only
    assert curl('GET', f'{base}/v1/{ACCOUNT}/tu/other?{good}')[0] == 401      # another object
    assert curl('GET', f'{base}/v1/{ACCOUNT}/tu?{good}')[0] == 401             # a listing
    assert curl('GET', f'{base}/v1/{ACCOUNT}?{good}')[0] == 401
    assert curl('GET', f'{base}{path}?temp_url_sig=abc')[0] == 401


def test_container_keys_are_scoped(base):
    path = f'/v1/{ACCOUNT}/tu2/obj'
    assert curl('GET', f'{base}{path}?{sign("GET", path, key=CONTAINER_KEY)}')[0] == 200
    other = f'/v1/{ACCOUNT}/tu/obj.txt'
    assert curl('GET', f'{base}{other}?{sign("GET", other, key=CONTAINER_KEY)}')[0] == 401


def test_writes_cannot_point_at_other_data(base, conn):
    path = f'/v1/{ACCOUNT}/tu/pointer'
    query = sign('PUT', path)
    for header in ('X-Object-Manifest: tu/other', 'X-Copy-From: /tu/other', 'X-Symlink-Target: tu/other'):
        status, _, body = curl('PUT', f'{base}{path}?{query}', '-H', header, '-H', 'Content-Length: 0')
        assert status == 400 and b'not allowed in this tempurl' in body, header
    status, _, _ = curl('PUT', f'{base}{path}?{query}&multipart-manifest=put', '--data-binary',
                        json.dumps([{'path': '/tu/other'}]))
    assert status == 201                                   # stored as a plain object: the query is dropped
    headers = conn.head_object('tu', 'pointer')
    assert 'x-static-large-object' not in headers


def test_post_and_delete(base, conn):
    conn.put_object('tu', 'doomed', b'bye')
    path = f'/v1/{ACCOUNT}/tu/doomed'
    assert curl('POST', f'{base}{path}?{sign("POST", path)}', '-H', 'X-Object-Meta-Note: hi')[0] == 202
    assert conn.head_object('tu', 'doomed')['x-object-meta-note'] == 'hi'
    assert curl('DELETE', f'{base}{path}?{sign("DELETE", path)}')[0] == 204
    assert curl('DELETE', f'{base}{path}?{sign("DELETE", path)}')[0] == 404


def test_inline_and_filename(base):
    path = f'/v1/{ACCOUNT}/tu/obj.txt'
    query = sign('GET', path)
    assert curl('GET', f'{base}{path}?{query}&inline')[1]['content-disposition'] == 'inline'
    headers = curl('GET', f'{base}{path}?{query}&filename=My%20File.pdf')[1]
    assert headers['content-disposition'] == \
        'attachment; filename="My File.pdf"; filename*=UTF-8\'\'My%20File.pdf'
    headers = curl('GET', f'{base}{path}?{query}&inline&filename=r%C3%A9sum%C3%A9%0A.txt')[1]
    assert headers['content-disposition'].startswith('inline; filename="r%C3%A9sum%C3%A9%0A.txt"')


def test_ip_ranges(base):
    path = f'/v1/{ACCOUNT}/tu/obj.txt'
    for ip_range, status in (('127.0.0.1', 200), ('127.0.0.0/8', 200), ('10.0.0.0/8', 401),
                             ('::1/128', 401), ('127.0.0.1/8', 401), ('not-an-ip', 401), ('1' * 500, 401)):
        assert curl('GET', f'{base}{path}?{sign("GET", path, ip_range=ip_range)}')[0] == status, ip_range
    signed_without = sign('GET', path)
    assert curl('GET', f'{base}{path}?{signed_without}&temp_url_ip_range=127.0.0.1')[0] == 401


def test_keys_are_hidden_from_readers_through_an_acl(base, conn):
    conn.post_container('tu2', {'X-Container-Read': 'test:tester3'})
    reader = sc.Connection(authurl=f'{base}/auth/v1.0', user='test:tester3', key='testing3', retries=0)
    assert 'x-container-meta-temp-url-key' not in reader.head_container('tu2')
    assert 'x-container-meta-temp-url-key' not in reader.get_container('tu2')[0]
    assert conn.head_container('tu2')['x-container-meta-temp-url-key'] == CONTAINER_KEY


def test_large_objects_read_whole_through_a_temp_url(base, conn):
    parts = [b'a' * 1000, b'b' * 1500]
    for n, part in enumerate(parts):
        conn.put_object('tu', f'seg/{n}', part)
    manifest = [{'path': f'/tu/seg/{n}', 'etag': None, 'size_bytes': None} for n in range(2)]
    conn.put_object('tu', 'slo', json.dumps(manifest), query_string='multipart-manifest=put')
    conn.put_object('tu', 'dlo', b'', headers={'X-Object-Manifest': 'tu/seg/'})
    for name in ('slo', 'dlo'):
        path = f'/v1/{ACCOUNT}/tu/{name}'
        status, _, body = curl('GET', f'{base}{path}?{sign("GET", path)}&multipart-manifest=get')
        assert (status, body) == (200, b''.join(parts)), name
    conn.put_object('tu2', 'dlo-outside', b'', headers={'X-Object-Manifest': 'tu/seg/'})
    path = f'/v1/{ACCOUNT}/tu2/dlo-outside'                  # a container key reads in its container only
    for method in ('GET', 'HEAD'):
        assert curl(method, f'{base}{path}?{sign("GET", path, key=CONTAINER_KEY)}')[0] == 401, method
    assert curl('GET', f'{base}{path}?{sign("GET", path)}')[1]['content-length'] == '2500'


@pytest.mark.skipif(not shutil.which('memcached'),
                    reason='a removed key stops at once only with a shared cache')
def test_a_new_key_works_at_once_and_a_removed_one_stops(base, conn):
    path = f'/v1/{ACCOUNT}/tu/obj.txt'
    assert curl('GET', f'{base}{path}?{sign("GET", path)}')[0] == 200      # keys now cached
    conn.post_account({'X-Account-Meta-Temp-URL-Key-2': 'second'})
    assert curl('GET', f'{base}{path}?{sign("GET", path, key="second")}')[0] == 200
    conn.post_account({'X-Account-Meta-Temp-URL-Key-2': ''})
    assert curl('GET', f'{base}{path}?{sign("GET", path, key="second")}')[0] == 401


HOSTILE = [
    'temp_url_sig={sig}&temp_url_expires=%D9%A3%D9%A3',            # Arabic-Indic digits
    'temp_url_sig={sig}&temp_url_expires=%C2%B2',                  # superscript two
    'temp_url_sig={sig}&temp_url_expires=' + '9' * 400,
    'temp_url_sig={sig}&temp_url_expires=-5',
    'temp_url_sig={sig}&temp_url_expires=%2B{exp}',
    'temp_url_sig={sig}&temp_url_expires=99999999999999999999',
    'temp_url_sig={sig}&temp_url_expires=2026-02-30T10:00:00Z',
    'temp_url_sig={sig}&temp_url_expires=%D9%A2026-12-02T10:00:00Z',
    'temp_url_sig=zz{sig}&temp_url_expires={exp}',
    'temp_url_sig={short}&temp_url_expires={exp}',
    'temp_url_sig=%C3%A9{short}&temp_url_expires={exp}',
    'temp_url_sig=sha512:%%%%&temp_url_expires={exp}',
    'temp_url_sig=md5:AAAA&temp_url_expires={exp}',
    'temp_url_sig=sha256:' + 'A' * 5000 + '&temp_url_expires={exp}',
    'temp_url_sig=%00&temp_url_expires={exp}',
    'temp_url_sig=%FF%FE&temp_url_expires={exp}',
    'temp_url_expires={exp}',
    'temp_url_sig={sig}&temp_url_expires={exp}&temp_url_ip_range=%00',
    'temp_url_sig={sig}&temp_url_expires={exp}&temp_url_ip_range=1.2.3.4/99',
    'temp_url_sig={sig}&temp_url_expires={exp}&temp_url_prefix=%FF',
]


@pytest.mark.parametrize('template', HOSTILE)
def test_hostile_parameters_are_refused_with_a_4xx(base, template):
    path = f'/v1/{ACCOUNT}/tu/obj.txt'
    good = sign('GET', path)
    sig, exp = good.split('&')[0].partition('=')[2], good.split('&')[1].partition('=')[2]
    query = template.format(sig=sig, exp=exp, short=sig[:-1])
    status, headers, body = curl('GET', f'{base}{path}?{query}')
    assert 400 <= status < 500 and b'Traceback' not in body, (query, status, body)
    assert headers.get('x-trans-id')


def test_info_lists_tempurl(base):
    status, _, body = curl('GET', f'{base}/info')
    section = json.loads(body)['tempurl']
    assert section['methods'] == ['GET', 'HEAD', 'PUT', 'POST', 'DELETE']
    assert section['allowed_digests'] == ['sha1', 'sha256', 'sha512']
    assert 'x-timestamp' in section['incoming_remove_headers']

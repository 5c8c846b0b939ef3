"""Static large objects (the slo filter) and server-side copy (the copy
filter) on a whole cluster, through python-swiftclient and the swift CLI."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import urllib3
from swiftclient import client as sc
from swiftclient.exceptions import ClientException

SWIFT = str(Path(sys.executable).parent / 'swift')
MIB = 1024 * 1024


@pytest.fixture(scope='module')
def auth(cluster):
    return f'http://127.0.0.1:{cluster.proxy_port}/auth/v1.0'


@pytest.fixture(scope='module')
def c(auth):
    return sc.Connection(authurl=auth, user='test:tester', key='testing', retries=0)


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def _segments(c, container: str, parts: list[bytes]) -> list[dict]:
    c.put_container(container)
    manifest = []
    for n, part in enumerate(parts):
        c.put_object(container, f'seg/{n:03d}', part)
        manifest.append({'path': f'/{container}/seg/{n:03d}', 'etag': md5(part), 'size_bytes': len(part)})
    return manifest


def test_swift_cli_segmented_upload_download_and_delete(auth, c, tmp_path):
    data = os.urandom(5 * MIB + 123)
    (tmp_path / 'big.bin').write_bytes(data)
    swift = [SWIFT, '-A', auth, '-U', 'test:tester', '-K', 'testing']
    up = subprocess.run([*swift, 'upload', '--use-slo', '-S', str(MIB), 'slo', 'big.bin'], cwd=tmp_path,
                        capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, up.stderr
    headers = c.head_object('slo', 'big.bin')
    assert headers['x-static-large-object'] == 'True'
    assert int(headers['content-length']) == len(data)
    assert not [k for k in headers if 'sysmeta' in k]
    _, listing = c.get_container('slo')
    assert [(e['name'], e['bytes']) for e in listing] == [('big.bin', len(data))]
    _, segs = c.get_container('slo_segments')
    assert len(segs) == 6
    down = tmp_path / 'down'
    down.mkdir()
    got = subprocess.run([*swift, 'download', 'slo', 'big.bin'], cwd=down, capture_output=True, text=True,
                         timeout=300)
    assert got.returncode == 0, got.stderr
    assert md5((down / 'big.bin').read_bytes()) == md5(data)
    _, body = c.get_object('slo', 'big.bin')
    assert body == data
    gone = subprocess.run([*swift, 'delete', 'slo', 'big.bin'], capture_output=True, text=True, timeout=300)
    assert gone.returncode == 0, gone.stderr
    assert c.get_container('slo_segments')[1] == []
    with pytest.raises(ClientException) as err:
        c.head_object('slo', 'big.bin')
    assert err.value.http_status == 404


def test_manifest_get_ranges_and_conditions(c):
    parts = [os.urandom(1000), os.urandom(2000), os.urandom(500)]
    whole = b''.join(parts)
    manifest = _segments(c, 'ranges', parts)
    etag = c.put_object('ranges', 'joined', json.dumps(manifest), query_string='multipart-manifest=put',
                        content_type='image/png')
    want_etag = md5(''.join(md5(p) for p in parts).encode())
    assert etag == want_etag
    headers, body = c.get_object('ranges', 'joined')
    assert body == whole and headers['etag'] == f'"{want_etag}"' and headers['content-type'] == 'image/png'
    for spec, expected in (('bytes=10-19', whole[10:20]), ('bytes=900-1099', whole[900:1100]),
                           ('bytes=-700', whole[-700:]), ('bytes=2999-', whole[2999:]),
                           ('bytes=0-99999', whole)):
        headers, body = c.get_object('ranges', 'joined', headers={'Range': spec})
        assert body == expected, spec
    headers, body = c.get_object('ranges', 'joined', headers={'Range': 'bytes=0-1,3000-3001'})
    assert headers['content-type'].startswith('multipart/byteranges')
    assert whole[0:2] in body and whole[3000:3002] in body
    for headers, status in (({'Range': 'bytes=5000-'}, 416), ({'If-Match': '"nope"'}, 412),
                            ({'If-None-Match': f'"{want_etag}"'}, 304)):
        with pytest.raises(ClientException) as err:
            c.get_object('ranges', 'joined', headers=headers)
        assert err.value.http_status == status, headers
    headers, body = c.get_object('ranges', 'joined', query_string='multipart-manifest=get')
    stored = json.loads(body)
    assert [(s['name'], s['hash'], s['bytes']) for s in stored] == [
        (m['path'], m['etag'], m['size_bytes']) for m in manifest]
    _, listing = c.get_container('ranges', prefix='joined')
    # as Swift lists a manifest: its own MD5 as the hash, the joined ETag beside it
    assert listing[0]['bytes'] == len(whole) and listing[0]['slo_etag'] == f'"{want_etag}"'
    assert listing[0]['hash'] == hashlib.md5(body).hexdigest()


@pytest.mark.parametrize('change, status, words', [
    (lambda m: 'not json', 400, b'valid JSON'),
    (lambda m: [], 400, b'non-empty'),
    (lambda m: [{**m[0], 'etag': 'f' * 32}], 400, b'Etag Mismatch'),
    (lambda m: [{**m[0], 'size_bytes': 1}], 400, b'Size Mismatch'),
    (lambda m: [{'path': '/bad/missing'}], 400, b'404'),
    (lambda m: [{'path': 'nocontainer'}], 400, b'path must be'),
    (lambda m: [{**m[0], 'extra': 1}], 400, b'only'),
    (lambda m: [{'path': '/bad/joined'}], 400, b'its own segment'),
])
def test_bad_manifests_are_refused(c, change, status, words):
    manifest = _segments(c, 'bad', [b'abc'])
    body = change(manifest)
    with pytest.raises(ClientException) as err:
        c.put_object('bad', 'joined', body if isinstance(body, str) else json.dumps(body),
                     query_string='multipart-manifest=put')
    assert err.value.http_status == status and words in err.value.http_response_content
    with pytest.raises(ClientException) as err:
        c.head_object('bad', 'joined')
    assert err.value.http_status == 404


def test_sub_manifests_ranges_and_data_segments(c):
    manifest = _segments(c, 'nest', [b'abc', b'defg'])
    inner_etag = c.put_object('nest', 'inner', json.dumps(manifest), query_string='multipart-manifest=put')
    outer = [{'path': '/nest/inner', 'etag': inner_etag.strip('"'), 'size_bytes': 7},
             {'data': base64.b64encode(b'XY').decode()},
             {'path': '/nest/seg/001', 'range': '1-2'}, {'path': '/nest/inner', 'range': '-2'}]
    etag = c.put_object('nest', 'outer', json.dumps(outer), query_string='multipart-manifest=put')
    whole = b'abcdefg' + b'XY' + b'ef' + b'fg'
    expected = md5((inner_etag.strip('"') + md5(b'XY') + f'{md5(b"defg")}:1-2;'
                    + f'{inner_etag.strip(chr(34))}:5-6;').encode())
    assert etag.strip('"') == expected
    headers, body = c.get_object('nest', 'outer')
    assert body == whole and int(headers['content-length']) == len(whole)
    for first, last in ((0, 12), (2, 8), (6, 10), (8, 9), (10, 12)):
        assert c.get_object('nest', 'outer', headers={'Range': f'bytes={first}-{last}'})[1] == \
            whole[first:last + 1]
    for bad in ([{'path': '/nest/seg/000', 'range': '5-9'}], [{'data': '!!'}], [{'data': ''}],
                [{'path': '/nest/seg/000', 'range': 3}]):
        with pytest.raises(ClientException) as err:
            c.put_object('nest', 'bad', json.dumps(bad), query_string='multipart-manifest=put')
        assert err.value.http_status == 400
    c.delete_object('nest', 'outer', query_string='multipart-manifest=delete')
    assert [o['name'] for o in c.get_container('nest')[1]] == []


def test_manifests_nested_too_deep_are_not_read(c):
    _segments(c, 'deep', [b'x'])
    below = '/deep/seg/000'
    for level in range(12):
        c.put_object('deep', f'm{level}', json.dumps([{'path': below}]),
                     query_string='multipart-manifest=put')
        below = f'/deep/m{level}'
    assert c.get_object('deep', 'm8')[1] == b'x'
    with pytest.raises(ClientException) as err:
        c.get_object('deep', 'm11')
    assert err.value.http_status == 409


def test_reserved_header_and_etag_check(c):
    manifest = _segments(c, 'nest2', [b'abc', b'defg'])
    with pytest.raises(ClientException) as err:
        c.put_object('nest2', 'fake', b'[]', headers={'X-Static-Large-Object': 'True'})
    assert err.value.http_status == 400
    lying = [{'path': '/nest2/seg/000', 'etag': '0' * 32, 'size_bytes': 3}]
    with pytest.raises(ClientException) as err:         # only the cluster's own filters may skip the checks
        c.put_object('nest2', 'lying', json.dumps(lying), query_string='multipart-manifest=put',
                     headers={'X-Backend-Slo-Checked': 'true'})
    assert err.value.http_status == 400 and b'Etag Mismatch' in err.value.http_response_content
    with pytest.raises(ClientException) as err:
        c.put_object('nest2', 'wrong', json.dumps(manifest), etag='0' * 32,
                     query_string='multipart-manifest=put')
    assert err.value.http_status == 422


def test_copy_of_a_large_object_is_the_joined_object(c):
    parts = [os.urandom(3000), os.urandom(10)]
    manifest = _segments(c, 'cp', parts)
    c.put_object('cp', 'joined', json.dumps(manifest), query_string='multipart-manifest=put',
                 headers={'X-Object-Meta-Colour': 'blue'})
    c.put_object('cp', 'copy', b'', headers={'X-Copy-From': '/cp/joined'})
    headers, body = c.get_object('cp', 'copy')
    assert body == b''.join(parts) and 'x-static-large-object' not in headers
    assert headers['etag'] == md5(body) and headers['x-object-meta-colour'] == 'blue'
    c.copy_object('cp', 'copy', destination='/cp/copy2', headers={'X-Fresh-Metadata': 'true'})
    headers, body = c.get_object('cp', 'copy2')
    assert body == b''.join(parts) and 'x-object-meta-colour' not in headers
    with pytest.raises(ClientException) as err:
        c.put_object('cp', 'x', b'', headers={'X-Copy-From': '/cp/nothing'})
    assert err.value.http_status == 404


def test_missing_segment_never_gives_wrong_bytes(c):
    parts = [os.urandom(100_000), os.urandom(100_000)]
    manifest = _segments(c, 'gone', parts)
    c.put_object('gone', 'joined', json.dumps(manifest), query_string='multipart-manifest=put')
    c.put_object('gone', 'seg/001', b'changed')            # the second segment changed
    headers, body = c.get_object('gone', 'joined', resp_chunk_size=65536)
    got = b''
    with pytest.raises((http.client.HTTPException, OSError, urllib3.exceptions.HTTPError)):   # a short read
        for chunk in body:
            got += chunk
    assert got == parts[0][:len(got)] and len(got) < sum(map(len, parts))
    c.delete_object('gone', 'seg/000')                      # the first one is gone: a clean error
    with pytest.raises(ClientException) as err:
        c.get_object('gone', 'joined')
    assert err.value.http_status == 409

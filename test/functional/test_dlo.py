"""Dynamic large objects through a whole cluster: the swift CLI's segmented
upload without --use-slo (which used to store a 0-byte object and exit 0)
reads back whole, with ranges and conditions against the joined object."""

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


def conn(auth: str) -> sc.Connection:
    return sc.Connection(authurl=auth, user='test:tester', key='testing', retries=0)


def cli(auth: str, *args: str, cwd=None):
    return subprocess.run([SWIFT, '-A', auth, '-U', 'test:tester', '-K', 'testing', *args],
                          capture_output=True, text=True, timeout=300, cwd=cwd)


def test_swift_upload_segmented_as_dlo_downloads_whole(auth, tmp_path):
    # (swiftclient makes a static large object by default where /info lists slo; --use-dlo
    # is what clusters without slo got, and used to store a 0-byte object here)
    data = os.urandom(3_500_000)
    (tmp_path / 'big.bin').write_bytes(data)
    result = cli(auth, 'upload', '--use-dlo', '-S', '1000000', 'dlo', 'big.bin', cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    headers = conn(auth).head_object('dlo', 'big.bin')
    assert 'x-object-manifest' in headers and int(headers['content-length']) == len(data)
    out = tmp_path / 'out'
    out.mkdir()
    result = cli(auth, 'download', 'dlo', 'big.bin', cwd=out)
    assert result.returncode == 0, result.stderr
    assert hashlib.md5((out / 'big.bin').read_bytes()).digest() == hashlib.md5(data).digest()


def test_ranges_conditions_and_the_manifest_itself(auth):
    c = conn(auth)
    c.put_container('dlo-segs')
    parts = [os.urandom(1000 + n) for n in range(3)]
    for n, part in enumerate(parts):
        c.put_object('dlo-segs', f'obj/{n:03d}', part)
    c.put_object('dlo-segs', 'other/000', b'not mine')
    c.put_object('dlo-segs', 'joined', b'', headers={'X-Object-Manifest': 'dlo-segs/obj/'})
    whole = b''.join(parts)
    headers, body = c.get_object('dlo-segs', 'joined')
    etag = hashlib.md5(''.join(hashlib.md5(p).hexdigest() for p in parts).encode()).hexdigest()
    assert body == whole and headers['etag'] == f'"{etag}"'
    headers, body = c.get_object('dlo-segs', 'joined', headers={'Range': 'bytes=990-2010'})
    assert body == whole[990:2011] and headers['content-range'] == f'bytes 990-2010/{len(whole)}'
    headers, body = c.get_object('dlo-segs', 'joined', headers={'Range': 'bytes=-5'})
    assert body == whole[-5:]
    for ranges in ('bytes=0-4,10-14', 'bytes=0-1,0-1', 'bytes=-5,' + ','.join(['7-8'] * 50)):
        resp = c.get_object('dlo-segs', 'joined', headers={'Range': ranges}, resp_chunk_size=None)
        assert resp[1] == whole, ranges          # several ranges of a DLO: the whole object, as Swift
    status = {}
    c.get_object('dlo-segs', 'joined', headers={'Range': 'bytes=0-4,10-14'}, response_dict=status)
    assert status['status'] == 200
    with pytest.raises(ClientException) as err:
        c.get_object('dlo-segs', 'joined', headers={'If-None-Match': etag})
    assert err.value.http_status == 304
    with pytest.raises(ClientException) as err:
        c.get_object('dlo-segs', 'joined', headers={'If-Match': 'other'})
    assert err.value.http_status == 412
    headers, body = c.get_object('dlo-segs', 'joined', query_string='multipart-manifest=get')
    assert body == b'' and headers['x-object-manifest'] == 'dlo-segs/obj/'


@pytest.mark.parametrize('value', ['no-slash', '/only-container', '%ff/x', '%00/x'])
def test_a_malformed_manifest_header_is_400(auth, value):
    c = conn(auth)
    c.put_container('dlo-bad')
    with pytest.raises(ClientException) as err:
        c.put_object('dlo-bad', 'm', b'', headers={'X-Object-Manifest': value})
    assert err.value.http_status == 400


def test_capabilities_list_the_pipelines_filters(auth):
    info = conn(auth).get_capabilities()
    assert {'swift', 'tempauth', 's3api', 'slo', 'dlo', 'ratelimit'} <= set(info)
    assert info['slo']['max_manifest_segments'] == 1000
    result = cli(auth, 'capabilities')
    assert result.returncode == 0 and 'dlo' in result.stdout and 'slo' in result.stdout


@pytest.mark.parametrize('manifest', ['dlo-sé/p/'.encode(), 'dlo-s%C3%A9/p/'])
def test_a_non_ascii_segment_container(auth, manifest):
    c = conn(auth)
    c.put_container('dlo-sé')
    c.put_object('dlo-sé', 'p/1', b'first ')
    c.put_object('dlo-sé', 'p/2', b'second')
    c.put_object('dlo-sé', 'm', b'', headers={'X-Object-Manifest': manifest})
    assert c.get_object('dlo-sé', 'm')[1] == b'first second'


@pytest.mark.parametrize('name', ['plain', 'n\u00e4me \u2603/\U0001f600'])
def test_a_copy_of_a_dlo_holds_the_joined_bytes(auth, name):
    """COPY and X-Copy-From of a DLO store its joined bytes as a plain object (the joined
    ETag is no MD5 of those bytes, so it is not sent along as the copy's ETag)."""
    c = conn(auth)
    c.put_container('dlocopy')
    for n, part in enumerate((b'a' * 5, b'b' * 3)):
        c.put_object('dlocopy', f'{name}-seg/{n}', part)
    c.put_object('dlocopy', name, b'', headers={'X-Object-Manifest': f'dlocopy/{name}-seg/'})
    c.copy_object('dlocopy', name, f'/dlocopy/{name}-copy')
    headers, body = c.get_object('dlocopy', f'{name}-copy')
    assert body == b'aaaaabbb' and 'x-object-manifest' not in headers
    assert headers['etag'].strip('"') == hashlib.md5(body).hexdigest()
    c.put_object('dlocopy', f'{name}-copy2', None, headers={'X-Copy-From': f'/dlocopy/{name}'})
    assert c.get_object('dlocopy', f'{name}-copy2')[1] == b'aaaaabbb'


def test_a_copy_of_a_dlo_manifest_itself_is_a_dlo(auth):
    """COPY ?multipart-manifest=get copies the manifest object, X-Object-Manifest and all."""
    c = conn(auth)
    c.put_container('dlocopy')
    for n, part in enumerate((b'a' * 5, b'b' * 3)):
        c.put_object('dlocopy', f'm-seg/{n}', part)
    c.put_object('dlocopy', 'm', b'manifest body', headers={'X-Object-Manifest': 'dlocopy/m-seg/'})
    c.put_object('dlocopy', 'm-copy', None, headers={'X-Copy-From': '/dlocopy/m'},
                 query_string='multipart-manifest=get')
    headers, body = c.get_object('dlocopy', 'm-copy', query_string='multipart-manifest=get')
    assert (body, headers['x-object-manifest']) == (b'manifest body', 'dlocopy/m-seg/')
    assert c.get_object('dlocopy', 'm-copy')[1] == b'aaaaabbb'


def test_a_post_makes_and_unmakes_a_manifest_and_changes_the_listed_type(auth):
    c = conn(auth)
    c.put_container('dlo-post')
    c.put_object('dlo-post', 'seg/1', b'abc')
    c.put_object('dlo-post', 'seg/2', b'def')
    c.put_object('dlo-post', 'plain', b'own body', content_type='text/plain')
    c.post_object('dlo-post', 'plain', headers={'X-Object-Manifest': 'dlo-post/seg/',
                                                'Content-Type': 'application/x-joined'})
    headers, body = c.get_object('dlo-post', 'plain')
    assert body == b'abcdef' and headers['content-type'] == 'application/x-joined'
    listed = {o['name']: o for o in c.get_container('dlo-post')[1]}
    assert listed['plain']['content_type'] == 'application/x-joined'
    c.post_object('dlo-post', 'plain', headers={'X-Object-Meta-Kept': 'no manifest now'})
    headers, body = c.get_object('dlo-post', 'plain')
    assert body == b'own body' and 'x-object-manifest' not in headers
    assert headers['content-type'] == 'application/x-joined'        # a type set by a POST stays

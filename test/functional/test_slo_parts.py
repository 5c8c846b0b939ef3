"""Static large objects read part by part (``?part-number=N``), their
manifest in the form a client PUTs (``?format=raw``), and copies of a
manifest itself or of one part, through a whole cluster."""

from __future__ import annotations

import hashlib
import json
import uuid
from urllib.parse import quote

import pytest

from .test_proxy_edges import swift  # noqa: F401  (the module fixture)

PARTS = [b'a' * 7, b'b' * 5, b'c' * 3]
SIZE = sum(map(len, PARTS))


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture(scope='module')
def slo(swift):  # noqa: F811
    """(call, container path, manifest path, the joined ETag)."""
    call, base = swift
    cont = f'{base}/parts{uuid.uuid4().hex[:8]}'
    assert call('PUT', cont)[0] in (201, 202)
    manifest = []
    for n, part in enumerate(PARTS):
        assert call('PUT', f'{cont}/seg{n}', body=part)[0] == 201
        path = f'/{cont.split("/", 3)[3]}/seg{n}'
        manifest.append({'path': path, 'etag': md5(part), 'size_bytes': len(part)})
    manifest.insert(1, {'data': 'eHl6'})                      # 'xyz', a data segment: part 2
    status, _, body = call('PUT', f'{cont}/man?multipart-manifest=put', {'Content-Type': 'text/x-man'},
                           json.dumps(manifest).encode(), raw_path=True)
    assert status == 201, body
    joined_etag = call('HEAD', f'{cont}/man')[1]['etag']
    return call, cont, f'{cont}/man', joined_etag


WHOLE = PARTS[0] + b'xyz' + PARTS[1] + PARTS[2]


@pytest.mark.parametrize(('part', 'start', 'data'), [(1, 0, PARTS[0]), (2, 7, b'xyz'), (3, 10, PARTS[1]),
                                                     (4, 15, PARTS[2]), ('04', 15, PARTS[2])])
def test_each_part_is_a_206_with_its_range(slo, part, start, data):
    call, _, man, etag = slo
    total = len(WHOLE)
    status, headers, body = call('GET', f'{man}?part-number={part}', raw_path=True)
    assert (status, body) == (206, data)
    assert headers['content-range'] == f'bytes {start}-{start + len(data) - 1}/{total}'
    assert (headers['x-parts-count'], headers['etag']) == ('4', etag)
    assert headers['x-manifest-etag']
    status, headers, body = call('HEAD', f'{man}?part-number={part}', raw_path=True)
    assert (status, body, headers['content-length']) == (206, b'', str(len(data)))
    assert headers['content-range'] == f'bytes {start}-{start + len(data) - 1}/{total}'


@pytest.mark.parametrize('part', ['5', '10001', '9' * 40, '0' * 30 + '5'])
def test_parts_past_the_last_are_416(slo, part):
    call, _, man, etag = slo
    status, headers, body = call('GET', f'{man}?part-number={part}', raw_path=True)
    assert (status, body) == (416, b'The requested part number is not satisfiable')
    assert (headers['content-range'], headers['x-parts-count'], headers['etag']) == (
        f'bytes */{len(WHOLE)}', '4', etag)
    assert headers['content-length'] == str(len(body))
    status, headers, _ = call('HEAD', f'{man}?part-number={part}', raw_path=True)
    assert (status, headers['content-length']) == (416, '0')


@pytest.mark.parametrize('value', ['0', '000', '-1', '+1', '1.0', '', '%C2%B2', '%D9%A1', '%EF%BC%91', 'one',
                                   '1%00', '%00', '%ff', '%201'])
def test_bad_part_numbers_are_400(slo, value):
    call, _, man, _ = slo
    status, _, body = call('GET', f'{man}?part-number={value}', raw_path=True)
    assert status == 400, body
    assert call('HEAD', f'{man}?part-number={value}', raw_path=True)[0] == 400


def test_a_part_number_with_a_range_is_400(slo):
    call, _, man, _ = slo
    assert call('GET', f'{man}?part-number=1', {'Range': 'bytes=0-1'}, raw_path=True)[0] == 400


def test_raw_manifest_is_what_a_client_puts(slo):
    call, cont, man, _ = slo
    status, headers, body = call('GET', f'{man}?multipart-manifest=get&format=raw', raw_path=True)
    assert status == 200
    assert headers['content-type'] == 'text/x-man'
    assert headers['etag'] == md5(body)                       # bare, as an object's own ETag
    entries = json.loads(body)
    assert entries[1] == {'data': 'eHl6'}
    assert [set(e) for e in entries[::2]] == [{'path', 'etag', 'size_bytes'}] * 2
    assert entries[0]['etag'] == md5(PARTS[0])


def test_copy_of_the_manifest_itself(slo):
    call, cont, man, etag = slo
    raw = call('GET', f'{man}?multipart-manifest=get', raw_path=True)[2]
    dest = {'Destination': f'{cont.split("/")[-1]}/m2'}
    status, _, body = call('COPY', f'{man}?multipart-manifest=get', dest, raw_path=True)
    assert status == 201, body
    assert call('GET', f'{cont}/m2?multipart-manifest=get', raw_path=True)[2] == raw
    status, headers, body = call('GET', f'{cont}/m2')
    assert (status, body, headers['etag'], headers['content-type']) == (200, WHOLE, etag, 'text/x-man')
    src = quote(f'{cont.split("/")[-1]}/man')
    status, _, body = call('PUT', f'{cont}/m3?multipart-manifest=get', {'X-Copy-From': src}, raw_path=True)
    assert status == 201, body
    assert call('GET', f'{cont}/m3?multipart-manifest=get', raw_path=True)[2] == raw


def test_copy_of_one_part(slo):
    call, cont, man, _ = slo
    status, _, body = call('COPY', f'{man}?part-number=3', {'Destination': f'{cont.split("/")[-1]}/p3'},
                           raw_path=True)
    assert status == 201, body
    status, headers, body = call('GET', f'{cont}/p3')
    assert (status, body) == (200, PARTS[1])
    assert 'x-static-large-object' not in headers
    assert call('COPY', f'{man}?part-number=0', {'Destination': f'{cont.split("/")[-1]}/p0'},
                raw_path=True)[0] == 400


def test_part_number_is_ignored_by_a_manifest_delete(slo):
    call, cont, _, _ = slo
    name = cont.split('/')[-1]
    assert call('PUT', f'{cont}/solo', body=b'q' * 4)[0] == 201
    manifest = json.dumps([{'path': f'/{name}/solo', 'etag': None, 'size_bytes': None}]).encode()
    assert call('PUT', f'{cont}/gone?multipart-manifest=put', body=manifest, raw_path=True)[0] == 201
    status, _, body = call('DELETE', f'{cont}/gone?multipart-manifest=delete&part-number=2', raw_path=True)
    assert status == 200, body
    assert call('HEAD', f'{cont}/solo')[0] == 404


def test_listings_show_the_manifests_md5_and_the_joined_etag(slo):
    call, cont, _, etag = slo
    raw = call('GET', f'{cont}/man?multipart-manifest=get', raw_path=True)[2]
    for query in ('format=json', 'format=json&prefix=ma'):
        entries = json.loads(call('GET', f'{cont}?{query}', raw_path=True)[2])
        entry = next(e for e in entries if e['name'] == 'man')
        assert (entry['hash'], entry['slo_etag'], entry['bytes']) == (md5(raw), etag, len(WHOLE))
        for plain in (e for e in entries if e['name'] == 'seg0'):
            assert 'slo_etag' not in plain and plain['hash'] == md5(PARTS[0])
    xml = call('GET', f'{cont}?format=xml', raw_path=True)[2].decode()
    assert f'<hash>{md5(raw)}</hash>' in xml and f'<slo_etag>{etag}</slo_etag>' in xml

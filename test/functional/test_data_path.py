"""The proxy's data path under failing nodes (issue #11): a primary that
refuses a PUT before its body is replaced by a handoff, and a GET whose node
dies mid-body carries on from another replica, byte for byte."""

from __future__ import annotations

import hashlib
import http.client
import os
import signal

import pytest

from test.probe.conftest import Probe


@pytest.fixture(scope='module')
def probe(cluster):
    probe = Probe(cluster)
    assert probe.proxy('PUT', probe.obj_path('data-path'))[0] in (201, 202)
    return probe


def test_a_primary_answering_507_is_replaced_by_a_handoff(probe):
    name = 'refused-by-a-primary'
    primaries = probe.nodes('object', probe.account(), 'data-path', name)[1]
    handoff = next(probe.rings['object'].get_more_nodes(probe.rings['object'].get_part(
        probe.account(), 'data-path', name)))
    gone = probe.device_dir(primaries[0].device)
    gone.rename(gone.with_name('unmounted'))              # its object server now answers 507
    try:
        status, _, body = probe.proxy('PUT', probe.obj_path('data-path', name), body=b'x' * 100_000)
        assert status == 201, body
    finally:
        gone.with_name('unmounted').rename(gone)
    assert [f.endswith('.data') for f in probe.object_files(handoff.device, 'data-path', name)] == [True]
    for node in primaries[1:]:
        assert len(probe.object_files(node.device, 'data-path', name)) == 1
    assert probe.object_files(primaries[0].device, 'data-path', name) == []


def test_a_node_killed_mid_get_costs_the_client_nothing(probe):
    name = 'killed-mid-get'
    data = os.urandom(32 * 1024 * 1024)
    assert probe.proxy('PUT', probe.obj_path('data-path', name), body=data)[0] == 201
    first = probe.nodes('object', probe.account(), 'data-path', name)[1][0]
    conn = http.client.HTTPConnection('127.0.0.1', probe.cluster.proxy_port, timeout=60)
    try:
        conn.request('GET', probe.obj_path('data-path', name), headers={'X-Auth-Token': probe.token})
        resp = conn.getresponse()
        assert resp.status == 200
        got = resp.read(1024 * 1024)
        server = f'object-{first.device[1:]}'
        os.killpg(probe.cluster.pid(server), signal.SIGKILL)
        got += resp.read()
    finally:
        conn.close()
        probe.cluster.start()
    assert len(got) == len(data) and hashlib.md5(got).digest() == hashlib.md5(data).digest()
    log = (probe.cluster.logs / 'proxy.log').read_text()
    assert 'resuming from another replica' in log


@pytest.mark.parametrize('headers, exists, status', [
    ({'If-None-Match': '*'}, True, 412), ({'If-None-Match': '*'}, False, 201),
    ({'If-Match': '"nope"'}, True, 412), ({'If-Match': '*'}, False, 412), ({'If-Match': '*'}, True, 201),
])
def test_conditional_puts(probe, headers, exists, status):
    name = f'conditional-{len(str(headers))}-{exists}-{status}'
    if exists:
        assert probe.proxy('PUT', probe.obj_path('data-path', name), body=b'old')[0] == 201
    got, _, body = probe.proxy('PUT', probe.obj_path('data-path', name), headers, b'new')
    assert got == status, body
    expected = b'new' if status == 201 else (b'old' if exists else None)
    status, _, body = probe.proxy('GET', probe.obj_path('data-path', name))
    assert (body if status == 200 else None) == expected


def test_if_match_with_the_stored_etag_replaces_it(probe):
    path = probe.obj_path('data-path', 'if-match')
    _, headers, _ = probe.proxy('PUT', path, body=b'v1')
    assert probe.proxy('PUT', path, {'If-Match': headers['etag']}, b'v2')[0] == 201
    assert probe.proxy('GET', path)[2] == b'v2'


def test_a_412_comes_before_the_client_sends_its_body(probe):
    path = probe.obj_path('data-path', 'no-body-sent')
    assert probe.proxy('PUT', path, body=b'here')[0] == 201
    conn = http.client.HTTPConnection('127.0.0.1', probe.cluster.proxy_port, timeout=10)
    try:
        conn.putrequest('PUT', path)
        for key, value in {'X-Auth-Token': probe.token, 'If-None-Match': '*', 'Expect': '100-continue',
                           'Content-Length': str(10 ** 9)}.items():
            conn.putheader(key, value)
        conn.endheaders()                       # and no byte of the gigabyte announced
        resp = conn.getresponse()
        assert resp.status == 412
    finally:
        conn.close()


def _flip(probe, container: str, name: str, offset: int):
    """Flip one byte of the object's body on the primary the proxy reads first; that node."""
    first = probe.nodes('object', probe.account(), container, name)[1][0]
    files = probe.object_files(first.device, container, name)
    part = probe.rings['object'].get_part(probe.account(), container, name)
    hash_dir = next((probe.device_dir(first.device) / 'objects' / str(part)).glob(f'*/*/{files[0]}')).parent
    data_file = hash_dir / files[0]
    with open(data_file, 'r+b') as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0xFF]))
    return first, hash_dir


@pytest.mark.parametrize('offset, wanted', [
    (3 * 65536 + 17, None),                          # whole GET, a middle block
    (5 * 1024 * 1024 - 1, None),                     # whole GET, the last byte
    (2 * 65536 + 5, (2 * 65536, 2 * 65536 + 10)),    # a range inside the corrupt block
    (0, (0, 100_000)),                               # a range starting in the first block
])
def test_a_flipped_byte_is_never_served_and_quarantines_the_file(probe, offset, wanted):
    name = f'flipped-{offset}-{wanted}'
    data = os.urandom(5 * 1024 * 1024)
    assert probe.proxy('PUT', probe.obj_path('data-path', name), body=data)[0] == 201
    node, hash_dir = _flip(probe, 'data-path', name, offset)
    headers = {'Range': f'bytes={wanted[0]}-{wanted[1] - 1}'} if wanted else {}
    status, _, body = probe.proxy('GET', probe.obj_path('data-path', name), headers)
    start, stop = wanted or (0, len(data))
    assert status == (206 if wanted else 200)
    assert body == data[start:stop]
    assert not hash_dir.exists()                                     # moved to quarantined/
    assert any((probe.device_dir(node.device) / 'quarantined' / 'objects').iterdir())


def test_a_range_away_from_the_corrupt_block_is_served_by_the_same_node(probe):
    name = 'flipped-elsewhere'
    data = os.urandom(1024 * 1024)
    assert probe.proxy('PUT', probe.obj_path('data-path', name), body=data)[0] == 201
    _, hash_dir = _flip(probe, 'data-path', name, 10 * 65536)
    status, _, body = probe.proxy('GET', probe.obj_path('data-path', name), {'Range': 'bytes=0-999'})
    assert (status, body) == (206, data[:1000])
    assert hash_dir.exists()

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

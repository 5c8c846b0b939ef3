"""Storage nodes failing under the proxy: one object server down costs
nothing; with two down, a PUT whose primaries lost a quorum gets 503,
never a silent success, and everything acknowledged stays readable."""

from __future__ import annotations

import os
import signal

from swiftclient import client as sc
from swiftclient.exceptions import ClientException

from rings import Ring
from swiftlike.common.swift_conf import SwiftConf


def stop_server(cluster, name: str) -> None:
    pid = cluster.pid(name)
    assert pid, name
    os.killpg(pid, signal.SIGKILL)
    cluster.pid(name)                        # reap it


def test_one_then_two_object_servers_down(cluster):
    auth = f'http://127.0.0.1:{cluster.proxy_port}/auth/v1.0'
    conn = sc.Connection(authurl=auth, user='test:tester', key='testing', retries=0)
    conn.put_container('faults')
    swift_conf = SwiftConf.load(cluster.swift_dir)
    ring = Ring.load(cluster.swift_dir / 'object.ring.gz', hash_prefix=swift_conf.hash_prefix,
                     hash_suffix=swift_conf.hash_suffix)

    stop_server(cluster, 'object-1')
    bodies = {f'one-down-{i}': os.urandom(1000 + i) for i in range(40)}
    for name, body in bodies.items():
        conn.put_object('faults', name, body)                     # raises unless 201
    for name, body in bodies.items():
        assert conn.get_object('faults', name)[1] == body
    assert any('d1' in {d.device for d in ring.get_nodes('AUTH_test', 'faults', n)[1]} for n in bodies)

    stop_server(cluster, 'object-2')
    refused, stored = [], {}
    for i in range(60):
        name, body = f'two-down-{i}', os.urandom(500)
        lost = {'d1', 'd2'} <= {d.device for d in ring.get_nodes('AUTH_test', 'faults', name)[1]}
        try:
            conn.put_object('faults', name, body)
            assert not lost, f'{name}: 201 with two of its three primaries down'
            stored[name] = body
        except ClientException as err:
            assert err.http_status == 503 and lost, (name, err.http_status)
            refused.append(name)
    assert refused and stored
    for name, body in {**bodies, **stored}.items():
        assert conn.get_object('faults', name)[1] == body


def test_head_shows_the_newest_metadata_after_a_replica_missed_it(cluster):
    auth = f'http://127.0.0.1:{cluster.proxy_port}/auth/v1.0'
    conn = sc.Connection(authurl=auth, user='test:tester', key='testing', retries=0)
    conn.put_container('missed', headers={'X-Container-Meta-Color': 'old'})
    swift_conf = SwiftConf.load(cluster.swift_dir)
    ring = Ring.load(cluster.swift_dir / 'container.ring.gz', hash_prefix=swift_conf.hash_prefix,
                     hash_suffix=swift_conf.hash_suffix)
    first = ring.get_nodes('AUTH_test', 'missed')[1][0]          # the replica a first-good read asks first
    name = f'container-{first.device[1:]}'
    stop_server(cluster, name)
    conn.post_container('missed', {'X-Container-Meta-Color': 'new'})
    assert cluster.start() == 0                                  # the stale replica is back, first in line
    for _ in range(5):
        assert conn.head_container('missed')['x-container-meta-color'] == 'new'

"""The auditor finds corrupt objects (and the proxy never serves one), the
updater completes listings, the expirer removes expired objects, and the
reaper empties a deleted account."""

from __future__ import annotations

import os
import time

import pytest

from .conftest import md5

pytestmark = pytest.mark.probe


def data_file(probe, node, part, container, name):
    from swiftlike.obj.layout import object_hash
    name_hash = object_hash(probe.account(), container, name, prefix=probe.hash_prefix,
                            suffix=probe.hash_suffix)
    hash_dir = probe.device_dir(node.device) / 'objects' / str(part) / name_hash[-3:] / name_hash
    return next(hash_dir.glob('*.data'))


def flip_byte(path, offset: int) -> None:
    with open(path, 'r+b') as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0xFF]))


def test_the_auditor_quarantines_exactly_the_flipped_objects_and_replication_restores_them(probe):
    assert probe.proxy('PUT', probe.obj_path('audit'))[0] == 201
    bodies = {f'a-{i}': os.urandom(2000 + i) for i in range(40)}
    probe.put_many('audit', bodies)
    flipped = sorted(bodies)[:10]
    for i, name in enumerate(flipped):
        part, nodes = probe.nodes('object', probe.account(), 'audit', name)
        flip_byte(data_file(probe, nodes[i % 3], part, 'audit', name), 100 + i)

    stats = probe.once('object-auditor')
    assert stats['quarantined'] == 10 and stats['errors'] == 0
    assert stats['files'] == 3 * len(bodies)
    quarantined = sum(len(os.listdir(probe.device_dir(f'd{n}') / 'quarantined' / 'objects'))
                      for n in range(1, 5) if (probe.device_dir(f'd{n}') / 'quarantined').exists())
    assert quarantined == 10
    for name, body in bodies.items():
        status, headers, got = probe.proxy('GET', probe.obj_path('audit', name))
        assert (status, got, headers['etag']) == (200, body, md5(body)), name

    assert probe.once('object-replicator')['files_pushed'] >= 10
    for name in flipped:
        part, nodes = probe.nodes('object', probe.account(), 'audit', name)
        for node in nodes:
            status, headers, _ = probe.direct(node, 'HEAD', f'/{part}/{probe.account()}/audit/{name}')
            assert (status, headers.get('etag')) == (200, md5(bodies[name]))
    assert probe.once('object-auditor')['quarantined'] == 0


def test_the_proxy_never_serves_a_corrupt_body(probe):
    assert probe.proxy('PUT', probe.obj_path('corrupt'))[0] == 201
    bodies = {f'c-{i}': os.urandom(5000) for i in range(10)}
    probe.put_many('corrupt', bodies)
    for name in bodies:                                  # every replica but one corrupt
        part, nodes = probe.nodes('object', probe.account(), 'corrupt', name)
        for node in nodes[:2]:
            flip_byte(data_file(probe, node, part, 'corrupt', name), 7)
    for _ in range(3):
        for name, body in bodies.items():
            status, _, got = probe.proxy('GET', probe.obj_path('corrupt', name))
            assert (status, md5(got)) == (200, md5(body)), name


def test_listings_missed_while_container_servers_were_down_are_completed_by_the_updater(probe):
    assert probe.proxy('PUT', probe.obj_path('upd'))[0] == 201
    cpart, cnodes = probe.nodes('container', probe.account(), 'upd')
    down = [f'container-{n.device[1:]}' for n in cnodes[:2]]
    for name in down:
        probe.stop(name)
    bodies = {f'u-{i:03d}': b'x' * (i % 7) for i in range(500)}
    probe.put_many('upd', bodies)
    for name in down:
        probe.start(name)
    assert all(len(probe.listing(n, cpart, 'upd')) < 500 for n in cnodes[:2])
    assert probe.listing(cnodes[2], cpart, 'upd') == sorted(bodies)      # the one that saw every PUT

    stats = probe.once('object-updater')
    assert stats['successes'] > 0 and stats['failures'] == 0
    for node in cnodes:
        assert probe.listing(node, cpart, 'upd') == sorted(bodies)
        status, headers, _ = probe.direct(node, 'HEAD', f'/{cpart}/{probe.account()}/upd')
        assert (status, headers['x-container-object-count']) == (204, '500')
    assert probe.once('object-updater')['successes'] == 0         # nothing left pending


def test_the_expirer_deletes_expired_objects_and_their_listing_rows(probe):
    assert probe.proxy('PUT', probe.obj_path('exp'))[0] == 201
    probe.put_many('exp', {f'e-{i}': b'gone soon' for i in range(100)}, {'X-Delete-After': '1'})
    probe.put_many('exp', {'keeper': b'stays'})
    time.sleep(2.1)
    assert probe.proxy('GET', probe.obj_path('exp', 'e-1'))[0] == 404     # hidden at once...
    assert len(probe.proxy('GET', probe.obj_path('exp'))[2].split()) == 101   # ...listed until expired

    probe.once('container-updater')              # the queue's day container appears in its account
    stats = probe.once('object-expirer')
    assert stats['expired'] == 100 and stats['errors'] == 0
    assert probe.proxy('GET', probe.obj_path('exp'))[2].split() == [b'keeper']
    for i in range(100):
        assert probe.proxy('HEAD', probe.obj_path('exp', f'e-{i}'))[0] == 404
    assert probe.once('object-expirer')['expired'] == 0


def test_the_reaper_empties_a_deleted_account(probe):
    for container in ('r1', 'r2'):
        assert probe.proxy('PUT', probe.obj_path(container))[0] == 201
        probe.put_many(container, {f'o-{i}': b'data' for i in range(20)})
    creds = {'X-Auth-User': 'admin:admin', 'X-Auth-Key': 'admin'}
    status, headers, _ = probe.proxy('GET', '/auth/v1.0', creds, auth=False)
    assert status == 200
    admin = {'X-Auth-Token': headers['x-auth-token']}
    status, _, body = probe.proxy('DELETE', f'/v1/{probe.account()}', admin, auth=False)
    assert status == 204, body

    stats = probe.once('account-reaper')
    assert stats['objects_deleted'] >= 40 and stats['containers_deleted'] >= 2 and stats['errors'] == 0
    for container in ('r1', 'r2'):
        part, nodes = probe.nodes('container', probe.account(), container)
        for node in nodes:
            assert probe.direct(node, 'HEAD', f'/{part}/{probe.account()}/{container}')[0] == 404
        opart, onodes = probe.nodes('object', probe.account(), container, 'o-0')
        for node in onodes:
            assert probe.direct(node, 'HEAD', f'/{opart}/{probe.account()}/{container}/o-0')[0] == 404

"""The database replicator isolates failures per database: a corrupt one,
or one whose replication raises something unexpected, is logged with its
path and counted, and the other databases of the pass still replicate.
Peers are a scripted fake (the real verbs are in test/functional)."""

from __future__ import annotations

import logging

import pytest

from rings import RingBuilder
from swiftlike.common.db_http import db_path
from swiftlike.common.db_replicator import DbReplicatorConf
from swiftlike.common.http_client import Answer
from swiftlike.common.swift_conf import SwiftConf
from swiftlike.common.timestamp import Timestamp
from swiftlike.container.backend import ContainerBroker
from swiftlike.container.replicator import ContainerReplicator

PEERS = ('sdb', 'sdc')


class FakePeers:
    """Both peers lack every database: ``sync`` is answered 404, a whole copy
    (SYNC) 201. Anything else is recorded in ``unexpected`` (an assertion
    raised here would be counted as the database's error, not fail the test)."""

    def __init__(self) -> None:
        self.copies: list[tuple[str, str]] = []
        self.unexpected: list[tuple[str, str, str]] = []

    def send(self, node, method, path, body, headers):
        if method == 'REPLICATE' and b'"sync"' in body:
            return Answer(404, {}, b'')
        if method == 'SYNC':
            body.read()
            self.copies.append((node.device, path))
            return Answer(201, {}, b'')
        self.unexpected.append((node.device, method, path))
        return Answer(500, {}, b'')


@pytest.fixture
def node(tmp_path):
    swift_dir = tmp_path / 'swift'
    swift_dir.mkdir()
    (swift_dir / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = x\n')
    builder = RingBuilder(2, 3, 1)
    for port, device in enumerate(('sda', *PEERS), 1):
        builder.add_dev({'region': 1, 'zone': port, 'ip': '127.0.0.1', 'port': port, 'device': device,
                         'weight': 1})
    builder.rebalance(seed=1)
    builder.get_ring().save(swift_dir / 'container.ring.gz')
    (tmp_path / 'node' / 'sda').mkdir(parents=True)
    conf = DbReplicatorConf(devices=tmp_path / 'node', mount_check=False, swift_dir=swift_dir,
                            bind_ip='127.0.0.1', bind_port=1)
    replicator = ContainerReplicator(conf)
    peers = FakePeers()
    replicator._send = peers.send
    return replicator, peers


def make_container(replicator, name: str):
    swift_conf = SwiftConf.load(replicator.conf.swift_dir)
    part = replicator.ring('container').get_part('a', name)
    path = db_path(replicator.conf.devices, 'sda', part, 'a', name, prefix=swift_conf.hash_prefix,
                   suffix=swift_conf.hash_suffix, mount_check=False)
    ContainerBroker(path, account='a', container=name).initialize(Timestamp.now())
    return path


def test_a_corrupt_database_is_counted_and_the_others_replicate(node, caplog):
    replicator, peers = node
    good = [make_container(replicator, f'good-{i}') for i in range(3)]
    corrupt = make_container(replicator, 'corrupt')
    corrupt.write_bytes(b'this is not a database' * 100)
    junk = replicator.conf.devices / 'sda' / 'containers' / '²' / 'abc' / ('0' * 29 + 'abc')
    junk.mkdir(parents=True)                                  # '²': isdigit(), yet not int()

    with caplog.at_level(logging.ERROR):
        stats = replicator.run_once(['sda'])

    assert peers.unexpected == []
    assert (stats.errors, stats.databases, stats.copies_sent) == (1, 3, 2 * len(good))
    assert stats.first_error['path'] == str(corrupt) and str(corrupt) in caplog.text
    assert sorted(device for device, _ in peers.copies) == sorted(PEERS * len(good))


def test_an_unexpected_error_of_one_database_is_counted_and_the_pass_goes_on(node, monkeypatch, caplog):
    replicator, peers = node
    paths = [make_container(replicator, f'c{i}') for i in range(4)]
    real = replicator.replicate_db

    def replicate_db(device, part, path, stats):
        if path == paths[1]:
            raise KeyError('put_timestamp')
        return real(device, part, path, stats)

    monkeypatch.setattr(replicator, 'replicate_db', replicate_db)
    with caplog.at_level(logging.ERROR):
        stats = replicator.run_once(['sda'])

    assert peers.unexpected == []
    assert stats.errors == 1 and stats.copies_sent == 2 * 3
    assert stats.first_error == {'path': str(paths[1]), 'error': "KeyError('put_timestamp')"}
    assert str(paths[1]) in caplog.text and 'Traceback' in caplog.text


def test_a_peer_answering_junk_is_counted_per_database(node):
    replicator, peers = node
    make_container(replicator, 'c')

    def junk(node, method, path, body, headers):
        return Answer(200, {}, b'{"sync_point": "\\u00b2"}')   # '²': not a row number

    replicator._send = junk
    stats = replicator.run_once(['sda'])
    assert stats.errors == 2 and 'sync_point' in stats.first_error['error']


# -- a handoff database is removed only after a re-check under its write lock --

def handoff_replicator(tmp_path, node_timeout: float = 10.0):
    """sda's replicator where every partition is a handoff (the ring has only sdb, sdc, sdd)."""
    swift_dir = tmp_path / 'swift'
    swift_dir.mkdir()
    (swift_dir / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = x\n')
    builder = RingBuilder(2, 3, 1)
    for port, device in enumerate(('sdb', 'sdc', 'sdd'), 2):
        builder.add_dev({'region': 1, 'zone': port, 'ip': '127.0.0.1', 'port': port, 'device': device,
                         'weight': 1})
    builder.rebalance(seed=1)
    builder.get_ring().save(swift_dir / 'container.ring.gz')
    (tmp_path / 'node' / 'sda').mkdir(parents=True)
    conf = DbReplicatorConf(devices=tmp_path / 'node', mount_check=False, swift_dir=swift_dir,
                            bind_ip='127.0.0.1', bind_port=1, node_timeout=node_timeout)
    replicator = ContainerReplicator(conf)
    peers = FakePeers()
    replicator._send = peers.send
    return replicator, peers


def put_row(path, name: str) -> None:
    ContainerBroker(path, account='a', container='c').put_object(name, Timestamp.now(), 1, 'text/plain',
                                                                  'd41d8cd98f00b204e9800998ecf8427e')


def on_copy(peers: FakePeers, action) -> None:
    """Run ``action`` at the first whole copy a peer receives (during the push)."""
    real = peers.send
    done = []

    def send(node, method, path, body, headers):
        response = real(node, method, path, body, headers)
        if method == 'SYNC' and not done:
            done.append(action())
        return response
    peers.send = send


def test_a_handoff_database_its_primaries_have_is_removed(tmp_path):
    replicator, peers = handoff_replicator(tmp_path)
    path = make_container(replicator, 'c')
    put_row(path, 'o1')
    stats = replicator.run_once(['sda'])
    assert (stats.errors, stats.copies_sent, stats.handoffs_removed) == (0, 3, 1)
    assert not path.parent.exists() and peers.unexpected == []
    assert not list((replicator.conf.devices / 'sda' / 'tmp').glob('.handoff-*'))


def test_a_row_written_during_the_push_keeps_the_handoff_for_the_next_pass(tmp_path):
    replicator, peers = handoff_replicator(tmp_path)
    path = make_container(replicator, 'c')
    put_row(path, 'o1')
    on_copy(peers, lambda: put_row(path, 'late'))
    replicator._send = peers.send

    stats = replicator.run_once(['sda'])

    assert (stats.errors, stats.handoffs_removed) == (0, 0)
    assert 'late' in [r['name'] for r in ContainerBroker(path, account='a', container='c')
                      .get_items_since(-1, 10)]
    stats = replicator.run_once(['sda'])             # the next pass sends it, then removes the handoff
    assert (stats.errors, stats.handoffs_removed) == (0, 1) and not path.exists()


def test_a_row_written_into_the_moved_copy_is_put_back(tmp_path, monkeypatch):
    """A writer that opened the database before it was moved aside and commits
    after: the copy is checked again once the lock is let go, and put back."""
    from swiftlike.common import db_handoff
    replicator, peers = handoff_replicator(tmp_path)
    path = make_container(replicator, 'c')
    real_unchanged = db_handoff.unchanged

    def write_then_check(broker, before):            # the check of the moved copy, lock let go
        if '.handoff-' in str(broker.path):
            put_row(broker.path, 'late')
        return real_unchanged(broker, before)
    monkeypatch.setattr(db_handoff, 'unchanged', write_then_check)

    stats = replicator.run_once(['sda'])

    assert (stats.errors, stats.handoffs_removed) == (0, 0)
    assert 'late' in [r['name'] for r in ContainerBroker(path, account='a', container='c')
                      .get_items_since(-1, 10)]


def test_a_handoff_database_locked_by_a_writer_is_kept(tmp_path):
    import sqlite3
    replicator, peers = handoff_replicator(tmp_path, node_timeout=0.05)
    path = make_container(replicator, 'c')
    writer = sqlite3.connect(path, isolation_level=None)
    on_copy(peers, lambda: writer.execute('BEGIN IMMEDIATE'))
    replicator._send = peers.send
    try:
        stats = replicator.run_once(['sda'])
    finally:
        writer.close()
    assert (stats.errors, stats.handoffs_removed) == (1, 0) and path.exists()
    assert 'still locked' in stats.first_error['error']

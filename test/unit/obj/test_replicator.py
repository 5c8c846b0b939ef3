"""The object replicator against a real object server app in-process (no
network): every kind of file (.data, .ts, .meta) reaches its peers, also a
peer that has the data but not the newer .meta; and one bad item (a file,
hash directory or partition) is logged with its path and counted, and the
pass goes on with the rest."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
from pathlib import Path
from urllib.parse import quote

import pytest
from webob import Request

from rings import Device, RingBuilder
from swiftlike.common.swift_conf import SwiftConf
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj import metadata
from swiftlike.obj.conf import ObjectServerConf
from swiftlike.obj.diskfile import ObjectName
from swiftlike.obj.fs_diskfile import FsObjectStore
from swiftlike.obj.replicator import ObjectReplicator, ObjectReplicatorConf
from swiftlike.obj.server import ObjectServer
from swiftlike.obj.sync import SyncClient
from swiftlike.obj.updates import ContainerUpdater

PEERS = ('sdb', 'sdc')


class AppSyncClient(SyncClient):
    """A SyncClient whose requests go to an in-process object server app."""

    def __init__(self, node: Device, app: ObjectServer) -> None:
        super().__init__(node, conn_timeout=1.0, node_timeout=1.0)
        self.app = app

    def _request(self, method, path, headers, body=b''):
        data = body if isinstance(body, bytes) else b''.join(body)
        req = Request.blank(quote(f'/{self.node.device}{path}'), method=method, headers=headers, body=data)
        resp = req.get_response(self.app)
        return resp.status_int, resp.body


class Node:
    """This node (sda) and, behind one object server app, its two peers (sdb, sdc)."""

    def __init__(self, root: Path) -> None:
        self.swift_dir = root / 'swift'
        self.swift_dir.mkdir()
        (self.swift_dir / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = x\n')
        builder = RingBuilder(2, 3, 1)                      # 4 partitions, each on all three devices
        for port, device in enumerate(('sda', *PEERS), 1):
            builder.add_dev({'region': 1, 'zone': port, 'ip': '127.0.0.1', 'port': port, 'device': device,
                             'weight': 1})
        builder.rebalance(seed=1)
        builder.get_ring().save(self.swift_dir / 'object.ring.gz')
        self.local_dir, self.peer_dir = root / 'local', root / 'peers'
        (self.local_dir / 'sda').mkdir(parents=True)
        for device in PEERS:
            (self.peer_dir / device).mkdir(parents=True)
        swift_conf = SwiftConf.load(self.swift_dir)
        self.local = self._store(self.local_dir, swift_conf)
        self.peers = self._store(self.peer_dir, swift_conf)
        self.app = ObjectServer(ObjectServerConf(devices=self.peer_dir, mount_check=False,
                                                 swift_dir=self.swift_dir),
                                store=self.peers, swift_conf=swift_conf,
                                updater=ContainerUpdater(conn_timeout=0.1, node_timeout=0.1,
                                                         update_timeout=0.1))
        conf = ObjectReplicatorConf(devices=self.local_dir, mount_check=False, swift_dir=self.swift_dir,
                                    bind_ip='127.0.0.1', bind_port=1,
                                    recon_cache_path=root / 'recon')
        self.replicator = ObjectReplicator(conf, client_factory=lambda dev: AppSyncClient(dev, self.app))
        self.ring = self.replicator.ring('object')

    @staticmethod
    def _store(devices: Path, swift_conf: SwiftConf) -> FsObjectStore:
        return FsObjectStore(devices, mount_check=False, hash_prefix=swift_conf.hash_prefix,
                             hash_suffix=swift_conf.hash_suffix, fsync=False)

    def name(self, obj: str, device: str = 'sda') -> ObjectName:
        return ObjectName(device, self.ring.get_part('a', 'c', obj), 'a', 'c', obj)

    def put(self, obj: str, body: bytes = b'body') -> Timestamp:
        """An object PUT on this node, metadata as the object server writes it."""
        stamp = Timestamp.now()
        with self.local.diskfile(self.name(obj)).writer(len(body)) as writer:
            writer.write(body)
            writer.put({'name': f'/a/c/{obj}', 'X-Timestamp': stamp.internal, 'Content-Type': 'text/plain',
                        'ETag': hashlib.md5(body).hexdigest(), 'Content-Length': str(len(body))})
        return stamp

    def post(self, obj: str, **user_meta: str) -> None:
        """An object POST on this node, metadata as the object server's POST passes it."""
        meta = {f'X-Object-Meta-{k}': v for k, v in user_meta.items()}
        self.local.diskfile(self.name(obj)).write_metadata({**meta, 'X-Timestamp': Timestamp.now().internal})

    def head(self, obj: str, device: str) -> tuple[int, dict[str, str]]:
        name = self.name(obj, device)
        resp = Request.blank(f'/{device}/{name.partition}/a/c/{obj}', method='HEAD').get_response(self.app)
        return resp.status_int, resp.headers

    def peer_files(self, obj: str, device: str) -> list[str]:
        hash_dir = self.peers.diskfile(self.name(obj, device)).hash_dir
        return sorted(p.suffix for p in hash_dir.iterdir()) if hash_dir.exists() else []

    def hash_dir(self, obj: str) -> Path:
        return self.local.diskfile(self.name(obj)).hash_dir


@pytest.fixture
def node(tmp_path):
    return Node(tmp_path)


def test_a_posted_object_reaches_its_peers_with_its_meta(node):
    node.put('posted')
    node.post('posted', color='blue')
    node.put('plain')
    node.put('deleted')
    node.local.diskfile(node.name('deleted')).delete(Timestamp.now())

    stats = node.replicator.run_once(['sda'])

    assert (stats.errors, stats.first_error) == (0, None)
    assert stats.files_pushed == 2 * 4                      # posted: .data + .meta; plain; deleted: .ts
    for device in PEERS:
        assert node.peer_files('posted', device) == ['.data', '.meta']
        assert node.peer_files('plain', device) == ['.data']
        assert node.peer_files('deleted', device) == ['.ts']
        status, headers = node.head('posted', device)
        assert (status, headers.get('X-Object-Meta-Color')) == (200, 'blue')


def test_every_file_an_object_server_writes_names_its_object(node):
    node.put('named')
    node.post('named', color='red')
    node.local.diskfile(node.name('gone')).delete(Timestamp.now())
    for obj in ('named', 'gone'):
        for path in node.hash_dir(obj).iterdir():
            fd = os.open(path, os.O_RDONLY)
            try:
                meta, _ = metadata.read(fd)
            finally:
                os.close(fd)
            assert meta['name'] == f'/a/c/{obj}' and 'X-Timestamp' in meta, path.name


def test_a_peer_with_the_data_but_not_the_newer_meta_gets_the_meta(node):
    node.put('o')
    assert node.replicator.run_once(['sda']).files_pushed == 2          # the .data to both peers
    node.post('o', color='green')

    stats = node.replicator.run_once(['sda'])

    assert (stats.errors, stats.files_pushed) == (0, 2)                 # just the .meta, twice
    for device in PEERS:
        assert node.peer_files('o', device) == ['.data', '.meta']
        assert node.head('o', device)[1]['X-Object-Meta-Color'] == 'green'


def write_legacy_meta(node, obj: str, meta: dict[str, str]) -> Path:
    """A .meta as an older object server wrote it: without ``name``."""
    path = node.hash_dir(obj) / f'{meta["X-Timestamp"]}.meta'
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        metadata.write(fd, meta, 0)
    finally:
        os.close(fd)
    return path


def test_an_old_meta_without_a_name_is_sent_under_its_datas_name(node):
    node.put('old')
    write_legacy_meta(node, 'old', {'X-Timestamp': Timestamp.now().internal, 'X-Object-Meta-Age': 'old'})

    stats = node.replicator.run_once(['sda'])

    assert (stats.errors, stats.files_pushed) == (0, 4)
    for device in PEERS:
        assert node.head('old', device)[1]['X-Object-Meta-Age'] == 'old'


def test_a_file_that_names_no_object_is_counted_and_the_pass_goes_on(node, caplog):
    node.put('good')
    node.put('orphan')
    data = next(node.hash_dir('orphan').glob('*.data'))
    fd = os.open(data, os.O_RDWR)
    try:                                   # what replication needs is gone from the data file itself
        metadata.write(fd, {'X-Timestamp': data.stem, 'Content-Length': '4'}, 4)
    finally:
        os.close(fd)

    with caplog.at_level(logging.ERROR):
        stats = node.replicator.run_once(['sda'])

    assert stats.errors == 2 and stats.first_error['path'] == str(data)   # once per peer
    assert 'names no object' in stats.first_error['error'] and str(data) in caplog.text
    for device in PEERS:
        assert node.peer_files('good', device) == ['.data'] and node.peer_files('orphan', device) == []


def test_an_unexpected_error_in_one_hash_dir_is_counted_and_the_pass_goes_on(node, monkeypatch, caplog):
    for i in range(6):
        node.put(f'o{i}')
    bad = node.hash_dir('o3')
    real = node.replicator._push_hash_dir

    def push_hash_dir(client, part, hash_dir, remote_names, stats):
        if hash_dir == bad:
            raise KeyError('name')                 # what a .meta without a name once raised
        return real(client, part, hash_dir, remote_names, stats)

    monkeypatch.setattr(node.replicator, '_push_hash_dir', push_hash_dir)
    with caplog.at_level(logging.ERROR):
        stats = node.replicator.run_once(['sda'])

    assert stats.errors == 2 and stats.first_error == {'path': str(bad), 'error': "KeyError('name')"}
    assert stats.files_pushed == 2 * 5 and str(bad) in caplog.text
    for device in PEERS:
        files = [node.peer_files(f'o{i}', device) for i in range(6)]
        assert files == [['.data']] * 3 + [[]] + [['.data']] * 2


def test_junk_in_the_objects_dir_is_skipped(node):
    node.put('o')
    objects = node.local_dir / 'sda' / 'objects'
    (objects / '²').mkdir()                        # passes str.isdigit(), fails int()
    (objects / 'lost+found').mkdir()
    suffix_dir = node.hash_dir('o').parent
    (suffix_dir / 'stray-file').write_text('')

    stats = node.replicator.run_once(['sda'])

    assert (stats.errors, stats.files_pushed) == (0, 2)
    assert all(node.peer_files('o', device) == ['.data'] for device in PEERS)


def test_a_failing_partition_is_counted_and_the_others_replicate(node, monkeypatch):
    for i in range(12):
        node.put(f'o{i}')
    parts = sorted({node.name(f'o{i}').partition for i in range(12)})
    assert len(parts) > 1
    real = node.replicator.replicate_partition

    def replicate_partition(device, part, rehash_all, stats):
        if part == parts[0]:
            raise RuntimeError('boom')
        return real(device, part, rehash_all, stats)

    monkeypatch.setattr(node.replicator, 'replicate_partition', replicate_partition)
    stats = node.replicator.run_once(['sda'])

    assert stats.errors == 1 and stats.first_error['path'].endswith(f'/sda/objects/{parts[0]}')
    moved = [i for i in range(12) if node.name(f'o{i}').partition != parts[0]]
    assert moved and stats.files_pushed == 2 * len(moved)
    assert all(node.peer_files(f'o{i}', 'sdb') == ['.data'] for i in moved)


def test_a_wiped_peer_gets_every_kind_of_file_back(node):
    node.put('posted')
    node.post('posted', color='blue')
    node.put('deleted')
    node.local.diskfile(node.name('deleted')).delete(Timestamp.now())
    node.replicator.run_once(['sda'])
    for entry in (node.peer_dir / 'sdb').iterdir():
        shutil.rmtree(entry)

    stats = node.replicator.run_once(['sda'])

    assert (stats.errors, stats.files_pushed) == (0, 3)
    assert node.peer_files('posted', 'sdb') == ['.data', '.meta']
    assert node.peer_files('deleted', 'sdb') == ['.ts']

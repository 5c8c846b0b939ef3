"""The object updater and auditor on real files in a temp devices dir
(the network side is a fake sender; probe tests run them for real)."""

from __future__ import annotations

import os

import pytest

from swiftlike.common.request import UpdateTarget
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj import async_pending
from swiftlike.obj.async_pending import PendingUpdate
from swiftlike.obj.auditor import ObjectAuditor, ObjectAuditorConf, ZeroByteAuditor
from swiftlike.obj.diskfile import ObjectName
from swiftlike.obj.fs_diskfile import FsObjectStore
from swiftlike.obj.updater import ObjectUpdater, ObjectUpdaterConf

T1, T2 = UpdateTarget('h', 1, 'sda', 0), UpdateTarget('h', 2, 'sdb', 0)


@pytest.fixture
def node(tmp_path):
    (tmp_path / 'swift').mkdir()
    (tmp_path / 'swift' / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = x\n')
    (tmp_path / 'node' / 'sda').mkdir(parents=True)
    return tmp_path


def pending(node, name_hash, ts, targets):
    update = PendingUpdate('PUT', 'a', 'c', 'o', {'X-Timestamp': ts}, targets)
    return async_pending.save(node / 'node' / 'sda', name_hash, ts, update)


def test_updater_sends_the_newest_drops_older_and_keeps_failed_targets(node):
    conf = ObjectUpdaterConf(devices=node / 'node', mount_check=False, swift_dir=node / 'swift')
    updater = ObjectUpdater(conf)
    sent = []
    updater.sender.deliver = lambda update: sent.append(update) or [t for t in update.targets if t.port == 2]
    old = pending(node, 'a' * 32, '0000000001.00000', [T1])
    new = pending(node, 'a' * 32, '0000000002.00000', [T1, T2])
    other = pending(node, 'b' * 32, '0000000001.00000', [T1])

    stats = updater.run_once(['sda'])

    assert [u.headers['X-Timestamp'] for u in sent] == ['0000000002.00000', '0000000001.00000']
    assert (stats.successes, stats.failures, stats.superseded) == (1, 1, 1)
    assert not old.exists() and not other.exists()
    assert PendingUpdate.from_json(new.read_bytes()).targets == [T2]


def store_object(node, name, body):
    store = FsObjectStore(node / 'node', mount_check=False, hash_prefix=b'', hash_suffix=b'x')
    df = store.diskfile(ObjectName('sda', 5, 'a', 'c', name))
    with df.writer(len(body)) as writer:
        writer.write(body)
        import hashlib
        writer.put({'name': f'/a/c/{name}', 'X-Timestamp': Timestamp.now().internal,
                    'ETag': hashlib.md5(body).hexdigest(), 'Content-Length': str(len(body)),
                    'Content-Type': 'a/b'})
    return next(df.hash_dir.glob('*.data'))


def auditor(node, cls=ObjectAuditor, **kw):
    conf = ObjectAuditorConf(devices=node / 'node', mount_check=False, swift_dir=node / 'swift', **kw)
    slept = []
    return cls(conf, sleep=slept.append), slept


def test_auditor_quarantines_a_flipped_byte_and_a_truncated_file(node):
    good = store_object(node, 'good', b'g' * 1000)
    flipped = store_object(node, 'flipped', b'f' * 1000)
    truncated = store_object(node, 'truncated', b't' * 1000)
    with open(flipped, 'r+b') as fh:
        fh.seek(10)
        fh.write(b'X')
    os.truncate(truncated, 500)                 # metadata is in the xattr: half the body is gone

    full, _ = auditor(node, files_per_second=1000, bytes_per_second=0)
    stats = full.run_once(['sda'])

    assert (stats.files, stats.quarantined, stats.errors) == (3, 2, 0)
    assert good.exists() and not flipped.exists() and not truncated.exists()
    quarantined = os.listdir(node / 'node' / 'sda' / 'quarantined' / 'objects')
    assert len(quarantined) == 2
    assert full.run_once(['sda']).quarantined == 0


def test_zero_byte_pass_reads_no_bodies_but_catches_emptied_files(node):
    flipped = store_object(node, 'flipped', b'f' * 100)
    emptied = store_object(node, 'emptied', b'e' * 100)
    with open(flipped, 'r+b') as fh:
        fh.write(b'X')
    os.truncate(emptied, 0)                     # the xattr metadata stays, the bytes are gone
    zbf, _ = auditor(node, ZeroByteAuditor)
    stats = zbf.run_once(['sda'])
    assert (stats.quarantined, stats.bytes_read) == (1, 0)
    assert flipped.exists() and not emptied.exists()


def test_auditor_paces_itself(node):
    for i in range(3):
        store_object(node, f'o{i}', b'x' * 100)
    full, slept = auditor(node, files_per_second=2, bytes_per_second=0)
    full.run_once(['sda'])
    assert len(slept) == 2 and all(s > 0 for s in slept)


def test_replicator_reclaims_old_tombstones_on_its_full_rehash(node):
    from rings import RingBuilder
    from swiftlike.obj.replicator import REHASHED, ObjectReplicator, ObjectReplicatorConf
    builder = RingBuilder(2, 3, 1)
    for n, device in enumerate(('sda', 'sdb', 'sdc')):
        builder.add_dev({'region': 1, 'zone': n, 'ip': '127.0.0.1', 'port': 1, 'device': device,
                         'weight': 1})
    builder.rebalance(seed=1)
    builder.get_ring().save(node / 'swift' / 'object.ring.gz')
    store = FsObjectStore(node / 'node', mount_check=False, hash_prefix=b'', hash_suffix=b'x')
    df = store.diskfile(ObjectName('sda', 1, 'a', 'c', 'gone'))
    df.delete(Timestamp(1000.0))
    tombstones = list(df.hash_dir.glob('*.ts'))
    now = [2000.0]
    conf = ObjectReplicatorConf(devices=node / 'node', mount_check=False, swift_dir=node / 'swift',
                                bind_ip='127.0.0.1', bind_port=1, reclaim_age=5000, conn_timeout=0.2)
    replicator = ObjectReplicator(conf, clock=lambda: now[0])

    replicator.run_once(['sda'])                   # young: kept (and pushed nowhere: no peer answers)
    assert all(t.exists() for t in tombstones)
    now[0] = 7000.0
    replicator.run_once(['sda'])                   # old, but the last full rehash was just now
    assert all(t.exists() for t in tombstones)
    (node / 'node' / 'sda' / 'objects' / REHASHED).write_text('0')
    stats = replicator.run_once(['sda'])
    assert not any(t.exists() for t in tombstones) and stats.errors == 0


def test_writes_survive_a_concurrent_rehash_removing_empty_dirs(node):
    """A REPLICATE rehashing a suffix removes empty suffix and hash dirs; a
    write making those dirs at the same moment must still land (it once got
    a 507)."""
    import threading
    store = FsObjectStore(node / 'node', mount_check=False, hash_prefix=b'', hash_suffix=b'x')
    stop = threading.Event()

    def rehash() -> None:
        while not stop.is_set():
            suffixes = os.listdir(node / 'node' / 'sda' / 'objects' / '0') \
                if (node / 'node' / 'sda' / 'objects' / '0').exists() else []
            store.suffix_hashes('sda', 0, [s for s in suffixes if len(s) == 3])

    thread = threading.Thread(target=rehash)
    thread.start()
    try:
        for i in range(300):
            df = store.diskfile(ObjectName('sda', 0, 'a', 'c', f'o{i}'))
            df.delete(Timestamp.now())             # a tombstone: fresh dirs every time
    finally:
        stop.set()
        thread.join()
    assert len(list((node / 'node' / 'sda' / 'objects' / '0').glob('*/*/*.ts'))) == 300

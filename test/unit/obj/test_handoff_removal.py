"""A handoff partition is removed only after a re-check under its lock: a
write that lands on the handoff while it is being pushed to its primaries
is kept (and pushed by the next pass), never deleted with what was pushed.
Runs against fake peers (FakePeer): no server, no network."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from rings import Device, RingBuilder
from swiftlike.common.swift_conf import SwiftConf
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj.diskfile import ObjectName
from swiftlike.obj.fs_diskfile import FsObjectStore
from swiftlike.obj.replicator import ObjectReplicator, ObjectReplicatorConf
from swiftlike.obj.sync import SyncClient

PRIMARIES = ('sdb', 'sdc', 'sdd')


class FakePeer(SyncClient):
    """A primary that has nothing yet and takes every pushed file (201), noting
    its name; ``on_push`` runs at each push (to race a write with it)."""

    def __init__(self, node: Device, on_push: Callable[[], None]) -> None:
        super().__init__(node, conn_timeout=1.0, node_timeout=1.0)
        self.on_push = on_push
        self.pushed: set[str] = set()

    def hashes(self, part: int, suffixes: list[str] | None = None) -> dict[str, str]:
        return {}

    def files(self, part: int, suffixes: list[str]) -> dict[str, list[str]]:
        return {}

    def push(self, part, file_path, kind, meta, body_length) -> int:
        self.on_push()
        self.pushed.add(Path(file_path).name)
        return 201

    def _request(self, method, path, headers, body=b''):
        raise AssertionError(f'unexpected {method} {path}')


class Handoff:
    """This node's sda, a handoff for every partition (the ring has only sdb, sdc, sdd)."""

    def __init__(self, root: Path) -> None:
        swift_dir = root / 'swift'
        swift_dir.mkdir()
        (swift_dir / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = x\n')
        builder = RingBuilder(2, 3, 1)
        for port, device in enumerate(PRIMARIES, 2):
            builder.add_dev({'region': 1, 'zone': port, 'ip': '127.0.0.1', 'port': port, 'device': device,
                             'weight': 1})
        builder.rebalance(seed=1)
        builder.get_ring().save(swift_dir / 'object.ring.gz')
        (root / 'node' / 'sda').mkdir(parents=True)
        swift_conf = SwiftConf.load(swift_dir)
        self.store = FsObjectStore(root / 'node', mount_check=False, hash_prefix=swift_conf.hash_prefix,
                                   hash_suffix=swift_conf.hash_suffix, fsync=False)
        conf = ObjectReplicatorConf(devices=root / 'node', mount_check=False, swift_dir=swift_dir,
                                    bind_ip='127.0.0.1', bind_port=1, recon_cache_path=root / 'recon')
        self.during_push: list[Callable[[], None]] = []
        self.peers: list[FakePeer] = []
        self.replicator = ObjectReplicator(conf, client_factory=self._peer)
        self.part = 0

    def _peer(self, node: Device) -> FakePeer:
        peer = FakePeer(node, self._on_push)
        self.peers.append(peer)
        return peer

    def _on_push(self) -> None:
        while self.during_push:
            self.during_push.pop()()

    def put(self, obj: str, body: bytes = b'body') -> Path:
        """PUT as the object server does, into partition 0; the new file's path."""
        df = self.store.diskfile(ObjectName('sda', self.part, 'a', 'c', obj))
        stamp = Timestamp.now()
        with df.writer(len(body)) as writer:
            writer.write(body)
            writer.put({'X-Timestamp': stamp.internal, 'Content-Type': 'text/plain',
                        'ETag': hashlib.md5(body).hexdigest(), 'Content-Length': str(len(body))})
        return df.hash_dir / f'{stamp.internal}.data'

    @property
    def part_dir(self) -> Path:
        return self.store.devices / 'sda' / 'objects' / str(self.part)


@pytest.fixture
def handoff(tmp_path):
    return Handoff(tmp_path)


def test_a_handoff_its_primaries_have_is_removed(handoff):
    first = handoff.put('first')
    stats = handoff.replicator.run_once(['sda'])
    assert (stats.errors, stats.files_pushed, stats.handoffs_removed) == (0, 3, 1)
    assert not first.exists() and not handoff.part_dir.exists()


def test_a_write_arriving_during_the_push_is_kept_for_the_next_pass(handoff):
    first = handoff.put('first')
    late: list[Path] = []
    handoff.during_push.append(lambda: late.append(handoff.put('late')))

    stats = handoff.replicator.run_once(['sda'])

    assert (stats.errors, stats.files_pushed, stats.handoffs_removed) == (0, 3, 0)
    assert stats.handoff_files_removed == 1
    assert not first.exists()                          # pushed to all three: removed
    assert late[0].exists()                            # arrived meanwhile: kept
    assert all(late[0].name not in peer.pushed for peer in handoff.peers)

    stats = handoff.replicator.run_once(['sda'])       # the next pass pushes it, then removes it
    assert (stats.errors, stats.files_pushed, stats.handoffs_removed) == (0, 3, 1)
    assert all(late[0].name in peer.pushed for peer in handoff.peers[3:])
    assert not handoff.part_dir.exists()


def test_a_newer_version_arriving_during_the_push_is_kept(handoff):
    handoff.put('same')
    newer: list[Path] = []
    handoff.during_push.append(lambda: newer.append(handoff.put('same', b'newer')))

    stats = handoff.replicator.run_once(['sda'])

    assert stats.handoffs_removed == 0 and newer[0].exists()
    assert [p.name for p in newer[0].parent.iterdir()] == [newer[0].name]


def test_a_handoff_partition_whose_lock_is_held_is_kept(handoff, monkeypatch):
    import fcntl
    import os
    handoff.put('first')
    handoff.replicator.store.lock_timeout = 0.0
    fd = os.open(handoff.part_dir / '.lock', os.O_CREAT | os.O_WRONLY)
    holder: list[int] = []

    def hold() -> None:                                # after the hashes, before the removal
        fcntl.flock(fd, fcntl.LOCK_EX)
        holder.append(fd)
    handoff.during_push.append(hold)
    try:
        stats = handoff.replicator.run_once(['sda'])
    finally:
        os.close(fd)
    assert holder and stats.errors == 1 and stats.handoffs_removed == 0
    assert 'lock still held' in stats.first_error['error']
    assert list(handoff.part_dir.glob('*/*/*.data'))


def _write_at_lock(monkeypatch, handoff: Handoff, inside: bool) -> list[Path]:
    """Make a PUT to the partition as the removal takes its lock: just before
    (``inside=False``), or once it holds it (the PUT's file is renamed in; its
    wait for the lock, to mark the suffix, times out)."""
    from contextlib import contextmanager

    from swiftlike.common.exceptions import LockTimeoutError
    from swiftlike.obj import replicator
    real = replicator.partition_lock
    late: list[Path] = []

    def put() -> None:
        try:
            late.append(handoff.put('late'))
        except LockTimeoutError:
            hash_dir = handoff.store.diskfile(ObjectName('sda', 0, 'a', 'c', 'late')).hash_dir
            late.extend(hash_dir.glob('*.data'))

    @contextmanager
    def racing_lock(part_dir: Path, timeout: float):
        if not inside:
            put()
        with real(part_dir, timeout):
            if inside:
                handoff.store.lock_timeout = 0.0
                put()
            yield
    monkeypatch.setattr(replicator, 'partition_lock', racing_lock)
    return late


@pytest.mark.parametrize('inside', [False, True])
def test_a_write_between_push_and_removal_is_kept(handoff, monkeypatch, inside):
    first = handoff.put('first')
    late = _write_at_lock(monkeypatch, handoff, inside)

    stats = handoff.replicator.run_once(['sda'])

    assert (stats.errors, stats.handoffs_removed) == (0, 0)
    assert not first.exists() and len(late) == 1 and late[0].exists()
    assert late[0].parent.parent.name in (handoff.part_dir / 'hashes.invalid').read_text().split()

"""The object replicator: for each partition on this node's devices,
compare suffix hashes with the partition's other primaries and push what
differs (over HTTP, see swiftlike.obj.sync); push a handoff partition to
its primaries and, once every one of them has it, remove under the
partition's lock what it held before the push (a write that arrived
meanwhile stays for the next pass). Tombstones past
``reclaim_age`` go when their suffix is rehashed: every pass for changed
suffixes, and for all of a device's suffixes once every
``rehash_all_interval`` seconds (the time of the last such pass is kept in
``<device>/objects/.rehashed``)."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rings import Device
from swiftlike.common import daemon
from swiftlike.common.exceptions import DeviceUnavailableError, LockTimeoutError
from swiftlike.obj import layout, metadata
from swiftlike.obj.fs_diskfile import FsObjectStore
from swiftlike.obj.hashes import HASHES, INVALID, LOCK, invalidate_locked, partition_lock, remove_empty_dirs
from swiftlike.obj.sync import KINDS, SyncClient, SyncError, UnsendableError, sendable_meta

logger = logging.getLogger(__name__)
#: Makes the client that talks to one peer (tests pass one that needs no network).
ClientFactory = Callable[[Device], SyncClient]
#: When the device's suffixes were last all rehashed (in ``<device>/objects/``).
REHASHED = '.rehashed'


@dataclass(frozen=True)
class ObjectReplicatorConf(daemon.DaemonConf):
    """Options of [object-replicator]."""

    reclaim_age: float = 604800.0
    rehash_all_interval: float = 3600.0


@dataclass
class ReplicationStats(daemon.PassStats):
    """What one pass did."""

    partitions: int = 0
    suffixes_synced: int = 0
    files_pushed: int = 0
    handoffs_removed: int = 0
    handoff_files_removed: int = 0


class ObjectReplicator(daemon.Daemon):
    """Pushes objects to where the object ring says they belong.

    Failures are isolated per item: a file that cannot be sent, a hash
    directory, partition or device that fails is logged with its path and
    counted (``errors``, the first kept in ``first_error``), and the pass
    goes on; a peer that cannot be reached ends only the sync with that peer.
    """

    section = 'object-replicator'
    conf_class = ObjectReplicatorConf

    def __init__(self, conf: ObjectReplicatorConf, *, clock: Callable[[], float] = time.time,
                 client_factory: ClientFactory | None = None) -> None:
        super().__init__(conf, clock=clock)
        self.conf: ObjectReplicatorConf = conf
        self.store = FsObjectStore(conf.devices, mount_check=conf.mount_check,
                                   hash_prefix=self.swift_conf.hash_prefix,
                                   hash_suffix=self.swift_conf.hash_suffix, reclaim_age=conf.reclaim_age,
                                   clock=clock)
        self._make_client: ClientFactory = client_factory or (lambda node: SyncClient(
            node, conn_timeout=conf.conn_timeout, node_timeout=conf.node_timeout))
        self._clients: dict[tuple[str, int, str], SyncClient] = {}
        self.ring('object')

    def run_once(self, devices: Sequence[str]) -> ReplicationStats:
        stats = ReplicationStats()
        try:
            for device in devices:
                with daemon.isolated(stats, self.conf.devices / device, logger):
                    self._replicate_device(device, stats)
        finally:
            self._clients.clear()
        return stats

    def _replicate_device(self, device: str, stats: ReplicationStats) -> None:
        parts_dir = self.conf.devices / device / 'objects'
        parts = daemon.partitions(parts_dir)
        rehash_all = self._rehash_due(parts_dir)
        for part in parts:
            with daemon.isolated(stats, parts_dir / str(part), logger):
                try:
                    self.replicate_partition(device, part, rehash_all, stats)
                except (OSError, DeviceUnavailableError, LockTimeoutError) as err:
                    logger.error('replicating %s: %s', parts_dir / str(part), err)
                    stats.error(parts_dir / str(part), err)
        if rehash_all and parts:
            (parts_dir / REHASHED).write_text(f'{self.clock():.5f}')

    def _rehash_due(self, parts_dir: Path) -> bool:
        try:
            last = float((parts_dir / REHASHED).read_text())
        except (OSError, ValueError):
            return True
        return self.clock() - last >= self.conf.rehash_all_interval

    def _client(self, node: Device) -> SyncClient:
        key = (node.ip, node.port, node.device)
        if key not in self._clients:
            self._clients[key] = self._make_client(node)
        return self._clients[key]

    def replicate_partition(self, device: str, part: int, rehash_all: bool, stats: ReplicationStats) -> None:
        """Sync one partition with its primaries; if it is a handoff they all have,
        remove what was there before the push (see :func:`remove_handoff`)."""
        ring = self.ring('object')
        nodes = ring.get_part_nodes(part)
        primary = any(self.is_local(n, device) for n in nodes)
        part_dir = self.conf.devices / device / 'objects' / str(part)
        suffixes = sorted(s for s in os.listdir(part_dir) if len(s) == 3)
        listed = {} if primary else self.store.suffix_files(device, part, suffixes)
        hashes = self.store.suffix_hashes(device, part, suffixes if rehash_all else [])
        stats.partitions += 1
        results = []
        handoffs = (n for n in ring.get_more_nodes(part) if not self.is_local(n, device))
        for node in (n for n in nodes if hashes and not self.is_local(n, device)):
            ok, status = self.sync_with(node, device, part, hashes, stats)
            if not ok and primary and status == 507:      # a failed disk: keep a copy on a handoff
                handoff = next(handoffs, None)
                ok = handoff is not None and self.sync_with(handoff, device, part, hashes, stats)[0]
            results.append(ok)
        if not primary and all(results):
            removed, gone = remove_handoff(part_dir, listed, self.store.lock_timeout)
            stats.handoff_files_removed += removed
            if gone:
                stats.handoffs_removed += 1
            else:
                logger.info('handoff %s changed while being pushed: kept for the next pass', part_dir)

    def sync_with(self, node: Device, device: str, part: int, hashes: dict[str, str],
                  stats: ReplicationStats) -> tuple[bool, int]:
        """Push to ``node`` the suffixes whose hashes differ; (in sync, peer's error status)."""
        client = self._client(node)
        part_dir = self.conf.devices / device / 'objects' / str(part)
        try:
            remote = client.hashes(part)
            differ = [s for s, h in hashes.items() if remote.get(s) != h]
            if differ:
                remote = client.hashes(part, differ)          # the peer's may be stale
                differ = [s for s in differ if remote.get(s) != hashes[s]]
            if not differ:
                return True, 0
            ok = self._push_suffixes(client, part, part_dir, differ, remote_files=client.files(part, differ),
                                     stats=stats)
            stats.suffixes_synced += len(differ)
            return ok, 0
        except SyncError as err:
            logger.warning('replicating %s to %s:%s/%s: %s', part_dir, node.ip, node.port, node.device, err)
            stats.error(f'{part_dir} to {node.ip}:{node.port}/{node.device}', err)
            return False, err.status

    def _push_suffixes(self, client: SyncClient, part: int, part_dir: Path, suffixes: list[str], *,
                       remote_files: dict[str, list[str]], stats: ReplicationStats) -> bool:
        """Push every hash directory of ``suffixes``; True if the peer has all of them.
        A hash directory that fails is counted and skipped; a peer that fails ends this."""
        ok = True
        for suffix in suffixes:
            for name_hash in sorted(daemon.listdir(part_dir / suffix)):
                pushed = False
                with daemon.isolated(stats, part_dir / suffix / name_hash, logger, keep=(SyncError,)):
                    pushed = self._push_hash_dir(client, part, part_dir / suffix / name_hash,
                                                 remote_files.get(name_hash, []), stats)
                ok &= pushed
        return ok

    def _push_hash_dir(self, client: SyncClient, part: int, hash_dir: Path, remote_names: list[str],
                       stats: ReplicationStats) -> bool:
        """Push the newest data or tombstone, and .meta, that the peer lacks."""
        try:
            state = layout.read_state(os.listdir(hash_dir))
        except (FileNotFoundError, NotADirectoryError):
            return True
        remote = layout.read_state(remote_names)
        newest = state.data or state.tombstone
        ok = True
        if newest and (remote.timestamp is None or layout.file_timestamp(newest) > remote.timestamp):
            ok = self._push(client, part, hash_dir / newest, stats)
        remote_meta = layout.file_timestamp(remote.meta) if remote.meta else None
        if ok and state.meta and (remote_meta is None or layout.file_timestamp(state.meta) > remote_meta):
            ok = self._push(client, part, hash_dir / state.meta, stats)
        return ok

    def _push(self, client: SyncClient, part: int, path: Path, stats: ReplicationStats) -> bool:
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return True                              # replaced meanwhile; the next pass sees the newer
        try:
            meta, body_length = metadata.read(fd)
            meta = sendable_meta(path, meta, hash_prefix=self.swift_conf.hash_prefix,
                                 hash_suffix=self.swift_conf.hash_suffix)
        except (metadata.MetadataError, UnsendableError) as err:
            logger.error('not replicating %s: %s', path, err)   # the auditor quarantines a corrupt one
            stats.error(path, err)
            return False
        finally:
            os.close(fd)
        status = client.push(part, path, KINDS[path.suffix], meta, body_length)
        if status == 201:
            stats.files_pushed += 1
        elif status != 409:
            logger.warning('SYNC %s to %s: %s', path, client.node.device, status)
            stats.error(path, f'SYNC to {client.node.ip}:{client.node.port}/{client.node.device}: {status}')
            return False
        return True


def remove_handoff(part_dir: Path, listed: dict[str, list[str]], lock_timeout: float) -> tuple[int, bool]:
    """Remove a handoff partition once its primaries have what it held:
    under the partition's lock, only the files of ``listed`` (its files by
    hash dir, listed before its hashes were computed and pushed; a file's name
    is its timestamp, so a listed name is an unchanged file), and the dirs
    left empty. A write that landed meanwhile is kept, its suffix marked
    changed, for the next pass. (files removed, whether the partition is gone)

    :raises LockTimeoutError: the lock was held too long (nothing removed)
    """
    removed = 0
    with partition_lock(part_dir, lock_timeout):
        for name_hash, names in listed.items():
            hash_dir = part_dir / layout.suffix_of(name_hash) / name_hash
            for name in names:
                try:
                    (hash_dir / name).unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
            remove_empty_dirs([hash_dir])
        suffixes = [s for s in daemon.listdir(part_dir) if len(s) == 3]
        remove_empty_dirs([part_dir / s for s in suffixes])
        left = [s for s in suffixes if (part_dir / s).exists()]
        if left:
            invalidate_locked(part_dir, left)
            return removed, False
        for name in (HASHES, HASHES + '.tmp', INVALID, LOCK):
            (part_dir / name).unlink(missing_ok=True)
        remove_empty_dirs([part_dir])      # not if a write made a suffix dir just now
    return removed, not part_dir.exists()


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-object-replicator CONF [--once]``."""
    return daemon.main(ObjectReplicator, argv)


if __name__ == '__main__':
    sys.exit(main())

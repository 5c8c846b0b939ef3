"""The replicator of account and container databases.

For each database on this node's devices, push to every other primary the
rows it has not merged yet: ``REPLICATE`` op ``sync`` gives the peer's sync
point for this database's id, then ``merge_items`` in batches of
``per_diff`` rows, and ``merge_info`` when the put/delete timestamps or
metadata differ. A peer without the database, or more than ``per_diff *
max_diffs`` rows behind, gets a whole copy instead (``SYNC``, see
swiftlike.common.db_sync). A handoff database is removed once every primary
has it, if it is unchanged since the push began (re-checked under its write
lock, see swiftlike.common.db_handoff); deleted rows, and deleted empty databases, go after ``reclaim_age``.
A database that fails (corrupt, unreadable, refused by a peer) is logged
with its path and counted in ``errors``, and the pass goes on.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from rings import Device
from swiftlike.common import daemon, db_handoff, db_sync
from swiftlike.common.concurrency import Timeout
from swiftlike.common.db import DatabaseBroker
from swiftlike.common.direct_client import direct_request
from swiftlike.common.exceptions import DatabaseCorruptError, DatabaseNotFoundError, LockTimeoutError
from swiftlike.common.http_client import Answer
from swiftlike.common.numbers import parse_int
from swiftlike.common.timestamp import Timestamp

logger = logging.getLogger(__name__)
B = TypeVar('B', bound=DatabaseBroker)


@dataclass(frozen=True)
class DbReplicatorConf(daemon.DaemonConf):
    """Options of [container-replicator] and [account-replicator]."""

    reclaim_age: float = 604800.0
    per_diff: int = 1000
    max_diffs: int = 100


@dataclass
class DbReplicationStats(daemon.PassStats):
    """What one pass did."""

    databases: int = 0
    rows_pushed: int = 0
    copies_sent: int = 0
    handoffs_removed: int = 0
    reclaimed: int = 0


def database_files(device_dir: Path, kind: str) -> Iterator[tuple[int, Path]]:
    """(partition, path) of every ``<kind>s/<part>/<suffix>/<hash>/<hash>.db`` of a device."""
    for part, hash_dir in daemon.hash_dirs(device_dir / f'{kind}s'):
        path = hash_dir / f'{hash_dir.name}.db'
        if path.exists():
            yield part, path


def open_broker(cls: type[B], path: Path) -> tuple[B, dict[str, Any]]:
    """A broker of the database at ``path``, named by its own stat row, and that row."""
    info = cls(path, account='').get_info()
    broker = cls(path, account=info['account'], container=info.get('container'))
    return broker, info


class DbReplicator(daemon.Daemon):
    """Base of the container and account replicators."""

    kind: ClassVar[str] = ''
    broker_class: ClassVar[type[DatabaseBroker]] = DatabaseBroker
    conf_class = DbReplicatorConf

    def __init__(self, conf: DbReplicatorConf, **kwargs: Any) -> None:
        super().__init__(conf, **kwargs)
        self.conf: DbReplicatorConf = conf
        self.ring(self.kind)

    def run_once(self, devices: Sequence[str]) -> DbReplicationStats:
        """One pass; a database (or device) that fails is logged with its
        path and counted, and the pass goes on with the next."""
        stats = DbReplicationStats()
        for device in devices:
            with daemon.isolated(stats, self.conf.devices / device, logger):
                for part, path in database_files(self.conf.devices / device, self.kind):
                    with daemon.isolated(stats, path, logger):
                        self._replicate_one(device, part, path, stats)
        return stats

    def _replicate_one(self, device: str, part: int, path: Path, stats: DbReplicationStats) -> None:
        try:
            self.replicate_db(device, part, path, stats)
        except (DatabaseCorruptError, DatabaseNotFoundError, LockTimeoutError, OSError) as err:
            logger.error('replicating %s: %s', path, err)
            stats.error(path, err)

    def replicate_db(self, device: str, part: int, path: Path, stats: DbReplicationStats) -> None:
        """Push one database to its other primaries."""
        broker, info = open_broker(self.broker_class, path)
        stats.databases += 1
        if self._reclaim(broker, info):
            stats.reclaimed += 1
            return
        nodes = self.ring(self.kind).get_part_nodes(part)
        primary = any(self.is_local(n, device) for n in nodes)
        before = broker.get_info()                     # after the reclaim: what the push sends
        results = [self.push(broker, info, node, part, stats) for node in nodes
                   if not self.is_local(node, device)]
        if not primary and all(results):
            if db_handoff.remove_handoff(broker, before, tmp_dir=self.conf.devices / device / 'tmp',
                                         timeout=self.conf.node_timeout):
                stats.handoffs_removed += 1
            else:
                logger.info('handoff %s changed while being pushed: kept for the next pass', path)

    def _reclaim(self, broker: DatabaseBroker, info: dict[str, Any]) -> bool:
        """Drop old deleted rows; remove the database if it is deleted, empty and old."""
        horizon = Timestamp(self.clock() - self.conf.reclaim_age)
        broker.reclaim(horizon)
        if broker.is_deleted(info) and Timestamp(info['status_changed_at']) < horizon \
                and not broker.get_items_since(-1, 1):
            shutil.rmtree(broker.path.parent, ignore_errors=True)
            return True
        return False

    def _send(self, node: Device, method: str, path: str, body: Any, headers: dict[str, str]
              ) -> Answer:
        return direct_request(node.ip, node.port, method, f'/{node.device}{path}', headers=headers,
                              body=body, conn_timeout=self.conf.conn_timeout,
                              node_timeout=self.conf.node_timeout)

    def _op(self, node: Device, path: str, op: dict[str, Any]) -> Answer:
        body = json.dumps(op).encode()
        return self._send(node, 'REPLICATE', path, body, {'Content-Type': 'application/json'})

    def push(self, broker: DatabaseBroker, info: dict[str, Any], node: Device, part: int,
             stats: DbReplicationStats) -> bool:
        """Bring ``node``'s replica up to date with this one; True if it is."""
        path = f'/{part}/{broker.account}' + (f'/{broker.container}' if broker.container is not None else '')
        try:
            resp = self._op(node, path, {'op': 'sync', 'remote_id': info['id']})
            if resp.status == 404:
                return self._send_copy(broker, info, node, path, stats)
            if resp.status != 200:
                raise OSError(f'sync answered {resp.status}')
            remote = json.loads(resp.body)
            sync_point = parse_int(str(remote['sync_point']), what='sync_point', minimum=-1)
            if info['max_row'] - sync_point > self.conf.per_diff * self.conf.max_diffs:
                return self._send_copy(broker, info, node, path, stats)
            self._push_rows(broker, info, node, path, since=sync_point, stats=stats)
            if _newer_info(info, remote):
                resp = self._op(node, path, {'op': 'merge_info', 'info': _info_fields(info)})
                if resp.status // 100 != 2:
                    raise OSError(f'merge_info answered {resp.status}')
            return True
        except (OSError, ValueError, KeyError, TypeError, Timeout) as err:
            logger.warning('replicating %s to %s:%s/%s: %r', broker.path, node.ip, node.port,
                           node.device, err)
            stats.error(f'{broker.path} to {node.ip}:{node.port}/{node.device}', err)
            return False

    def _push_rows(self, broker: DatabaseBroker, info: dict[str, Any], node: Device, path: str, *,
                   since: int, stats: DbReplicationStats) -> None:
        while True:
            items = broker.get_items_since(since, self.conf.per_diff)
            if not items:
                return
            resp = self._op(node, path, {'op': 'merge_items', 'items': items, 'source_id': info['id']})
            if resp.status // 100 != 2:
                raise OSError(f'merge_items answered {resp.status}')
            stats.rows_pushed += len(items)
            since = items[-1]['ROWID']

    def _send_copy(self, broker: DatabaseBroker, info: dict[str, Any], node: Device, path: str,
                   stats: DbReplicationStats) -> bool:
        copy = db_sync.snapshot(broker, broker.path.parents[4] / 'tmp')
        try:
            with open(copy, 'rb') as body:
                headers = {'X-Backend-Source-Id': info['id'],
                           'X-Backend-Source-Max-Row': str(info['max_row']),
                           'Content-Length': str(os.fstat(body.fileno()).st_size)}
                resp = self._send(node, 'SYNC', path, body, headers)
        finally:
            copy.unlink(missing_ok=True)
        if resp.status != 201:
            raise OSError(f'SYNC answered {resp.status}: {resp.body[:200]!r}')
        stats.copies_sent += 1
        return True


def _info_fields(info: dict[str, Any]) -> dict[str, Any]:
    return {k: info[k] for k in ('put_timestamp', 'delete_timestamp', 'metadata')}


def _newer_info(local: dict[str, Any], remote: dict[str, Any]) -> bool:
    """Whether ``local`` has a newer put/delete timestamp or metadata key than ``remote``."""
    if any(Timestamp(local[k]) > Timestamp(remote[k]) for k in ('put_timestamp', 'delete_timestamp')):
        return True
    mine = json.loads(local['metadata'] or '{}')
    theirs = json.loads(remote['metadata'] or '{}')
    return any(key not in theirs or Timestamp(ts) > Timestamp(theirs[key][1])
               for key, (_, ts) in mine.items())

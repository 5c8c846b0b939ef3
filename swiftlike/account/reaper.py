"""The account-reaper: empties accounts marked deleted.

For each deleted account database on this node's devices that is on one of
the account's primaries (and was deleted at least ``delay_reaping`` seconds
ago), every object of every container is deleted on its primaries, then
the container. Every primary of the account reaps it, so one node being down
does not stop it; the repeated deletes find nothing the second time. The
account database itself stays, deleted, until the replicator reclaims it.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from swiftlike.account.backend import AccountBroker
from swiftlike.common import daemon
from swiftlike.common.cluster_client import ClusterClient, quorum
from swiftlike.common.db_replicator import database_files, open_broker
from swiftlike.common.exceptions import DatabaseCorruptError, DatabaseNotFoundError
from swiftlike.common.listing import ListingParams
from swiftlike.common.timestamp import Timestamp

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountReaperConf(daemon.DaemonConf):
    """Options of [account-reaper]."""

    delay_reaping: float = 0.0


@dataclass
class ReaperStats(daemon.PassStats):
    """What one pass did."""

    accounts: int = 0
    containers_deleted: int = 0
    objects_deleted: int = 0


def container_names(broker: AccountBroker) -> Iterator[str]:
    """The account's live containers, from its local database."""
    marker = ''
    while True:
        page = broker.list_containers(ListingParams(limit=1000, marker=marker))
        yield from (row['name'] for row in page)
        if len(page) < 1000:
            return
        marker = page[-1]['name']


class AccountReaper(daemon.Daemon):
    """Deletes what deleted accounts still hold."""

    section = 'account-reaper'
    conf_class = AccountReaperConf

    def __init__(self, conf: AccountReaperConf, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(conf, clock=clock)
        self.conf: AccountReaperConf = conf

    def run_once(self, devices: Sequence[str]) -> ReaperStats:
        stats = ReaperStats()
        ring = self.ring('account')
        client = ClusterClient({k: self.ring(k) for k in ('account', 'container', 'object')},
                               conn_timeout=self.conf.conn_timeout, node_timeout=self.conf.node_timeout)
        for device in devices:
            for part, path in database_files(self.conf.devices / device, 'account'):
                try:
                    broker, info = open_broker(AccountBroker, path)
                    if not broker.is_deleted(info) or not any(self.is_local(n, device)
                                                              for n in ring.get_part_nodes(part)):
                        continue
                    if self.clock() - Timestamp(info['delete_timestamp']).seconds < self.conf.delay_reaping:
                        continue
                    stats.accounts += 1
                    self.reap(client, broker, stats)
                except (DatabaseCorruptError, DatabaseNotFoundError, OSError) as err:
                    logger.error('reaping %s: %s', path, err)
                    stats.errors += 1
        return stats

    def reap(self, client: ClusterClient, broker: AccountBroker, stats: ReaperStats) -> None:
        """Delete every object and container of the account."""
        for container in container_names(broker):
            emptied = True
            for row in client.listing(broker.account, container):
                statuses = client.delete_object(broker.account, container, row['name'], Timestamp.now())
                if quorum(statuses, [404]):
                    stats.objects_deleted += 1
                else:
                    emptied = False
                    stats.errors += 1
            if emptied:
                statuses = client.delete_container(broker.account, container, Timestamp.now())
                if quorum(statuses, [404]):
                    stats.containers_deleted += 1
                else:
                    stats.errors += 1


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-account-reaper CONF [--once]``."""
    return daemon.main(AccountReaper, argv)


if __name__ == '__main__':
    sys.exit(main())

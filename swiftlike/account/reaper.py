"""The account-reaper: empties accounts marked deleted.

For each deleted account database on this node's devices that is on one of
the account's primaries (and was deleted at least ``delay_reaping`` seconds
ago), every object of a container is deleted on its primaries, then the
container. The account's primaries share the containers (each takes those
whose name hashes to its place in the ring); once the account has been
deleted for ``takeover_after`` more seconds every primary reaps every
container, so a node that is down stops nothing. The account database
itself stays, deleted, until the replicator reclaims it.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from swiftlike.account.backend import AccountBroker
from swiftlike.common import daemon
from swiftlike.common.cluster_client import ClusterClient, quorum
from swiftlike.common.db_replicator import database_files, open_broker
from swiftlike.common.listing import ListingParams
from swiftlike.common.timestamp import Timestamp

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountReaperConf(daemon.DaemonConf):
    """Options of [account-reaper]."""

    delay_reaping: float = 0.0
    takeover_after: float = 3600.0


@dataclass
class ReaperStats(daemon.PassStats):
    """What one pass did."""

    accounts: int = 0
    containers_deleted: int = 0
    containers_remaining: int = 0
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
        client = self.cluster_client()
        for device in devices:
            for part, path in database_files(self.conf.devices / device, 'account'):
                with daemon.isolated(stats, path, logger):          # one bad account ends only itself
                    self.reap_account(client, device, part, path, stats)
        return stats

    def reap_account(self, client: ClusterClient, device: str, part: int, path: Path,
                     stats: ReaperStats) -> None:
        """Reap this node's share of a deleted account's containers (all of them, late enough)."""
        broker, info = open_broker(AccountBroker, path)
        nodes = self.ring('account').get_part_nodes(part)
        places = [i for i, node in enumerate(nodes) if self.is_local(node, device)]
        if not broker.is_deleted(info) or not places:
            return
        age = self.clock() - Timestamp(info['delete_timestamp']).seconds
        if age < self.conf.delay_reaping:
            return
        stats.accounts += 1
        everything = age >= self.conf.delay_reaping + self.conf.takeover_after
        for container in container_names(broker):
            if everything or _place(container, len(nodes)) == places[0]:
                self.reap_container(client, broker.account, container, stats)

    def reap_container(self, client: ClusterClient, account: str, container: str,
                       stats: ReaperStats) -> None:
        """Delete every object of a container, then the container."""
        emptied = True
        for row in client.listing(account, container):
            statuses = client.delete_object(account, container, row['name'], Timestamp.now())
            if quorum(statuses, [404, 409]):        # 409: a newer delete is there already
                stats.objects_deleted += 1
            else:
                emptied = False
                stats.error(f'/{account}/{container}/{row["name"]}', f'delete answered {statuses}')
        if emptied:
            statuses = client.delete_container(account, container, Timestamp.now())
            if quorum(statuses, [404]):
                stats.containers_deleted += 1
            else:
                logger.warning('deleting %s/%s: %s (the next pass tries again)', account, container, statuses)
                stats.containers_remaining += 1


def _place(container: str, count: int) -> int:
    """Which of ``count`` primaries reaps ``container``."""
    digest = hashlib.md5(container.encode('utf-8', 'surrogatepass'), usedforsecurity=False).digest()
    return int.from_bytes(digest[:4], 'big') % count


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-account-reaper CONF [--once]``."""
    return daemon.main(AccountReaper, argv)


if __name__ == '__main__':
    sys.exit(main())

"""The object-expirer: deletes objects whose X-Delete-At has passed.

Object servers queue each object with an X-Delete-At as a row of the hidden
``.expiring_objects`` account (see swiftlike.common.expiring); the
container-updater makes those day containers appear in that account. Each
pass lists the day containers up to now and, for every due row, sends a
DELETE to the object's primaries at the delete-at time with
``X-If-Delete-At`` (so an object written again since, or given another
delete-at, is left alone), then removes the row; an emptied past day
container is deleted. With ``processes = N`` several expirers share the
work, each taking the rows whose hash modulo N is its ``process``.
"""

from __future__ import annotations

import hashlib
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from swiftlike.common import daemon, expiring
from swiftlike.common.cluster_client import ClusterClient, quorum
from swiftlike.common.timestamp import Timestamp

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectExpirerConf(daemon.DaemonConf):
    """Options of [object-expirer]."""

    processes: int = 0
    process: int = 0


@dataclass
class ExpirerStats(daemon.PassStats):
    """What one pass did."""

    expired: int = 0
    stale_entries: int = 0
    containers_removed: int = 0


class ObjectExpirer(daemon.Daemon):
    """Deletes expired objects, cluster-wide (``devices`` do not matter)."""

    section = 'object-expirer'
    conf_class = ObjectExpirerConf

    def __init__(self, conf: ObjectExpirerConf, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(conf, clock=clock)
        self.conf: ObjectExpirerConf = conf
        if conf.processes and not 0 <= conf.process < conf.processes:
            raise ValueError(f'process must be in 0..{conf.processes - 1}')

    def mine(self, entry: str) -> bool:
        """Whether this process handles ``entry``."""
        if self.conf.processes <= 1:
            return True
        digest = hashlib.md5(entry.encode('utf-8', 'surrogatepass'), usedforsecurity=False).digest()
        return int.from_bytes(digest[:4], 'big') % self.conf.processes == self.conf.process

    def run_once(self, devices: Sequence[str]) -> ExpirerStats:
        stats = ExpirerStats()
        client = self.cluster_client()
        now = self.clock()
        try:
            days = [c['name'] for c in client.listing(expiring.ACCOUNT)
                    if expiring.is_day(c['name']) and int(c['name']) <= now]
            for day in days:
                self.expire_day(client, day, now, stats)
        except OSError as err:
            logger.error('expirer pass: %s', err)
            stats.errors += 1
        return stats

    def expire_day(self, client: ClusterClient, day: str, now: float, stats: ExpirerStats) -> None:
        """Handle the due rows of one day container; delete it once it is past and empty."""
        left = 0
        for row in client.listing(expiring.ACCOUNT, day):
            try:
                delete_at, account, container, obj = expiring.parse_entry(row['name'])
            except ValueError:
                client.delete_row(expiring.ACCOUNT, day, row['name'], Timestamp.now())
                continue
            if delete_at > now or not self.mine(row['name']):
                left += 1
                continue
            if not self.expire(client, row, (delete_at, account, container, obj), day, stats):
                left += 1
        if not left and int(day) + expiring.DIVISOR <= now:
            statuses = client.delete_container(expiring.ACCOUNT, day, Timestamp.now())
            if quorum(statuses, [404]):
                stats.containers_removed += 1

    def expire(self, client: ClusterClient, row: dict[str, Any], entry: tuple[int, str, str, str],
               day: str, stats: ExpirerStats) -> bool:
        """Delete one object and its queue row; whether both are done."""
        delete_at, account, container, obj = entry
        statuses = client.delete_object(account, container, obj, Timestamp(delete_at),
                                        {'X-If-Delete-At': str(delete_at)})
        if not quorum(statuses, [404, 409, 412]):
            logger.warning('expiring %s/%s/%s: %s', account, container, obj, statuses)
            stats.errors += 1
            return False
        if any(200 <= s < 300 for s in statuses):
            stats.expired += 1
        else:
            stats.stale_entries += 1
        row_statuses = client.delete_row(expiring.ACCOUNT, day, row['name'], Timestamp.now())
        return quorum(row_statuses, [404])


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-object-expirer CONF [--once]``."""
    return daemon.main(ObjectExpirer, argv)


if __name__ == '__main__':
    sys.exit(main())

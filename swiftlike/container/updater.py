"""The container-updater: reports a container's stats (object count,
bytes, put and delete timestamps) to its account servers when they differ
from what the account last acknowledged (the ``reported_*`` columns), e.g.
after the account servers were down during the container's own report."""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from swiftlike.common import daemon
from swiftlike.common.db_replicator import database_files, open_broker
from swiftlike.common.exceptions import DatabaseCorruptError, DatabaseNotFoundError
from swiftlike.common.request import UpdateTarget
from swiftlike.container import reporting
from swiftlike.container.backend import ContainerBroker


@dataclass
class ContainerUpdaterStats(daemon.PassStats):
    """What one pass did."""

    containers: int = 0
    successes: int = 0
    failures: int = 0


def needs_report(info: Mapping[str, Any]) -> bool:
    """Whether the container's stats differ from what its account acknowledged."""
    return any(str(info[f'reported_{k}']) != str(info[k])
               for k in ('put_timestamp', 'delete_timestamp', 'object_count', 'bytes_used'))


class ContainerUpdater(daemon.Daemon):
    """Sends changed container stats to the account servers."""

    section = 'container-updater'

    def __init__(self, conf: daemon.DaemonConf, **kwargs: Any) -> None:
        super().__init__(conf, **kwargs)
        self.ring('account')

    def run_once(self, devices: Sequence[str]) -> ContainerUpdaterStats:
        stats = ContainerUpdaterStats()
        ring = self.ring('account')
        for device in devices:
            for _, path in database_files(self.conf.devices / device, 'container'):
                stats.containers += 1
                try:
                    broker, info = open_broker(ContainerBroker, path)
                except (DatabaseCorruptError, DatabaseNotFoundError):
                    stats.errors += 1
                    continue
                if not needs_report(info):
                    continue
                part, nodes = ring.get_nodes(broker.account)
                targets = [UpdateTarget(n.ip, n.port, n.device, part) for n in nodes]
                if reporting.report(broker, targets, trans_id=f'container-updater-{device}',
                                    conn_timeout=self.conf.conn_timeout, node_timeout=self.conf.node_timeout):
                    stats.successes += 1
                else:
                    stats.failures += 1
        return stats


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-container-updater CONF [--once]``."""
    return daemon.main(ContainerUpdater, argv)


if __name__ == '__main__':
    sys.exit(main())

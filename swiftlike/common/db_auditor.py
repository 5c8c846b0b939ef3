"""The auditor of account and container databases: opens every database
on this node's devices, runs SQLite's ``quick_check`` and reads its stat
row; a database that fails is moved to ``<device>/quarantined/<kind>s/``
(swiftlike.common.quarantine) so the replicator restores it from another replica."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from swiftlike.common import daemon
from swiftlike.common.db import DatabaseBroker
from swiftlike.common.db_replicator import database_files
from swiftlike.common.exceptions import DatabaseCorruptError
from swiftlike.common.quarantine import move_aside
from swiftlike.common.throttle import Throttle

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DbAuditorConf(daemon.DaemonConf):
    """Options of [container-auditor] and [account-auditor] (0 = no limit)."""

    databases_per_second: float = 50.0


@dataclass
class DbAuditStats(daemon.PassStats):
    """What one pass did."""

    databases: int = 0
    quarantined: int = 0


def check_database(broker: DatabaseBroker) -> None:
    """:raises DatabaseCorruptError: unless the database passes quick_check and has a stat row"""
    with broker.connect() as conn:
        result = conn.execute('PRAGMA quick_check').fetchone()[0]
    if result != 'ok':
        raise DatabaseCorruptError(f'quick_check: {result}')
    info = broker.get_info()
    if not info.get('id') or 'account' not in info:
        raise DatabaseCorruptError('no stat row')


class DbAuditor(daemon.Daemon):
    """Base of the container and account auditors."""

    kind: ClassVar[str] = ''
    broker_class: ClassVar[type[DatabaseBroker]] = DatabaseBroker
    conf_class = DbAuditorConf

    def __init__(self, conf: DbAuditorConf, **kwargs: Any) -> None:
        super().__init__(conf, **kwargs)
        self.throttle = Throttle(conf.databases_per_second)

    def run_once(self, devices: Sequence[str]) -> DbAuditStats:
        stats = DbAuditStats()
        for device in devices:
            for _, path in database_files(self.conf.devices / device, self.kind):
                self.throttle()
                stats.databases += 1
                with daemon.isolated(stats, path, logger):          # one bad item ends only itself
                    try:
                        check_database(self.broker_class(path, account=''))
                    except DatabaseCorruptError as err:
                        logger.error('quarantining %s: %s', path, err)
                        move_aside(self.conf.devices / device, path.parent, f'{self.kind}s')
                        stats.quarantined += 1
        return stats

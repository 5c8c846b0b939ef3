"""The object-updater: replays the container updates that object servers
kept as async pendings (``<device>/async_pending/<suffix>/<hash>-<ts>``).
For each object the newest pending is sent and the older ones are removed
(the container keeps the newest row anyway); a pending is deleted once every
container server took it, else rewritten with the ones that did not."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from swiftlike.common import daemon
from swiftlike.obj import async_pending
from swiftlike.obj.async_pending import PendingUpdate
from swiftlike.obj.updates import ContainerUpdater

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ObjectUpdaterConf(daemon.DaemonConf):
    """Options of [object-updater]."""

    update_timeout: float = 10.0


@dataclass
class ObjectUpdaterStats(daemon.PassStats):
    """What one pass did."""

    successes: int = 0
    failures: int = 0
    superseded: int = 0


class ObjectUpdater(daemon.Daemon):
    """Sends async pendings to the container servers."""

    section = 'object-updater'
    conf_class = ObjectUpdaterConf

    def __init__(self, conf: ObjectUpdaterConf, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(conf, clock=clock)
        self.sender = ContainerUpdater(conn_timeout=conf.conn_timeout, node_timeout=conf.node_timeout,
                                       update_timeout=conf.update_timeout)

    def run_once(self, devices: Sequence[str]) -> ObjectUpdaterStats:
        stats = ObjectUpdaterStats()
        for device in devices:
            pending_dir = self.conf.devices / device / async_pending.DIR
            for suffix in sorted(daemon.listdir(pending_dir)):
                newest_first = sorted((n for n in daemon.listdir(pending_dir / suffix) if '-' in n
                                       and not n.startswith('.')), reverse=True)
                seen: set[str] = set()
                for name in newest_first:
                    name_hash = name.partition('-')[0]
                    if name_hash in seen:
                        (pending_dir / suffix / name).unlink(missing_ok=True)
                        stats.superseded += 1
                        continue
                    seen.add(name_hash)
                    self.replay(self.conf.devices / device, pending_dir / suffix / name, stats)
        return stats

    def replay(self, device_dir: Path, path: Path, stats: ObjectUpdaterStats) -> None:
        """Send one async pending; delete it, or keep the targets that failed."""
        try:
            update = PendingUpdate.from_json(path.read_bytes())
        except FileNotFoundError:
            return
        except ValueError as err:
            logger.error('unreadable async pending %s: %s', path, err)
            stats.errors += 1
            return
        failed = self.sender.deliver(update)
        if not failed:
            path.unlink(missing_ok=True)
            stats.successes += 1
            return
        stats.failures += 1
        if len(failed) < len(update.targets):
            name_hash, _, timestamp = path.name.partition('-')
            async_pending.save(device_dir, name_hash, timestamp, replace(update, targets=failed))


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-object-updater CONF [--once]``."""
    return daemon.main(ObjectUpdater, argv)


if __name__ == '__main__':
    sys.exit(main())

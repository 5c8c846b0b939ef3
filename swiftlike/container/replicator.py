"""The container-replicator: container databases pushed to their other primaries
(see swiftlike.common.db_replicator)."""

from __future__ import annotations

import sys

from swiftlike.common import daemon
from swiftlike.common.db_replicator import DbReplicator
from swiftlike.container.backend import ContainerBroker


class ContainerReplicator(DbReplicator):
    """Replicates container databases."""

    section = 'container-replicator'
    kind = 'container'
    broker_class = ContainerBroker


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-container-replicator CONF [--once]``."""
    return daemon.main(ContainerReplicator, argv)


if __name__ == '__main__':
    sys.exit(main())

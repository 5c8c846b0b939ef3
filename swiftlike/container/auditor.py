"""The container-auditor: every container database checked, a corrupt one
quarantined (see swiftlike.common.db_auditor)."""

from __future__ import annotations

import sys

from swiftlike.common import daemon
from swiftlike.common.db_auditor import DbAuditor
from swiftlike.container.backend import ContainerBroker


class ContainerAuditor(DbAuditor):
    """Audits container databases."""

    section = 'container-auditor'
    kind = 'container'
    broker_class = ContainerBroker


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-container-auditor CONF [--once]``."""
    return daemon.main(ContainerAuditor, argv)


if __name__ == '__main__':
    sys.exit(main())

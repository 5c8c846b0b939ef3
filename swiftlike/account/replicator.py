"""The account-replicator: account databases pushed to their other primaries
(see swiftlike.common.db_replicator)."""

from __future__ import annotations

import sys

from swiftlike.account.backend import AccountBroker
from swiftlike.common import daemon
from swiftlike.common.db_replicator import DbReplicator


class AccountReplicator(DbReplicator):
    """Replicates account databases."""

    section = 'account-replicator'
    kind = 'account'
    broker_class = AccountBroker


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-account-replicator CONF [--once]``."""
    return daemon.main(AccountReplicator, argv)


if __name__ == '__main__':
    sys.exit(main())

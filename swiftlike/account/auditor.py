"""The account-auditor: every account database checked, a corrupt one
quarantined (see swiftlike.common.db_auditor)."""

from __future__ import annotations

import sys

from swiftlike.account.backend import AccountBroker
from swiftlike.common import daemon
from swiftlike.common.db_auditor import DbAuditor


class AccountAuditor(DbAuditor):
    """Audits account databases."""

    section = 'account-auditor'
    kind = 'account'
    broker_class = AccountBroker


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-account-auditor CONF [--once]``."""
    return daemon.main(AccountAuditor, argv)


if __name__ == '__main__':
    sys.exit(main())

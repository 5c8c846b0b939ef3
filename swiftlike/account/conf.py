"""The account server's options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AccountServerConf:
    """Options of the account server; every one is in etc/account-server.conf-sample."""

    devices: Path = Path('/srv/node')
    mount_check: bool = True
    swift_dir: Path = Path('/etc/swift')
    db_timeout: float = 25.0
    client_timeout: float = 60.0

"""The container server's options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ContainerServerConf:
    """Options of the container server; every one is in etc/container-server.conf-sample."""

    devices: Path = Path('/srv/node')
    mount_check: bool = True
    swift_dir: Path = Path('/etc/swift')
    conn_timeout: float = 0.5
    node_timeout: float = 3.0
    db_timeout: float = 25.0
    client_timeout: float = 60.0

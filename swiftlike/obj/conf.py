"""The object server's options (``[DEFAULT]`` + ``[app:object-server]``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ObjectServerConf:
    """Options of the object server; every one is in etc/object-server.conf-sample."""

    devices: Path = Path('/srv/node')
    mount_check: bool = True
    swift_dir: Path = Path('/etc/swift')
    conn_timeout: float = 0.5
    node_timeout: float = 3.0
    client_timeout: float = 60.0
    container_update_timeout: float = 1.0
    reclaim_age: float = 604800.0
    fsync: bool = True
    verify_get_max_bytes: int = 1048576
    backend: str = 'fs'

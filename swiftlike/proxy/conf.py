"""The proxy server's options."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProxyServerConf:
    """Options of the proxy server; every one is in etc/proxy-server.conf-sample."""

    swift_dir: Path = Path('/etc/swift')
    conn_timeout: float = 0.5
    node_timeout: float = 10.0
    client_timeout: float = 60.0
    error_suppression_limit: int = 10
    error_suppression_interval: float = 60.0
    account_autocreate: bool = True
    recheck_account_existence: float = 60.0
    recheck_container_existence: float = 60.0

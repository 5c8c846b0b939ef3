"""A DevCluster (as bin/cluster starts it) on free ports, for end-to-end tests."""

from __future__ import annotations

import random
import socket
from pathlib import Path

from swiftlike.devcluster import DevCluster


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(('127.0.0.1', port))
        except OSError:
            return False
    return True


def start_cluster(root: Path, *, daemons: bool = False, proxy_settings: dict[str, str] | None = None
                  ) -> DevCluster:
    """Start a cluster whose 13 ports are all free (its daemons only if ``daemons``;
    ``proxy_settings`` replace those keys' values in the proxy's config)."""
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(10000, 32000, 100)         # below the ephemeral range (see cluster.free_port)
        ports = [base + 10 * n + k for n in range(1, 5) for k in range(3)] + [base + 91, base + 99]
        if all(_free(p) for p in ports):
            cluster = DevCluster(root, base + 99, base, with_daemons=daemons, proxy_settings=proxy_settings)
            try:
                started = cluster.start() == 0
            except BaseException:
                cluster.stop()
                raise
            if not started:
                cluster.stop()
                raise RuntimeError('cluster did not start: ' + ' '.join(
                    p.read_text()[-500:] for p in (root / 'logs').glob('*.log')))
            return cluster
    raise RuntimeError('no free port range')

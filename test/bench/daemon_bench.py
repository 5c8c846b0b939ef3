#!/usr/bin/env python3
"""What each daemon's pass costs on an idle cluster: a dev cluster (4
nodes, 3 replicas) holding N objects (default 10,000, 1 KiB each, in 10
containers), then every daemon run once on every node, twice. The first
round does the catching-up work (first database syncs, first container
reports, the object replicator's hourly rehash of every suffix); the second
is the steady-state cost of an idle pass. Prints, per daemon, the slowest
node's wall time, the daemon processes' CPU seconds summed over the 4
nodes, and the CPU seconds the storage servers spent answering them.

Usage: .venv/bin/python test/bench/daemon_bench.py [--objects 10000]
"""

from __future__ import annotations

import argparse
import http.client
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP))

from swiftlike.common import recon  # noqa: E402
from swiftlike.daemons import DAEMONS  # noqa: E402
from test.bench.obj_server_bench import group_cpu_seconds  # noqa: E402
from test.functional.devcluster_fixture import start_cluster  # noqa: E402


def token(port: int) -> tuple[str, str]:
    conn = http.client.HTTPConnection('127.0.0.1', port)
    conn.request('GET', '/auth/v1.0', headers={'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
    resp = conn.getresponse()
    resp.read()
    return resp.getheader('X-Auth-Token') or '', (resp.getheader('X-Storage-Url') or '').split('/', 3)[3]


def fill(port: int, objects: int, containers: int = 10) -> float:
    auth, path = token(port)
    body = b'x' * 1024

    def put_range(worker: int) -> None:
        conn = http.client.HTTPConnection('127.0.0.1', port)
        for i in range(worker, objects, 16):
            conn.request('PUT', quote(f'/{path}/bench-{i % containers}/obj-{i}'), body=body,
                         headers={'X-Auth-Token': auth})
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 201, resp.status

    conn = http.client.HTTPConnection('127.0.0.1', port)
    for c in range(containers):
        conn.request('PUT', f'/{path}/bench-{c}', headers={'X-Auth-Token': auth})
        conn.getresponse().read()
    started = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(put_range, range(16)))
    return time.monotonic() - started


def servers_cpu(cluster) -> float:
    """CPU seconds so far of every storage server (each its own process group)."""
    return sum(group_cpu_seconds(pid) for name, _, _ in cluster.servers()
               if name.split('-')[0] in ('object', 'container', 'account') and (pid := cluster.pid(name)))


def round_of_passes(cluster) -> dict[str, tuple[float, float, float]]:
    """(slowest node's seconds, daemons' CPU seconds, servers' CPU seconds) of a pass of each daemon."""
    costs = {}
    for name in DAEMONS:
        before = servers_cpu(cluster)
        assert cluster.once(name) == 0, name
        records = [recon.read(cluster.recon_dir(n), name)['once'] for n in range(1, 5)]
        costs[name] = (max(r['duration'] for r in records), sum(r['cpu'] for r in records),
                       servers_cpu(cluster) - before)
    return costs


def unpace(cluster) -> None:
    """Audit at full speed: the point is what a whole pass costs."""
    rates = ('files_per_second', 'bytes_per_second', 'zero_byte_files_per_second', 'databases_per_second')
    for conf in cluster.etc.glob('*-*.conf'):
        lines = [f'{line.partition("=")[0].strip()} = 0' if line.partition('=')[0].strip() in rates else line
                 for line in conf.read_text().splitlines()]
        conf.write_text('\n'.join(lines) + '\n')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--objects', type=int, default=10000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cluster = start_cluster(Path(tmp) / 'cluster', daemons=False)
        try:
            seconds = fill(cluster.proxy_port, args.objects)
            print(f'filled {args.objects} objects in {seconds:.1f} s ({args.objects / seconds:.0f} PUT/s)',
                  flush=True)
            unpace(cluster)
            first = round_of_passes(cluster)
            idle = round_of_passes(cluster)
        finally:
            cluster.stop()
    print(f'\n{"":<22} {"first pass":^30} {"idle pass":^30}')
    print(f'{"daemon":<22}' + f'{"wall s":>10}{"cpu s":>10}{"srv cpu s":>10}' * 2)
    for name in DAEMONS:
        print(f'{name:<22}' + ''.join(f'{v:>10.2f}' for v in (*first[name], *idle[name])))
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Container-update storm: N concurrent clients send object rows (PUT
/<dev>/<part>/<account>/<container>/<obj> with the headers an object server
sends after an object PUT) straight to one container server, all into the
same container, for a while. Prints updates/s, latency percentiles and the
container server's CPU milliseconds per update (from /proc, parent +
workers, including the merge a HEAD triggers at the end), and checks that
the HEAD counts every update that was acknowledged.

Usage: .venv/bin/python test/bench/container_update_bench.py [--duration 10] [--concurrency 32]
       [--workers 1] [--containers 1]
Run it against another tree with PYTHONPATH=<tree> (the servers are started
as processes and import swiftlike from there).
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP))

from test.functional.cluster import StorageNode  # noqa: E402

TICKS = os.sysconf('SC_CLK_TCK')
ACCOUNT = 'AUTH_bench'


def group_cpu_seconds(pgid: int) -> float:
    """utime + stime of every process in the process group."""
    total = 0
    for pid in os.listdir('/proc'):
        try:
            fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid:               # pgrp is the 5th field; after ')' it is index 2
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def container_path(n: int) -> str:
    return f'/sda/{n % 8}/{ACCOUNT}/storm{n}'


def client(port: int, deadline: float, name: str, containers: int, queue: mp.Queue) -> None:
    """Send rows until ``deadline``; put (acknowledged count, latencies) on ``queue``."""
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
    latencies, done = [], 0
    while time.monotonic() < deadline:
        path = f'{container_path(done % containers)}/{name}-{done}'
        headers = {'X-Timestamp': f'{time.time():016.5f}', 'X-Size': '4096',
                   'X-Content-Type': 'application/octet-stream', 'X-Etag': 'd41d8cd98f00b204e9800998ecf8427e',
                   'X-Trans-Id': f'tx{name}{done}', 'User-Agent': 'object-server 1234'}
        started = time.monotonic()
        conn.request('PUT', path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status != 201:
            raise SystemExit(f'PUT {path}: {resp.status}')
        latencies.append(time.monotonic() - started)
        done += 1
    queue.put((done, latencies))


def head_count(port: int, containers: int) -> int:
    """Objects listed in every container (the first read merges what is pending)."""
    total = 0
    for n in range(containers):
        conn = http.client.HTTPConnection('127.0.0.1', port, timeout=60)
        conn.request('HEAD', container_path(n))
        resp = conn.getresponse()
        resp.read()
        total += int(resp.getheader('X-Container-Object-Count') or -1)
        conn.close()
    return total


def storm(node: StorageNode, args: argparse.Namespace) -> None:
    server = node.servers['container']
    assert server.proc is not None
    for n in range(args.containers):
        conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=60)
        conn.request('PUT', container_path(n), headers={'X-Timestamp': f'{time.time():016.5f}'})
        assert conn.getresponse().status == 201
    queue: mp.Queue = mp.Queue()
    cpu_before = group_cpu_seconds(server.proc.pid)
    started = time.monotonic()
    procs = [mp.Process(target=client, args=(server.port, started + args.duration, f'w{n}',
                                            args.containers, queue))
             for n in range(args.concurrency)]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.monotonic() - started
    counted = head_count(server.port, args.containers)
    cpu = group_cpu_seconds(server.proc.pid) - cpu_before
    updates = sum(r[0] for r in results)
    lat = sorted(x for r in results for x in r[1])
    print(f'{args.concurrency:>4} {updates:>8} {updates / elapsed:>10.1f} '
          f'{1000 * statistics.median(lat):>8.1f} {1000 * lat[int(len(lat) * 0.99)]:>8.1f} '
          f'{1000 * cpu / updates:>14.3f} {counted:>8}', flush=True)
    if counted != updates:
        raise SystemExit(f'{updates} updates acknowledged but {counted} listed')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--duration', type=float, default=10.0)
    parser.add_argument('--concurrency', type=int, default=32)
    parser.add_argument('--workers', type=int, default=1)
    parser.add_argument('--containers', type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = StorageNode(Path(tmp), devices=('sda',), workers=args.workers).setup()
        node.servers['container'].start()
        try:
            print(f'{"conc":>4} {"updates":>8} {"updates/s":>10} {"p50 ms":>8} {"p99 ms":>8} '
                  f'{"srv CPU ms/upd":>14} {"listed":>8}')
            storm(node, args)
        finally:
            node.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

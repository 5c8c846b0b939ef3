#!/usr/bin/env python3
"""Direct object-server benchmark: PUT then GET of 4 KiB and 1 MiB bodies
against a real object server (2 workers, fsync on) on a temp device, with
client processes on loopback. Prints ops/s, MiB/s, latency percentiles and
the server's CPU milliseconds per operation (from /proc, parent + workers).

Usage: .venv/bin/python test/bench/obj_server_bench.py [--duration 10] [--concurrency 16]
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


def group_cpu_seconds(pgid: int) -> float:
    """utime + stime of every process in the process group."""
    total = 0
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:               # pgrp is the 5th field; after ')' it is index 2
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


def worker(port: int, method: str, size: int, deadline: float, prefix: str, count: int,
           queue: mp.Queue) -> None:
    body = os.urandom(size)
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    latencies, i = [], 0
    while time.monotonic() < deadline and (method == 'PUT' or i < count):
        path = f'/sda/{i % 64}/AUTH_b/c/{prefix}-{i}'
        started = time.monotonic()
        headers = {'X-Timestamp': f'{time.time():016.5f}', 'Content-Type': 'a/b'} if method == 'PUT' else {}
        conn.request(method, path, body=body if method == 'PUT' else None, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        if resp.status not in (200, 201) or (method == 'GET' and len(data) != size):
            raise SystemExit(f'{method} {path}: {resp.status}')
        latencies.append(time.monotonic() - started)
        i += 1
    queue.put((prefix, i, latencies))


def phase(node: StorageNode, method: str, size: int, args: argparse.Namespace,
          written: dict[str, int]) -> dict[str, int]:
    server = node.servers['object']
    assert server.proc is not None
    queue: mp.Queue = mp.Queue()
    cpu_before = group_cpu_seconds(server.proc.pid)
    started = time.monotonic()
    deadline = started + args.duration
    procs = [mp.Process(target=worker, args=(server.port, method, size, deadline, f'w{n}-{size}',
                                            written.get(f'w{n}-{size}', 0), queue))
             for n in range(args.concurrency)]
    for proc in procs:
        proc.start()
    results = [queue.get() for _ in procs]
    for proc in procs:
        proc.join()
    elapsed = time.monotonic() - started
    cpu = group_cpu_seconds(server.proc.pid) - cpu_before
    ops = sum(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])
    print(f'{method:>4} {size // 1024:>6} KiB {ops / elapsed:>9.1f} {ops * size / elapsed / 2**20:>8.1f} '
          f'{1000 * statistics.median(lat):>8.1f} {1000 * lat[int(len(lat) * 0.99)]:>8.1f} '
          f'{1000 * cpu / ops:>10.2f}', flush=True)
    return {r[0]: r[1] for r in results}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--duration', type=float, default=10.0)
    parser.add_argument('--concurrency', type=int, default=16)
    parser.add_argument('--sizes', type=int, nargs='+', default=[4096, 1048576])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        node = StorageNode(Path(tmp), devices=('sda',), workers=2).setup()
        node.servers['object'].start()
        try:
            print(f'{"op":>4} {"size":>10} {"ops/s":>9} {"MiB/s":>8} {"p50 ms":>8} {"p99 ms":>8} '
                  f'{"srv ms/op":>10}')
            for size in args.sizes:
                written = phase(node, 'PUT', size, args, {})
                phase(node, 'GET', size, args, written)
        finally:
            node.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

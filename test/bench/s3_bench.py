#!/usr/bin/env python3
"""S3 PUT and GET of 4 KiB objects through the s3api filter with boto3: a
dev cluster (4 nodes, 3 replicas, daemons off), N client processes each
with its own boto3 client (default 16), each phase for a fixed time. Prints
ops/s, latency percentiles, and the servers' CPU milliseconds per operation
(proxy, storage servers and memcached, from /proc).

With ``--multipart MIB`` it then uploads and downloads one object of that
size with boto3's transfer manager (8 MiB parts, 4 threads): MiB/s and
server CPU per MiB each way.

Usage: .venv/bin/python test/bench/s3_bench.py [--duration 15] [--concurrency 16] [--size 4096]
                                               [--multipart 100]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP))

from test.bench.obj_server_bench import group_cpu_seconds  # noqa: E402
from test.functional.devcluster_fixture import start_cluster  # noqa: E402


def worker(port: int, phase: str, size: int, window: tuple[float, float], index: int, count: int,
           queue: mp.Queue) -> None:
    import boto3
    from botocore.config import Config
    s3 = boto3.client('s3', endpoint_url=f'http://127.0.0.1:{port}', aws_access_key_id='test:tester',
                      aws_secret_access_key='testing', region_name='us-east-1',
                      config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))
    body = os.urandom(size)
    latencies: list[float] = []
    start, deadline = window
    time.sleep(max(0.0, start - time.time()))        # every client imported and connected first
    try:
        while time.time() < deadline:
            n = len(latencies)
            key = f'w{index}/o{n % count if count else n}'
            started = time.perf_counter()
            if phase == 'put':
                s3.put_object(Bucket='bench', Key=key, Body=body)
            else:
                got = s3.get_object(Bucket='bench', Key=key)['Body'].read()
                assert len(got) == size
            latencies.append(time.perf_counter() - started)
    finally:
        queue.put((index, latencies))


def servers_cpu(cluster) -> dict[str, float]:
    """CPU seconds so far of each kind of server (proxy, object, container, account, memcached)."""
    by_kind: dict[str, float] = {}
    for name, _, _ in cluster.servers():
        if pid := cluster.pid(name):
            kind = name.partition('-')[0]
            by_kind[kind] = by_kind.get(kind, 0.0) + group_cpu_seconds(pid)
    return by_kind


def _spent(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {kind: after[kind] - before.get(kind, 0.0) for kind in after}


def run_phase(cluster, phase: str, args: argparse.Namespace, counts: list[int] | None) -> list[int]:
    queue: mp.Queue = mp.Queue()
    start = time.time() + 3 + args.concurrency * 0.3
    window = (start, start + args.duration)
    procs = [mp.Process(target=worker, args=(cluster.proxy_port, phase, args.size, window, i,
                                             counts[i] if counts else 0, queue))
             for i in range(args.concurrency)]
    for proc in procs:
        proc.start()
    time.sleep(max(0.0, start - time.time()))
    before = servers_cpu(cluster)
    by_index = dict(queue.get() for _ in procs)
    spent = _spent(before, servers_cpu(cluster))
    cpu = sum(spent.values())
    results = [by_index[i] for i in range(args.concurrency)]
    for proc in procs:
        proc.join()
    elapsed = args.duration
    latencies = sorted(x for r in results for x in r)
    ops = len(latencies)
    p50, p99 = statistics.median(latencies) * 1000, latencies[int(ops * 0.99) - 1] * 1000
    print(f'{phase:<4} {ops:>7} ops {ops / elapsed:>8.1f} ops/s  p50 {p50:6.1f} ms  p99 {p99:6.1f} ms'
          f'  server CPU {cpu * 1000 / ops:6.2f} ms/op', flush=True)
    print('     by server: ' + ' | '.join(f'{kind} {seconds * 1000 / ops:.2f}' for kind, seconds in
                                         sorted(spent.items(), key=lambda item: -item[1])), flush=True)
    return [len(r) for r in results]


def multipart(cluster, mib: int, tmp: Path) -> None:
    import boto3
    from boto3.s3.transfer import TransferConfig
    s3 = boto3.client('s3', endpoint_url=f'http://127.0.0.1:{cluster.proxy_port}',
                      aws_access_key_id='test:tester', aws_secret_access_key='testing',
                      region_name='us-east-1')
    config = TransferConfig(multipart_threshold=8 << 20, multipart_chunksize=8 << 20, max_concurrency=4)
    source, back = tmp / 'big', tmp / 'back'
    with open(source, 'wb') as out:
        for _ in range(mib):
            out.write(os.urandom(1 << 20))
    for name, move in (('upload', lambda: s3.upload_file(str(source), 'bench', 'big', Config=config)),
                       ('download', lambda: s3.download_file('bench', 'big', str(back), Config=config))):
        before, started = servers_cpu(cluster), time.perf_counter()
        move()
        elapsed, cpu = time.perf_counter() - started, sum(_spent(before, servers_cpu(cluster)).values())
        print(f'multipart {name:<8} {mib} MiB in {elapsed:6.2f} s  {mib / elapsed:7.1f} MiB/s'
              f'  server CPU {cpu * 1000 / mib:6.1f} ms/MiB', flush=True)
    assert back.read_bytes() == source.read_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--duration', type=float, default=15)
    parser.add_argument('--concurrency', type=int, default=16)
    parser.add_argument('--size', type=int, default=4096)
    parser.add_argument('--multipart', type=int, default=0, metavar='MIB')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cluster = start_cluster(Path(tmp) / 'cluster', daemons=False)
        try:
            import boto3
            boto3.client('s3', endpoint_url=f'http://127.0.0.1:{cluster.proxy_port}',
                         aws_access_key_id='test:tester', aws_secret_access_key='testing',
                         region_name='us-east-1').create_bucket(Bucket='bench')
            print(f'{args.concurrency} boto3 client processes, {args.size}-byte objects, '
                  f'{args.duration:.0f} s per phase')
            counts = run_phase(cluster, 'put', args, None)
            run_phase(cluster, 'get', args, counts)
            if args.multipart:
                multipart(cluster, args.multipart, Path(tmp))
        finally:
            cluster.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())

#!/usr/bin/env python3
"""Ring-builder benchmark: create + add 100 devices (10 servers x 10 disks in
5 zones) + rebalance at part power 16 and 18, through the ring-builder CLI
(one process per command, as an operator runs it), with wall time and the
peak RSS of the largest process; then lookups per second on the ring.

Usage: .venv/bin/python test/bench/ring_bench.py [--powers 16 18] [--runs 3]
           [--swift-ring-builder PATH]

With --swift-ring-builder (upstream Swift's CLI, installed anywhere, e.g. in
a throw-away virtualenv with `pip install swift`), the same workload is also
run through it, so the two compare on the same machine at the same time.
"""

import argparse
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TOP))

from rings import Ring  # noqa: E402


def devices() -> list[str]:
    args = []
    for server in range(10):
        for disk in range(10):
            args += [f'r1z{server % 5 + 1}-10.0.0.{server + 1}:6200/sd{chr(97 + disk)}', '100']
    return args


def run_measured(argv: list[str]) -> tuple[float, int]:
    """Run a command; return its wall time and its peak RSS in KiB."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=TOP, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f'{argv[:3]} failed: {done.stderr[-500:]}')
    # RUSAGE_CHILDREN keeps the largest child so far; children here only grow
    # (create < add < rebalance), so the peak of the latest is read off reliably
    # only when it is the largest yet; report what we can see.
    return elapsed, max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before)


def build(power: int, workdir: Path, tool: list[str]) -> tuple[float, float, int]:
    """(total seconds, rebalance seconds, peak RSS KiB) for one build."""
    path = str(workdir / f'object-{power}.builder')
    Path(path).unlink(missing_ok=True)
    t_create, _ = run_measured([*tool, path, 'create', str(power), '3', '1'])
    t_add, _ = run_measured([*tool, path, 'add', *devices()])
    t_rebalance, rss = run_measured([*tool, path, 'rebalance', '--seed', '1'])
    return t_create + t_add + t_rebalance, t_rebalance, rss


def lookups_per_second(ring_path: Path, seconds: float = 1.0) -> float:
    ring = Ring.load(ring_path, hash_suffix=b'changeme')
    names = [f'obj-{random.random()}' for _ in range(10000)]
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for name in names[:1000]:
            ring.get_nodes('AUTH_test', 'bench', name)
        count += 1000
    return count / (time.perf_counter() - started)


def report(name: str, tool: list[str], args: argparse.Namespace, workdir: Path) -> None:
    for power in args.powers:
        results = [build(power, workdir, tool) for _ in range(args.runs)]
        totals = [r[0] for r in results]
        line = (f'{name:>18} {power:>5} {statistics.median(totals):>16.2f} '
                f'{statistics.median(r[1] for r in results):>11.2f} '
                f'{" ".join(f"{t:.2f}" for t in totals):>24} {max(r[2] for r in results) / 1024:>11.1f}')
        ring = workdir / f'object-{power}.ring.gz'
        if name == 'ring-builder':
            line += f' {lookups_per_second(ring):>10.0f}'
        print(line, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--powers', type=int, nargs='+', default=[16, 18])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--swift-ring-builder', help="upstream Swift's CLI, to run the same workload")
    args = parser.parse_args()
    print(f'{"tool":>18} {"power":>5} {"total s (median)":>16} {"rebalance s":>11} {"runs":>24} '
          f'{"peak RSS MB":>11} {"lookups/s":>10}')
    with tempfile.TemporaryDirectory() as tmp:
        report('ring-builder', [sys.executable, str(TOP / 'bin' / 'ring-builder')], args, Path(tmp))
    if args.swift_ring_builder:
        # a fresh process, so that RUSAGE_CHILDREN's peak is Swift's own
        return subprocess.call([sys.executable, __file__, '--only-swift', args.swift_ring_builder,
                                '--runs', str(args.runs), '--powers', *map(str, args.powers)])
    return 0


def main_swift_only(path: str, runs: int, powers: list[int]) -> int:
    args = argparse.Namespace(runs=runs, powers=powers)
    with tempfile.TemporaryDirectory() as tmp:
        report('swift-ring-builder', [path], args, Path(tmp))
    return 0


if __name__ == '__main__':
    if len(sys.argv) > 2 and sys.argv[1] == '--only-swift':
        rest = argparse.ArgumentParser()
        rest.add_argument('path')
        rest.add_argument('--runs', type=int)
        rest.add_argument('--powers', type=int, nargs='+')
        ns = rest.parse_args(sys.argv[2:])
        sys.exit(main_swift_only(ns.path, ns.runs, ns.powers))
    sys.exit(main())

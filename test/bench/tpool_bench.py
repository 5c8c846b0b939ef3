#!/usr/bin/env python3
"""What running a blocking call in eventlet's thread pool costs, and what it
buys (#11). Prints, per call kind, the time per call made directly on the
hub and through ``eventlet.tpool.execute`` (what
swiftlike.common.concurrency.offload does in a green server), and the
longest stall another green thread saw meanwhile (it wakes every 1 ms).

Usage: .venv/bin/python test/bench/tpool_bench.py [--calls 200] [--dir /srv/node/sda]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter('ignore')
    import eventlet
    import eventlet.tpool


def _ticker(stalls: list[float], stop: list[bool]) -> None:
    last = time.monotonic()
    while not stop:
        eventlet.sleep(0.001)
        now = time.monotonic()
        stalls.append(now - last)
        last = now


def measure(call: Callable[[], object], calls: int, pooled: bool) -> tuple[float, float]:
    """(seconds per call, longest stall of another green thread in seconds)."""
    stalls: list[float] = []
    stop: list[bool] = []
    ticker = eventlet.spawn(_ticker, stalls, stop)
    eventlet.sleep(0.01)
    started = time.perf_counter()
    for _ in range(calls):
        if pooled:
            eventlet.tpool.execute(call)
        else:
            call()
    per_call = (time.perf_counter() - started) / calls
    stop.append(True)
    ticker.wait()
    return per_call, max(stalls, default=0.0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--calls', type=int, default=200)
    parser.add_argument('--dir', type=Path, default=None, help='where to write (default: a temp dir)')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        fd = os.open(Path(tmp) / 'f', os.O_CREAT | os.O_WRONLY)
        try:
            def fsync_4k() -> None:
                os.pwrite(fd, os.urandom(4096), 0)
                os.fsync(fd)
            kinds: dict[str, Callable[[], object]] = {
                'no-op': lambda: None,
                'stat': lambda: os.stat(tmp),
                'write 4 KiB + fsync': fsync_4k,
            }
            eventlet.tpool.execute(lambda: None)              # start the pool's threads
            print(f'{"call":<22}{"direct us":>12}{"tpool us":>12}{"cost us":>10}'
                  f'{"stall direct ms":>17}{"stall tpool ms":>16}')
            for name, call in kinds.items():
                direct, direct_stall = measure(call, args.calls, pooled=False)
                pooled, pooled_stall = measure(call, args.calls, pooled=True)
                print(f'{name:<22}{direct * 1e6:>12.1f}{pooled * 1e6:>12.1f}{(pooled - direct) * 1e6:>10.1f}'
                      f'{direct_stall * 1e3:>17.1f}{pooled_stall * 1e3:>16.1f}')
        finally:
            os.close(fd)
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""What the per-block checksums cost a GET: reading an object file in 64 KiB
blocks as the object server does (pread), plain and with every block checked
(swiftlike.obj.blocks), for whole reads and 1 MiB ranged reads; plus the raw
speed of the checksum. CPU-bound figures from one process; run it on an idle
machine and compare the two lines of one run.

    .venv/bin/python test/bench/block_bench.py [--mib 256] [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

import crc32c

from swiftlike.obj import blocks


def pread_blocks(fd: int, start: int, stop: int):
    position = start
    while position < stop:
        chunk = os.pread(fd, min(65536, stop - position), position)
        position += len(chunk)
        yield chunk


def best(rounds: int, run) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--mib', type=int, default=256)
    parser.add_argument('--rounds', type=int, default=5)
    args = parser.parse_args()
    size = args.mib * 1024 * 1024
    body = os.urandom(size)
    table = blocks.checksums(body)
    with tempfile.NamedTemporaryFile() as fh:
        fh.write(body)
        fh.flush()
        fd = fh.fileno()

        def plain(start=0, stop=size):
            for _ in pread_blocks(fd, start, stop):
                pass

        def checked(start=0, stop=size):
            for _ in blocks.verified(lambda a, b: pread_blocks(fd, a, b), table,
                                     block_size=blocks.BLOCK_SIZE, length=size, start=start, stop=stop):
                pass

        def ranged(read):
            for start in range(12345, size - 2**20, 2**20 * 7):
                read(start, start + 2**20)

        whole_plain, whole_checked = best(args.rounds, plain), best(args.rounds, checked)
        range_plain = best(args.rounds, lambda: ranged(plain))
        range_checked = best(args.rounds, lambda: ranged(checked))
        raw = best(args.rounds, lambda: crc32c.crc32c(body))
    mib = size / 2**20
    print(f'crc32c alone:            {mib / raw:8.0f} MiB/s')
    print(f'whole read, plain:       {mib / whole_plain:8.0f} MiB/s')
    print(f'whole read, checked:     {mib / whole_checked:8.0f} MiB/s  '
          f'(+{100 * (whole_checked / whole_plain - 1):.1f}% time)')
    print(f'1 MiB ranges, plain:     {range_plain * 1000:8.1f} ms')
    print(f'1 MiB ranges, checked:   {range_checked * 1000:8.1f} ms  '
          f'(+{100 * (range_checked / range_plain - 1):.1f}% time)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())

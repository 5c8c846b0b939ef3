#!/usr/bin/env python3
"""The table of ``test/bench/vs_swift.sh``: from objbench's JSON lines, the
median per (load, phase, cluster) of ops/s, MiB/s and server CPU ms per
operation, and this cluster's ratios to upstream Swift's; then every run.

Usage: python3 test/bench/vs_swift_table.py RESULTS.jsonl
"""

from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict


def main(path: str) -> None:
    runs: dict[tuple[str, str, str], list[dict[str, float]]] = defaultdict(list)
    order: list[tuple[str, str]] = []
    for line in open(path, encoding='utf-8'):
        record = json.loads(line)
        size = int(record['size'])
        load = f"{size >> 20} MiB c{record['concurrency']}" if size >= 1 << 20 else \
            f"{size >> 10} KiB c{record['concurrency']}"
        for row in record['results']:
            if row['phase'] == 'delete' and size >= 1 << 20:       # (large deletes say nothing new)
                continue
            key = (load, row['phase'])
            if key not in order:
                order.append(key)
            runs[(*key, record['label'])].append(row)

    def med(rows: list[dict[str, float]], field: str) -> float:
        values = [r[field] for r in rows if r.get(field) is not None]
        return statistics.median(values) if values else float('nan')

    print('| load | phase | swiftlike ops/s | Swift ops/s | ratio | swiftlike MiB/s | Swift MiB/s '
          '| swiftlike srv ms/op | Swift srv ms/op | CPU/op ratio | errors (ours/Swift) |')
    print('|---|---|---|---|---|---|---|---|---|---|---|')
    for load, phase in order:
        ours, theirs = runs[(load, phase, 'swiftlike')], runs[(load, phase, 'swift')]
        if not ours or not theirs:
            continue
        o_ops, s_ops = med(ours, 'ops_s'), med(theirs, 'ops_s')
        o_cpu, s_cpu = med(ours, 'server_cpu_ms_per_op'), med(theirs, 'server_cpu_ms_per_op')
        errors = f"{sum(int(r['errors']) for r in ours)}/{sum(int(r['errors']) for r in theirs)}"
        print(f'| {load} | {phase} | {o_ops:.1f} | {s_ops:.1f} | {o_ops / s_ops:.2f}x '
              f"| {med(ours, 'mib_s'):.1f} | {med(theirs, 'mib_s'):.1f} "
              f'| {o_cpu:.2f} | {s_cpu:.2f} | {o_cpu / s_cpu:.2f} | {errors} |')
    print()
    print('Every run (ops/s, server ms/op):')
    for (load, phase, label), rows in sorted(runs.items()):
        cells = ', '.join(f"{r['ops_s']:.1f} ({r['server_cpu_ms_per_op'] or 0:.2f})" for r in rows)
        print(f'- {load} {phase} {label}: {cells}')


if __name__ == '__main__':
    main(sys.argv[1])

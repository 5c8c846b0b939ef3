"""``swiftlike-recon``: the cluster's daemons at a glance. Asks every
storage server in the rings for its ``/recon`` records and prints, per
daemon, how many servers report it, how long ago its oldest last pass was,
its longest pass, the CPU time and the summed counts of the last passes,
and where the first error of each pass that had one was."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from rings import Ring
from swiftlike.common.concurrency import Timeout
from swiftlike.common.direct_client import direct_request

KINDS = ('account', 'container', 'object')


def servers(swift_dir: Path) -> list[tuple[str, int]]:
    """(ip, port) of every storage server in the rings."""
    found: set[tuple[str, int]] = set()
    for kind in KINDS:
        path = swift_dir / f'{kind}.ring.gz'
        if path.exists():
            found.update((d.ip, d.port) for d in Ring.load(path).devs if d is not None)
    return sorted(found)


def _get(ip: str, port: int, path: str) -> Any:
    resp = direct_request(ip, port, 'GET', path, conn_timeout=1.0, node_timeout=5.0)
    return json.loads(resp.body) if resp.status == 200 else None


def collect(addresses: list[tuple[str, int]]) -> tuple[dict[str, list[dict[str, Any]]], list[str]]:
    """Records by daemon (one per worker per node), and the servers that did
    not answer. The servers of one node share its records: each is kept once."""
    records: dict[str, list[dict[str, Any]]] = defaultdict(list)
    seen: set[str] = set()
    down = []
    for ip, port in addresses:
        try:
            for name in _get(ip, port, '/recon/') or []:
                for worker, record in (_get(ip, port, f'/recon/{name}') or {}).items():
                    key = json.dumps([name, worker, record], sort_keys=True)
                    if key not in seen:
                        seen.add(key)
                        records[name].append({**record, 'server': f'{ip}:{port}', 'worker': worker})
        except (OSError, ValueError, Timeout):
            down.append(f'{ip}:{port}')
    return records, down


def summarise(records: dict[str, list[dict[str, Any]]], now: float) -> list[str]:
    """One line per daemon."""
    lines = [f'{"daemon":<22} {"reports":>7} {"oldest pass":>12} {"longest":>9} {"cpu":>8}  counts']
    for name in sorted(records):
        recs = records[name]
        totals: dict[str, int] = defaultdict(int)
        for rec in recs:
            for key, value in rec.get('stats', {}).items():
                totals[key] += int(value)
        oldest = now - min(r.get('last_pass', 0) for r in recs)
        longest = max(r.get('duration', 0) for r in recs)
        cpu = sum(r.get('cpu', 0) for r in recs)
        counts = ' '.join(f'{k}={v}' for k, v in sorted(totals.items()))
        lines.append(f'{name:<22} {len(recs):>7} {oldest:>10.0f} s {longest:>7.2f} s {cpu:>6.2f} s  {counts}')
        lines.extend(first_errors(recs))
    return lines


def first_errors(recs: list[dict[str, Any]], most: int = 5) -> list[str]:
    """A line per record (up to ``most``) whose last pass had an error: where the first was.

    >>> first_errors([{'server': '10.0.0.1:6200', 'worker': 'worker-0',
    ...                'first_error': {'path': '/srv/node/sda/objects/7', 'error': 'OSError(5)'}}])
    ['    10.0.0.1:6200 worker-0 first error: /srv/node/sda/objects/7: OSError(5)']
    """
    found = [r for r in recs if isinstance(r.get('first_error'), dict)]
    lines = [f'    {r.get("server")} {r.get("worker")} first error: {r["first_error"].get("path")}: '
             f'{r["first_error"].get("error")}' for r in found[:most]]
    if len(found) > most:
        lines.append(f'    ... and {len(found) - most} more with errors')
    return lines


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-recon [--swift-dir DIR] [--json]``."""
    parser = argparse.ArgumentParser(prog='swiftlike-recon', description=__doc__.splitlines()[0])
    parser.add_argument('--swift-dir', type=Path, default=Path('/etc/swift'))
    parser.add_argument('--json', action='store_true', help='print every record as JSON')
    args = parser.parse_args(argv)
    records, down = collect(servers(args.swift_dir))
    if args.json:
        print(json.dumps({'records': records, 'unreachable': down}, indent=2, sort_keys=True))
    else:
        print('\n'.join(summarise(records, time.time())))
        if down:
            print(f'unreachable: {", ".join(down)}')
    return 1 if down else 0


if __name__ == '__main__':
    sys.exit(main())

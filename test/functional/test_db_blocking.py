"""Nothing that waits for a database lock runs on the container server's hub:
while a container database's write lock is held elsewhere for 2 s (here by
this test process, ``BEGIN IMMEDIATE`` on the very ``.db`` file the server
uses), a POST to that container waits for it green, and 50 other requests to
the same single worker (HEADs and listings of other containers, object rows
for other containers and for the locked one, /healthcheck) are served
meanwhile with a p99 latency under 100 ms (#11)."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from swiftlike.common.db_http import db_path
from swiftlike.common.swift_conf import SwiftConf

from .cluster import StorageNode, request

HOLD = 2.0
ACCOUNT = 'AUTH_dbhub'


@pytest.fixture(scope='module')
def one_worker(tmp_path_factory):
    node = StorageNode(tmp_path_factory.mktemp('dbhub'), workers=1).setup().start()
    yield node
    node.stop()


def _call(node: StorageNode, method: str, path: str, headers: dict[str, str] | None = None):
    return request('127.0.0.1', node.port('container'), method, path, headers, raw_path=True, timeout=30)


def _ts() -> str:
    return f'{time.time():016.5f}'


def _row(name: str) -> dict[str, str]:
    """The headers an object server sends with a container update."""
    return {'X-Timestamp': _ts(), 'X-Size': '1000', 'X-Content-Type': 'text/plain',
            'X-Etag': 'e' * 32, 'X-Trans-Id': f'tx-{name}'}


def _locked_db(node: StorageNode, part: int, container: str) -> Path:
    conf = SwiftConf.load(node.root / 'swift')
    return db_path(node.root / 'node', 'sda', part, ACCOUNT, container, prefix=conf.hash_prefix,
                   suffix=conf.hash_suffix, mount_check=False)


def _jobs(count: int, locked: str) -> list[tuple[str, str, dict[str, str] | None]]:
    """HEAD and GET of other containers, rows for other containers and for the
    locked one (appended to its pending file, so they need no lock), /healthcheck."""
    jobs: list[tuple[str, str, dict[str, str] | None]] = []
    for i in range(count):
        other = f'/sda/{i % 5}/{ACCOUNT}/c{i % 5}'
        kind = i % 5
        if kind == 0:
            jobs.append(('HEAD', other, None))
        elif kind == 1:
            jobs.append(('GET', other + '?format=json', None))
        elif kind == 2:
            jobs.append(('PUT', f'{other}/new{i}', _row(f'new{i}')))
        elif kind == 3:
            jobs.append(('PUT', f'{locked}/during{i}', _row(f'during{i}')))
        else:
            jobs.append(('GET', '/healthcheck', None))
    return jobs


def _timed(node: StorageNode, job: tuple[str, str, dict[str, str] | None]) -> tuple[float, int, str]:
    started = time.monotonic()
    status = _call(node, *job)[0]
    return time.monotonic() - started, status, f'{job[0]} {job[1]}'


def _hold(db: Path, acquired: threading.Event) -> None:
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute('BEGIN IMMEDIATE')
        acquired.set()
        time.sleep(HOLD)
        conn.execute('ROLLBACK')
    finally:
        conn.close()


def _round(node: StorageNode, part: int, container: str
           ) -> tuple[list[tuple[float, int, str]], float, dict[str, object]]:
    """Hold the container's write lock for HOLD seconds, POST to it, and meanwhile
    send the 50 other requests: their (latency, status, what), how long after
    the lock was taken they were all answered, and the POST's status and time."""
    locked = f'/sda/{part}/{ACCOUNT}/{container}'
    assert _call(node, 'PUT', locked, {'X-Timestamp': _ts()})[0] == 201
    acquired = threading.Event()
    holder = threading.Thread(target=_hold, args=(_locked_db(node, part, container), acquired))
    holder.start()
    assert acquired.wait(10)
    held_at = time.monotonic()
    blocked: dict[str, object] = {}

    def post_locked() -> None:
        started = time.monotonic()
        blocked['status'] = _call(node, 'POST', locked, {'X-Timestamp': _ts(),
                                                         'X-Container-Meta-Waited': 'yes'})[0]
        blocked['took'] = time.monotonic() - started
    waiter = threading.Thread(target=post_locked)
    waiter.start()
    time.sleep(0.3)                       # the POST now waits for the lock inside the worker
    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(lambda job: _timed(node, job), _jobs(50, locked)))
    served_by = time.monotonic() - held_at
    waiter.join(30)
    holder.join(30)
    return results, served_by, blocked


def _check_landed(node: StorageNode, part: int, container: str) -> None:
    """The rows sent while the lock was held are listed, and the POST's metadata is there."""
    path = f'/sda/{part}/{ACCOUNT}/{container}'
    status, headers, body = _call(node, 'GET', path + '?format=json')
    assert status == 200
    assert len([e for e in json.loads(body) if e['name'].startswith('during')]) == 10
    assert headers['x-container-meta-waited'] == 'yes'


def test_requests_are_served_while_a_database_lock_is_held(one_worker):
    """Up to three rounds, as the machine is shared: a worker whose hub blocks
    on the lock fails every round (its p99 is about the 2 s hold), a loaded
    machine only some."""
    node = one_worker
    for i in range(5):
        path = f'/sda/{i}/{ACCOUNT}/c{i}'
        assert _call(node, 'PUT', path, {'X-Timestamp': _ts()})[0] == 201
        for j in range(5):
            assert _call(node, 'PUT', f'{path}/o{j}', _row(f'o{j}'))[0] == 201
    for n in range(3):
        results, served_by, blocked = _round(node, 7, f'locked{n}')
        latencies = sorted(took for took, _, _ in results)
        p99 = latencies[int(0.99 * (len(latencies) - 1))]
        print(f'\n50 requests while the database lock was held: p50 {latencies[25] * 1000:.1f} ms, '
              f'p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms, all answered '
              f'{served_by:.2f} s after the lock was taken; the POST took {blocked.get("took", 0):.2f} s')
        assert all(status in (200, 201, 204) for _, status, _ in results), results
        assert blocked['status'] == 204 and blocked['took'] >= HOLD - 0.5  # type: ignore[operator]
        _check_landed(node, 7, f'locked{n}')
        if p99 < 0.1 and served_by < HOLD:
            return
    pytest.fail(f'p99 {p99 * 1000:.0f} ms while a database lock was held; slowest: {sorted(results)[-5:]}')

"""Nothing that waits for long runs on the object server's hub: while a
partition's lock is held elsewhere for 2 s (here by this test process, on
the same ``.lock`` file the server uses), a PUT to that partition waits for
it green, and 50 other requests to the same single worker are served
meanwhile with a p99 latency under 100 ms (#11)."""

from __future__ import annotations

import fcntl
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from .cluster import StorageNode, request

HOLD = 2.0
LOCKED_PART = 7


@pytest.fixture(scope='module')
def one_worker(tmp_path_factory):
    node = StorageNode(tmp_path_factory.mktemp('hub'), workers=1).setup().start()
    yield node
    node.stop()


def _obj(node: StorageNode, method: str, path: str, body: bytes | None = None, ts: str | None = None):
    headers = {'X-Timestamp': ts or f'{time.time():016.5f}', 'Content-Type': 'text/plain'} \
        if method == 'PUT' else {}
    return request('127.0.0.1', node.port('object'), method, path, headers, body, timeout=30)


def _timed(node: StorageNode, job: tuple[str, str, bytes | None]) -> tuple[float, int, str]:
    started = time.monotonic()
    status = _obj(node, *job)[0]
    return time.monotonic() - started, status, job[0] + ' ' + job[1]


def _jobs(count: int) -> list[tuple[str, str, bytes | None]]:
    """GET, HEAD and PUT of objects in partitions other than the locked one, and /healthcheck."""
    jobs: list[tuple[str, str, bytes | None]] = []
    for i in range(count):
        path = f'/sda/{i % 5}/AUTH_hub/c/o{i % 10}'
        kind = i % 4
        if kind == 0:
            jobs.append(('GET', path, None))
        elif kind == 1:
            jobs.append(('HEAD', path, None))
        elif kind == 2:
            jobs.append(('PUT', f'/sda/{i % 5}/AUTH_hub/c/new{i}', b'x' * 1000))
        else:
            jobs.append(('GET', '/healthcheck', None))
    return jobs


def _round(node: StorageNode, part: int) -> tuple[list[tuple[float, int, str]], float, dict[str, object]]:
    """Hold ``part``'s lock for HOLD seconds, PUT into it, and meanwhile send the 50
    other requests: their (latency, status, what), how long after taking the lock they
    were all answered, and the locked PUT's status and duration."""
    assert _obj(node, 'PUT', f'/sda/{part}/AUTH_hub/c/first', b'z')[0] == 201
    lock_path = node.root / 'node' / 'sda' / 'objects' / str(part) / '.lock'
    fd = os.open(lock_path, os.O_CREAT | os.O_WRONLY, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    held_at = time.monotonic()
    threading.Timer(HOLD, os.close, (fd,)).start()
    blocked: dict[str, object] = {}

    def put_locked() -> None:
        started = time.monotonic()
        blocked['status'] = _obj(node, 'PUT', f'/sda/{part}/AUTH_hub/c/waits', b'w')[0]
        blocked['took'] = time.monotonic() - started
    waiter = threading.Thread(target=put_locked)
    waiter.start()
    time.sleep(0.3)                       # the PUT is now waiting for the lock inside the worker
    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(lambda job: _timed(node, job), _jobs(50)))
    served_by = time.monotonic() - held_at
    waiter.join(30)
    return results, served_by, blocked


def test_requests_are_served_while_a_partition_lock_is_held(one_worker):
    """Up to three rounds, as the machine is shared: a worker whose hub blocks
    on the lock fails every round (its p99 is about the 2 s hold), a loaded
    machine only some."""
    node = one_worker
    for i in range(10):
        assert _obj(node, 'PUT', f'/sda/{i % 5}/AUTH_hub/c/o{i}', b'y' * 1000)[0] == 201
    for part in (LOCKED_PART, LOCKED_PART + 1, LOCKED_PART + 2):
        results, served_by, blocked = _round(node, part)
        latencies = sorted(took for took, _, _ in results)
        p99 = latencies[int(0.99 * (len(latencies) - 1))]
        print(f'\n50 requests while the lock was held: p50 {latencies[25] * 1000:.1f} ms, '
              f'p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms, all answered '
              f'{served_by:.2f} s after the lock was taken; '
              f'the locked PUT took {blocked.get("took", 0):.2f} s')
        assert all(status in (200, 201) for _, status, _ in results), results
        assert blocked['status'] == 201 and blocked['took'] >= HOLD - 0.5  # type: ignore[operator]
        if p99 < 0.1 and served_by < HOLD:
            return
    pytest.fail(f'p99 {p99 * 1000:.0f} ms while a partition lock was held; slowest: {sorted(results)[-5:]}')

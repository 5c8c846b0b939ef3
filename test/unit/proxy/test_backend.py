"""Choosing the answer of a quorum of storage nodes."""

from __future__ import annotations

from rings import Device
from swiftlike.proxy.backend import BackendResult, ErrorLimiter, best_response, quorum_size


def result(status: int, ts: str = '') -> BackendResult:
    return BackendResult(status, {'X-Backend-Timestamp': ts} if ts else {}, b'')


def test_quorum_sizes():
    assert [quorum_size(n) for n in (1, 2, 3, 4, 5)] == [1, 2, 2, 3, 3]


def test_best_response_needs_a_quorum_and_prefers_the_newest():
    assert best_response([result(201), result(201), result(503)], 3).status == 201
    assert best_response([result(201), result(503), result(503)], 3) is None
    assert best_response([result(404), result(404), result(201)], 3).status == 404
    newest = best_response([result(200, '1.00000'), result(200, '3.00000'), result(500)], 3)
    assert newest.headers['X-Backend-Timestamp'] == '3.00000'


def test_error_limiter_forgets_after_the_interval():
    now = [0.0]
    limiter = ErrorLimiter(limit=2, interval=10, clock=lambda: now[0])
    node = Device(0, 1, 1, '127.0.0.1', 6200, 'sda', 1.0)
    limiter.failed(node)
    assert not limiter.limited(node)
    limiter.failed(node)
    assert limiter.limited(node)
    now[0] = 11
    assert not limiter.limited(node)

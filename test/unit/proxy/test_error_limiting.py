"""Error limiting counts what says a node is unwell, never a client's error,
and no one client can take a node out of rotation (issue #10, item 2); a
listing parameter every node refuses is the client's 4xx, not a 503 (item 3)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from swiftlike.proxy.backend import BackendResult, ErrorLimiter
from swiftlike.proxy.controllers.base import first_good
from test.unit.fakes import FakeBackend, FakeRing, FakeRingWatcher, devices

NODES = devices(6)


def backend(answers: dict[int, list]) -> FakeBackend:
    return FakeBackend(limiter=ErrorLimiter(limit=4, interval=60, clock=lambda: 0.0), answers=answers)


def ask(fake: FakeBackend, client: str = '10.0.0.1') -> BackendResult:
    state = SimpleNamespace(backend=fake)
    watcher = FakeRingWatcher(FakeRing(NODES))
    return first_good(state, watcher, 0, 'GET', '/0/a/c', headers={}, client=client)


def port(n: int) -> int:
    return NODES[n].port


def test_one_client_cannot_take_a_node_out():
    limiter = ErrorLimiter(limit=4, interval=60, clock=lambda: 0.0)
    for _ in range(100):
        limiter.failed(NODES[0], '10.0.0.1')
    assert not limiter.limited(NODES[0])
    limiter.failed(NODES[0], '10.0.0.2')
    limiter.failed(NODES[0], '10.0.0.2')
    assert limiter.limited(NODES[0])


def test_failures_of_no_request_count_in_full():
    limiter = ErrorLimiter(limit=4, interval=60, clock=lambda: 0.0)
    for _ in range(4):
        limiter.failed(NODES[0])
    assert limiter.limited(NODES[0])


@pytest.mark.parametrize('status', [400, 412, 416, 422])
def test_a_client_error_every_node_gives_is_the_answer(status):
    fake = backend({port(0): [status], port(1): [status]})
    assert ask(fake).status == status
    assert fake.leftovers() == {}
    assert not any(fake.limiter.limited(n) for n in NODES)


def test_client_errors_never_count_against_nodes():
    fake = backend({port(n): [400] * 50 for n in range(2)})
    for client in range(50):
        assert ask(fake, f'10.0.0.{client}').status == 400
    assert not any(fake.limiter.limited(n) for n in NODES)


def test_a_request_every_node_fails_counts_against_none():
    fake = backend({port(n): [500] * 10 for n in range(6)})
    for client in range(10):
        assert ask(fake, f'10.0.0.{client}').status == 503
    assert not any(fake.limiter.limited(n) for n in NODES)


def test_a_5xx_others_do_not_give_counts_and_limits_the_node():
    fake = backend({port(0): [500] * 4, port(1): [200] * 4})
    for client in range(4):
        assert ask(fake, f'10.0.0.{client}').status == 200
    assert fake.limiter.limited(NODES[0])
    assert not fake.limiter.limited(NODES[1])


def test_507_counts_whatever_the_others_say():
    fake = backend({port(n): [507] * 4 for n in range(6)})
    for _ in range(4):
        ask(fake)
    assert all(fake.limiter.limited(n) for n in NODES)


def test_404_beats_a_lone_client_error_and_503():
    fake = backend({port(0): [0], port(1): [404], port(2): [412], port(3): [503], port(4): [404],
                    port(5): [503]})
    assert ask(fake).status == 404


def test_a_lone_client_error_beats_unreachable_nodes():
    fake = backend({port(0): [0], port(1): [400], **{port(n): [0] for n in range(2, 6)}})
    assert ask(fake).status == 400

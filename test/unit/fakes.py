"""Fakes shared by unit tests (STYLE.md C13): small classes, each failing
the test on calls it was not scripted for."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from rings import Device
from swiftlike.proxy.backend import Backend, BackendResult


def devices(count: int) -> list[Device]:
    """``count`` devices on 127.0.0.1, ports 6200, 6210, ..."""
    return [Device(n, 1, n + 1, '127.0.0.1', 6200 + 10 * n, f'd{n}', 1.0) for n in range(count)]


class FakeRing:
    """Every partition on the same primaries; the other devices are its handoffs, in order."""

    def __init__(self, nodes: list[Device], replicas: int = 3) -> None:
        self.nodes = nodes
        self.replicas = replicas

    def get_part(self, *names: str | None) -> int:
        return 0

    def get_part_nodes(self, part: int) -> list[Device]:
        return self.nodes[:self.replicas]

    def get_more_nodes(self, part: int) -> Iterator[Device]:
        return iter(self.nodes[self.replicas:])


@dataclass
class FakeRingWatcher:
    """What controllers read a ring through (``.ring``)."""

    ring: FakeRing


@dataclass
class FakeBackend(Backend):
    """A Backend whose nodes answer from a script: ``answers[node.port]`` is a
    list of statuses (or BackendResults), one taken per request; a request
    to a node with nothing left fails the test."""

    answers: dict[int, list[int | BackendResult]] = field(default_factory=dict)
    calls: list[tuple[int, str, str]] = field(default_factory=list)

    def request(self, node: Device, method: str, path: str, headers: Mapping[str, str], *,
                body: bytes = b'', query: str = '') -> BackendResult:
        self.calls.append((node.port, method, path))
        script = self.answers.get(node.port)
        assert script, f'unexpected {method} {path} to port {node.port}'
        answer = script.pop(0)
        if isinstance(answer, BackendResult):
            return answer
        if answer == 0:
            self.limiter.failed(node)
            return BackendResult(503, {}, b'', node, 'connect')
        return BackendResult(answer, {}, b'', node)

    def leftovers(self) -> dict[int, list[int | BackendResult]]:
        """Scripted answers no request took."""
        return {port: left for port, left in self.answers.items() if left}

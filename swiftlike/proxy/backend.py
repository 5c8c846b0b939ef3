"""Talking to storage nodes: which nodes to try (primaries, then handoffs,
skipping error-limited ones), one request to one node with timeouts, a
request to many nodes at once, and choosing the answer by quorum."""

from __future__ import annotations

import http.client
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from urllib.parse import quote

from rings import Device, Ring
from swiftlike.common.concurrency import Timeout, run_all
from swiftlike.common.http_client import Client, ConnectError, Exchange

logger = logging.getLogger(__name__)


def quorum_size(replicas: int) -> int:
    """Responses that must agree: a majority.

    >>> quorum_size(3), quorum_size(4)
    (2, 3)
    """
    return replicas // 2 + 1


@dataclass(frozen=True, slots=True)
class BackendResult:
    """What one node answered (status 503 when it could not be reached or
    its answer was lost: ``failure`` then says how, 'connect' or 'io')."""

    status: int
    headers: dict[str, str]
    body: bytes
    node: Device | None = None
    failure: str = ''


@dataclass
class ErrorLimiter:
    """Skips a node that failed ``limit`` times within ``interval`` seconds.

    Only what says a node is unwell counts: a connection it refused or did
    not accept in time, a 507, and a 5xx or lost answer that other nodes did
    not also give to the same request (see :meth:`Backend.judge`). A 4xx is
    the client's, never the node's. And since a client's request can make a
    node fail after it was accepted, no one client's failures count for more
    than ``limit // 2`` of them: one client alone cannot move a node out of
    rotation. (Failures with no client, ``client=None``, count in full.)
    """

    limit: int = 10
    interval: float = 60.0
    clock: Callable[[], float] = time.monotonic
    errors: dict[tuple[str, int, str], list[tuple[float, str | None]]] = field(default_factory=dict)

    def _recent(self, node: Device) -> tuple[tuple[str, int, str], list[tuple[float, str | None]]]:
        key = (node.ip, node.port, node.device)
        now = self.clock()
        return key, [e for e in self.errors.get(key, []) if now - e[0] < self.interval]

    def failed(self, node: Device, client: str | None = None) -> None:
        """Count a failure of ``node``, caused by ``client``'s request (None: by no request)."""
        key, recent = self._recent(node)
        self.errors[key] = [*recent[-4 * self.limit:], (self.clock(), client)]

    def limited(self, node: Device) -> bool:
        """Whether ``node`` is out of rotation now."""
        _, recent = self._recent(node)
        by_client = Counter(client for _, client in recent)
        weight = sum(n if client is None else min(n, self.limit // 2) for client, n in by_client.items())
        return weight >= self.limit


def iter_nodes(ring: Ring, part: int, limiter: ErrorLimiter, *,
               handoffs: int | None = None) -> Iterator[Device]:
    """Primaries, then up to ``handoffs`` handoffs (default: as many as
    primaries), skipping error-limited nodes."""
    primaries = ring.get_part_nodes(part)
    extra = islice(ring.get_more_nodes(part), len(primaries) if handoffs is None else handoffs)
    for node in chain(primaries, extra):
        if not limiter.limited(node):
            yield node


@dataclass
class Backend:
    """Sends requests to storage nodes with the proxy's timeouts."""

    conn_timeout: float = 0.5
    node_timeout: float = 10.0
    limiter: ErrorLimiter = field(default_factory=ErrorLimiter)

    def __post_init__(self) -> None:
        self.client = Client(conn_timeout=self.conn_timeout, node_timeout=self.node_timeout)

    def ask(self, node: Device, method: str, path: str, headers: Mapping[str, str], *,
            expect: bool = False) -> Exchange:
        """:meth:`Client.ask` of ``node`` (``path`` is text, quoted here): a
        request without a body, or the head of one with ``expect``. A node
        that cannot be reached is counted against at once (no request of a
        client's can cause that).

        :raises OSError: (ConnectError when no connection could be made), Timeout
            or http.client.HTTPException
        """
        try:
            return self.client.ask(node.ip, node.port, method, quote(f'/{node.device}{path}'), headers,
                                   expect=expect)
        except ConnectError:
            self.limiter.failed(node)
            raise

    def request(self, node: Device, method: str, path: str, headers: Mapping[str, str], *,
                body: bytes = b'', query: str = '') -> BackendResult:
        """One whole request. A failure is a 503 whose ``failure`` says whether
        the node could not be reached ('connect', already counted) or the
        answer was lost ('io', for :meth:`judge`)."""
        target = quote(f'/{node.device}{path}') + (f'?{query}' if query else '')
        try:
            answer = self.client.request(node.ip, node.port, method, target, headers=headers, body=body)
        except ConnectError as err:
            self.limiter.failed(node)
            logger.warning('%s %s to %s:%s/%s: no connection: %r', method, path, node.ip, node.port,
                           node.device, err)
            return BackendResult(503, {}, b'', node, 'connect')
        except (OSError, http.client.HTTPException, Timeout) as err:
            logger.warning('%s %s to %s:%s/%s failed: %r', method, path, node.ip, node.port, node.device, err)
            return BackendResult(503, {}, b'', node, 'io')
        return BackendResult(answer.status, answer.headers, answer.body, node)

    def judge(self, results: Sequence[BackendResult], client: str | None) -> None:
        """Count the failures among the answers of several nodes to one request:
        a 507 always; a 5xx or lost answer only when another node answered the
        same request (below 500), so a request that breaks every node counts
        against none; connection failures were counted when they happened."""
        answered = any(r.status < 500 for r in results)
        for result in results:
            if result.node is None or result.failure == 'connect' or result.status < 500:
                continue
            if result.status == 507:
                self.limiter.failed(result.node)
            elif answered:
                self.limiter.failed(result.node, client)

    def fan_out(self, nodes: Sequence[Device], method: str, path: str,
                headers: Sequence[Mapping[str, str]], body: bytes = b'', *,
                client: str | None = None) -> list[BackendResult]:
        """The same request to every node at once (headers per node)."""
        def send(node: Device, hdrs: Mapping[str, str]) -> BackendResult:
            return self.request(node, method, path, hdrs, body=body)
        results = self._each(nodes, headers, send, limit=self.conn_timeout + self.node_timeout + 1)
        self.judge(results, client)
        return results

    @staticmethod
    def _each(nodes: Sequence[Device], headers: Sequence[Mapping[str, str]],
              send: Callable[[Device, Mapping[str, str]], BackendResult], *,
              limit: float) -> list[BackendResult]:
        """``send`` to every node at once; a node whose call failed or ran out of time is a 503."""
        results = run_all([partial(send, n, h) for n, h in zip(nodes, headers, strict=True)], limit=limit)
        return [r if isinstance(r, BackendResult) else BackendResult(503, {}, b'', n, 'io')
                for r, n in zip(results, nodes, strict=True)]

    def write(self, ring: Ring, part: int, method: str, path: str,
              headers: Sequence[Mapping[str, str]], *, client: str | None = None) -> list[BackendResult]:
        """:meth:`fan_out` to the partition's primaries, where each primary that fails
        (unreachable or 5xx) has the same request, with its headers and so its share of
        the container updates, sent on to the next handoff until one takes it.

        The primaries' own answers are returned: a handoff's copy adds durability and
        keeps listings whole, but (as for PUT) never makes up the quorum."""
        primaries = ring.get_part_nodes(part)
        # lazy: handoffs are looked up only once a primary fails (nothing in it waits on I/O,
        # so green threads never step into it at the same time)
        spare = (n for n in islice(ring.get_more_nodes(part), len(primaries)) if not self.limiter.limited(n))
        tried: list[BackendResult] = []

        def one(node: Device, hdrs: Mapping[str, str]) -> BackendResult:
            result = self.request(node, method, path, hdrs)
            if result.status >= 500:
                while (handoff := next(spare, None)) is not None:
                    tried.append(self.request(handoff, method, path, hdrs))
                    if tried[-1].status < 500:
                        break
            return result

        results = self._each(primaries, headers, one, limit=3 * (self.conn_timeout + self.node_timeout) + 1)
        self.judge([*results, *tried], client)
        return results


def best_response(results: Sequence[BackendResult], replicas: int) -> BackendResult | None:
    """The answer a quorum of nodes agrees on (by status class, 2xx first),
    or None when there is no quorum. Among the agreeing answers the newest
    (by X-Backend-Timestamp / X-Timestamp) is returned."""
    needed = quorum_size(replicas)
    for klass in (2, 4, 3):
        agreeing = [r for r in results if r.status // 100 == klass]
        if len(agreeing) >= needed:
            return max(agreeing, key=lambda r: r.headers.get('X-Backend-Timestamp')
                       or r.headers.get('X-Timestamp') or '')
    return None

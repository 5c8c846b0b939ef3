"""Talking to storage nodes: which nodes to try (primaries, then handoffs,
skipping error-limited ones), one request to one node with timeouts, a
request to many nodes at once, and choosing the answer by quorum."""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import chain, islice
from urllib.parse import quote

from rings import Device, Ring
from swiftlike.common.concurrency import Timeout, run_all, timeout

logger = logging.getLogger(__name__)


def quorum_size(replicas: int) -> int:
    """Responses that must agree: a majority.

    >>> quorum_size(3), quorum_size(4)
    (2, 3)
    """
    return replicas // 2 + 1


@dataclass(frozen=True, slots=True)
class BackendResult:
    """What one node answered (status 503 when it could not be reached)."""

    status: int
    headers: dict[str, str]
    body: bytes
    node: Device | None = None


@dataclass
class ErrorLimiter:
    """Skips a node that failed ``limit`` times within ``interval`` seconds."""

    limit: int = 10
    interval: float = 60.0
    clock: Callable[[], float] = time.monotonic
    errors: dict[tuple[str, int, str], list[float]] = field(default_factory=dict)

    def failed(self, node: Device) -> None:
        key = (node.ip, node.port, node.device)
        now = self.clock()
        recent = [t for t in self.errors.get(key, []) if now - t < self.interval]
        self.errors[key] = [*recent, now]

    def limited(self, node: Device) -> bool:
        now = self.clock()
        key = (node.ip, node.port, node.device)
        recent = [t for t in self.errors.get(key, []) if now - t < self.interval]
        return len(recent) >= self.limit


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

    def connect(self, node: Device, method: str, path: str, headers: Mapping[str, str],
                query: str = '') -> http.client.HTTPConnection:
        """Open a connection to ``node`` and send the request line and headers
        (``path`` is text, quoted here; ``query`` is sent as it is).

        :raises OSError: or Timeout
        """
        target = quote(f'/{node.device}{path}') + (f'?{query}' if query else '')
        with timeout(self.conn_timeout):
            conn = http.client.HTTPConnection(node.ip, node.port, timeout=self.node_timeout)
            conn.putrequest(method, target, skip_accept_encoding=True, skip_host=True)
            conn.putheader('Host', f'{node.ip}:{node.port}')
            for key, value in headers.items():
                conn.putheader(key, value)
            conn.endheaders()
        return conn

    def request(self, node: Device, method: str, path: str, headers: Mapping[str, str], *,
                body: bytes = b'', query: str = '') -> BackendResult:
        """One whole request; connection errors and 5xx count against the node."""
        try:
            hdrs = dict(headers)
            if body or method in ('PUT', 'POST'):
                hdrs['Content-Length'] = str(len(body))
            conn = self.connect(node, method, path, hdrs, query)
            try:
                with timeout(self.node_timeout):
                    if body:
                        conn.send(body)
                    resp = conn.getresponse()
                    data = resp.read()
            finally:
                conn.close()
        except (OSError, http.client.HTTPException, Timeout) as err:
            self.limiter.failed(node)
            logger.warning('%s %s to %s:%s/%s failed: %r', method, path, node.ip, node.port, node.device, err)
            return BackendResult(503, {}, b'', node)
        if resp.status >= 500:
            self.limiter.failed(node)
        return BackendResult(resp.status, {k.title(): v for k, v in resp.getheaders()}, data, node)

    def fan_out(self, nodes: Sequence[Device], method: str, path: str,
                headers: Sequence[Mapping[str, str]], body: bytes = b'') -> list[BackendResult]:
        """The same request to every node at once (headers per node)."""
        def send(node: Device, hdrs: Mapping[str, str]) -> BackendResult:
            return self.request(node, method, path, hdrs, body=body)
        return self._each(nodes, headers, send, limit=self.conn_timeout + self.node_timeout + 1)

    @staticmethod
    def _each(nodes: Sequence[Device], headers: Sequence[Mapping[str, str]],
              send: Callable[[Device, Mapping[str, str]], BackendResult], *,
              limit: float) -> list[BackendResult]:
        """``send`` to every node at once; a node whose call failed or ran out of time is a 503."""
        results = run_all([partial(send, n, h) for n, h in zip(nodes, headers, strict=True)], limit=limit)
        return [r if isinstance(r, BackendResult) else BackendResult(503, {}, b'', n)
                for r, n in zip(results, nodes, strict=True)]


    def write(self, ring: Ring, part: int, method: str, path: str,
              headers: Sequence[Mapping[str, str]]) -> list[BackendResult]:
        """:meth:`fan_out` to the partition's primaries, where each primary that fails
        (unreachable or 5xx) has the same request, with its headers and so its share of
        the container updates, sent on to the next handoff until one takes it.

        The primaries' own answers are returned: a handoff's copy adds durability and
        keeps listings whole, but (as for PUT) never makes up the quorum."""
        primaries = ring.get_part_nodes(part)
        # lazy: handoffs are looked up only once a primary fails (nothing in it waits on I/O,
        # so green threads never step into it at the same time)
        spare = (n for n in islice(ring.get_more_nodes(part), len(primaries)) if not self.limiter.limited(n))

        def one(node: Device, hdrs: Mapping[str, str]) -> BackendResult:
            result = self.request(node, method, path, hdrs)
            if result.status >= 500:
                while (handoff := next(spare, None)) is not None:
                    if self.request(handoff, method, path, hdrs).status < 500:
                        break
            return result

        return self._each(primaries, headers, one, limit=3 * (self.conn_timeout + self.node_timeout) + 1)


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

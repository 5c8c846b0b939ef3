"""Object GET and HEAD: from the first node that has the object (a newer
tombstone seen on an earlier node wins over an older copy), and a body that
survives its node: when a node fails or stops short mid-body, the rest is
asked of the next replica with a Range for the bytes not yet sent (the same
version only, by X-Backend-Timestamp). Only when no replica is left does the
body end short, and that is logged."""

from __future__ import annotations

import http.client
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from webob import Request, Response, exc

from rings import Device
from swiftlike.common.concurrency import Timeout, timeout
from swiftlike.common.http_client import ConnectError, Exchange
from swiftlike.common.numbers import is_int
from swiftlike.proxy.backend import BackendResult, iter_nodes
from swiftlike.proxy.controllers.base import HOP_BY_HOP, ProxyState, VPath, backend_headers, client_of

logger = logging.getLogger(__name__)

#: Answers of a node that end the search for the object.
FINAL: Final = {200, 206, 304, 412, 416}
#: Client headers a resumed request must not carry (they could turn its 206 into a 304 or 412).
CONDITIONS: Final = frozenset({'range', 'if-match', 'if-none-match', 'if-modified-since',
                               'if-unmodified-since', 'x-newest'})
CHUNK: Final = 65536
_CONTENT_RANGE: Final = re.compile(r'bytes ([0-9]+)-([0-9]+)/', re.ASCII)


@dataclass
class _Source:
    """A node's answer being read."""

    node: Device
    ex: Exchange
    resp: http.client.HTTPResponse

    def close(self) -> None:
        """Done with it: its connection is kept for another request if the body was read to the end."""
        self.ex.finish()


def _ask(state: ProxyState, node: Device, method: str, path: str, headers: Mapping[str, str]
         ) -> _Source | BackendResult:
    try:
        ex = state.backend.ask(node, method, path, headers)
    except ConnectError:
        return BackendResult(503, {}, b'', node, 'connect')       # counted by ask
    except (OSError, Timeout, http.client.HTTPException):
        return BackendResult(503, {}, b'', node, 'io')
    assert ex.resp is not None
    return _Source(node, ex, ex.resp)


def open_object(state: ProxyState, req: Request, path: VPath, method: str) -> Response:
    """GET or HEAD from the first node that has it."""
    ring = state.object_ring.ring
    part = ring.get_part(path.account, path.container, path.obj)
    backend_path = f'/{part}{path.backend_path}'
    headers = backend_headers(req)
    nodes = iter_nodes(ring, part, state.backend.limiter)
    tombstone = ''
    seen: list[BackendResult] = []
    for node in nodes:
        got = _ask(state, node, method, backend_path, headers)
        if isinstance(got, BackendResult):
            seen.append(got)
            continue
        status = got.resp.status
        seen.append(BackendResult(status, {}, b'', node))
        if status in FINAL and got.resp.getheader('X-Backend-Timestamp', '') >= tombstone:
            state.backend.judge(seen, client_of(req))
            if method != 'GET' or status in (304, 412):
                got.close()          # (an app_iter given up front keeps webob off Content-Length)
                return _response(got.resp, iter(()))
            resume = _Resume(state, nodes, backend_path, headers, client_of(req))
            return _response(got.resp, resume.body(got))
        got.resp.read()
        got.close()
        if status == 404:
            tombstone = max(tombstone, got.resp.getheader('X-Backend-Timestamp', ''))
    state.backend.judge(seen, client_of(req))
    return exc.HTTPNotFound()


def _response(resp: http.client.HTTPResponse, body: Iterator[bytes]) -> Response:
    passed = HOP_BY_HOP - {'content-length'}
    headerlist = [(k, v) for k, v in resp.getheaders() if k.lower() not in passed]
    return Response(status=resp.status, headerlist=headerlist, app_iter=body)


class _Resume:
    """Streams a body, carrying on from the next replicas when its node fails."""

    def __init__(self, state: ProxyState, nodes: Iterator[Device], path: str,
                 headers: Mapping[str, str], client: str) -> None:
        self.state = state
        self.nodes = nodes
        self.path = path
        self.headers = {k: v for k, v in headers.items() if k.lower() not in CONDITIONS}
        self.client = client

    def body(self, source: _Source) -> Iterator[bytes]:
        """The whole body of ``source``'s answer, from as many replicas as it takes."""
        span = _span(source.resp)
        if span is None:                                          # multipart/byteranges: not resumed
            yield from _read(source, self.state.backend.node_timeout, None)
            return
        first, length = span
        timestamp = source.resp.getheader('X-Backend-Timestamp', '')
        sent = 0
        current: _Source | None = source
        while current is not None:
            for chunk in _read(current, self.state.backend.node_timeout, length - sent):
                sent += len(chunk)
                yield chunk
            if sent >= length:
                return
            logger.warning('GET %s: %s:%s/%s stopped after %d of %d bytes; resuming from another replica',
                           self.path, current.node.ip, current.node.port, current.node.device, sent, length)
            self.state.backend.limiter.failed(current.node, self.client)
            current = self._next(first + sent, first + length - 1, timestamp)
        logger.error('GET %s: no replica left; the body ends %d bytes short', self.path, length - sent)

    def _next(self, start: int, end: int, timestamp: str) -> _Source | None:
        """The next replica answering 206 for bytes ``start``-``end`` of the same version."""
        for node in self.nodes:
            got = _ask(self.state, node, 'GET', self.path, {**self.headers, 'Range': f'bytes={start}-{end}'})
            if isinstance(got, _Source):
                if got.resp.status == 206 and got.resp.getheader('X-Backend-Timestamp', '') == timestamp \
                        and _span(got.resp) == (start, end - start + 1):
                    return got
                got.close()
        return None


def _span(resp: http.client.HTTPResponse) -> tuple[int, int] | None:
    """(first byte, byte count) of a single-part answer; None for multipart/byteranges."""
    length = resp.getheader('Content-Length')
    if not is_int(length):
        return None
    if resp.status == 200:
        return 0, int(str(length))
    match = _CONTENT_RANGE.match(resp.getheader('Content-Range', ''))
    return (int(match[1]), int(str(length))) if match else None


def _read(source: _Source, node_timeout: float, length: int | None) -> Iterator[bytes]:
    """Up to ``length`` bytes of ``source``'s body (all of it if None), until the node fails."""
    try:
        while length is None or length > 0:
            with timeout(node_timeout):
                chunk = source.resp.read(CHUNK if length is None else min(CHUNK, length))
            if not chunk:
                return
            if length is not None:
                length -= len(chunk)
            yield chunk
    except (OSError, Timeout, http.client.HTTPException):
        return
    finally:
        source.close()

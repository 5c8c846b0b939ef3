"""Object PUT: the body streamed to every replica at once (primaries, with
handoffs standing in for primaries that cannot be reached), 201 once a
quorum of the object's *primaries* has stored it: handoff copies add
durability but never make up the quorum, so an acknowledged object is
always where a read from its primaries finds it."""

from __future__ import annotations

import http.client
import mimetypes
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Final

from webob import Request, Response, exc

from rings import Device
from swiftlike.common.concurrency import Timeout, timeout
from swiftlike.common.http import HTTPClientDisconnect
from swiftlike.common.request import update_targets
from swiftlike.common.timestamp import Timestamp
from swiftlike.proxy.backend import BackendResult, best_response, iter_nodes, quorum_size
from swiftlike.proxy.controllers.base import (
    ProxyState,
    VPath,
    backend_headers,
    client_of,
    delete_at_targets,
)

CHUNK: Final = 65536


@dataclass
class _Target:
    node: Device
    conn: http.client.HTTPConnection
    primary: bool


def read_client_body(req: Request, client_timeout: float) -> Iterator[bytes]:
    """The request body in chunks; 499 if it ends before Content-Length or a read fails."""
    stream = req.environ['wsgi.input']
    remaining = req.content_length
    while remaining is None or remaining > 0:
        try:
            with timeout(client_timeout):
                chunk = stream.read(CHUNK if remaining is None else min(CHUNK, remaining))
        except OSError as err:           # the client went away, or a filter refused the body
            raise HTTPClientDisconnect(body=f'reading the body failed: {err}\n') from None
        if not chunk:
            break
        if remaining is not None:
            remaining -= len(chunk)
        yield chunk
    if remaining:
        raise HTTPClientDisconnect(body='body shorter than Content-Length\n')


def content_type_for(req: Request, obj: str) -> str:
    """The request's Content-Type, or one guessed from the name."""
    given = req.headers.get('Content-Type', '')
    if given and req.headers.get('X-Detect-Content-Type', '').lower() not in ('true', '1', 'yes'):
        return str(given.split(';swift_bytes=')[0])
    return mimetypes.guess_type(obj)[0] or 'application/octet-stream'


def _connect_all(state: ProxyState, req: Request, path: VPath, headers: list[dict[str, str]]
                 ) -> list[_Target]:
    ring = state.object_ring.ring
    part = ring.get_part(path.account, path.container, path.obj)
    primaries = ring.get_part_nodes(part)
    wanted = len(primaries)
    targets: list[_Target] = []
    for node in iter_nodes(ring, part, state.backend.limiter):
        if len(targets) == wanted:
            break
        try:
            conn = state.backend.connect(node, 'PUT', f'/{part}{path.backend_path}', headers[len(targets)])
        except (OSError, Timeout, http.client.HTTPException):
            continue                                  # counted by connect
        targets.append(_Target(node, conn, node in primaries))
    return targets


def _send_all(state: ProxyState, targets: list[_Target], body: Iterable[bytes], chunked: bool,
              needed: int, client: str) -> None:
    """Send the body to every target; drop those that fail (a node may have
    refused the request early, so that is counted as the client's); 503 below quorum."""
    for chunk in body:
        frame = b'%x\r\n%s\r\n' % (len(chunk), chunk) if chunked else chunk
        for target in list(targets):
            try:
                with timeout(state.backend.node_timeout):
                    target.conn.send(frame)
            except (OSError, Timeout):
                state.backend.limiter.failed(target.node, client)
                target.conn.close()
                targets.remove(target)
        if len(targets) < needed:
            raise exc.HTTPServiceUnavailable(body='lost too many storage nodes during the upload\n')
    if chunked:
        for target in targets:
            try:
                target.conn.send(b'0\r\n\r\n')
            except OSError:
                target.conn.close()


def _responses(state: ProxyState, targets: list[_Target]) -> list[BackendResult]:
    results = []
    for target in targets:
        try:
            with timeout(state.backend.node_timeout):
                resp = target.conn.getresponse()
                data = resp.read()
            results.append(BackendResult(resp.status, {k.title(): v for k, v in resp.getheaders()}, data,
                                         target.node))
        except (OSError, Timeout, http.client.HTTPException):
            results.append(BackendResult(503, {}, b'', target.node, 'io'))
        finally:
            target.conn.close()
    return results


def put_object(state: ProxyState, req: Request, path: VPath, body: Iterable[bytes], *,
               content_length: int | None, extra: dict[str, str]) -> Response:
    """Store ``body`` under ``path`` on a quorum of nodes."""
    ring = state.object_ring.ring
    replicas = len(ring.get_part_nodes(ring.get_part(path.account, path.container, path.obj)))
    cring = state.container_ring.ring
    cpart = cring.get_part(path.account, path.container)
    timestamp = Timestamp.now()
    sizing = {'Content-Length': str(content_length)} if content_length is not None \
        else {'Transfer-Encoding': 'chunked'}
    listing = update_targets(cring.get_part_nodes(cpart), replicas, 'Container', cpart)
    queue = delete_at_targets(state, extra.get('X-Delete-At'), replicas)
    headers = [backend_headers(req, timestamp, **extra, **sizing, **t, **q) for t, q in zip(listing, queue,
                                                                                           strict=True)]
    targets = _connect_all(state, req, path, headers)
    needed = quorum_size(replicas)
    if sum(t.primary for t in targets) < needed:      # handoffs add copies; primaries make the quorum
        for target in targets:
            target.conn.close()
        return exc.HTTPServiceUnavailable(body='not enough storage nodes reachable\n')
    try:
        _send_all(state, targets, body, content_length is None, needed, client_of(req))
    except BaseException:
        for target in targets:
            target.conn.close()
        raise
    primary_nodes = {id(t.node) for t in targets if t.primary}
    results = _responses(state, targets)
    state.backend.judge(results, client_of(req))
    best = best_response(results, replicas)
    stored = sum(r.status == 201 and id(r.node) in primary_nodes for r in results)
    if best is None or (best.status == 201 and stored < needed):
        return exc.HTTPServiceUnavailable(body='no quorum of storage nodes stored the object\n')
    if best.status != 201:
        return Response(status=best.status, body=best.body)
    return exc.HTTPCreated(headers={'ETag': best.headers.get('Etag', ''),
                                    'Last-Modified': timestamp.isoformat,
                                    'X-Timestamp': timestamp.internal})

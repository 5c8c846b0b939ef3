"""Object requests: GET/HEAD streamed from the first good node, PUT (see
obj_put), POST metadata, DELETE. (Server-side copy is the copy filter's.)"""

from __future__ import annotations

import http.client
import math
import time
from typing import Final

from webob import Request, Response, exc

from swiftlike.common import constraints as cons
from swiftlike.common.concurrency import Timeout, timeout
from swiftlike.common.numbers import parse_int
from swiftlike.common.request import update_targets
from swiftlike.common.timestamp import Timestamp
from swiftlike.proxy.backend import BackendResult, iter_nodes
from swiftlike.proxy.controllers.base import (
    HOP_BY_HOP,
    ProxyState,
    VPath,
    authorize,
    backend_headers,
    client_of,
    container_info,
    delete_at_targets,
    quorum_response,
    stream_body,
)
from swiftlike.proxy.controllers.obj_put import content_type_for, put_object, read_client_body

#: Answers of a node that end the search for the object.
FINAL: Final = {200, 206, 304, 412, 416}
#: The latest X-Delete-At taken: 9999999999 (year 2286), as ten digits hold.
MAX_DELETE_AT: Final = 10 ** 10 - 1


def open_object(state: ProxyState, req: Request, path: VPath, method: str) -> Response:
    """GET or HEAD from the first node that has it (a newer tombstone seen
    on an earlier node wins over an older copy)."""
    ring = state.object_ring.ring
    part = ring.get_part(path.account, path.container, path.obj)
    headers = backend_headers(req)
    tombstone = ''
    seen: list[BackendResult] = []
    for node in iter_nodes(ring, part, state.backend.limiter):
        try:
            conn = state.backend.connect(node, method, f'/{part}{path.backend_path}', headers)
        except (OSError, Timeout, http.client.HTTPException):
            continue                                  # counted by connect
        try:
            with timeout(state.backend.node_timeout):
                resp = conn.getresponse()
        except (OSError, Timeout, http.client.HTTPException):
            conn.close()
            seen.append(BackendResult(503, {}, b'', node, 'io'))
            continue
        seen.append(BackendResult(resp.status, {}, b'', node))
        if resp.status in FINAL and resp.getheader('X-Backend-Timestamp', '') >= tombstone:
            state.backend.judge(seen, client_of(req))
            return _passed(state, method, conn, resp)
        resp.read()
        conn.close()
        if resp.status == 404:
            tombstone = max(tombstone, resp.getheader('X-Backend-Timestamp', ''))
    state.backend.judge(seen, client_of(req))
    return exc.HTTPNotFound()


def _passed(state: ProxyState, method: str, conn: http.client.HTTPConnection,
            resp: http.client.HTTPResponse) -> Response:
    """A node's answer to GET or HEAD, passed on to the client (its body streamed)."""
    passed = HOP_BY_HOP - {'content-length'}
    headerlist = [(k, v) for k, v in resp.getheaders() if k.lower() not in passed]
    if method == 'GET' and resp.status not in (304, 412):
        body = stream_body(conn, resp, state.backend.node_timeout)
    else:
        body = iter(())      # an app_iter given up front keeps webob off Content-Length
        conn.close()
    return Response(status=resp.status, headerlist=headerlist, app_iter=body)


def _delete_at(req: Request, now: float) -> dict[str, str]:
    """X-Delete-At from X-Delete-At or X-Delete-After (whole seconds, before year 2286).

    :raises NumberError: 400 if malformed or in the past
    """
    after = req.headers.get('X-Delete-After')
    if after is not None:
        seconds = parse_int(after, what='X-Delete-After', maximum=MAX_DELETE_AT - math.ceil(now))
        return {'X-Delete-At': str(math.ceil(now + seconds))}
    at = req.headers.get('X-Delete-At')
    if at is None:
        return {}
    return {'X-Delete-At': str(parse_int(at, what='X-Delete-At (a time in the future)',
                                         minimum=math.floor(now) + 1, maximum=MAX_DELETE_AT))}


def _put(state: ProxyState, req: Request, path: VPath) -> Response:
    if req.content_length is None and req.headers.get('Transfer-Encoding', '').lower() != 'chunked':
        return exc.HTTPLengthRequired(body='Content-Length or chunked Transfer-Encoding required\n')
    if (req.content_length or 0) > state.limits.max_file_size:
        return exc.HTTPRequestEntityTooLarge(body='object too large\n')
    cons.check_metadata(req.headers, 'object', state.limits)
    extra = {'Content-Type': content_type_for(req, path.obj or ''), **_delete_at(req, state.clock())}
    if 'X-Copy-From' in req.headers:
        return exc.HTTPBadRequest(body='X-Copy-From needs the copy filter in the proxy pipeline\n')
    return put_object(state, req, path, read_client_body(req, state.conf.client_timeout),
                      content_length=req.content_length, extra=extra)


def _write(state: ProxyState, req: Request, path: VPath, extra: dict[str, str]) -> Response:
    ring = state.object_ring.ring
    part = ring.get_part(path.account, path.container, path.obj)
    nodes = ring.get_part_nodes(part)
    cring = state.container_ring.ring
    cpart = cring.get_part(path.account, path.container)
    targets = update_targets(cring.get_part_nodes(cpart), len(nodes), 'Container', cpart) \
        if req.method == 'DELETE' else delete_at_targets(state, extra.get('X-Delete-At'), len(nodes))
    timestamp = Timestamp.now()
    headers = [backend_headers(req, timestamp, **extra, **t) for t in targets]
    results = state.backend.write(ring, part, req.method, f'/{part}{path.backend_path}', headers,
                                  client=client_of(req))
    return quorum_response(results, len(nodes))


def handle(state: ProxyState, req: Request, path: VPath) -> Response:
    """Answer an object request."""
    for value, kind in ((path.account, 'account'), (path.container, 'container'), (path.obj, 'object')):
        cons.check_name(value or '', kind, state.limits)
    info = container_info(state, req, path.account, path.container or '')
    reading = req.method in ('GET', 'HEAD')
    denied = authorize(req, (info['read_acl'] if reading else info['write_acl']) if info else None)
    if denied is not None:
        return denied
    if info is None:
        return exc.HTTPNotFound(body='container not found\n')
    if reading:
        return open_object(state, req, path, req.method)
    if req.method == 'PUT':
        return _put(state, req, path)
    if req.method == 'POST':
        cons.check_metadata(req.headers, 'object', state.limits)
        return _write(state, req, path, _delete_at(req, time.time()))
    if req.method == 'DELETE':
        return _write(state, req, path, {})
    return exc.HTTPMethodNotAllowed()

"""Object requests: GET/HEAD (see obj_get), PUT (see obj_put), POST metadata,
DELETE. (Server-side copy is the copy filter's.)"""

from __future__ import annotations

import math
import time
from typing import Final

from webob import Request, Response, exc

from swiftlike.common import constraints as cons
from swiftlike.common.auth_check import authorize
from swiftlike.common.numbers import INT64_MAX, clamped_digits
from swiftlike.common.request import update_targets
from swiftlike.common.timestamp import Timestamp
from swiftlike.proxy.controllers.base import (
    ProxyState,
    VPath,
    backend_headers,
    client_of,
    container_info,
    delete_at_targets,
    quorum_response,
)
from swiftlike.proxy.controllers.obj_get import open_object
from swiftlike.proxy.controllers.obj_put import content_type_for, put_object, read_client_body

#: The latest X-Delete-At taken: 9999999999 (year 2286), as ten digits hold.
MAX_DELETE_AT: Final = 10 ** 10 - 1


def _seconds(text: str, header: str) -> int:
    """Whole seconds in ASCII digits (one leading '-' allowed); a longer number than any
    clock needs stands for "very far" (Swift takes ``'1' * 100`` and clamps it).

    :raises HTTPBadRequest: ``Non-integer <header>`` for anything else
    """
    value = clamped_digits(text[1:] if text.startswith('-') else text, INT64_MAX)
    if value is None:
        raise exc.HTTPBadRequest(body=f'Non-integer {header}')
    return -value if text.startswith('-') else value


def _delete_at(req: Request, now: float) -> dict[str, str]:
    """X-Delete-At from X-Delete-At or X-Delete-After: whole seconds, in the future, and (as
    Swift does) a later time clamped to 9999999999 (year 2286), what ten digits hold.

    :raises HTTPBadRequest: with Swift's wording, if malformed or in the past
    """
    after = req.headers.get('X-Delete-After')
    if after is not None:
        seconds = _seconds(after, 'X-Delete-After')
        if seconds < 0:
            raise exc.HTTPBadRequest(body='X-Delete-After in past')
        return {'X-Delete-At': str(min(math.ceil(now) + seconds, MAX_DELETE_AT))}
    at = req.headers.get('X-Delete-At')
    if at is None:
        return {}
    when = _seconds(at, 'X-Delete-At')
    if when <= now:
        raise exc.HTTPBadRequest(body='X-Delete-At in past')
    return {'X-Delete-At': str(min(when, MAX_DELETE_AT))}


def _put(state: ProxyState, req: Request, path: VPath) -> Response:
    if req.headers.get('If-None-Match', '*').strip() != '*':
        return exc.HTTPBadRequest(body='If-None-Match only supports *\n')
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
    targets = update_targets(cring.get_part_nodes(cpart), len(nodes), 'Container', cpart)
    if req.method == 'POST':          # (a POST's new Content-Type is listed; its X-Delete-At queued)
        expiry = delete_at_targets(state, extra.get('X-Delete-At'), len(nodes))
        targets = [{**t, **e} for t, e in zip(targets, expiry, strict=True)]
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
    acl = info.get('x-container-read' if reading else 'x-container-write') if info else None
    denied = authorize(req, acl)
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

"""Reading a static large object: the manifest's own answer gives the
segments, the joined size and ETag (sysmeta); swiftlike.common.joined
answers for the joined object."""

from __future__ import annotations

import json
from typing import Any

from webob import Request, Response, exc

from swiftlike.common import subrequest
from swiftlike.common.joined import joined_response
from swiftlike.common.numbers import parse_int
from swiftlike.common.slo_put import SYSMETA_ETAG, SYSMETA_SIZE
from swiftlike.common.sysmeta import ETAG_IS_AT
from swiftlike.common.wsgi import WsgiApp


def manifest_response(app: WsgiApp, req: Request, first: Response) -> Response:
    """The client's answer, given the object's own answer ``first`` (a manifest's)."""
    if first.status_int != 200:                 # the manifest's own ETag or size met a condition
        subrequest.close(first)
        first = subrequest.call(app, req.environ, req.method, subrequest.path_of(req))
        if first.status_int != 200:
            return first
    size = parse_int(first.headers.get(SYSMETA_SIZE, '0'), what='manifest size')
    etag = first.headers.get(SYSMETA_ETAG, '')
    compared = first.headers.get(req.headers[ETAG_IS_AT], etag) if ETAG_IS_AT in req.headers else etag
    segments = _segments(first) if req.method == 'GET' else []
    return joined_response(app, req, first, segments, size=size, etag=etag, compared=compared)


def _segments(resp: Response) -> list[dict[str, Any]]:
    try:
        segments = json.loads(b''.join(resp.app_iter))
    finally:
        subrequest.close(resp)
    if not isinstance(segments, list):
        raise exc.HTTPInternalServerError(body='unreadable large-object manifest\n')
    return segments

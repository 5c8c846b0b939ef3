"""Reading a static large object: the manifest's own answer gives the
segments, the joined size and ETag (sysmeta); swiftlike.common.joined
answers for the joined object."""

from __future__ import annotations

import json
from typing import Any

from webob import Request, Response, exc

from swiftlike.common import slo_parts, subrequest
from swiftlike.common.joined import joined_response
from swiftlike.common.numbers import parse_int
from swiftlike.common.slo_put import SYSMETA_ETAG, SYSMETA_SIZE
from swiftlike.common.sysmeta import ETAG_IS_AT
from swiftlike.common.wsgi import WsgiApp


def manifest_response(app: WsgiApp, req: Request, first: Response, part: int | None = None) -> Response:
    """The client's answer, given the object's own answer ``first`` (a manifest's), for the
    whole joined object or (``part``, see swiftlike.common.slo_parts) one of its parts."""
    if first.status_int != 200:                 # the manifest's own ETag or size met a condition
        subrequest.close(first)
        first = subrequest.call(app, req.environ, req.method, subrequest.path_of(req))
        if first.status_int != 200:
            return first
    size = parse_int(first.headers.get(SYSMETA_SIZE, '0'), what='manifest size')
    etag = first.headers.get(SYSMETA_ETAG, '')
    compared = first.headers.get(req.headers[ETAG_IS_AT], etag) if ETAG_IS_AT in req.headers else etag
    first.headers['X-Manifest-Etag'] = (first.etag or '').strip('"')
    if part is not None:
        return _part_response(app, req, first, part, size=size, etag=etag)
    segments = _segments(first) if req.method == 'GET' else []
    return joined_response(app, req, first, segments, size=size, etag=etag, compared=compared)


def _part_response(app: WsgiApp, req: Request, first: Response, part: int, *, size: int,
                   etag: str) -> Response:
    """``?part-number=``: 206 with the part's bytes, or 416 if the manifest has fewer parts."""
    if req.method == 'GET':
        segments = _segments(first)
    else:
        subrequest.close(first)
        raw = subrequest.call(app, req.environ, 'GET', subrequest.path_of(req),
                              query='multipart-manifest=get')
        if raw.status_int != 200:
            return raw
        segments = _segments(raw)
    bounds = slo_parts.span(segments, part)
    counted = {'X-Parts-Count': str(len(segments))}
    if bounds is None:
        headers = {k: v for k, v in first.headers.items()
                   if k.lower() not in ('content-length', 'etag', 'content-type', 'content-range')}
        body = b'' if req.method == 'HEAD' else b'The requested part number is not satisfiable'
        resp = Response(status=416, body=body, content_type='text/plain')
        resp.headers.update({**headers, **counted, 'ETag': f'"{etag}"', 'Content-Range': f'bytes */{size}'})
        resp.content_length = len(body)
        return resp
    req.headers['Range'] = f'bytes={bounds[0]}-{bounds[1] - 1}'
    resp = joined_response(app, req, first, segments, size=size, etag=etag)
    resp.headers.update(counted)
    if req.method == 'HEAD' and resp.status_int == 200:
        resp.status = 206
        resp.headers['Content-Length'] = str(bounds[1] - bounds[0])
        resp.headers['Content-Range'] = f'bytes {bounds[0]}-{bounds[1] - 1}/{size}'
    return resp


def _segments(resp: Response) -> list[dict[str, Any]]:
    try:
        segments = json.loads(b''.join(resp.app_iter))
    finally:
        subrequest.close(resp)
    if not isinstance(segments, list):
        raise exc.HTTPInternalServerError(body='unreadable large-object manifest\n')
    return segments

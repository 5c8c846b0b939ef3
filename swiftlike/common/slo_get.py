"""Reading a static large object: HEAD answers with the joined object's
size and ETag; GET streams its segments in order (each through the rest of
the pipeline, as the client), with Range and conditional requests answered
against the joined object.

A segment that is missing or changed since the manifest was stored (its
ETag differs) ends the body early: the client sees a short read, never
wrong bytes. The first segment is opened before the answer starts, so a
missing first segment is a clean 409."""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterator
from typing import Any

from webob import Request, Response, exc

from swiftlike.common import conditional, subrequest
from swiftlike.common.ranges import RangeNotSatisfiable, multipart_body, multipart_length, parse_range
from swiftlike.common.slo_put import SYSMETA_ETAG, SYSMETA_SIZE
from swiftlike.common.wsgi import WsgiApp

logger = logging.getLogger(__name__)

#: A request header naming the (sysmeta) header whose value conditions are checked against,
#: when the object has it: S3 clients send the S3 ETag of a multipart object in If-Match.
ETAG_IS_AT = 'X-Backend-Etag-Is-At'


class SegmentError(Exception):
    """A segment could not be read as the manifest says."""


def manifest_response(app: WsgiApp, req: Request, first: Response) -> Response:
    """The client's answer, given the object's own answer ``first`` (a manifest's)."""
    if first.status_int != 200:                 # the manifest's own ETag or size met a condition
        subrequest.close(first)
        first = subrequest.call(app, req.environ, req.method, subrequest.path_of(req))
        if first.status_int != 200:
            return first
    size, etag = int(first.headers.get(SYSMETA_SIZE, '0')), first.headers.get(SYSMETA_ETAG, '')
    headers = [(k, v) for k, v in first.headerlist
               if k.lower() not in ('content-length', 'etag', 'content-range', 'accept-ranges')]
    headers += [('ETag', f'"{etag}"'), ('Accept-Ranges', 'bytes')]
    modified = conditional.http_date(first.headers.get('Last-Modified', ''))
    compared = first.headers.get(req.headers[ETAG_IS_AT], etag) if ETAG_IS_AT in req.headers else etag
    status = conditional.evaluate(req.headers, compared, modified, req.method)
    if status is not None:
        subrequest.close(first)
        return Response(status=status, headerlist=[h for h in headers if h[0].lower() != 'content-type'],
                        app_iter=iter(()))
    if req.method == 'HEAD':
        subrequest.close(first)
        return Response(status=200, headerlist=headers + [('Content-Length', str(size))], app_iter=iter(()))
    segments = _segments(first)
    return _body_response(app, req, segments, size, headers)


def _segments(resp: Response) -> list[dict[str, Any]]:
    try:
        segments = json.loads(b''.join(resp.app_iter))
    finally:
        subrequest.close(resp)
    if not isinstance(segments, list):
        raise exc.HTTPInternalServerError(body='unreadable large-object manifest\n')
    return segments


def _body_response(app: WsgiApp, req: Request, segments: list[dict[str, Any]], size: int,
                   headers: list[tuple[str, str]]) -> Response:
    try:
        ranges = parse_range(req.headers.get('Range'), size)
    except RangeNotSatisfiable:
        return exc.HTTPRequestRangeNotSatisfiable(headers={'Content-Range': f'bytes */{size}'},
                                                  body='Requested range not satisfiable\n')
    reader = SegmentReader(app, req, segments)
    if ranges is None or len(ranges) == 1:
        start, stop = ranges[0] if ranges else (0, size)
        try:
            body = _started(reader.read(start, stop))
        except SegmentError as err:
            return exc.HTTPConflict(body=f'the large object cannot be read: {err}\n')
        if ranges is None:
            return Response(status=200, headerlist=headers + [('Content-Length', str(size))], app_iter=body)
        return Response(status=206, app_iter=body, headerlist=headers + [
            ('Content-Length', str(stop - start)), ('Content-Range', f'bytes {start}-{stop - 1}/{size}')])
    content_type = dict((k.lower(), v) for k, v in headers).get('content-type', 'application/octet-stream')
    boundary, body = multipart_body(ranges, size, content_type, reader.read)
    kept = [h for h in headers if h[0].lower() != 'content-type']
    return Response(status=206, app_iter=body, headerlist=kept + [
        ('Content-Type', f'multipart/byteranges; boundary={boundary}'),
        ('Content-Length', str(multipart_length(ranges, size, content_type, boundary)))])


def _started(body: Generator[bytes, None, None]) -> Iterator[bytes]:
    """``body`` with its first chunk already read (so its first failure comes now)."""
    first = next(body, b'')

    def rest() -> Iterator[bytes]:
        try:
            yield first
            yield from body
        finally:
            body.close()
    return rest()


class SegmentReader:
    """Bytes ``[start, stop)`` of the joined object, segment by segment."""

    def __init__(self, app: WsgiApp, req: Request, segments: list[dict[str, Any]]) -> None:
        self.app, self.req, self.segments = app, req, segments
        self.account = (subrequest.object_of(req) or ('', '', ''))[0]

    def read(self, start: int, stop: int) -> Generator[bytes, None, None]:
        offset = 0
        for seg in self.segments:
            length = int(seg['bytes'])
            first, last = max(start, offset), min(stop, offset + length)
            offset += length
            if first >= last:
                continue
            yield from self._segment(seg, first - (offset - length), last - (offset - length), length)

    def _segment(self, seg: dict[str, Any], first: int, last: int, length: int) -> Iterator[bytes]:
        container, _, obj = str(seg['name']).lstrip('/').partition('/')
        whole = first == 0 and last == length
        headers = {} if whole else {'Range': f'bytes={first}-{last - 1}'}
        resp = subrequest.call(self.app, self.req.environ, 'GET',
                               subrequest.object_path(self.account, container, obj), headers=headers)
        try:
            if resp.status_int not in (200, 206) or (resp.etag or '').strip('"') != seg['hash']:
                logger.error('large object %s: segment %s answered %s (ETag %s, expected %s)',
                             self.req.path, seg['name'], resp.status, resp.etag, seg['hash'])
                raise SegmentError(f'segment {seg["name"]}: {resp.status}')
            got = 0
            for chunk in resp.app_iter:
                got += len(chunk)
                yield chunk
            if got != last - first:
                raise SegmentError(f'segment {seg["name"]}: {got} bytes instead of {last - first}')
        finally:
            subrequest.close(resp)

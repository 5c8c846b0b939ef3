"""Reading an object joined from segments (a static or dynamic large
object): conditional requests against the joined ETag, HEAD with the joined
size, and GET streaming the segments in order (each through the rest of the
pipeline, as the client), with single and multiple ranges.

A segment that is missing or changed since it was listed (its ETag
differs) ends the body early: the client sees a short read, never wrong
bytes. The first segment is opened before the answer starts, so a missing
first segment is a clean 409."""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterator
from typing import Any

from webob import Request, Response, exc

from swiftlike.common import conditional, slo_segments, subrequest
from swiftlike.common.ranges import RangeNotSatisfiable, multipart_body, multipart_length, parse_range
from swiftlike.common.slo_put import SYSMETA_ETAG
from swiftlike.common.wsgi import WsgiApp

logger = logging.getLogger(__name__)


class SegmentError(Exception):
    """A segment could not be read as the manifest says."""


def joined_response(app: WsgiApp, req: Request, first: Response, segments: list[dict[str, Any]], *,
                    size: int, etag: str, compared: str | None = None) -> Response:
    """The answer for the joined object, given the manifest's own answer
    ``first`` (its headers are kept, its body is not read), the segments
    (``name`` /container/object, ``hash``, ``bytes``), the joined size and
    ETag, and the ETag conditions are compared against (default ``etag``)."""
    headers = [(k, v) for k, v in first.headerlist
               if k.lower() not in ('content-length', 'etag', 'content-range', 'accept-ranges')]
    headers += [('ETag', f'"{etag}"'), ('Accept-Ranges', 'bytes')]
    modified = conditional.http_date(first.headers.get('Last-Modified', ''))
    status = conditional.evaluate(req.headers, etag if compared is None else compared, modified, req.method)
    subrequest.close(first)
    if status is not None:
        return Response(status=status, headerlist=[h for h in headers if h[0].lower() != 'content-type'],
                        app_iter=iter(()))
    if req.method == 'HEAD':
        return Response(status=200, headerlist=headers + [('Content-Length', str(size))], app_iter=iter(()))
    return _body_response(app, req, segments, size, headers)


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
    """Bytes ``[start, stop)`` of the joined object, segment by segment: whole objects,
    byte ranges of them, data segments, and sub-manifests read ``depth`` levels down
    (see swiftlike.common.slo_segments)."""

    def __init__(self, app: WsgiApp, req: Request, segments: list[dict[str, Any]], depth: int = 0) -> None:
        self.app, self.req, self.segments, self.depth = app, req, segments, depth
        self.account = (subrequest.object_of(req) or ('', '', ''))[0]

    def read(self, start: int, stop: int) -> Generator[bytes, None, None]:
        offset = 0
        for seg in self.segments:
            length = slo_segments.entry_length(seg)
            first, last = max(start, offset), min(stop, offset + length)
            offset += length
            if first >= last:
                continue
            first, last = first - (offset - length), last - (offset - length)
            if 'data' in seg:
                yield slo_segments.data_of(seg)[first:last]
                continue
            span = slo_segments.stored_range(seg)
            if span is not None:                          # offsets within the segment's own object
                first, last = first + span[0], last + span[0]
            if seg.get('sub_slo'):
                yield from self._nested(seg, first, last)
            else:
                yield from self._segment(seg, first, last, int(seg['bytes']))

    def _open(self, seg: dict[str, Any], headers: dict[str, str]) -> Response:
        container, _, obj = str(seg['name']).lstrip('/').partition('/')
        return subrequest.call(self.app, self.req.environ, 'GET',
                               subrequest.object_path(self.account, container, obj), headers=headers)

    def _nested(self, seg: dict[str, Any], first: int, last: int) -> Iterator[bytes]:
        """Bytes ``[first, last)`` of a sub-manifest's joined object."""
        if self.depth >= slo_segments.MAX_DEPTH:
            raise SegmentError(f'segment {seg["name"]}: manifests nested over {slo_segments.MAX_DEPTH} deep')
        resp = self._open(seg, {})
        try:
            if resp.status_int != 200 or resp.headers.get(SYSMETA_ETAG) != seg['hash']:
                logger.error('large object %s: sub-manifest %s answered %s (ETag %s, expected %s)',
                             self.req.path, seg['name'], resp.status, resp.headers.get(SYSMETA_ETAG),
                             seg['hash'])
                raise SegmentError(f'segment {seg["name"]}: {resp.status}')
            segments = json.loads(b''.join(resp.app_iter))
        finally:
            subrequest.close(resp)
        yield from SegmentReader(self.app, self.req, segments, self.depth + 1).read(first, last)

    def _segment(self, seg: dict[str, Any], first: int, last: int, length: int) -> Iterator[bytes]:
        whole = first == 0 and last == length
        resp = self._open(seg, {} if whole else {'Range': f'bytes={first}-{last - 1}'})
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

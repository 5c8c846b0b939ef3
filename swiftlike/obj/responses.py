"""Building object GET/HEAD responses: headers from metadata, conditional
requests, single and multiple byte ranges.

The reader handed in is owned from then on: it is closed here on every path
that does not give it to the response body, including every error, and
otherwise by the body's ``close()``, which the WSGI server calls whether
the body was read, read in part, or not at all."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from email.utils import formatdate

from webob import Request, Response, exc

from swiftlike.common import conditional, ranges
from swiftlike.obj import layout
from swiftlike.obj.diskfile import ObjectReader

#: Metadata keys sent back as response headers, besides X-Object-Meta-*.
_PASSED = ('Content-Type', *layout.STORED)


def object_headers(reader: ObjectReader) -> dict[str, str]:
    """Response headers describing an object."""
    meta = reader.metadata
    headers = {k: v for k, v in meta.items()
               if k in _PASSED or k.lower().startswith(('x-object-meta-', 'x-object-sysmeta-'))}
    timestamp = meta['X-Timestamp']
    headers.update({
        'ETag': meta['ETag'],             # unquoted, as Swift (its clients compare it raw)
        'X-Timestamp': timestamp,
        'X-Backend-Timestamp': timestamp,
        'X-Backend-Data-Timestamp': meta.get('X-Data-Timestamp', timestamp),
        'Last-Modified': formatdate(math.ceil(float(timestamp.split('_')[0])), usegmt=True),
        'Accept-Ranges': 'bytes',
    })
    headers.setdefault('Content-Type', 'application/octet-stream')
    return headers


class _Closing:
    """A response body that closes ``reader`` when it is exhausted or closed
    (a generator would not run its ``finally`` if it was never started)."""

    def __init__(self, reader: ObjectReader, chunks: Iterable[bytes]) -> None:
        self.reader = reader
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self.chunks
        finally:
            self.close()

    def close(self) -> None:
        """Close the chunks' iterator, if it has a close, and the reader."""
        try:
            close = getattr(self.chunks, 'close', None)
            if close is not None:
                close()
        finally:
            self.reader.close()


def _slicer(body: bytes) -> Callable[[int, int], Iterable[bytes]]:
    def read(start: int, stop: int) -> Iterable[bytes]:
        return [body[start:stop]]
    return read


def object_response(req: Request, reader: ObjectReader, body: bytes | None = None) -> Response:
    """The response to GET or HEAD of an open object (closes ``reader``, at
    once or when the response body is closed; at once if anything raises);
    ``body``, when given, is the whole body already read (and verified),
    served instead of reading again."""
    try:
        return _object_response(req, reader, body)
    except BaseException:
        reader.close()
        raise


def _object_response(req: Request, reader: ObjectReader, body: bytes | None) -> Response:
    headers = object_headers(reader)
    meta = reader.metadata
    status = conditional.evaluate(req.headers, meta['ETag'],
                                  float(meta['X-Timestamp'].split('_')[0]), req.method)
    length = reader.content_length
    if status is not None or req.method == 'HEAD':
        reader.close()
        resp = Response(status=status or 200, headers=headers)
        if status is None:
            resp.content_length = length
        return resp
    try:
        wanted = ranges.parse_range(req.headers.get('Range'), length)
    except ranges.RangeNotSatisfiable:            # object_response closes the reader
        raise exc.HTTPRequestRangeNotSatisfiable(
            headers={'Content-Range': f'bytes */{length}', **headers}) from None
    resp = Response(headers=headers)
    read: Callable[[int, int], Iterable[bytes]] = reader.iter_range
    if body is not None:
        reader.close()
        read = _slicer(body)
    if wanted is None:
        resp.app_iter = _Closing(reader, read(0, length))
        resp.content_length = length
    elif len(wanted) == 1:
        start, stop = wanted[0]
        resp.status = 206
        resp.headers['Content-Range'] = f'bytes {start}-{stop - 1}/{length}'
        resp.app_iter = _Closing(reader, read(start, stop))
        resp.content_length = stop - start
    else:
        content_type = headers['Content-Type']
        boundary, parts = ranges.multipart_body(wanted, length, content_type, read)
        resp.status = 206
        resp.app_iter = _Closing(reader, parts)
        resp.headers['Content-Type'] = f'multipart/byteranges;boundary={boundary}'
        resp.content_length = ranges.multipart_length(wanted, length, content_type, boundary)
    return resp

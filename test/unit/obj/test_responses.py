"""object_response owns the reader it is given: closed on every error path
(headers that cannot be built, an unsatisfiable range), after HEAD and
conditional answers, and by the body's close() whether it was read or not."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webob import Request, exc

from swiftlike.obj.responses import object_response


class FakeReader:
    """An open object whose close() calls are counted."""

    def __init__(self, metadata: dict[str, str], body: bytes = b'0123456789') -> None:
        self.metadata = metadata
        self.body = body
        self.content_length = len(body)
        self.closed = 0

    def iter_range(self, start: int, stop: int, chunk_size: int = 65536) -> Iterator[bytes]:
        yield self.body[start:stop]

    def close(self) -> None:
        self.closed += 1


GOOD = {'ETag': 'e' * 32, 'X-Timestamp': '0000001000.00000', 'Content-Type': 'text/plain'}


@pytest.mark.parametrize('metadata', [
    {k: v for k, v in GOOD.items() if k != 'ETag'},               # KeyError building headers
    {**GOOD, 'X-Timestamp': 'soon'},                               # ValueError building headers
], ids=['no-etag', 'bad-timestamp'])
def test_reader_closed_when_building_headers_raises(metadata):
    reader = FakeReader(metadata)
    with pytest.raises((KeyError, ValueError)):
        object_response(Request.blank('/sda/1/a/c/o'), reader)
    assert reader.closed >= 1


def test_reader_closed_on_unsatisfiable_range():
    reader = FakeReader(GOOD)
    with pytest.raises(exc.HTTPRequestRangeNotSatisfiable):
        object_response(Request.blank('/sda/1/a/c/o', headers={'Range': 'bytes=50-60'}), reader)
    assert reader.closed >= 1


@pytest.mark.parametrize('headers', [{}, {'If-None-Match': 'e' * 32}], ids=['head', 'not-modified'])
def test_reader_closed_when_no_body_is_sent(headers):
    reader = FakeReader(GOOD)
    resp = object_response(Request.blank('/sda/1/a/c/o', method='HEAD', headers=headers), reader)
    assert resp.status_int in (200, 304) and reader.closed == 1


@pytest.mark.parametrize('range_header', [None, 'bytes=2-4', 'bytes=0-1,5-6'])
def test_body_closes_reader_when_read(range_header):
    reader = FakeReader(GOOD)
    req = Request.blank('/sda/1/a/c/o', headers={'Range': range_header} if range_header else {})
    resp = object_response(req, reader)
    assert reader.closed == 0
    assert b''.join(resp.app_iter)
    assert reader.closed >= 1


def test_body_closes_reader_when_never_read():
    """A client gone before the first chunk: the server calls close() on an unstarted body."""
    reader = FakeReader(GOOD)
    resp = object_response(Request.blank('/sda/1/a/c/o'), reader)
    resp.app_iter.close()
    assert reader.closed == 1

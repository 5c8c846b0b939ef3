"""Conditional object PUTs: ``If-None-Match: *`` (create only) and
``If-Match`` (replace only what the client saw), checked against what the
node stores before any of the body is read, so the proxy learns the 412
through ``Expect: 100-continue`` and the client's body is never sent."""

from __future__ import annotations

from webob import Request, exc

from swiftlike.common.conditional import etags
from swiftlike.common.exceptions import DiskFileNotExistError
from swiftlike.common.sysmeta import ETAG_IS_AT
from swiftlike.obj.diskfile import DiskFile


def _current_etag(req: Request, df: DiskFile, now: float) -> str | None:
    """The stored object's ETag (or the value named by X-Backend-Etag-Is-At); None if there is none."""
    try:
        reader = df.open(now)
    except DiskFileNotExistError:
        return None
    try:
        meta = reader.metadata
        return meta.get(req.headers.get(ETAG_IS_AT, ''), meta.get('ETag', ''))
    finally:
        reader.close()


def check(req: Request, df: DiskFile, now: float) -> None:
    """Refuse a PUT whose conditions the stored object does not meet.

    :raises HTTPPreconditionFailed: 412
    """
    none_match, match = req.headers.get('If-None-Match'), req.headers.get('If-Match')
    if none_match is None and match is None:
        return
    etag = _current_etag(req, df, now)
    if none_match is not None:
        tags = etags(none_match)
        if etag is not None and ('*' in tags or etag in tags):
            raise exc.HTTPPreconditionFailed(body='If-None-Match: the object exists\n')
    if match is not None:
        tags = etags(match)
        if etag is None or ('*' not in tags and etag not in tags):
            raise exc.HTTPPreconditionFailed(body='If-Match: the object is not the one named\n')

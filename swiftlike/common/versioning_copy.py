"""Moving object versions about for the versioning filters: read an object
as stored (a large object's manifest, not what it joins) and write it under
another name with its metadata, on behalf of the container's owner.

Callers authorize the client first. Answers from the rest of the pipeline
become the client's as Swift's versioning gives them: a missing archive
container is 412, another client error is passed on, a server error 503."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import quote

from webob import Response, exc

from swiftlike.common import subrequest
from swiftlike.common.slo_put import is_manifest
from swiftlike.common.timestamp import Timestamp
from swiftlike.common.versioning_state import owner_call
from swiftlike.common.wsgi import WsgiApp

#: Read an object as stored: a manifest and a symlink as themselves.
AS_STORED: Final = 'multipart-manifest=get&symlink=get'
#: Headers of a stored object that go along with a copy of it.
KEPT: Final = ('content-type', 'content-encoding', 'content-disposition', 'x-object-manifest',
               'x-static-large-object', 'x-symlink-target', 'x-symlink-target-account')
KEPT_PREFIXES: Final = ('x-object-meta-', 'x-object-sysmeta-')


def check(resp: Response) -> None:
    """Nothing if ``resp`` is a success, else raise the client's answer.

    :raises HTTPException: 412 for 404 (no archive container), the same
        status for another client error, 503 for anything else
    """
    if resp.status_int // 100 == 2:
        return
    body = b''.join(resp.app_iter) if resp.status_int // 100 == 4 else b''
    subrequest.close(resp)
    if resp.status_int == 404:
        raise exc.HTTPPreconditionFailed(body='The versions container does not exist\n')
    if resp.status_int // 100 == 4:
        raise exc.status_map.get(resp.status_int, exc.HTTPBadRequest)(body=body or None)
    raise exc.HTTPServiceUnavailable(body='Could not version the object\n')


def get_stored(app: WsgiApp, environ: dict[str, Any], path: str, method: str = 'GET') -> Response | None:
    """The object at ``path`` as stored, or None if there is none.

    :raises HTTPException: see :func:`check`
    """
    resp = owner_call(app, environ, method, path, query=AS_STORED)
    if resp.status_int == 404:
        subrequest.close(resp)
        return None
    check(resp)
    return resp


def timestamp_of(resp: Response) -> Timestamp:
    """When the object a response describes was written."""
    if 'X-Timestamp' in resp.headers:
        try:
            return Timestamp(resp.headers['X-Timestamp'])
        except ValueError:
            pass
    try:
        return Timestamp(parsedate_to_datetime(resp.headers['Last-Modified']).timestamp())
    except (KeyError, TypeError, ValueError):
        return Timestamp(time.time())


def kept_headers(source: Response) -> dict[str, str]:
    """The headers a copy of ``source`` is written with."""
    headers = {k: v for k, v in source.headers.items()
               if k.lower() in KEPT or k.lower().startswith(KEPT_PREFIXES)}
    if source.etag and not is_manifest(source.headers):
        headers['ETag'] = source.etag.strip('"')
    return headers


def put_copy(app: WsgiApp, environ: dict[str, Any], source: Response, path: str,
             extra: dict[str, str] | None = None) -> Response:
    """Write ``source`` (a GET's answer, consumed here) to ``path``.

    :raises HTTPException: see :func:`check`
    """
    headers = {**kept_headers(source), **(extra or {})}
    if source.content_length is None:
        headers['Transfer-Encoding'] = 'chunked'
    try:
        resp = owner_call(app, environ, 'PUT', path, headers=headers, length=source.content_length,
                          body=subrequest.IterReader(source.app_iter))
    finally:
        subrequest.close(source)
    subrequest.close(resp)
    check(resp)
    return resp


def listing(app: WsgiApp, environ: dict[str, Any], account: str, container: str, prefix: str, *,
            reverse: bool = False, marker: str = '', end_marker: str = '') -> Iterator[dict[str, Any]]:
    """Every row of ``container`` under ``prefix`` (after ``marker``, before
    ``end_marker``), page by page, as the owner; nothing if the container
    does not exist.

    :raises HTTPException: see :func:`check`
    """
    while True:
        query = f'format=json&prefix={quote(prefix)}&marker={quote(marker)}'
        if end_marker:
            query += f'&end_marker={quote(end_marker)}'
        if reverse:
            query += '&reverse=on'
        resp = owner_call(app, environ, 'GET', f'/v1/{account}/{container}', query=query)
        if resp.status_int == 404:
            subrequest.close(resp)
            return
        check(resp)
        page = json.loads(b''.join(resp.app_iter) or b'[]')
        subrequest.close(resp)
        rows = [row for row in page if 'name' in row]
        if not rows:
            return
        yield from rows
        marker = rows[-1]['name']

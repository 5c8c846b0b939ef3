"""Storing a static large object's manifest (``PUT ?multipart-manifest=put``).

The client sends a JSON list of its segments, each ``{"path":
"/<container>/<object>", "etag": ..., "size_bytes": ...}`` (etag and size
may be null: not checked). Every segment is looked up (HEAD, as the
client) and must exist, be at least one byte, not be a manifest itself, and
match what the client said. The manifest stored is the list as found
(``name``, ``hash``, ``bytes``, ``content_type``, ``last_modified``), with
the joined object's size and ETag (the MD5 of the segments' ETags) as
sysmeta, and the same size in container listings."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from webob import Request, Response, exc

from swiftlike.common import slo_segments, subrequest
from swiftlike.common.concurrency import run_batches
from swiftlike.common.sysmeta import OVERRIDE_ETAG, OVERRIDE_SIZE
from swiftlike.common.wsgi import WsgiApp

SLO_HEADER: Final = 'X-Static-Large-Object'
#: Sent (only) by the cluster's own filters: the segments' ETags and sizes are already checked
#: (s3api's CompleteMultipartUpload checks them against the segments container's listing), so
#: they are not looked up again, and up to MAX_CHECKED_SEGMENTS (S3's 10,000 parts) are allowed.
CHECKED: Final = 'X-Backend-Slo-Checked'
MAX_CHECKED_SEGMENTS: Final = 10000
SYSMETA_ETAG: Final = 'X-Object-Sysmeta-Slo-Etag'
SYSMETA_SIZE: Final = 'X-Object-Sysmeta-Slo-Size'


@dataclass(frozen=True)
class SloConf:
    """Options of the slo filter."""

    max_manifest_segments: int = 1000
    max_manifest_size: int = 8 * 1024 * 1024
    concurrency: int = 4


@dataclass(frozen=True)
class Wanted:
    """One segment as the client listed it (a data segment has only ``data``, base64)."""

    container: str
    obj: str
    etag: str | None
    size: int | None
    range: str | None = None
    data: str | None = None

    @property
    def name(self) -> str:
        return f'/{self.container}/{self.obj}'


def is_manifest(headers: Any) -> bool:
    """Whether a response's headers are a static large object's."""
    return str(headers.get(SLO_HEADER, '')).lower() in ('true', '1', 'yes')


def as_put_body(stored: bytes) -> bytes:
    """A stored manifest (``name``, ``hash``, ``bytes``...) as the list a client PUTs
    (``path``, ``etag``, ``size_bytes``, ``range``, or ``data``): ``?format=raw``, and
    what a COPY of the manifest itself stores again.

    >>> as_put_body(b'[{"name": "/c/o", "hash": "e", "bytes": 3, "last_modified": "x"}, {"data": "YQ=="}]')
    b'[{"path": "/c/o", "etag": "e", "size_bytes": 3}, {"data": "YQ=="}]'

    :raises ValueError: if ``stored`` is not a list of segment entries
    """
    entries = json.loads(stored)
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ValueError('not a manifest')
    out: list[dict[str, Any]] = []
    for entry in entries:
        if 'data' in entry:
            out.append({'data': entry['data']})
            continue
        item = {'path': entry['name'], 'etag': entry['hash'], 'size_bytes': entry['bytes']}
        if 'range' in entry:
            item['range'] = entry['range']
        out.append(item)
    return json.dumps(out).encode('utf-8')


def _bad(message: str) -> exc.HTTPBadRequest:
    return exc.HTTPBadRequest(body=message.rstrip('\n') + '\n', content_type='text/plain')


def parse(body: bytes, max_segments: int) -> list[Wanted]:
    """The client's segment list.

    :raises HTTPBadRequest: naming what is wrong with it
    """
    try:
        items = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _bad('Manifest must be valid JSON') from None
    if not isinstance(items, list) or not items:
        raise _bad('Manifest must be a non-empty JSON list of segments')
    if len(items) > max_segments:
        raise _bad(f'Too many segments: at most {max_segments}')
    return [_wanted(index, item) for index, item in enumerate(items)]


def _wanted(index: int, item: Any) -> Wanted:
    """One entry of the client's list.

    :raises HTTPBadRequest: naming what is wrong with it
    """
    if isinstance(item, dict) and set(item) == {'data'}:
        try:
            if not isinstance(item['data'], str) or not slo_segments.data_of(item):
                raise ValueError('empty')
        except ValueError:
            raise _bad(f'Segment {index}: data must be non-empty base64') from None
        return Wanted('', '', None, None, data=item['data'])
    if not isinstance(item, dict) or not isinstance(item.get('path'), str) \
            or set(item) - {'path', 'etag', 'size_bytes', 'range'}:
        raise _bad(f'Segment {index}: needs "path" and only "etag", "size_bytes" and "range" besides, '
                   'or only "data"')
    container, _, obj = item['path'].lstrip('/').partition('/')
    etag, size, span = item.get('etag'), item.get('size_bytes'), item.get('range')
    if not container or not obj:
        raise _bad(f'Segment {index}: path must be /<container>/<object>')
    if etag is not None and not isinstance(etag, str):
        raise _bad(f'Segment {index}: etag must be a string or null')
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 1):
        raise _bad(f'Segment {index}: size_bytes must be a positive integer or null')
    if span is not None and not isinstance(span, str):
        raise _bad(f'Segment {index}: range must be a string')
    return Wanted(container, obj, etag.strip('"').lower() if etag else None, size, span)


def _read_body(req: Request, limit: int) -> bytes:
    if req.content_length is not None and req.content_length > limit:
        raise exc.HTTPRequestEntityTooLarge(body=f'Manifest larger than {limit} bytes\n')
    body = req.body_file.read(limit + 1)
    if len(body) > limit:
        raise exc.HTTPRequestEntityTooLarge(body=f'Manifest larger than {limit} bytes\n')
    return bytes(body)


def _check(app: WsgiApp, req: Request, account: str, target: str, seg: Wanted) -> dict[str, Any] | str:
    """The stored entry of one segment, or why it cannot be one. A segment that is a
    manifest itself counts with its joined size and ETag (a sub-manifest)."""
    if seg.data is not None:
        return {'data': seg.data}
    if seg.name == target:
        return 'a manifest cannot be its own segment'
    head = subrequest.call(app, req.environ, 'HEAD', subrequest.object_path(account, seg.container, seg.obj))
    subrequest.close(head)
    if head.status_int // 100 != 2:
        return str(head.status)
    nested = is_manifest(head.headers)
    if nested:
        etag, size = str(head.headers.get(SYSMETA_ETAG, '')), int(head.headers.get(SYSMETA_SIZE, '0'))
    else:
        etag, size = (head.etag or '').strip('"'), head.content_length or 0
    if size < 1:
        return 'Too small; each segment must be at least 1 byte'
    if seg.etag is not None and seg.etag != etag:
        return f'Etag Mismatch (stored {etag})'
    if seg.size is not None and seg.size != size:
        return f'Size Mismatch (stored {size})'
    entry: dict[str, Any] = {'name': seg.name, 'hash': etag, 'bytes': size,
                             'content_type': head.headers.get('Content-Type', 'application/octet-stream'),
                             'last_modified': head.headers.get('Last-Modified', '')}
    if nested:
        entry['sub_slo'] = True
    if seg.range is not None:
        try:
            first, last = slo_segments.normal_range(seg.range, size)
        except ValueError as err:
            return f'Unsatisfiable Range: {err}'
        entry['range'] = f'{first}-{last}'
    return entry


def _trusted(seg: Wanted) -> dict[str, Any] | str:
    """The stored entry of a segment the cluster itself has checked."""
    if seg.etag is None or seg.size is None:
        return 'a checked manifest gives every etag and size_bytes'
    return {'name': seg.name, 'hash': seg.etag, 'bytes': seg.size, 'content_type': 'application/octet-stream',
            'last_modified': ''}


def put_manifest(app: WsgiApp, req: Request, target: tuple[str, str, str], conf: SloConf) -> Response:
    """Check the segments, then store the manifest (201 with the joined object's ETag)."""
    account, container, obj = target
    checked = req.headers.get(CHECKED, '').lower() == 'true'
    limit = max(conf.max_manifest_size, MAX_CHECKED_SEGMENTS * 2048) if checked else conf.max_manifest_size
    wanted = parse(_read_body(req, limit), MAX_CHECKED_SEGMENTS if checked else conf.max_manifest_segments)
    here = f'/{container}/{obj}'
    if checked:
        entries: list[dict[str, Any] | str | BaseException] = [_trusted(seg) for seg in wanted]
    else:
        entries = run_batches([partial(_check, app, req, account, here, seg) for seg in wanted],
                              width=conf.concurrency, limit=60)
    problems = [f'{seg.name}, {entry}' for seg, entry in zip(wanted, entries, strict=True)
                if not isinstance(entry, dict)]
    if problems:
        return _bad('Errors:\n' + '\n'.join(problems))
    segments = [e for e in entries if isinstance(e, dict)]
    etag = slo_segments.joined_etag(segments)
    size = sum(slo_segments.entry_length(seg) for seg in segments)
    given = req.headers.get('ETag', '').strip('"').lower()
    if given and given != etag:
        return exc.HTTPUnprocessableEntity(body='ETag does not match the segments\' joined ETag\n')
    body = json.dumps(segments).encode('utf-8')
    skipped = {'etag', 'content-length', 'transfer-encoding', CHECKED.lower()}
    headers = {k: v for k, v in req.headers.items() if k.lower() not in skipped}
    headers.update({SLO_HEADER: 'True', SYSMETA_ETAG: etag, SYSMETA_SIZE: str(size),
                    OVERRIDE_SIZE: str(size)})
    # listed as the manifest's own MD5 with the joined ETag beside it (see common.listing.listed_etag)
    own_md5 = hashlib.md5(body, usedforsecurity=False).hexdigest()
    headers.setdefault(OVERRIDE_ETAG, f'{own_md5}; slo_etag={etag}')
    resp = subrequest.call(app, req.environ, 'PUT', subrequest.object_path(account, container, obj),
                           headers=headers, body=subrequest.IterReader([body]), length=len(body))
    if resp.status_int == 201:
        resp.headers['ETag'] = f'"{etag}"'
    return resp

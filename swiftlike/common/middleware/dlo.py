"""Dynamic large objects, as Swift has them: an object whose
``X-Object-Manifest: <container>/<prefix>`` header makes GET and HEAD answer
with every object of ``<container>`` whose name starts with ``<prefix>``,
joined in name order (found by listing the container as the client, at
read time). ``swift upload -S <size>`` without ``--use-slo`` stores these.

- The joined object's ETag is the MD5 of its segments' ETags (quoted, as
  Swift's); its size their sum. Ranges and conditional requests apply to it
  (a request for several ranges gets the whole object, 200, as Swift's).
- ``?multipart-manifest=get`` returns the manifest object itself.
- A PUT's ``X-Object-Manifest`` must be ``<container>/<prefix>`` (400 otherwise).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote

from webob import Request, Response, exc

from swiftlike.common import info, query, subrequest
from swiftlike.common.joined import joined_response
from swiftlike.common.request import header_to_str
from swiftlike.common.wsgi import Middleware

MANIFEST_HEADER: Final = 'X-Object-Manifest'


@dataclass(frozen=True)
class DloConf:
    """``[filter:dlo]``."""

    #: Most segments a joined object may have (each listing page is up to 10,000).
    max_segments: int = 100000


def parse_manifest(value: str) -> tuple[str, str]:
    """``(container, prefix)`` of an ``X-Object-Manifest`` value (URL-quoted).

    >>> parse_manifest('seg%20s/big/file/'), parse_manifest('s\xc3\xa9g/big')
    (('seg s', 'big/file/'), ('ség', 'big'))

    :raises ValueError: if it is not ``<container>/<prefix>`` (ConstraintError, if not UTF-8)
    """
    text = unquote(header_to_str(value), errors='strict')
    container, slash, prefix = text.lstrip('/').partition('/')
    if not container or not slash or '\x00' in text or container in ('.', '..'):
        raise ValueError(f'{MANIFEST_HEADER} must be in the format container/prefix')
    return container, prefix


class Dlo(Middleware):
    """The dlo filter (after slo, before the proxy app)."""

    conf_class = DloConf

    @property
    def dconf(self) -> DloConf:
        return self.conf or DloConf()

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'dlo', {'max_segments': self.dconf.max_segments})
            return None
        target = subrequest.object_of(req)
        if target is None:
            return None
        if req.method == 'PUT' and MANIFEST_HEADER in req.headers:
            try:
                parse_manifest(req.headers[MANIFEST_HEADER])
            except (ValueError, UnicodeDecodeError) as err:
                return exc.HTTPBadRequest(body=f'{err}\n')
            return None
        if req.method not in ('GET', 'HEAD'):
            return None
        as_stored = query.param(req, 'multipart-manifest') == 'get'
        resp = req.get_response(self.app)
        if MANIFEST_HEADER not in resp.headers or resp.status_int not in (200, 206, 304, 412, 416) \
                or as_stored:
            return resp
        return self._joined(req, resp, target[0])

    def _joined(self, req: Request, first: Response, account: str) -> Response:
        try:
            container, prefix = parse_manifest(first.headers[MANIFEST_HEADER])
        except (ValueError, UnicodeDecodeError):
            return first                                   # stored before this filter checked it
        segments = self._listing(req, account, container, prefix)
        if isinstance(segments, Response):
            subrequest.close(first)
            return segments
        etag = hashlib.md5(''.join(s['hash'] for s in segments).encode('ascii'),
                           usedforsecurity=False).hexdigest()
        if first.status_int != 200:                         # the manifest itself met a Range or condition
            subrequest.close(first)
            first = subrequest.call(self.app, req.environ, 'HEAD', subrequest.path_of(req))
        if ',' in req.headers.get('Range', ''):
            del req.headers['Range']        # as Swift's: several ranges of a DLO get the whole object (200)
        return joined_response(self.app, req, first, segments, size=sum(s['bytes'] for s in segments),
                               etag=etag)

    def _listing(self, req: Request, account: str, container: str, prefix: str
                 ) -> list[dict[str, Any]] | Response:
        """The segments, listed as the client, or the listing's error answer."""
        segments: list[dict[str, Any]] = []
        marker = ''
        while True:
            query = f'format=json&prefix={quote(prefix)}&marker={quote(marker)}'
            resp = subrequest.call(self.app, req.environ, 'GET', f'/v1/{account}/{container}', query=query)
            if resp.status_int == 404:
                return segments
            if resp.status_int // 100 != 2:
                return resp
            page = json.loads(b''.join(resp.app_iter) or b'[]')
            subrequest.close(resp)
            segments += [{'name': f'/{container}/{row["name"]}', 'hash': row['hash'], 'bytes': row['bytes']}
                         for row in page if 'name' in row]
            if not page or len(segments) >= self.dconf.max_segments:
                return segments[:self.dconf.max_segments]
            marker = page[-1].get('name') or page[-1].get('subdir', '')


filter_factory = Dlo.factory

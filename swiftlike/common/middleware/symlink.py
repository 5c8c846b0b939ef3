"""Symbolic links, as Swift has them: a zero-byte object stored with
``X-Symlink-Target: <container>/<object>`` (``X-Symlink-Target-Account``
for another account) that GET and HEAD follow to its target, as the
client, up to ``symlink_loop_limit`` links (409 past that). A static link
(``X-Symlink-Target-Etag``) is checked against its target when stored
and when read (409 when they differ). ``?symlink=get`` answers with the
link itself; a POST to a link changes the link's metadata and answers
307 with the target's Location; container listings show ``symlink_path``
(and ``symlink_etag``, ``symlink_bytes``).

Sits right above the proxy app: every request it makes goes to the app
directly, so it sees links as stored (with their system metadata) and
follows them itself. Never stores or reads an object's body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from webob import Request, Response, exc

from swiftlike.common import env_keys, info, query, subrequest
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.db_http import listing_format
from swiftlike.common.listing import format_listing
from swiftlike.common.numbers import is_int
from swiftlike.common.request import split_path
from swiftlike.common.slo_put import SYSMETA_ETAG as SLO_ETAG
from swiftlike.common.slo_put import SYSMETA_SIZE as SLO_SIZE
from swiftlike.common.slo_put import is_manifest
from swiftlike.common.symlink_meta import (
    TARGET,
    TARGET_ETAG,
    Target,
    listing_entry,
    parse_target,
    stored_target,
)
from swiftlike.common.sysmeta import OVERRIDE_ETAG
from swiftlike.common.wsgi import Middleware

EMPTY_MD5: Final = 'd41d8cd98f00b204e9800998ecf8427e'
#: Statuses whose answer describes the object itself (its ETag and metadata).
_DESCRIBED: Final = frozenset({200, 206, 304, 412, 416})


@dataclass(frozen=True)
class SymlinkConf:
    """``[filter:symlink]``."""

    #: Most links one GET or HEAD follows (Swift's ``symloop_max``).
    symlink_loop_limit: int = 2


def _error(status: int, message: str, **headers: str) -> Response:
    """An error answer with exactly ``message`` as its body (Swift's wording)."""
    cls = exc.status_map.get(status, exc.HTTPBadRequest)
    return cls(body=message, content_type='text/plain', headers=headers)


class _Redirect(Response):  # type: ignore[misc]
    """A redirect whose Location stays a path, as Swift sends it (webob
    would make it absolute with the request's host)."""

    def _abs_headerlist(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        return list(self._headerlist)


def _etag_and_size(resp: Response) -> tuple[str, int]:
    """What a static link pinned to this object compares: a static link's
    own target, else the object as stored (a large object's manifest, as Swift)."""
    link = stored_target(resp.headers)
    if link is not None and link.etag is not None:
        return link.etag, link.size or 0
    return (resp.headers.get('ETag') or '').strip('"'), int(resp.headers.get('Content-Length') or 0)


def _container_of(req: Request) -> tuple[str, str, str] | None:
    """``(version, account, container)`` of a container path, else None."""
    try:
        version, account, container = split_path(subrequest.path_of(req), 3, 3)
    except (ConstraintError, UnicodeDecodeError):
        return None
    if version not in ('v1', 'v1.0') or not account or not container:
        return None
    return version, account, container


class Symlink(Middleware):
    """The symlink filter (right above the proxy app)."""

    conf_class = SymlinkConf

    @property
    def limit(self) -> int:
        return (self.conf or SymlinkConf()).symlink_loop_limit

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'symlink', {'symloop_max': self.limit, 'static_links': True})
            return None
        target = subrequest.object_of(req)
        if target is None:
            container = _container_of(req)
            return self._listing(req, *container) if container and req.method == 'GET' else None
        account = target[0]
        try:
            if req.method == 'PUT' and TARGET in req.headers:
                return self._put(req, target)
            if req.method == 'POST':
                return self._post(req, account)
        except ConstraintError as err:
            return _error(err.status, str(err))
        if req.method not in ('GET', 'HEAD'):
            return None
        if query.param(req, 'symlink') == 'get':
            return self._as_stored(req.get_response(self.app))
        return self._follow(req, req.get_response(self.app), account)

    # -- writes --------------------------------------------------------------------

    def _put(self, req: Request, path: tuple[str, str, str]) -> Response | None:
        account, container, obj = path
        link = parse_target(req.headers)
        chunked = req.headers.get('Transfer-Encoding', '').lower() == 'chunked'
        if req.content_length or (chunked and req.environ['wsgi.input'].read(1)):
            return _error(400, 'Symlink requests require a zero byte body')
        if link.account in (None, account) and (link.container, link.obj) == (container, obj):
            return _error(400, 'Symlink cannot target itself')
        content_type = req.headers.get('Content-Type') or 'application/symlink'
        if link.etag is not None:
            checked = self._check_static(req, link, account)
            if isinstance(checked, Response):
                return checked
            link, target_type = checked
            content_type = req.headers.get('Content-Type') or target_type
        for name in [k for k in req.headers if k.lower().startswith('x-symlink-target')]:
            del req.headers[name]
        req.environ.pop('HTTP_TRANSFER_ENCODING', None)
        req.body = b''
        req.headers.update(link.sysmeta())
        req.headers['Content-Type'] = content_type
        req.headers[OVERRIDE_ETAG] = EMPTY_MD5 + link.listing_params()
        return None

    def _check_static(self, req: Request, link: Target, account: str) -> tuple[Target, str] | Response:
        """The link with its target's size, and the target's content type;
        or the answer refusing it (409 if the target differs or is missing)."""
        head = subrequest.call(self.app, req.environ, 'HEAD', link.path(account))
        subrequest.close(head)
        if head.status_int == 404:
            return _error(409, 'X-Symlink-Target does not exist')
        if head.status_int // 100 != 2:
            return _error(head.status_int, head.status)     # a HEAD's answer has no body to pass on
        etag, size = _etag_and_size(head)
        if etag != link.etag:
            return _error(409, f'Object Etag {etag!r} does not match {TARGET_ETAG} header {link.etag!r}')
        slo_etag = None
        if is_manifest(head.headers) and is_int(head.headers.get(SLO_SIZE)):
            size, slo_etag = int(head.headers[SLO_SIZE]), head.headers.get(SLO_ETAG, '').strip('"')
        return replace(link, size=size, slo_etag=slo_etag), head.headers.get('Content-Type',
                                                                             'application/octet-stream')

    def _post(self, req: Request, account: str) -> Response | None:
        if TARGET in req.headers:
            return _error(400, 'A PUT request is required to set a symlink target')
        resp = req.get_response(self.app)
        if resp.status_int != 202:
            return resp
        head = subrequest.call(self.app, req.environ, 'HEAD', subrequest.path_of(req))
        subrequest.close(head)
        link = stored_target(head.headers) if head.status_int == 200 else None
        if link is None:
            return resp
        headers = {'Location': link.location(account)}
        if link.etag is not None:
            headers[TARGET_ETAG] = link.etag
        return _Redirect(status=307, headers=headers, body=b'', content_type=None)

    # -- reads ---------------------------------------------------------------------

    @staticmethod
    def _as_stored(resp: Response) -> Response:
        """The link itself, its target shown in ``X-Symlink-Target*`` headers."""
        link = stored_target(resp.headers)
        if link is not None:
            resp.headers.update(link.client_headers())
        return resp

    def _follow(self, req: Request, resp: Response, account: str) -> Response:
        """Follow links from ``resp`` (the answer for the requested object)."""
        hops = 0
        location = None
        while (link := stored_target(resp.headers)) is not None:
            subrequest.close(resp)
            if hops >= self.limit:
                message = f'Too many levels of symbolic links, maximum allowed is {self.limit}'
                return _error(409, message if req.method == 'GET' else '')
            hops += 1
            location = link.location(account)
            resp = Request(self._hop_environ(req, link.path(account))).get_response(self.app)
            account = link.account or account
            if link.etag is not None and resp.status_int in _DESCRIBED:
                etag = _etag_and_size(resp)[0]
                if etag != link.etag:
                    subrequest.close(resp)
                    message = f'Object Etag {etag!r} does not match {TARGET_ETAG} header {link.etag!r}'
                    body = message if req.method == 'GET' else ''
                    return _error(409, body, **{'Content-Location': location})
        if location is not None:
            resp.headers['Content-Location'] = location
        return resp

    @staticmethod
    def _hop_environ(req: Request, path: str) -> dict[str, Any]:
        """The client's request, for another object (its headers, method and query kept)."""
        env = {k: v for k, v in req.environ.items()
               if not k.startswith('webob.') and k not in ('RAW_PATH_INFO', 'REQUEST_URI', env_keys.ACL)}
        env['PATH_INFO'] = path.encode('utf-8').decode('latin-1')
        return env

    # -- listings ------------------------------------------------------------------

    def _listing(self, req: Request, version: str, account: str, container: str) -> Response | None:
        """A JSON or XML listing with links' targets shown as Swift does."""
        try:
            fmt = listing_format(req)
        except (ConstraintError, UnicodeDecodeError):
            return None                                   # the proxy refuses it
        if fmt == 'plain':
            return None
        if fmt == 'xml':
            pairs = [(k, v) for k, v in parse_qsl(req.environ.get('QUERY_STRING', ''), keep_blank_values=True)
                     if k != 'format']
            req.environ['QUERY_STRING'] = urlencode([*pairs, ('format', 'json')])
        resp = req.get_response(self.app)
        if resp.status_int != 200 or not (resp.content_type or '').endswith('json'):
            return resp
        try:
            entries = json.loads(resp.body)
        except ValueError:
            return resp
        if not isinstance(entries, list):
            return resp
        entries = [listing_entry(e, version, account) if isinstance(e, dict) else e for e in entries]
        body, content_type = format_listing(entries, fmt, 'container', container)
        resp.body = body
        resp.headers['Content-Type'] = content_type
        return resp


filter_factory = Symlink.factory

"""The container side of object versioning (``X-Versions-Enabled``): turning
it on and off, showing it, the ``?versions`` listing, hiding pointers'
version ids from plain listings, and refusing to delete a container whose
versions remain. Objects are handled by ``middleware.object_versioning``."""

from __future__ import annotations

import json
import re
from typing import Any, Final
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape, unescape

from webob import Request, Response, exc

from swiftlike.common import env_keys, subrequest
from swiftlike.common import versioning_copy as vcopy
from swiftlike.common import versioning_ids as ids
from swiftlike.common import versioning_state as vc
from swiftlike.common.auth_check import authorize
from swiftlike.common.numbers import is_int
from swiftlike.common.versioning_listing import Window, merge
from swiftlike.common.wsgi import WsgiApp

HEADER: Final = 'X-Versions-Enabled'
TRUE: Final = ('true', '1', 'yes', 'on', 't', 'y')
FALSE: Final = ('false', '0', 'no', 'off', 'f', 'n')
MAX_LIMIT: Final = 10000
_XML_OBJECT: Final = re.compile(r'<object>.*?</object>', re.S)
_XML_HASH: Final = re.compile(r'<hash>(.*?)</hash>', re.S)
_XML_BYTES: Final = re.compile(r'<bytes>[0-9]*</bytes>')
_JSON_TYPES: Final = ('*/*', 'application/*', 'application/json')


def _params(req: Request) -> dict[str, str]:
    """The query's parameters (the last of each).

    :raises HTTPBadRequest: if it is not UTF-8 or has NUL
    """
    try:
        pairs = parse_qsl(req.environ.get('QUERY_STRING', ''), keep_blank_values=True, errors='strict')
    except (UnicodeDecodeError, ValueError):
        raise exc.HTTPBadRequest(body='Query string is not valid UTF-8\n') from None
    found = dict(pairs)
    if any('\x00' in v for v in found.values()):
        raise exc.HTTPBadRequest(body='NUL in query string\n')
    return found


def _asks_versions(req: Request) -> bool:
    """Whether a container GET is a ``?versions`` listing (other listings' parameters
    are left for the container server to judge)."""
    pairs = parse_qsl(req.environ.get('QUERY_STRING', ''), keep_blank_values=True, errors='replace')
    return any(key == 'versions' for key, _ in pairs)


def _window(params: dict[str, str]) -> Window:
    """:raises HTTPException: 400 or 412 for a bad limit or version_marker"""
    limit = params.get('limit', '')
    if limit and not is_int(limit):
        raise exc.HTTPBadRequest(body='Invalid limit\n')
    if limit and int(limit) > MAX_LIMIT:
        raise exc.HTTPPreconditionFailed(body=f'Maximum limit is {MAX_LIMIT}\n')
    version_marker = params.get('version_marker', '')
    if version_marker:
        try:
            ids.parse_id(version_marker)
        except ValueError:
            raise exc.HTTPBadRequest(body='Invalid version_marker\n') from None
        if not params.get('marker'):
            raise exc.HTTPBadRequest(body='version_marker param requires marker\n')
    delimiter = params.get('delimiter', '')
    if len(delimiter) > 16:
        raise exc.HTTPPreconditionFailed(body='Bad delimiter\n')
    return Window(marker=params.get('marker', ''), version_marker=version_marker,
                  prefix=params.get('prefix', ''), delimiter=delimiter,
                  reverse=params.get('reverse', '').lower() in TRUE,
                  limit=int(limit) if limit else MAX_LIMIT)


def _wants_json(req: Request, params: dict[str, str]) -> bool:
    if 'format' in params:
        return params['format'].lower() == 'json'
    accept = req.headers.get('Accept', '')
    return not accept or any(t.split(';')[0].strip().lower() in _JSON_TYPES for t in accept.split(','))


def _xml_row(match: re.Match[str]) -> str:
    block = match.group(0)
    found = _XML_HASH.search(block)
    if found is None:
        return block
    etag, vid, size = ids.split_listing_etag(unescape(found.group(1)))
    if vid is None:
        return block
    block = _XML_HASH.sub(lambda _: f'<hash>{escape(etag)}</hash>', block, count=1)
    return _XML_BYTES.sub(f'<bytes>{size or 0}</bytes>', block, count=1) if size is not None else block


def _strip_ids(resp: Response) -> None:
    """Show a plain listing's pointers as their versions: the version's size,
    and the ETag without the version id."""
    kind = (resp.content_type or '').lower()
    if kind == 'application/json':
        rows = json.loads(resp.body or b'[]')
        for row in rows:
            if 'hash' in row:
                row['hash'], vid, size = ids.split_listing_etag(str(row['hash']))
                if vid is not None and size is not None:
                    row['bytes'] = size
        resp.body = json.dumps(rows).encode('utf-8')
    elif kind.endswith('/xml'):
        resp.body = _XML_OBJECT.sub(_xml_row, resp.body.decode('utf-8')).encode('utf-8')


class ContainerSide:
    """What object_versioning does with container requests."""

    def __init__(self, app: WsgiApp, allowed: bool) -> None:
        self.app = app
        self.allowed = allowed

    def handle(self, req: Request, account: str, container: str) -> Response | None:
        """Answer a container request, or None to pass it on."""
        if req.method in ('PUT', 'POST'):
            return self._write(req, account, container)
        if req.method == 'DELETE':
            return self._delete(req, account, container)
        if req.method == 'GET' and _asks_versions(req):
            return self._versions(req, account, container)
        if req.method in ('GET', 'HEAD'):
            return self._read(req)
        return None

    def make_hidden(self, req: Request, account: str, container: str) -> None:
        """Create the hidden container versions of ``container`` go to.

        :raises HTTPServiceUnavailable: if it could not be made
        """
        hidden = ids.hidden_account(account)
        env = vc.owner_environ(req.environ, 'PUT', f'/v1/{hidden}/{container}')
        env[env_keys.REMOTE_GROUPS] = frozenset({hidden})        # the proxy creates the account for its owner
        resp = Request(env).get_response(self.app)
        subrequest.close(resp)
        if resp.status_int // 100 != 2:
            raise exc.HTTPServiceUnavailable(body='Could not make the versions container\n')

    def _write(self, req: Request, account: str, container: str) -> Response | None:
        if HEADER not in req.headers:
            return None
        value = req.headers.pop(HEADER).strip().lower()
        if value not in TRUE + FALSE:
            return exc.HTTPBadRequest(body=f'Invalid {HEADER}: must be true or false\n')
        enable = value in TRUE
        if enable and not self.allowed:
            return exc.HTTPPreconditionFailed(body='Object versioning is not allowed\n')
        legacy = req.headers[vc.LOCATION] if vc.LOCATION in req.headers \
            else vc.lookup(self.app, req.environ, account, container).location
        if enable and legacy:
            return exc.HTTPBadRequest(body='Cannot enable object versioning on a container that is already '
                                           'using the legacy versioned writes feature\n')
        req.headers[vc.ENABLED] = 'true' if enable else 'false'
        resp = req.get_response(self.app)
        vc.forget(req.environ, account, container)
        if enable and resp.status_int // 100 == 2:
            self.make_hidden(req, account, container)
        return resp

    def _read(self, req: Request) -> Response:
        resp = req.get_response(self.app)
        enabled = resp.headers.get(vc.ENABLED)
        if enabled and resp.status_int // 100 == 2:
            resp.headers[HEADER] = 'True' if enabled == 'true' else 'False'
            self._add_hidden_bytes(req, resp)
            if req.method == 'GET' and resp.status_int == 200:
                _strip_ids(resp)
        return resp

    def _add_hidden_bytes(self, req: Request, resp: Response) -> None:
        """A versioned container's bytes include its versions' (as Swift counts them)."""
        account, container, _ = vc.split_v1(req) or ('', '', '')
        head = vc.owner_call(self.app, req.environ, 'HEAD', f'/v1/{ids.hidden_account(account)}/{container}')
        subrequest.close(head)
        own = resp.headers.get('X-Container-Bytes-Used', '0')
        hidden = head.headers.get('X-Container-Bytes-Used')
        if head.status_int // 100 == 2 and is_int(own) and hidden and is_int(hidden):
            resp.headers['X-Container-Bytes-Used'] = str(int(own) + int(hidden))

    def _delete(self, req: Request, account: str, container: str) -> Response | None:
        state = vc.lookup(self.app, req.environ, account, container)
        if not state.enabled:
            return None
        denied = authorize(req, None)
        if denied is not None:
            return denied
        hidden = f'/v1/{ids.hidden_account(account)}/{container}'
        head = vc.owner_call(self.app, req.environ, 'HEAD', hidden)
        subrequest.close(head)
        if head.status_int // 100 == 2 and head.headers.get('X-Container-Object-Count', '0') != '0':
            return exc.HTTPConflict(body='There are versions left in this container\n')
        resp = req.get_response(self.app)
        vc.forget(req.environ, account, container)
        if resp.status_int // 100 == 2:
            subrequest.close(vc.owner_call(self.app, req.environ, 'DELETE', hidden))
        return resp

    def _versions(self, req: Request, account: str, container: str) -> Response:
        """``GET ?versions``: every version, as JSON."""
        params = _params(req)
        if not _wants_json(req, params):
            return exc.HTTPNotAcceptable(body='Versions listings are JSON only\n')
        window = _window(params)
        state = vc.lookup(self.app, req.environ, account, container)
        if not state.exists:
            return exc.HTTPNotFound() if state.status == 404 else exc.HTTPServiceUnavailable()
        denied = authorize(req, state.read_acl)
        if denied is not None:
            return denied
        rows = merge(self._rows(req, account, container, params, window, hidden=False),
                     self._rows(req, account, container, params, window, hidden=True), window)
        return Response(body=json.dumps(rows).encode('utf-8'), content_type='application/json',
                        charset='utf-8')

    def _rows(self, req: Request, account: str, container: str, params: dict[str, str], window: Window, *,
              hidden: bool) -> Any:
        marker = window.marker
        if hidden and marker and (bool(window.version_marker) == window.reverse):
            marker += '\x02'                 # past (forward) or before (reverse) all the marker's versions
        where = (ids.hidden_account(account), container) if hidden else (account, container)
        return vcopy.listing(self.app, req.environ, *where, params.get('prefix', ''), reverse=window.reverse,
                             marker=marker, end_marker=params.get('end_marker', ''))

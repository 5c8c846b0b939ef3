"""Object versioning, as Swift's ``X-Versions-Enabled``: a container with it
on keeps every version of its objects. Versions live in a hidden account
(see ``versioning_ids``); the versioned container holds a pointer to the
latest one, which this filter follows on GET and HEAD (a pointer's own
body is empty). Nothing here depends on the symlink filter.

- PUT stores a new version and points to it (``X-Object-Version-Id`` in
  the answer); an object written while versioning was off (version
  ``null``) is kept as a version first. DELETE writes a delete marker
  version and removes the pointer. POST changes the latest version.
- ``?version-id=<id>`` (the account's owner only): GET/HEAD that version,
  DELETE it (and the pointer, if it pointed there), POST to it, or PUT
  (empty) to make it the latest again. ``null`` names an unversioned object.
- ``GET <container>?versions`` lists every version (JSON only) with
  ``version_id`` and ``is_latest``; ``marker``, ``version_marker``,
  ``prefix``, ``end_marker``, ``limit`` and ``reverse`` apply.
- A container with versions left cannot be deleted (409).

A version is written as the container's owner once the client was
authorized for the write; the pointer is written as the client."""

from __future__ import annotations

import mimetypes
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from webob import Request, Response, exc

from swiftlike.common import env_keys, info, subrequest
from swiftlike.common import versioning_copy as vcopy
from swiftlike.common import versioning_ids as ids
from swiftlike.common import versioning_state as vc
from swiftlike.common.auth_check import authorize
from swiftlike.common.numbers import is_int
from swiftlike.common.sysmeta import OVERRIDE_ETAG, OVERRIDE_SIZE
from swiftlike.common.versioning_container_ops import ContainerSide
from swiftlike.common.versioning_names import DELETE_MARKER_TYPE
from swiftlike.common.versioning_state import split_v1
from swiftlike.common.wsgi import Middleware, WsgiApp

VERSION_ID: Final = 'X-Object-Version-Id'
#: Client headers that stay with the pointer (not the version).
POINTER_ONLY: Final = ('x-delete-at', 'x-delete-after')
#: Sysmeta a symlink (the symlink filter's) is stored with.
LINK_SYSMETA: Final = 'x-object-sysmeta-symlink-'
_SKIPPED: Final = ('host', 'content-length', 'transfer-encoding', 'x-auth-token', 'x-storage-token')


@dataclass(frozen=True)
class ObjectVersioningConf:
    """``[filter:object_versioning]``."""

    #: Whether clients may turn object versioning on for their containers.
    allow_object_versioning: bool = False


def _passed(req: Request, *, drop: tuple[str, ...] = ()) -> dict[str, str]:
    return {k: v for k, v in req.headers.items() if k.lower() not in _SKIPPED + drop}


def _expiry_from_now(req: Request, now: float) -> None:
    """X-Delete-After as the X-Delete-At it means from when the request came (Swift's
    whole seconds), before the versions' own writes take their time."""
    after = req.headers.get('X-Delete-After', '')
    if is_int(after, maximum=10 ** 11):
        req.headers['X-Delete-At'] = str(int(now) + int(after))
        del req.headers['X-Delete-After']


def _not_past(headers: Any, now: float) -> None:
    """An X-Delete-At that passed while the version was written becomes the
    earliest the proxy takes (the next second): the pointer is then gone at once."""
    at = headers.get('X-Delete-At', '')
    if is_int(at) and int(at) <= now:
        headers['X-Delete-At'] = str(int(now) + 1)


def _with_id(resp: Response, vid: str) -> Response:
    resp.headers[VERSION_ID] = vid
    return resp


class ObjectVersioning(Middleware):
    """The object_versioning filter (after versioned_writes, before the proxy app)."""

    conf_class = ObjectVersioningConf

    def __init__(self, app: WsgiApp, conf: Any = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(app, conf or ObjectVersioningConf())
        self.clock = clock
        self.containers = ContainerSide(app, self.conf.allow_object_versioning)

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            if self.conf.allow_object_versioning:
                info.add(req.environ, 'object_versioning', {})
            return None
        parts = split_v1(req)
        if parts is None:
            return None
        account, container, obj = parts
        if not obj:
            return self.containers.handle(req, account, container)
        raw = _version_param(req)
        if raw is not None:
            return self._by_version(req, account, container, obj, raw)
        if req.method in ('GET', 'HEAD'):
            return self._read(req)
        state = vc.lookup(self.app, req.environ, account, container)
        if state.enabled:
            _expiry_from_now(req, self.clock())
        if req.method == 'POST' and state.enabled:
            return self._post(req, account, container, obj)
        if state.enabled != 'true' or req.method not in ('PUT', 'DELETE'):
            return None
        denied = authorize(req, state.write_acl)
        if denied is not None:
            return denied
        self._keep_null(req, account, container, obj)
        if req.method == 'PUT':
            return self._put(req, account, container, obj)
        marker = ids.new_id(self.clock())
        made = self._hidden_call(req, account, container, 'PUT', ids.version_name(obj, marker),
                                 headers={'Content-Type': DELETE_MARKER_TYPE}, length=0)
        vcopy.check(made)
        return _with_id(req.get_response(self.app), marker)

    # -- plumbing ---------------------------------------------------------------------

    def _hidden_call(self, req: Request, account: str, container: str, method: str, name: str,
                     **kwargs: Any) -> Response:
        """A request for a version (the hidden container is made if a PUT needs it)."""
        path = subrequest.object_path(ids.hidden_account(account), container, name)
        resp = vc.owner_call(self.app, req.environ, method, path, **kwargs)
        if resp.status_int == 404 and method == 'PUT' and 'body' not in kwargs:
            subrequest.close(resp)
            self.containers.make_hidden(req, account, container)
            resp = vc.owner_call(self.app, req.environ, method, path, **kwargs)
        if method != 'GET':
            subrequest.close(resp)
        return resp

    def _stored(self, req: Request, method: str = 'HEAD') -> Response | None:
        """The object in the container as stored (a pointer as itself)."""
        return vcopy.get_stored(self.app, req.environ, subrequest.path_of(req), method)

    def _keep_null(self, req: Request, account: str, container: str, obj: str) -> None:
        """Before it is replaced, an object written without versioning becomes a version."""
        head = self._stored(req)
        if head is None or ids.POINTER in head.headers:
            return
        source = self._stored(req, 'GET')
        if source is None:
            return
        name = ids.version_name(obj, vcopy.timestamp_of(source).normal)
        self.containers.make_hidden(req, account, container)
        vcopy.put_copy(self.app, req.environ, source,
                       subrequest.object_path(ids.hidden_account(account), container, name))

    # -- versioned writes -------------------------------------------------------------

    def _put(self, req: Request, account: str, container: str, obj: str) -> Response:
        vid = ids.new_id(self.clock())
        headers = _passed(req, drop=POINTER_ONLY)
        if not req.headers.get('Content-Type'):
            headers['Content-Type'] = mimetypes.guess_type(obj)[0] or 'application/octet-stream'
        if req.content_length is None and 'Transfer-Encoding' in req.headers:
            headers['Transfer-Encoding'] = req.headers['Transfer-Encoding']
        path = subrequest.object_path(ids.hidden_account(account), container, ids.version_name(obj, vid))
        made = vc.owner_call(self.app, req.environ, 'PUT', path, headers=headers, length=req.content_length,
                             body=req.environ['wsgi.input'])
        if made.status_int == 404:
            subrequest.close(made)
            self.containers.make_hidden(req, account, container)
            made = vc.owner_call(self.app, req.environ, 'PUT', path, headers=headers,
                                 length=req.content_length, body=req.environ['wsgi.input'])
        subrequest.close(made)
        if made.status_int // 100 != 2:
            return made
        size = req.headers.get(OVERRIDE_SIZE) or (str(req.content_length) if req.content_length is not None
                                                  else self._size(path, req))
        etag = req.headers.get(OVERRIDE_ETAG) or (made.etag or '').strip('"')
        pointer = self._point(req, vid, headers['Content-Type'], size, etag)
        if pointer.status_int // 100 != 2:
            return pointer
        return _with_id(made, vid)

    def _size(self, path: str, req: Request) -> str:
        head = vc.owner_call(self.app, req.environ, 'HEAD', path)
        subrequest.close(head)
        return str(head.headers.get('Content-Length', '0'))

    def _point(self, req: Request, vid: str, content_type: str, size: str, etag: str) -> Response:
        """Make the container's object a pointer to version ``vid`` (as the client)."""
        headers = {k: v for k, v in req.headers.items() if k.lower() in POINTER_ONLY + ('x-auth-token',)}
        _not_past(headers, self.clock())
        headers.update({'Content-Type': content_type, ids.POINTER: vid,
                        OVERRIDE_ETAG: ids.listing_etag(etag, vid, size)})
        resp = subrequest.call(self.app, req.environ, 'PUT', subrequest.path_of(req), headers=headers,
                               length=0)
        subrequest.close(resp)
        return resp

    def _post(self, req: Request, account: str, container: str, obj: str) -> Response | None:
        head = self._stored(req)
        vid = head.headers.get(ids.POINTER) if head is not None else None
        if vid is None:
            return None
        denied = authorize(req, vc.lookup(self.app, req.environ, account, container).write_acl)
        if denied is not None:
            return denied
        posted = self._hidden_call(req, account, container, 'POST', ids.version_name(obj, vid),
                                   headers=_passed(req, drop=POINTER_ONLY))
        if posted.status_int // 100 != 2:
            return posted
        _not_past(req.headers, self.clock())
        return None

    # -- reads ------------------------------------------------------------------------

    def _read(self, req: Request) -> Response:
        """GET or HEAD, following a pointer to its version."""
        resp = req.get_response(self.app)
        vid = resp.headers.get(ids.POINTER)
        if vid is None:
            return resp
        subrequest.close(resp)
        account, container, obj = split_v1(req) or ('', '', '')
        version = self._hidden_call(req, account, container, req.method, ids.version_name(obj, vid),
                                    headers=_passed(req))
        location = subrequest.quoted(subrequest.path_of(req))
        version.headers['Content-Location'] = f'{location}?version-id={vid}'
        return _with_id(version, vid)

    # -- ?version-id ------------------------------------------------------------------

    def _by_version(self, req: Request, account: str, container: str, obj: str, raw: str) -> Response | None:
        try:
            vid = ids.parse_id(raw)
        except ValueError:
            return exc.HTTPBadRequest(body='Invalid version-id\n')
        denied = _owner_only(req, account)
        if denied is not None:
            return denied
        if vid == ids.NULL:
            if req.method == 'PUT':
                return exc.HTTPBadRequest(body='Invalid version-id\n')
            if req.method in ('GET', 'HEAD'):
                resp = req.get_response(self.app)
                if ids.POINTER in resp.headers:
                    subrequest.close(resp)
                    return exc.HTTPNotFound()
                return resp
            return None                                 # DELETE, POST: the unversioned object itself
        name = ids.version_name(obj, vid)
        if req.method in ('GET', 'HEAD'):
            version = self._hidden_call(req, account, container, req.method, name, headers=_passed(req))
            if version.headers.get('Content-Type') == DELETE_MARKER_TYPE:
                subrequest.close(version)
                return _with_id(exc.HTTPNotFound(headers={'Content-Type': DELETE_MARKER_TYPE}), vid)
            if version.status_int // 100 != 2:
                return version
            if any(k.lower().startswith(LINK_SYSMETA) for k in version.headers):
                _forget_version_param(req)
            return _with_id(version, vid)
        return self._version_write(req, account, container, obj, vid)

    def _version_write(self, req: Request, account: str, container: str, obj: str, vid: str) -> Response:
        """DELETE, POST or PUT of one version."""
        name = ids.version_name(obj, vid)
        if req.method == 'DELETE':
            head = self._stored(req)
            gone = self._hidden_call(req, account, container, 'DELETE', name)
            if head is not None and head.headers.get(ids.POINTER) == vid:
                vcopy.check(vc.owner_call(self.app, req.environ, 'DELETE', subrequest.path_of(req)))
            return _with_id(exc.HTTPNoContent() if gone.status_int in (204, 404) else gone, vid)
        if req.method == 'POST':
            return _with_id(self._hidden_call(req, account, container, 'POST', name,
                                              headers=_passed(req, drop=POINTER_ONLY)), vid)
        if req.method == 'PUT':
            return self._restore(req, account, container, name, vid)
        return exc.HTTPMethodNotAllowed()

    def _restore(self, req: Request, account: str, container: str, name: str, vid: str) -> Response:
        """PUT ?version-id: point to that version again."""
        head = self._hidden_call(req, account, container, 'HEAD', name)
        if head.status_int // 100 != 2:
            return exc.HTTPNotFound() if head.status_int == 404 else head
        if head.headers.get('Content-Type') == DELETE_MARKER_TYPE:
            return exc.HTTPBadRequest(body='Cannot make a delete marker the latest version\n')
        size = head.headers.get(OVERRIDE_SIZE) or head.headers.get('Content-Length', '0')
        etag = head.headers.get(OVERRIDE_ETAG) or (head.etag or '').strip('"')
        content_type = head.headers.get('Content-Type', 'application/octet-stream')
        pointer = self._point(req, vid, content_type, size, etag)
        if pointer.status_int // 100 != 2:
            return pointer
        return _with_id(exc.HTTPCreated(), vid)


def _version_param(req: Request) -> str | None:
    """The ``version-id`` the request names, if any.

    :raises HTTPBadRequest: if the query string is not UTF-8
    """
    try:
        pairs = parse_qsl(req.environ.get('QUERY_STRING', ''), keep_blank_values=True, errors='strict')
    except (UnicodeDecodeError, ValueError):
        raise exc.HTTPBadRequest(body='Query string is not valid UTF-8\n') from None
    found = [value for key, value in pairs if key == 'version-id']
    return found[-1] if found else None


def _forget_version_param(req: Request) -> None:
    """Take ``version-id`` off the client's query once a version that is a
    symlink is read: it names its target's latest, and the symlink filter above
    follows it with the client's query."""
    pairs = parse_qsl(req.environ.get('QUERY_STRING', ''), keep_blank_values=True)
    req.environ['QUERY_STRING'] = urlencode([(k, v) for k, v in pairs if k != 'version-id'])


def _owner_only(req: Request, account: str) -> Response | None:
    """None if the client owns the account (version requests are the owner's)."""
    if req.environ.get(env_keys.AUTHORIZE) is None or req.environ.get(env_keys.AUTHORIZE_OVERRIDE):
        return None
    groups = req.environ.get(env_keys.REMOTE_GROUPS) or ()
    if account in groups or '.reseller_admin' in groups:
        return None
    return authorize(req, '') or exc.HTTPForbidden()


filter_factory = ObjectVersioning.factory

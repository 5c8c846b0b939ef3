"""Swift's legacy object versioning: a container whose ``X-Versions-Location``
or ``X-History-Location`` names an archive container (in the same account)
keeps every overwritten object there, as ``<3 hex digits: length of the
name in UTF-8 bytes><name>/<timestamp of that version>``.

- Stack mode (``X-Versions-Location``, or with ``X-Versions-Mode: stack``):
  a DELETE restores the newest archived version (and removes it from the
  archive); with none, it deletes.
- History mode (``X-History-Location``, or ``X-Versions-Mode: history``): a
  DELETE archives the current object and a delete marker
  (``application/x-deleted;swift_versions_deleted=1``), then deletes it.
- An empty value or ``X-Remove-Versions-Location`` / ``X-Remove-History-Location``
  turns versioning off; both location headers at once are 400; the
  location is kept as container sysmeta and shown as the header it was set by.

A client that may write the versioned container may have its writes
archived: the archive is read and written on behalf of the container's
owner (as Swift does, so one archive can serve containers of several
users), after the client was authorized for the versioned container. An
archive container that does not exist makes the write 412.

This filter leaves ``?version-id=<id>`` and ``X-Versions-Enabled`` to
``object_versioning`` (``?version-id=null`` is the object itself), and never
archives on POST."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import parse_qsl

from webob import Request, Response, exc

from swiftlike.common import env_keys, info, subrequest
from swiftlike.common import versioning_copy as vcopy
from swiftlike.common import versioning_state as vc
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.timestamp import Timestamp
from swiftlike.common.versioning_names import (
    DELETE_MARKER_TYPE,
    archive_name,
    archive_prefix,
    location_value,
    parse_location,
)
from swiftlike.common.wsgi import Middleware, WsgiApp, http_error

STACK: Final = 'X-Versions-Location'
HISTORY: Final = 'X-History-Location'
MODE: Final = 'X-Versions-Mode'
REMOVE: Final = ('X-Remove-Versions-Location', 'X-Remove-History-Location')


@dataclass(frozen=True)
class VersionedWritesConf:
    """``[filter:versioned_writes]``."""

    #: Whether clients may set X-Versions-Location / X-History-Location (and are versioned).
    allow_versioned_writes: bool = False


def _names_a_version(req: Request) -> bool:
    """Whether the request names a version other than ``null`` (object_versioning's)."""
    pairs = parse_qsl(req.environ.get('QUERY_STRING', ''), keep_blank_values=True, errors='replace')
    return any(key == 'version-id' and value != 'null' for key, value in pairs)


class VersionedWrites(Middleware):
    """The versioned_writes filter (after dlo, before the proxy app)."""

    conf_class = VersionedWritesConf

    def __init__(self, app: WsgiApp, conf: Any = None, clock: Callable[[], float] = time.time) -> None:
        super().__init__(app, conf or VersionedWritesConf())
        self.clock = clock

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            if self.conf.allow_versioned_writes:
                info.add(req.environ, 'versioned_writes',
                         {'allowed_flags': [STACK.lower(), HISTORY.lower()]})
            return None
        parts = vc.split_v1(req)
        if parts is None:
            return None
        account, container, obj = parts
        if not obj:
            if req.method in ('PUT', 'POST'):
                return self._container_write(req, account, container)
            if req.method in ('GET', 'HEAD'):
                return self._container_read(req)
            resp = req.get_response(self.app)           # DELETE: what was cached of it is gone
            vc.forget(req.environ, account, container)
            return resp
        if req.method not in ('PUT', 'DELETE') or not self.conf.allow_versioned_writes \
                or _names_a_version(req):
            return None
        return self._object(req, account, container, obj)

    def _object(self, req: Request, account: str, container: str, obj: str) -> Response | None:
        state = vc.lookup(self.app, req.environ, account, container)
        if not state.location:
            return None
        check = req.environ.get(env_keys.AUTHORIZE)
        if check is not None:
            req.environ[env_keys.ACL] = state.write_acl
            denied: Response | None = check(req)
            if denied is not None:
                return denied
        try:
            archive = parse_location(state.location)
        except ConstraintError:
            return None                              # stored before this filter checked it
        if req.method == 'PUT':
            self._archive_current(req, account, archive, obj)
            return None
        if state.mode != 'history':
            return self._pop(req, account, container, obj, archive)
        self._archive_current(req, account, archive, obj)
        marker = subrequest.object_path(account, archive, archive_name(obj, Timestamp(self.clock())))
        made = vc.owner_call(self.app, req.environ, 'PUT', marker,
                             headers={'Content-Type': DELETE_MARKER_TYPE}, length=0)
        subrequest.close(made)
        vcopy.check(made)
        return None

    # -- containers -------------------------------------------------------------------

    def _container_write(self, req: Request, account: str, container: str) -> Response:
        if STACK in req.headers and HISTORY in req.headers:
            return exc.HTTPBadRequest(body=f'Only one of {STACK} or {HISTORY} may be specified\n')
        header = STACK if STACK in req.headers else HISTORY if HISTORY in req.headers else ''
        mode = req.headers.pop(MODE, None)
        value = req.headers.pop(header, '') if header else ''
        remove = any(req.headers.pop(h, '') for h in REMOVE)
        if value.strip():
            if not self.conf.allow_versioned_writes:
                return exc.HTTPPreconditionFailed(body='Versioned Writes is disabled\n')
            try:
                location = parse_location(value)
            except ConstraintError as err:
                return http_error(err)
            if mode is None or header == HISTORY:
                mode = 'history' if header == HISTORY else 'stack'
            if mode.lower() not in ('stack', 'history'):
                return exc.HTTPBadRequest(body=f'{MODE} must be stack or history\n')
            if req.headers.get('X-Versions-Enabled', '').lower() in ('true', '1', 'yes', 'on') or \
                    vc.lookup(self.app, req.environ, account, container).enabled == 'true':
                return exc.HTTPBadRequest(body=f'Cannot set {header} on a container with object versioning '
                                               'enabled\n')
            req.headers[vc.LOCATION] = location_value(location)
            req.headers[vc.MODE] = mode.lower()
        elif header or remove:
            req.headers[vc.LOCATION] = ''
            req.headers[vc.MODE] = ''
        resp = req.get_response(self.app)
        vc.forget(req.environ, account, container)
        return resp

    def _container_read(self, req: Request) -> Response:
        resp = req.get_response(self.app)
        location = resp.headers.get(vc.LOCATION, '')
        if location and resp.status_int // 100 == 2:
            mode = resp.headers.get(vc.MODE, '') or 'stack'
            resp.headers[HISTORY if mode == 'history' else STACK] = location
            resp.headers[MODE] = mode
        return resp

    # -- objects ----------------------------------------------------------------------

    def _archive_current(self, req: Request, account: str, archive: str, obj: str) -> None:
        """Copy the object the request would replace, if any, to the archive."""
        current = vcopy.get_stored(self.app, req.environ, subrequest.path_of(req))
        if current is None:
            return
        name = archive_name(obj, vcopy.timestamp_of(current))
        vcopy.put_copy(self.app, req.environ, current, subrequest.object_path(account, archive, name))

    def _restore(self, req: Request, account: str, container: str, obj: str, version: str) -> bool:
        """Copy an archived version back over the object; False if it is gone."""
        source = vcopy.get_stored(self.app, req.environ, version)
        if source is None:
            return False
        vcopy.put_copy(self.app, req.environ, source, subrequest.object_path(account, container, obj))
        return True

    def _pop(self, req: Request, account: str, container: str, obj: str, archive: str) -> Response | None:
        """Stack mode's DELETE: the newest archived version takes the object's place."""
        versions: Iterator[dict[str, Any]] = vcopy.listing(self.app, req.environ, account, archive,
                                                           archive_prefix(obj), reverse=True)
        target = None
        for row in versions:
            path = subrequest.object_path(account, archive, row['name'])
            if row.get('content_type') != DELETE_MARKER_TYPE:
                if self._restore(req, account, container, obj, path):
                    target = path
                    break
                continue
            if vcopy.get_stored(self.app, req.environ, subrequest.path_of(req), 'HEAD') is not None:
                break                               # the object came back since: just delete it
            for older in versions:
                if older.get('content_type') == DELETE_MARKER_TYPE:
                    break
                older_path = subrequest.object_path(account, archive, older['name'])
                if self._restore(req, account, container, obj, older_path):
                    self._delete(req, older_path)
                    break
            target = path
            break
        if target is None:
            return None
        return self._delete(req, target)

    def _delete(self, req: Request, path: str) -> Response:
        headers = {k: v for k, v in req.headers.items()
                   if k.lower() not in ('x-if-delete-at', 'content-length', 'host')}
        resp = vc.owner_call(self.app, req.environ, 'DELETE', path, headers=headers)
        if resp.status_int not in (404,) and resp.status_int // 100 != 2:
            vcopy.check(resp)
        return resp


filter_factory = VersionedWrites.factory

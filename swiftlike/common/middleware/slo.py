"""Static large objects, as Swift has them: an object joined from segment
objects by a manifest (see swiftlike.common.slo_put for storing one and
swiftlike.common.slo_get for reading one).

- ``PUT ?multipart-manifest=put`` stores a manifest; a plain PUT may not
  set ``X-Static-Large-Object`` itself.
- ``GET``/``HEAD`` of a manifest answer for the joined object;
  ``?multipart-manifest=get`` returns the manifest itself (JSON).
- ``DELETE ?multipart-manifest=delete`` deletes the segments, then the
  manifest (a plain object is simply deleted)."""

from __future__ import annotations

import hashlib
import json
from functools import partial
from typing import Any

from webob import Request, Response, exc

from swiftlike.common import info, query, slo_parts, slo_segments, subrequest
from swiftlike.common.concurrency import run_batches
from swiftlike.common.slo_get import manifest_response
from swiftlike.common.slo_put import SLO_HEADER, SloConf, as_put_body, is_manifest, put_manifest
from swiftlike.common.wsgi import Middleware


class Slo(Middleware):
    """The slo filter (after auth and copy, before the proxy app)."""

    conf_class = SloConf

    @property
    def sconf(self) -> SloConf:
        return self.conf or SloConf()

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'slo', {'max_manifest_segments': self.sconf.max_manifest_segments,
                                          'max_manifest_size': self.sconf.max_manifest_size,
                                          'min_segment_size': 1})
            return None
        target = subrequest.object_of(req)
        if target is None:
            return None
        mode = query.param(req, 'multipart-manifest')
        if req.method == 'PUT':
            if mode == 'put':
                return put_manifest(self.app, req, target, self.sconf)
            if SLO_HEADER in req.headers:
                return exc.HTTPBadRequest(body=f'{SLO_HEADER} is set only by ?multipart-manifest=put\n')
            return None
        if req.method == 'DELETE' and mode == 'delete':
            return self._delete(req, target)
        if req.method not in ('GET', 'HEAD'):
            return None
        resp = req.get_response(self.app)
        if not is_manifest(resp.headers):
            return resp
        if mode == 'get':
            if query.param(req, 'format') == 'raw':
                return _raw(req, resp)
            resp.headers['Content-Type'] = 'application/json; charset=utf-8'
            return resp
        try:
            part = slo_parts.requested(req)
        except exc.HTTPException:
            subrequest.close(resp)
            raise
        return manifest_response(self.app, req, resp, part)

    def _delete(self, req: Request, target: tuple[str, str, str]) -> Response:
        path = subrequest.object_path(*target)
        head = subrequest.call(self.app, req.environ, 'HEAD', path)
        subrequest.close(head)
        if head.status_int // 100 != 2 or not is_manifest(head.headers):
            if head.status_int // 100 == 2:
                return subrequest.call(self.app, req.environ, 'DELETE', path)
            return Response(status=head.status, body=f'{head.status}\n'.encode(), content_type='text/plain')
        account = target[0]
        names = self._segment_names(req, account, path, 0)

        def delete(name: str) -> int:
            container, _, obj = name.lstrip('/').partition('/')
            resp = subrequest.call(self.app, req.environ, 'DELETE',
                                   subrequest.object_path(account, container, obj))
            subrequest.close(resp)
            return int(resp.status_int)
        statuses = run_batches([partial(delete, name) for name in names],
                               width=self.sconf.concurrency, limit=60)
        failed = [f'{name}, {status}' for name, status in zip(names, statuses, strict=True)
                  if not isinstance(status, int) or status // 100 != 2 and status != 404]
        if failed:
            return exc.HTTPServiceUnavailable(body='Segments not deleted (the manifest is kept):\n'
                                              + '\n'.join(failed) + '\n')
        resp = subrequest.call(self.app, req.environ, 'DELETE', path)
        if resp.status_int // 100 != 2:
            return resp
        subrequest.close(resp)
        deleted = sum(1 for status in statuses if status != 404)
        return Response(status=200, content_type='text/plain', body=(
            f'Number Deleted: {deleted + 1}\nNumber Not Found: {len(statuses) - deleted}\n'
            'Response Status: 200 OK\nErrors: []\n').encode('ascii'))

    def _segment_names(self, req: Request, account: str, path: str, depth: int) -> list[str]:
        """The objects a manifest's delete removes: its segments, and those of its
        sub-manifests (each after its own segments), not data segments."""
        manifest = subrequest.call(self.app, req.environ, 'GET', path, query='multipart-manifest=get')
        try:
            if manifest.status_int != 200 or not is_manifest(manifest.headers):
                return []                              # (a sub-manifest deleted since: nothing below it)
            segments: list[dict[str, Any]] = json.loads(b''.join(manifest.app_iter))
        finally:
            subrequest.close(manifest)
        names: list[str] = []
        for seg in segments:
            if 'name' not in seg:
                continue
            if seg.get('sub_slo') and depth < slo_segments.MAX_DEPTH:
                container, _, obj = str(seg['name']).lstrip('/').partition('/')
                names += self._segment_names(req, account, subrequest.object_path(account, container, obj),
                                             depth + 1)
            names.append(str(seg['name']))
        return names


def _raw(req: Request, resp: Response) -> Response:
    """``?multipart-manifest=get&format=raw``: the manifest as a client would PUT it, with
    the object's own Content-Type (what a COPY of the manifest itself stores again)."""
    if req.method == 'HEAD' or resp.status_int != 200:
        return resp
    try:
        body = as_put_body(b''.join(resp.app_iter))
    except (ValueError, KeyError, TypeError):
        return exc.HTTPInternalServerError(body='unreadable large-object manifest\n')
    finally:
        subrequest.close(resp)
    headers = [(k, v) for k, v in resp.headerlist if k.lower() not in ('content-length', 'etag')]
    out = Response(status=200, headerlist=headers, body=body)
    out.headers['ETag'] = hashlib.md5(body, usedforsecurity=False).hexdigest()     # bare, as the object's
    return out


filter_factory = Slo.factory

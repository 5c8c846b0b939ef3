"""versioned_writes' stack-mode DELETE against an in-memory store: the cases
a cluster does not easily show (a version that vanishes between the listing
and its restore, delete markers left by history mode, a failing archive)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from webob import Request, Response

from swiftlike.common import versioning_state as vc
from swiftlike.common.middleware.versioned_writes import VersionedWrites, VersionedWritesConf
from swiftlike.common.timestamp import Timestamp
from swiftlike.common.versioning_names import DELETE_MARKER_TYPE, archive_name


class MemorySwift:
    """A WSGI app keeping containers and objects in dicts: HEAD of containers
    (with their sysmeta), JSON listings (prefix, marker, reverse), object
    GET/HEAD/PUT/DELETE. ``vanish`` names objects that list but cannot be read."""

    def __init__(self) -> None:
        self.containers: dict[str, dict[str, str]] = {}
        self.objects: dict[str, tuple[bytes, dict[str, str]]] = {}
        self.vanish: set[str] = set()
        self.calls: list[tuple[str, str]] = []
        self.fail_puts = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        req = Request(environ)
        self.calls.append((req.method, req.path_info))
        parts = req.path_info.split('/', 4)
        resp = self._container(req, parts[3]) if len(parts) == 4 else self._object(req, req.path_info)
        return resp(environ, start_response)

    def _container(self, req: Request, name: str) -> Response:
        if name not in self.containers:
            return Response(status=404)
        if req.method == 'HEAD':
            return Response(headers=self.containers[name])
        query = {k: v[-1] for k, v in parse_qs(req.query_string).items()}
        base = f'/v1/a/{name}/'
        names = sorted((p[len(base):] for p in self.objects if p.startswith(base)),
                       reverse=query.get('reverse') == 'on')
        marker, backwards = query.get('marker', ''), query.get('reverse') == 'on'
        rows = [{'name': n, 'content_type': self.objects[base + n][1].get('Content-Type', '')} for n in names
                if n.startswith(query.get('prefix', ''))
                and (not marker or (n < marker if backwards else n > marker))]
        return Response(json.dumps(rows).encode(), content_type='application/json')

    def _object(self, req: Request, path: str) -> Response:
        if req.method in ('GET', 'HEAD'):
            if path not in self.objects or path in self.vanish:
                return Response(status=404)
            body, headers = self.objects[path]
            resp = Response(body=body)
            resp.headers.update(headers)
            return resp
        if req.method == 'PUT':
            if self.fail_puts or path.split('/')[3] not in self.containers:
                return Response(status=503 if self.fail_puts else 404)
            headers = {k: v for k, v in req.headers.items() if k in ('Content-Type', 'X-Timestamp')}
            headers.setdefault('X-Timestamp', Timestamp.now().internal)
            self.objects[path] = (req.body, headers)
            return Response(status=201)
        return Response(status=204 if self.objects.pop(path, None) else 404)


def stack() -> tuple[MemorySwift, VersionedWrites]:
    store = MemorySwift()
    store.containers = {'c': {vc.LOCATION: 'arch', vc.MODE: 'stack'}, 'arch': {}}
    return store, VersionedWrites(store, VersionedWritesConf(allow_versioned_writes=True))


def archive(store: MemorySwift, name: str, ts: float, body: bytes, content_type: str = 'text/plain') -> None:
    store.objects[f'/v1/a/arch/{archive_name(name, Timestamp(ts))}'] = (
        body, {'Content-Type': content_type, 'X-Timestamp': Timestamp(ts).internal})


def delete(app: VersionedWrites) -> int:
    return Request.blank('/v1/a/c/o', method='DELETE').get_response(app).status_int


def test_a_version_gone_since_the_listing_is_skipped_for_the_next():
    store, app = stack()
    archive(store, 'o', 1, b'one')
    archive(store, 'o', 2, b'two')
    store.vanish.add(f'/v1/a/arch/{archive_name("o", Timestamp(2))}')
    store.objects['/v1/a/c/o'] = (b'current', {})
    assert delete(app) == 204
    assert store.objects['/v1/a/c/o'][0] == b'one'
    assert f'/v1/a/arch/{archive_name("o", Timestamp(1))}' not in store.objects


def test_a_marker_over_a_deleted_object_restores_the_version_under_it():
    store, app = stack()
    archive(store, 'o', 1, b'one')
    archive(store, 'o', 2, b'', DELETE_MARKER_TYPE)
    assert delete(app) == 204
    assert store.objects['/v1/a/c/o'][0] == b'one'
    assert not [p for p in store.objects if p.startswith('/v1/a/arch/')]


def test_a_marker_over_an_object_that_came_back_only_deletes_the_object():
    store, app = stack()
    archive(store, 'o', 1, b'one')
    archive(store, 'o', 2, b'', DELETE_MARKER_TYPE)
    store.objects['/v1/a/c/o'] = (b'back', {})
    assert delete(app) == 204
    assert '/v1/a/c/o' not in store.objects
    assert len([p for p in store.objects if p.startswith('/v1/a/arch/')]) == 2


def test_two_markers_in_a_row_remove_one_and_restore_nothing():
    store, app = stack()
    archive(store, 'o', 1, b'one')
    archive(store, 'o', 2, b'', DELETE_MARKER_TYPE)
    archive(store, 'o', 3, b'', DELETE_MARKER_TYPE)
    assert delete(app) == 204
    assert '/v1/a/c/o' not in store.objects
    assert len([p for p in store.objects if p.startswith('/v1/a/arch/')]) == 2


def test_an_archive_that_fails_is_503_and_keeps_the_object():
    store, app = stack()
    store.objects['/v1/a/c/o'] = (b'current', {'X-Timestamp': Timestamp(5).internal})
    store.fail_puts = True
    resp = Request.blank('/v1/a/c/o', method='PUT', body=b'new').get_response(app)
    assert resp.status_int == 503
    assert store.objects['/v1/a/c/o'][0] == b'current'


def test_an_archive_container_gone_is_412():
    store, app = stack()
    del store.containers['arch']
    store.objects['/v1/a/c/o'] = (b'current', {'X-Timestamp': Timestamp(5).internal})
    resp = Request.blank('/v1/a/c/o', method='PUT', body=b'new').get_response(app)
    assert resp.status_int == 412

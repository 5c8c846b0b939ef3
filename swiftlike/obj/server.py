"""The object server: PUT, GET, HEAD, POST, DELETE and REPLICATE of objects
on this node's devices. Storage is an ObjectStore (fs or mem); this module
only speaks HTTP."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from webob import Request, Response, exc

from swiftlike.common import constraints as cons
from swiftlike.common.concurrency import timeout
from swiftlike.common.config import parse_conf
from swiftlike.common.exceptions import DeviceUnavailableError, DiskFileNotExistError
from swiftlike.common.http import HTTPClientDisconnect
from swiftlike.common.request import StoragePath, parse_update_targets, wsgi_path_to_str
from swiftlike.common.swift_conf import SwiftConf
from swiftlike.common.timestamp import Timestamp
from swiftlike.common.wsgi import BaseStorageServer, public, request_timestamp
from swiftlike.obj import layout
from swiftlike.obj.async_pending import PendingUpdate
from swiftlike.obj.conf import ObjectServerConf
from swiftlike.obj.diskfile import DiskFile, ObjectName, ObjectStore
from swiftlike.obj.fs_diskfile import FsObjectStore
from swiftlike.obj.mem_diskfile import MemObjectStore
from swiftlike.obj.responses import object_response
from swiftlike.obj.updates import ContainerUpdater

CHUNK: Final = 65536
#: Request headers stored with an object, besides user metadata and sysmeta.
STORED: Final = ('Content-Encoding', 'Content-Disposition', 'X-Delete-At', 'X-Object-Manifest',
                 'X-Static-Large-Object')


@contextmanager
def device_errors(device: str) -> Iterator[None]:
    """Turn a device failure into 507 for that device."""
    try:
        yield
    except DeviceUnavailableError as err:
        raise exc.HTTPInsufficientStorage(body=f'{device}: {err}\n') from None


class ObjectServer(BaseStorageServer):
    """The object server WSGI app."""

    server_type = 'object-server'

    def __init__(self, conf: ObjectServerConf, *, store: ObjectStore, swift_conf: SwiftConf,
                 updater: ContainerUpdater, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.conf = conf
        self.store = store
        self.swift_conf = swift_conf
        self.limits = swift_conf.constraints
        self.updater = updater
        self.clock = clock

    def _name(self, req: Request) -> ObjectName:
        path = StoragePath.parse(req.environ['PATH_INFO'], min_names=3, max_names=3)
        cons.check_name(path.account, 'account', self.limits)
        cons.check_name(path.container or '', 'container', self.limits)
        cons.check_name(path.obj or '', 'object', self.limits)
        return ObjectName(path.device, path.partition, path.account, path.container or '', path.obj or '')

    def _diskfile(self, name: ObjectName) -> DiskFile:
        with device_errors(name.device):
            return self.store.diskfile(name)

    def _check_newer(self, df: DiskFile, timestamp: Timestamp) -> None:
        existing = df.newest_timestamp()
        if existing is not None and existing >= timestamp:
            raise exc.HTTPConflict(headers={'X-Backend-Timestamp': existing.internal})

    def _check_put(self, req: Request) -> None:
        if req.content_length is None and req.headers.get('Transfer-Encoding', '').lower() != 'chunked':
            raise exc.HTTPLengthRequired(body='Missing Content-Length or chunked Transfer-Encoding\n')
        if (req.content_length or 0) > self.limits.max_file_size:
            raise exc.HTTPRequestEntityTooLarge(body='Object too large\n')
        if not req.headers.get('Content-Type'):       # (eventlet turns an absent one into text/plain)
            raise exc.HTTPBadRequest(body='No content type\n')
        cons.check_content_type(req.headers['Content-Type'])
        self._check_meta(req)

    def _check_meta(self, req: Request) -> None:
        cons.check_metadata(req.headers, 'object', self.limits)
        delete_at = req.headers.get('X-Delete-At')
        if delete_at is not None and (not delete_at.isdigit() or int(delete_at) <= self.clock()):
            raise exc.HTTPBadRequest(body='X-Delete-At must be a time in the future\n')

    def _read_body(self, req: Request, write: Callable[[bytes], int]) -> tuple[str, int]:
        """Stream the body into ``write``; (md5 hex, size)."""
        md5 = hashlib.md5(usedforsecurity=False)
        remaining = req.content_length
        stream = req.environ['wsgi.input']
        size = 0
        while remaining is None or remaining > 0:
            with timeout(self.conf.client_timeout):
                chunk = stream.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not chunk:
                break
            size += len(chunk)
            if size > self.limits.max_file_size:
                raise exc.HTTPRequestEntityTooLarge(body='Object too large\n')
            if remaining is not None:
                remaining -= len(chunk)
            md5.update(chunk)
            write(chunk)
        if remaining:
            raise HTTPClientDisconnect(body='Body shorter than Content-Length\n')
        return md5.hexdigest(), size

    def _put_metadata(self, req: Request, name: ObjectName, timestamp: Timestamp,
                      etag: str, size: int) -> dict[str, str]:
        meta = {'name': name.path, 'X-Timestamp': timestamp.internal, 'ETag': etag,
                'Content-Type': req.headers['Content-Type'], 'Content-Length': str(size)}
        for key, value in req.headers.items():
            if key in STORED or key.lower().startswith(('x-object-meta-', 'x-object-sysmeta-')):
                meta[key.title() if key in STORED else key] = value
        return meta

    def _update_container(self, req: Request, op: str, name: ObjectName, headers: dict[str, str]) -> None:
        try:
            targets = parse_update_targets(req.headers, 'Container')
        except ValueError as err:
            raise exc.HTTPBadRequest(body=f'{err}\n') from None
        if not targets:
            return
        headers['X-Trans-Id'] = req.headers.get('X-Trans-Id', '-')
        update = PendingUpdate(op, name.account, name.container, name.obj, headers, targets)
        with device_errors(name.device):
            name_hash = layout.object_hash(name.account, name.container, name.obj,
                                           prefix=self.swift_conf.hash_prefix,
                                           suffix=self.swift_conf.hash_suffix)
            device_dir = self.conf.devices / name.device
            self.updater.update(update, device_dir=device_dir, name_hash=name_hash,
                                timestamp=headers['X-Timestamp'])

    @public
    def PUT(self, req: Request) -> Response:
        """Store an object (201), or 409 if something newer is stored."""
        name = self._name(req)
        timestamp = request_timestamp(req)
        self._check_put(req)
        df = self._diskfile(name)
        self._check_newer(df, timestamp)
        with device_errors(name.device), df.writer(req.content_length) as writer:
            etag, size = self._read_body(req, writer.write)
            expected = req.headers.get('ETag', '').strip('"').lower()
            if expected and expected != etag:
                raise exc.HTTPUnprocessableEntity(body='ETag does not match the body\n')
            writer.put(self._put_metadata(req, name, timestamp, etag, size))
        self._update_container(req, 'PUT', name, {
            'X-Timestamp': timestamp.internal, 'X-Size': str(size), 'X-Etag': etag,
            'X-Content-Type': req.headers['Content-Type']})
        return exc.HTTPCreated(headers={'ETag': etag})

    def _open(self, req: Request, name: ObjectName) -> Response:
        df = self._diskfile(name)
        try:
            with device_errors(name.device):
                reader = df.open(self.clock())
        except DiskFileNotExistError as err:
            headers = {'X-Backend-Timestamp': err.timestamp.internal} if err.timestamp else {}
            return exc.HTTPNotFound(headers=headers)
        return object_response(req, reader)

    @public
    def GET(self, req: Request) -> Response:
        """The object's body (200/206), 304/412 for conditions, 404, 416."""
        return self._open(req, self._name(req))

    @public
    def HEAD(self, req: Request) -> Response:
        """The object's headers."""
        return self._open(req, self._name(req))

    @public
    def POST(self, req: Request) -> Response:
        """Replace user metadata and X-Delete-At (202)."""
        name = self._name(req)
        timestamp = request_timestamp(req)
        self._check_meta(req)
        df = self._diskfile(name)
        try:
            with device_errors(name.device):
                reader = df.open(self.clock())
                reader.close()
        except DiskFileNotExistError:
            raise exc.HTTPNotFound() from None
        if Timestamp(reader.metadata['X-Timestamp']) >= timestamp:
            raise exc.HTTPConflict(headers={'X-Backend-Timestamp': reader.metadata['X-Timestamp']})
        meta = {'X-Timestamp': timestamp.internal}
        meta.update({k: v for k, v in req.headers.items()
                     if k.lower().startswith('x-object-meta-') or k == 'X-Delete-At'})
        with device_errors(name.device):
            df.write_metadata(meta)
        return exc.HTTPAccepted()

    @public
    def DELETE(self, req: Request) -> Response:
        """Write a tombstone: 204 if there was an object, 404 if not, 409 if older."""
        name = self._name(req)
        timestamp = request_timestamp(req)
        df = self._diskfile(name)
        self._check_newer(df, timestamp)
        try:
            with device_errors(name.device):
                df.open(self.clock()).close()
            existed = True
        except DiskFileNotExistError:
            existed = False
        with device_errors(name.device):
            df.delete(timestamp)
        self._update_container(req, 'DELETE', name, {'X-Timestamp': timestamp.internal})
        return exc.HTTPNoContent() if existed else exc.HTTPNotFound()

    @public
    def REPLICATE(self, req: Request) -> Response:
        """Suffix hashes of a partition (JSON), recalculating ``/<suffix>-<suffix>...``."""
        segs = wsgi_path_to_str(req.environ['PATH_INFO']).strip('/').split('/')
        suffixes = segs[2].split('-') if len(segs) == 3 else []
        if (len(segs) not in (2, 3) or segs[0] in ('.', '..') or not segs[1].isdigit()
                or not all(len(s) == 3 and all(c in '0123456789abcdef' for c in s) for s in suffixes)):
            raise exc.HTTPBadRequest(body='expected /<device>/<partition>[/<suffix>-<suffix>...]\n')
        with device_errors(segs[0]):
            hashes = self.store.suffix_hashes(segs[0], int(segs[1]), suffixes)
        return Response(json_body=hashes)


def load_store(conf: ObjectServerConf, swift_conf: SwiftConf) -> ObjectStore:
    """The store the config names (``backend = fs | mem``)."""
    if conf.backend == 'mem':
        return MemObjectStore(tuple(p.name for p in conf.devices.iterdir()) if conf.devices.is_dir() else ())
    return FsObjectStore(conf.devices, mount_check=conf.mount_check, hash_prefix=swift_conf.hash_prefix,
                         hash_suffix=swift_conf.hash_suffix, reclaim_age=conf.reclaim_age, fsync=conf.fsync)


def app_factory(global_conf: dict[str, str], **local_conf: str) -> ObjectServer:
    """paste.deploy app_factory."""
    conf = parse_conf(ObjectServerConf, {**global_conf, **local_conf}, section='app:object-server',
                      local=local_conf)
    swift_conf = SwiftConf.load(conf.swift_dir)
    updater = ContainerUpdater(conn_timeout=conf.conn_timeout, node_timeout=conf.node_timeout,
                               update_timeout=conf.container_update_timeout)
    return ObjectServer(conf, store=load_store(conf, swift_conf), swift_conf=swift_conf, updater=updater)


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-object-server CONF``."""
    from swiftlike.common.runner import run_wsgi
    return run_wsgi('object-server', argv)


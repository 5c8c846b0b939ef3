"""The object server: PUT, GET, HEAD, POST, DELETE and REPLICATE of objects
on this node's devices. Storage is an ObjectStore (fs or mem); this module
only speaks HTTP."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from webob import Request, Response, exc

from swiftlike.common import constraints as cons
from swiftlike.common import expiring, request_body
from swiftlike.common.config import parse_conf
from swiftlike.common.exceptions import (
    DeviceUnavailableError,
    DiskFileExpiredError,
    DiskFileNotExistError,
    LockTimeoutError,
)
from swiftlike.common.request import StoragePath, parse_replicate_path
from swiftlike.common.swift_conf import SwiftConf
from swiftlike.common.sysmeta import OVERRIDE_ETAG, OVERRIDE_SIZE, SYSMETA_ONLY
from swiftlike.common.timestamp import Timestamp, normalize_delete_at
from swiftlike.common.wsgi import BaseStorageServer, public, request_timestamp
from swiftlike.obj import blocks, layout, params, put_conditions
from swiftlike.obj.async_pending import PendingUpdate
from swiftlike.obj.checked_reader import CheckedReader, CorruptBodyError
from swiftlike.obj.conf import ObjectServerConf
from swiftlike.obj.diskfile import DiskFile, ObjectName, ObjectReader, ObjectStore
from swiftlike.obj.fs_diskfile import FsObjectStore
from swiftlike.obj.mem_diskfile import MemObjectStore
from swiftlike.obj.responses import object_response
from swiftlike.obj.updates import ContainerUpdater

logger = logging.getLogger(__name__)

EMPTY_MD5: Final = 'd41d8cd98f00b204e9800998ecf8427e'


@contextmanager
def device_errors(device: str) -> Iterator[None]:
    """Turn a device failure into 507 for that device, a partition lock not had in time into 503."""
    try:
        yield
    except DeviceUnavailableError as err:
        raise exc.HTTPInsufficientStorage(body=f'{device}: {err}\n') from None
    except LockTimeoutError as err:          # the partition stayed locked: try another node
        raise exc.HTTPServiceUnavailable(body=f'{device}: {err}\n') from None


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
        if (req.content_length or 0) < 0:         # (webob takes '-5'; eventlet refuses it, others may not)
            raise exc.HTTPBadRequest(body='Negative Content-Length\n')
        if (req.content_length or 0) > self.limits.max_file_size:
            raise exc.HTTPRequestEntityTooLarge(body='Object too large\n')
        if not req.headers.get('Content-Type'):       # (eventlet turns an absent one into text/plain)
            raise exc.HTTPBadRequest(body='No content type\n')
        cons.check_content_type(req.headers['Content-Type'])
        self._check_meta(req)

    def _check_meta(self, req: Request) -> None:
        cons.check_metadata(req.headers, 'object', self.limits)
        params.check_write_headers(req, self.clock())

    def _read_body(self, req: Request, write: Callable[[bytes], int], remaining: int | None,
                   summer: blocks.BlockSummer) -> tuple[str, int]:
        """Stream ``remaining`` bytes (or all) of the body into ``write`` and its block
        checksums into ``summer``; (md5 hex, size). A client that hangs up gets 499, one
        that stalls 408 (see common.request_body)."""
        md5 = hashlib.md5(usedforsecurity=False)

        def take(chunk: bytes) -> None:
            md5.update(chunk)
            summer.update(chunk)
            write(chunk)
        size = request_body.stream_body(req, take, remaining, limit=self.limits.max_file_size,
                                        seconds=self.conf.client_timeout)
        return md5.hexdigest(), size

    def _put_metadata(self, req: Request, name: ObjectName, timestamp: Timestamp,
                      etag: str, size: int) -> dict[str, str]:
        meta = {'name': name.path, 'X-Timestamp': timestamp.internal, 'ETag': etag,
                'Content-Type': req.headers['Content-Type'], 'Content-Length': str(size)}
        for key, value in req.headers.items():
            if key in layout.STORED or key.lower().startswith(('x-object-meta-', 'x-object-sysmeta-')):
                meta[key.title() if key in layout.STORED else key] = value
        return meta

    def _send_update(self, req: Request, device: str, update: PendingUpdate) -> None:
        """Send a listing update (an async pending if a target fails)."""
        if not update.targets:
            return
        update.headers['X-Trans-Id'] = req.headers.get('X-Trans-Id', '-')
        with device_errors(device):
            name_hash = layout.object_hash(update.account, update.container, update.obj,
                                           prefix=self.swift_conf.hash_prefix,
                                           suffix=self.swift_conf.hash_suffix)
            self.updater.update(update, device_dir=self.conf.devices / device, name_hash=name_hash,
                                timestamp=update.headers['X-Timestamp'])

    def _update_container(self, req: Request, op: str, name: ObjectName, headers: dict[str, str]) -> None:
        targets = params.targets(req, 'Container')
        update = PendingUpdate(op, name.account, name.container, name.obj, headers, targets)
        self._send_update(req, name.device, update)

    def _queue_expiry(self, req: Request, name: ObjectName, delete_at: str | None,
                      timestamp: Timestamp) -> None:
        """Queue the object for the object-expirer (see swiftlike.common.expiring)."""
        if not delete_at:
            return
        at = normalize_delete_at(delete_at)
        entry = expiring.entry_name(at, name.account, name.container, name.obj)
        headers = {'X-Timestamp': timestamp.internal, 'X-Size': '0', 'X-Content-Type': 'text/plain',
                   'X-Etag': EMPTY_MD5}
        update = PendingUpdate('PUT', expiring.ACCOUNT, expiring.container_for(at), entry, headers,
                               params.targets(req, 'Delete-At'))
        self._send_update(req, name.device, update)

    @public
    def PUT(self, req: Request) -> Response:
        """Store an object (201), or 409 if something newer is stored."""
        name = self._name(req)
        timestamp = request_timestamp(req)
        self._check_put(req)
        df = self._diskfile(name)
        self._check_newer(df, timestamp)
        with device_errors(name.device):
            put_conditions.check(req, df, self.clock())
        summer = blocks.BlockSummer()
        with device_errors(name.device), df.writer(req.content_length) as writer:
            etag, size = self._read_body(req, writer.write, req.content_length, summer)
            expected = req.headers.get('ETag', '').strip('"').lower()
            if expected and expected != etag:
                raise exc.HTTPUnprocessableEntity(body='ETag does not match the body\n')
            writer.put({**self._put_metadata(req, name, timestamp, etag, size), **summer.metadata()})
        self._update_container(req, 'PUT', name, {
            'X-Timestamp': timestamp.internal, 'X-Content-Type': req.headers['Content-Type'],
            'X-Size': req.headers.get(OVERRIDE_SIZE, str(size)),
            'X-Etag': req.headers.get(OVERRIDE_ETAG, etag)})
        self._queue_expiry(req, name, req.headers.get('X-Delete-At'), timestamp)
        return exc.HTTPCreated(headers={'ETag': etag})

    def _open(self, req: Request, name: ObjectName) -> Response:
        df = self._diskfile(name)
        try:
            with device_errors(name.device):
                reader = _checked(df, df.open(self.clock()), name)
                body = None
                if req.method == 'GET' and 'Range' not in req.headers \
                        and reader.content_length <= self.conf.verify_get_max_bytes:
                    body = _verified(df, reader)
        except DiskFileNotExistError as err:
            headers = {'X-Backend-Timestamp': err.timestamp.internal} if err.timestamp else {}
            return exc.HTTPNotFound(headers=headers)
        return object_response(req, reader, body)

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
        """Replace user metadata and X-Delete-At, and set the sysmeta given (202). With
        ``X-Backend-Sysmeta-Only: true`` (only the cluster can send it) user metadata and
        X-Delete-At are kept and only the sysmeta given changes."""
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
        sysmeta_only = req.headers.get(SYSMETA_ONLY, '').lower() == 'true'
        kept = reader.metadata if sysmeta_only else req.headers
        meta = {k: v for k, v in kept.items()
                if k.lower().startswith('x-object-meta-') or k in (*layout.POSTED, 'Content-Type')}
        meta.update({k: v for k, v in reader.metadata.items() if k.lower().startswith('x-object-sysmeta-')})
        meta.update({k: v for k, v in req.headers.items() if k.lower().startswith('x-object-sysmeta-')})
        meta.setdefault('Content-Type', reader.metadata.get('Content-Type', 'application/octet-stream'))
        meta['X-Timestamp'] = timestamp.internal
        with device_errors(name.device):
            df.write_metadata(meta)
        if not sysmeta_only:
            self._queue_expiry(req, name, meta.get('X-Delete-At'), timestamp)
            if 'Content-Type' in req.headers:              # the listing shows the new type
                self._update_container(req, 'PUT', name, {
                    'X-Timestamp': timestamp.internal, 'X-Content-Type': req.headers['Content-Type'],
                    'X-Size': reader.metadata.get(OVERRIDE_SIZE, reader.metadata['Content-Length']),
                    'X-Etag': reader.metadata.get(OVERRIDE_ETAG, reader.metadata['ETag'])})
        return exc.HTTPAccepted()

    @public
    def DELETE(self, req: Request) -> Response:
        """Write a tombstone: 204 if there was an object, 404 if not, 409 if older."""
        name = self._name(req)
        timestamp = request_timestamp(req)
        params.targets(req, 'Container')
        if_delete_at = req.headers.get('X-If-Delete-At')
        if if_delete_at is not None:
            normalize_delete_at(if_delete_at)
        df = self._diskfile(name)
        self._check_newer(df, timestamp)
        try:
            with device_errors(name.device):
                reader = df.open(self.clock())
            reader.close()
            existed, meta = True, reader.metadata
        except DiskFileExpiredError as err:     # gone for clients; there for the expirer
            existed, meta = 'X-If-Delete-At' in req.headers, err.metadata
        except DiskFileNotExistError:
            existed, meta = False, {}
        if if_delete_at is not None and meta.get('X-Delete-At') != if_delete_at:
            raise exc.HTTPPreconditionFailed(body='X-If-Delete-At does not match\n') if meta \
                else exc.HTTPNotFound()
        with device_errors(name.device):
            df.delete(timestamp)
        self._update_container(req, 'DELETE', name, {'X-Timestamp': timestamp.internal})
        return exc.HTTPNoContent() if existed else exc.HTTPNotFound()

    @public
    def REPLICATE(self, req: Request) -> Response:
        """Suffix hashes of a partition (JSON), recalculating ``/<suffix>-<suffix>...``;
        or, with a JSON body ``{"op": "list", "suffixes": [...]}``, the file
        names of those suffixes' objects (see swiftlike.obj.sync)."""
        device, partition, suffixes = parse_replicate_path(req.environ['PATH_INFO'])
        body = request_body.read_body(req, limit=params.MAX_REPLICATE_BODY, seconds=self.conf.client_timeout)
        with device_errors(device):
            if body:
                suffixes = params.replicate_suffixes(body)
                return Response(json_body=self.store.suffix_files(device, partition, suffixes))
            return Response(json_body=self.store.suffix_hashes(device, partition, suffixes))

    @public
    def SYNC(self, req: Request) -> Response:
        """Store one file pushed by a replicator (see swiftlike.obj.sync):
        201, 409 if this node has it or something newer, 422 for a body
        that does not match its metadata."""
        name = self._name(req)
        kind, meta_length, data_length = params.sync_lengths(req)
        raw = request_body.read_body_part(req, meta_length, seconds=self.conf.client_timeout)
        pushed = params.sync_request(kind, raw, name.path, data_length)
        meta = pushed.meta
        df = self._diskfile(name)
        if kind == 'meta':
            return self._sync_meta(df, name, meta)
        self._check_newer(df, pushed.timestamp)
        with device_errors(name.device):
            if kind == 'ts':
                df.delete(pushed.timestamp)
                return exc.HTTPCreated()
            summer = blocks.BlockSummer()
            with df.writer(data_length) as writer:
                etag, got = self._read_body(req, writer.write, data_length, summer)
                if etag != meta.get('ETag') or str(got) != meta.get('Content-Length'):
                    raise exc.HTTPUnprocessableEntity(body='body does not match its metadata\n')
                writer.put({**meta, **summer.metadata()})      # this node's own checksums
        return exc.HTTPCreated()

    def _sync_meta(self, df: DiskFile, name: ObjectName, meta: dict[str, str]) -> Response:
        try:
            with device_errors(name.device):
                df.write_metadata(meta)
        except DiskFileNotExistError:
            raise exc.HTTPConflict(body='no data for this .meta\n') from None
        return exc.HTTPCreated()


def _checked(df: DiskFile, reader: ObjectReader, name: ObjectName) -> CheckedReader:
    """``reader`` with its blocks checked as they are read (see swiftlike.obj.checked_reader).

    :raises DiskFileNotExistError: if its checksums are unreadable (it is quarantined)
    """
    try:
        return CheckedReader(reader, df.quarantine, name.path)
    except blocks.CorruptBlockError as err:
        logger.error('%s: %s; quarantined', name.path, err)
        reader.close()
        df.quarantine()
        raise DiskFileNotExistError() from None


def _verified(df: DiskFile, reader: CheckedReader) -> bytes:
    """The whole body, read once; the object is quarantined if it does not match its ETag
    (or a block its checksum).

    :raises DiskFileNotExistError: if it did not
    """
    try:
        body = b''.join(reader.iter_range(0, reader.content_length))
    except CorruptBodyError:
        raise DiskFileNotExistError() from None
    if hashlib.md5(body, usedforsecurity=False).hexdigest() != reader.metadata.get('ETag'):
        reader.close()
        df.quarantine()
        raise DiskFileNotExistError()
    return body


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


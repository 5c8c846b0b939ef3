"""The container server: container databases (PUT, DELETE, HEAD, GET
listings, POST metadata), the object rows object servers send, and
REPLICATE for the replicators."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from email.utils import formatdate
from typing import Final

from webob import Request, Response, exc

from swiftlike.common import constraints as cons
from swiftlike.common import db_http, expiring
from swiftlike.common.config import parse_conf
from swiftlike.common.db_pending import GroupCommit
from swiftlike.common.db_pool import ConnectionPool
from swiftlike.common.numbers import parse_int
from swiftlike.common.request import StoragePath, UpdateTarget, parse_update_targets
from swiftlike.common.swift_conf import SwiftConf
from swiftlike.common.timestamp import Timestamp
from swiftlike.common.wsgi import BaseStorageServer, public, request_timestamp
from swiftlike.container import reporting
from swiftlike.container.backend import ContainerBroker
from swiftlike.container.conf import ContainerServerConf

#: Container headers stored as metadata.
META_PREFIXES: Final = ('x-container-meta-', 'x-container-sysmeta-', 'x-container-read',
                        'x-container-write', 'x-versions-location', 'x-history-location',
                        'x-container-sync-')


def _listed_text(value: str) -> str:
    """A header's bytes (latin-1 per PEP 3333) as the text listings show: UTF-8 decoded
    (U+FFFD for what is not UTF-8, which a content type may be).

    >>> _listed_text('caf\xc3\xa9'), _listed_text('a\xff')
    ('café', 'a\ufffd')
    """
    try:
        return value.encode('latin-1').decode('utf-8', 'replace')
    except UnicodeEncodeError:           # already text beyond latin-1
        return value


class ContainerServer(db_http.ReplicationVerbs, BaseStorageServer):
    """The container server WSGI app."""

    server_type = 'container-server'

    def __init__(self, conf: ContainerServerConf, *, swift_conf: SwiftConf,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.conf = conf
        self.swift_conf = swift_conf
        self.limits = swift_conf.constraints
        self.pool = ConnectionPool()
        self.merges = GroupCommit()
        self.clock = clock

    def _path(self, req: Request) -> StoragePath:
        path = StoragePath.parse(req.environ['PATH_INFO'], min_names=2, max_names=3)
        cons.check_name(path.account, 'account', self.limits)
        cons.check_name(path.container or '', 'container', self.limits)
        if path.obj is not None:
            cons.check_name(path.obj, 'object', self.limits)
        return path

    def _broker(self, path: StoragePath, *, stale_reads_ok: bool = False) -> ContainerBroker:
        with db_http.db_errors(path.device):
            db = db_http.db_path(self.conf.devices, path.device, path.partition, path.account,
                                 path.container, prefix=self.swift_conf.hash_prefix,
                                 suffix=self.swift_conf.hash_suffix, mount_check=self.conf.mount_check)
        return ContainerBroker(db, account=path.account, container=path.container,
                               timeout=self.conf.db_timeout, pool=self.pool, stale_reads_ok=stale_reads_ok,
                               merges=self.merges)

    def _live(self, path: StoragePath, *, stale_reads_ok: bool = False
              ) -> tuple[ContainerBroker, dict[str, object]]:
        broker = self._broker(path, stale_reads_ok=stale_reads_ok)
        with db_http.db_errors(path.device):
            info = broker.get_info()
        if broker.is_deleted(info):
            raise exc.HTTPNotFound(headers={'X-Backend-Delete-Timestamp': str(info['delete_timestamp'])})
        return broker, info

    @staticmethod
    def _account_targets(req: Request) -> list[UpdateTarget]:
        try:
            return parse_update_targets(req.headers, 'Account')
        except ValueError as err:
            raise exc.HTTPBadRequest(body=f'{err}\n') from None

    def _report(self, req: Request, broker: ContainerBroker, targets: list[UpdateTarget]) -> None:
        if targets:
            reporting.report(broker, targets, trans_id=req.headers.get('X-Trans-Id', '-'),
                             conn_timeout=self.conf.conn_timeout, node_timeout=self.conf.node_timeout)

    @public
    def PUT(self, req: Request) -> Response:
        """Create or update a container (201/202), or record an object row (201)."""
        path = self._path(req)
        timestamp = request_timestamp(req)
        if path.obj is not None:
            return self._put_row(req, path, timestamp)
        cons.check_metadata(req.headers, 'container', self.limits)
        targets = self._account_targets(req)
        broker = self._broker(path)
        with db_http.db_errors(path.device):
            created = broker.initialize(timestamp, account=path.account, container=path.container)
            if not created:
                was_deleted = broker.is_deleted()
                broker.update_put_timestamp(timestamp)
                created = was_deleted and not broker.is_deleted()
            broker.update_metadata(db_http.metadata_updates(req, META_PREFIXES, timestamp))
        self._report(req, broker, targets)
        return exc.HTTPCreated() if created else exc.HTTPAccepted()

    def _put_row(self, req: Request, path: StoragePath, timestamp: Timestamp) -> Response:
        size = parse_int(req.headers.get('X-Size'), what='X-Size')
        fields = (req.headers.get('X-Content-Type'), req.headers.get('X-Etag'))
        if not all(f is not None and '\x00' not in f for f in fields):
            raise exc.HTTPBadRequest(body='an object row needs X-Size, X-Content-Type and X-Etag\n')
        broker = self._broker(path)
        with db_http.db_errors(path.device):
            if path.account.startswith(expiring.AUTO_CREATE_PREFIX) and not broker.exists():
                broker.initialize(timestamp, account=path.account, container=path.container)
            broker.queue_object(path.obj or '', timestamp, size, _listed_text(req.headers['X-Content-Type']),
                                req.headers['X-Etag'])
        return exc.HTTPCreated()

    @public
    def DELETE(self, req: Request) -> Response:
        """Delete a container (204; 409 if not empty) or mark an object row deleted."""
        path = self._path(req)
        timestamp = request_timestamp(req)
        if path.obj is not None:
            broker = self._broker(path)
            with db_http.db_errors(path.device):
                broker.queue_object(path.obj, timestamp, 0, '', '', deleted=True)
            return exc.HTTPNoContent()
        targets = self._account_targets(req)
        broker, _ = self._live(path)
        with db_http.db_errors(path.device):
            if not broker.is_empty():
                raise exc.HTTPConflict(body='container not empty\n')
            broker.mark_deleted(timestamp)
            if not broker.is_deleted():          # a PUT newer than (or as new as) this DELETE stands
                raise exc.HTTPConflict()
        self._report(req, broker, targets)
        return exc.HTTPNoContent()

    def _stat_headers(self, broker: ContainerBroker, info: dict[str, object]) -> dict[str, str]:
        headers = db_http.metadata_headers(broker, info)
        put = math.ceil(Timestamp(str(info['put_timestamp'])).seconds)
        headers.update({
            'X-Container-Object-Count': str(info['object_count']),
            'X-Container-Bytes-Used': str(info['bytes_used']),
            'X-Timestamp': str(info['created_at']),
            'X-Put-Timestamp': str(info['put_timestamp']),
            'X-Backend-Put-Timestamp': str(info['put_timestamp']),
            'X-Backend-Delete-Timestamp': str(info['delete_timestamp']),
            # (as Swift: the time of the container's last PUT, rounded up, as an HTTP date)
            'Last-Modified': formatdate(put, usegmt=True),
        })
        return headers

    @public
    def HEAD(self, req: Request) -> Response:
        """Container stats and metadata (204)."""
        path = self._path(req)
        broker, info = self._live(path, stale_reads_ok=True)
        return Response(status=204, headers={**self._stat_headers(broker, info),
                                             'Content-Type': db_http.listing_content_type(req),
                                             'Content-Length': '0'})

    @public
    def GET(self, req: Request) -> Response:
        """The object listing."""
        path = self._path(req)
        params = db_http.listing_params(req, self.limits.container_listing_limit)
        broker, info = self._live(path, stale_reads_ok=True)
        with db_http.db_errors(path.device):
            entries = broker.list_objects(params)
        return db_http.listing_response(req, entries, 'container', path.container or '',
                                        self._stat_headers(broker, info))

    @public
    def POST(self, req: Request) -> Response:
        """Update metadata (204)."""
        path = self._path(req)
        timestamp = request_timestamp(req)
        cons.check_metadata(req.headers, 'container', self.limits)
        broker, info = self._live(path)
        updates = db_http.metadata_updates(req, META_PREFIXES, timestamp)
        db_http.check_stored_metadata(broker, info, updates, 'container', self.limits)
        with db_http.db_errors(path.device):
            if req.headers.get('X-Backend-No-Timestamp-Update', '').lower() not in db_http.TRUE_VALUES:
                broker.update_put_timestamp(timestamp)      # a POST moves Last-Modified, as Swift's
            broker.update_metadata(updates)
        return exc.HTTPNoContent()


def app_factory(global_conf: dict[str, str], **local_conf: str) -> ContainerServer:
    """paste.deploy app_factory."""
    conf = parse_conf(ContainerServerConf, {**global_conf, **local_conf}, section='app:container-server',
                      local=local_conf)
    return ContainerServer(conf, swift_conf=SwiftConf.load(conf.swift_dir))


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-container-server CONF``."""
    from swiftlike.common.runner import run_wsgi
    return run_wsgi('container-server', argv)

"""The account server: account databases (PUT, DELETE, HEAD, GET listings,
POST metadata), the container reports container servers send, and
REPLICATE for the replicators."""

from __future__ import annotations

from typing import Final

from webob import Request, Response, exc

from swiftlike.account.backend import AccountBroker
from swiftlike.account.conf import AccountServerConf
from swiftlike.common import constraints as cons
from swiftlike.common import db_http, expiring
from swiftlike.common.config import parse_conf
from swiftlike.common.db_pool import ConnectionPool
from swiftlike.common.numbers import parse_int
from swiftlike.common.request import StoragePath
from swiftlike.common.swift_conf import SwiftConf
from swiftlike.common.timestamp import Timestamp
from swiftlike.common.wsgi import BaseStorageServer, public, request_timestamp

META_PREFIXES: Final = ('x-account-meta-', 'x-account-sysmeta-', 'x-account-access-control')


def _report_timestamp(req: Request, header: str) -> Timestamp:
    try:
        return Timestamp(req.headers.get(header, '0'))
    except ValueError:
        raise exc.HTTPBadRequest(body=f'invalid {header}\n') from None


class AccountServer(db_http.ReplicationVerbs, BaseStorageServer):
    """The account server WSGI app."""

    server_type = 'account-server'

    def __init__(self, conf: AccountServerConf, *, swift_conf: SwiftConf) -> None:
        super().__init__()
        self.conf = conf
        self.swift_conf = swift_conf
        self.limits = swift_conf.constraints
        self.pool = ConnectionPool()

    def _path(self, req: Request) -> StoragePath:
        path = StoragePath.parse(req.environ['PATH_INFO'], min_names=1, max_names=2)
        cons.check_name(path.account, 'account', self.limits)
        if path.container is not None:
            cons.check_name(path.container, 'container', self.limits)
        return path

    def _broker(self, path: StoragePath) -> AccountBroker:
        with db_http.db_errors(path.device):
            db = db_http.db_path(self.conf.devices, path.device, path.partition, path.account, None,
                                 prefix=self.swift_conf.hash_prefix, suffix=self.swift_conf.hash_suffix,
                                 mount_check=self.conf.mount_check)
        return AccountBroker(db, account=path.account, timeout=self.conf.db_timeout, pool=self.pool)

    def _live(self, path: StoragePath) -> tuple[AccountBroker, dict[str, object]]:
        broker = self._broker(path)
        with db_http.db_errors(path.device):
            info = broker.get_info()
        if broker.is_deleted(info):
            raise exc.HTTPNotFound(headers={'X-Account-Status': 'Deleted'})
        return broker, info

    @public
    def PUT(self, req: Request) -> Response:
        """Create or update an account (201/202), or record a container report (201)."""
        path = self._path(req)
        if path.container is not None:
            return self._put_report(req, path)
        timestamp = request_timestamp(req)
        cons.check_metadata(req.headers, 'account', self.limits)
        broker = self._broker(path)
        with db_http.db_errors(path.device):
            created = broker.initialize(timestamp, account=path.account)
            if not created:
                if broker.is_deleted():
                    raise exc.HTTPConflict(body='account is deleted\n')   # the reaper owns it now
                broker.update_put_timestamp(timestamp)
            broker.update_metadata(db_http.metadata_updates(req, META_PREFIXES, timestamp))
        return exc.HTTPCreated() if created else exc.HTTPAccepted()

    def _put_report(self, req: Request, path: StoragePath) -> Response:
        counts = (parse_int(req.headers.get('X-Object-Count'), what='X-Object-Count'),
                  parse_int(req.headers.get('X-Bytes-Used'), what='X-Bytes-Used'))
        put_ts = _report_timestamp(req, 'X-Put-Timestamp')
        delete_ts = _report_timestamp(req, 'X-Delete-Timestamp')
        if path.account.startswith(expiring.AUTO_CREATE_PREFIX):
            with db_http.db_errors(path.device):
                self._broker(path).initialize(put_ts, account=path.account)
        broker, _ = self._live(path)
        with db_http.db_errors(path.device):
            broker.put_container(path.container or '', put_ts, delete_ts, *counts)
        return exc.HTTPCreated()

    @public
    def DELETE(self, req: Request) -> Response:
        """Mark the account deleted, for the reaper (204)."""
        path = self._path(req)
        if path.container is not None:
            raise exc.HTTPBadRequest(body='delete containers through their container servers\n')
        timestamp = request_timestamp(req)
        broker, _ = self._live(path)
        with db_http.db_errors(path.device):
            broker.mark_deleted(timestamp)
        return exc.HTTPNoContent()

    def _stat_headers(self, broker: AccountBroker, info: dict[str, object]) -> dict[str, str]:
        headers = db_http.metadata_headers(broker, info)
        headers.update({
            'X-Account-Container-Count': str(info['container_count']),
            'X-Account-Object-Count': str(info['object_count']),
            'X-Account-Bytes-Used': str(info['bytes_used']),
            'X-Timestamp': str(info['created_at']),
            'X-Put-Timestamp': str(info['put_timestamp']),
        })
        return headers

    @public
    def HEAD(self, req: Request) -> Response:
        """Account stats and metadata (204)."""
        broker, info = self._live(self._path(req))
        return Response(status=204, headers={**self._stat_headers(broker, info),
                                             'Content-Type': db_http.listing_content_type(req),
                                             'Content-Length': '0'})

    @public
    def GET(self, req: Request) -> Response:
        """The container listing."""
        path = self._path(req)
        params = db_http.listing_params(req, self.limits.account_listing_limit)
        broker, info = self._live(path)
        with db_http.db_errors(path.device):
            entries = broker.list_containers(params)
        return db_http.listing_response(req, entries, 'account', path.account,
                                        self._stat_headers(broker, info))

    @public
    def POST(self, req: Request) -> Response:
        """Update metadata (204)."""
        path = self._path(req)
        timestamp = request_timestamp(req)
        cons.check_metadata(req.headers, 'account', self.limits)
        broker, info = self._live(path)
        updates = db_http.metadata_updates(req, META_PREFIXES, timestamp)
        db_http.check_stored_metadata(broker, info, updates, 'account', self.limits)
        with db_http.db_errors(path.device):
            broker.update_metadata(updates)
        return exc.HTTPNoContent()


def app_factory(global_conf: dict[str, str], **local_conf: str) -> AccountServer:
    """paste.deploy app_factory."""
    conf = parse_conf(AccountServerConf, {**global_conf, **local_conf}, section='app:account-server',
                      local=local_conf)
    return AccountServer(conf, swift_conf=SwiftConf.load(conf.swift_dir))


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-account-server CONF``."""
    from swiftlike.common.runner import run_wsgi
    return run_wsgi('account-server', argv)

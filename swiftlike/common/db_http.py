"""HTTP plumbing shared by the container and account servers: where a
database lives, metadata headers, listing parameters and responses, and
the REPLICATE verb's operations."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from webob import Request, Response, exc

from rings import hash_path
from swiftlike.common import db_sync
from swiftlike.common.concurrency import timeout
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.db import DatabaseBroker
from swiftlike.common.exceptions import (
    DatabaseCorruptError,
    DatabaseNotFoundError,
    DeviceUnavailableError,
)
from swiftlike.common.listing import ListingParams, format_listing
from swiftlike.common.request import StoragePath
from swiftlike.common.timestamp import Timestamp
from swiftlike.common.wsgi import public

#: Most rows a REPLICATE get_items returns.
MAX_ITEMS: Final = 10000


def db_path(devices: Path, device: str, partition: int, account: str, container: str | None, *,
            prefix: bytes, suffix: bytes, mount_check: bool) -> Path:
    """``<devices>/<dev>/<accounts|containers>/<part>/<suffix>/<hash>/<hash>.db``.

    :raises DeviceUnavailableError: if the device is missing (or not mounted)
    """
    device_dir = devices / device
    if not device_dir.is_dir() or (mount_check and not device_dir.is_mount()):
        raise DeviceUnavailableError(f'no device {device!r}')
    name_hash = hash_path(account, container, prefix=prefix, suffix=suffix).hex()
    kind = 'containers' if container is not None else 'accounts'
    return device_dir / kind / str(partition) / name_hash[-3:] / name_hash / f'{name_hash}.db'


@contextmanager
def db_errors(device: str) -> Iterator[None]:
    """Missing database: 404; unreadable: 507 (it needs replacing); device down: 507."""
    try:
        yield
    except DatabaseNotFoundError:
        raise exc.HTTPNotFound() from None
    except (DatabaseCorruptError, DeviceUnavailableError) as err:
        raise exc.HTTPInsufficientStorage(body=f'{device}: {err}\n') from None


def metadata_updates(req: Request, prefixes: tuple[str, ...], timestamp: Timestamp
                     ) -> dict[str, tuple[str, str]]:
    """Headers of ``req`` to store as metadata (empty value = remove)."""
    return {key.title(): (value, timestamp.internal) for key, value in req.headers.items()
            if key.lower().startswith(prefixes)}


def metadata_headers(broker: DatabaseBroker, info: dict[str, Any]) -> dict[str, str]:
    """Stored metadata as response headers (removed keys left out), and
    X-Backend-Meta-Timestamp: the newest metadata change, so that a reader
    of several replicas can tell which is freshest."""
    metadata = broker.metadata(info)
    headers = {key: value for key, (value, _) in metadata.items() if value}
    newest = max((Timestamp(ts) for _, ts in metadata.values()), default=Timestamp(0))
    headers['X-Backend-Meta-Timestamp'] = newest.internal
    return headers


def listing_params(req: Request, max_limit: int) -> ListingParams:
    """Parse limit, marker, end_marker, prefix, delimiter and reverse.

    :raises ConstraintError: 412 for a limit over ``max_limit``, 400 for bad values
    """
    try:
        query = {k: req.GET.get(k, '') for k in ('limit', 'marker', 'end_marker', 'prefix',
                                                  'delimiter', 'reverse', 'format')}
    except UnicodeDecodeError:
        raise ConstraintError('invalid UTF-8 in query string') from None
    limit = max_limit
    if query['limit']:
        if not query['limit'].isdigit():
            raise ConstraintError(f'invalid limit {query["limit"]!r}')
        limit = int(query['limit'])
        if limit > max_limit:
            raise ConstraintError(f'maximum limit is {max_limit}', status=412)
    if len(query['delimiter']) > 1 or any('\x00' in v for v in query.values()):
        raise ConstraintError('bad delimiter or NUL in query')
    return ListingParams(limit=limit, marker=query['marker'], end_marker=query['end_marker'],
                         prefix=query['prefix'], delimiter=query['delimiter'],
                         reverse=query['reverse'].lower() in ('true', '1', 'yes', 'on'))


def listing_format(req: Request) -> str:
    """json, xml or plain: from ``?format=`` or else the Accept header."""
    fmt = str(req.GET.get('format', '')).lower()
    if fmt in ('json', 'xml', 'plain'):
        return fmt
    if fmt:
        raise ConstraintError(f'unknown format {fmt!r}')
    best = req.accept.best_match(['text/plain', 'application/json', 'application/xml', 'text/xml'])
    formats = {'application/json': 'json', 'application/xml': 'xml', 'text/xml': 'xml'}
    return formats.get(str(best or ''), 'plain')


def listing_response(req: Request, entries: list[dict[str, Any]], kind: str, name: str,
                     headers: dict[str, str]) -> Response:
    """200 with the listing; 204 for an empty plain listing, as Swift."""
    fmt = listing_format(req)
    if not entries and fmt == 'plain':
        return Response(status=204, headers=headers)
    body, content_type = format_listing(entries, fmt, kind, name)
    resp = Response(body=body, headers=headers)
    resp.content_type = content_type.split(';')[0]
    resp.charset = 'utf-8'
    if req.method == 'HEAD':
        resp.body = b''
    return resp


def _check_info(info: dict[str, Any]) -> None:
    """:raises ValueError: unless ``info`` has valid timestamps and metadata"""
    Timestamp(info['put_timestamp'])
    Timestamp(info['delete_timestamp'])
    for value, timestamp in json.loads(info.get('metadata') or '{}').values():
        if not isinstance(value, str):
            raise ValueError('metadata values are strings')
        Timestamp(timestamp)


def receive_db(broker: DatabaseBroker, req: Request, tmp_dir: Path, read_timeout: float) -> Response:
    """SYNC: a whole-database copy (see swiftlike.common.db_sync); 201."""
    source_id = req.headers.get('X-Backend-Source-Id', '')
    max_row = req.headers.get('X-Backend-Source-Max-Row', '')
    if not source_id or not max_row.isdigit() or req.content_length is None:
        raise exc.HTTPBadRequest(body='SYNC needs X-Backend-Source-Id, -Max-Row and Content-Length\n')
    try:
        result = db_sync.receive(broker, req.environ['wsgi.input'], req.content_length, tmp_dir=tmp_dir,
                                 source_id=source_id, source_max_row=int(max_row),
                                 read_timeout=lambda: timeout(read_timeout))
    except ValueError as err:
        raise exc.HTTPUnprocessableEntity(body=f'{err}\n') from None
    return Response(status=201, json_body={'result': result})


def replicate(broker: DatabaseBroker, req: Request) -> Response:
    """REPLICATE with a JSON body ``{"op": ...}``:

    * ``sync``: this replica's id, max row, timestamps, metadata, and its
      sync point for ``remote_id``;
    * ``get_items``: rows after ``since`` (at most ``limit``);
    * ``merge_items``: merge ``items`` from ``source_id``, newest winning;
    * ``merge_info``: merge ``info`` (put and delete timestamps, metadata).
    """
    try:
        body = json.loads(req.body or b'{}')
        op = body['op']
        if op == 'merge_info':
            _check_info(body['info'])
    except (ValueError, KeyError, TypeError):
        raise exc.HTTPBadRequest(body='REPLICATE needs a JSON body with an "op"\n') from None
    if op == 'sync':
        info = broker.get_info()
        info['sync_point'] = broker.get_sync(str(body.get('remote_id', '')))
        return Response(json_body=info)
    if op == 'get_items':
        items = broker.get_items_since(int(body.get('since', -1)), min(int(body.get('limit', MAX_ITEMS)),
                                                                         MAX_ITEMS))
        return Response(json_body=items)
    if op == 'merge_items':
        broker.merge_items(list(body.get('items', [])), str(body.get('source_id') or '') or None)
        return Response(status=202)
    if op == 'merge_info':
        broker.merge_info(body['info'])
        return Response(status=202)
    raise exc.HTTPBadRequest(body=f'unknown REPLICATE op {op!r}\n')


class ReplicationVerbs:
    """REPLICATE and SYNC, the same for the container and account servers;
    they provide ``_path``, ``_broker`` and ``conf``."""

    conf: Any

    def _path(self, req: Request) -> StoragePath:
        raise NotImplementedError

    def _broker(self, path: StoragePath) -> DatabaseBroker:
        raise NotImplementedError

    @public
    def REPLICATE(self, req: Request) -> Response:
        """Replication operations on the database (see :func:`replicate`)."""
        path = self._path(req)
        broker = self._broker(path)
        with db_errors(path.device):
            return replicate(broker, req)

    @public
    def SYNC(self, req: Request) -> Response:
        """A whole-database copy from a replicator (see :func:`receive_db`)."""
        path = self._path(req)
        broker = self._broker(path)
        with db_errors(path.device):
            return receive_db(broker, req, self.conf.devices / path.device / 'tmp', self.conf.client_timeout)

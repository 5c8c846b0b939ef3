"""HTTP plumbing shared by the container and account servers: where a
database lives, metadata headers, listing parameters and responses, and
the REPLICATE verb's operations."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from webob import Request, Response, exc

from rings import hash_path
from swiftlike.common import db_sync
from swiftlike.common.constraints import ConstraintError, Constraints, check_metadata
from swiftlike.common.db import DatabaseBroker
from swiftlike.common.exceptions import (
    DatabaseCorruptError,
    DatabaseLockedError,
    DatabaseNotFoundError,
    DeviceUnavailableError,
)
from swiftlike.common.listing import ListingParams, format_listing
from swiftlike.common.numbers import INT64_MAX, clamped_digits, parse_int
from swiftlike.common.request import StoragePath
from swiftlike.common.request_body import GuardedInput, is_text, parse_json, read_body
from swiftlike.common.timestamp import Timestamp
from swiftlike.common.wsgi import public

#: What Swift takes as true for ``?reverse=``.
TRUE_VALUES: Final = frozenset(('true', '1', 'yes', 'on', 't', 'y'))
#: Most rows a REPLICATE get_items returns or merge_items takes.
MAX_ITEMS: Final = 10000
#: Largest REPLICATE body: MAX_ITEMS rows with long names fit.
MAX_REPLICATE_BODY: Final = 32 << 20
#: Longest X-Backend-Source-Id (a database id is a 36-character UUID).
MAX_SOURCE_ID: Final = 256


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
    """Missing database: 404; unreadable: 507 (it needs replacing); device
    down: 507; locked by another writer for the whole db_timeout: 503."""
    try:
        yield
    except DatabaseNotFoundError:
        raise exc.HTTPNotFound() from None
    except DatabaseLockedError as err:
        raise exc.HTTPServiceUnavailable(body=f'{device}: {err}\n') from None
    except (DatabaseCorruptError, DeviceUnavailableError) as err:
        raise exc.HTTPInsufficientStorage(body=f'{device}: {err}\n') from None


def metadata_updates(req: Request, prefixes: tuple[str, ...], timestamp: Timestamp
                     ) -> dict[str, tuple[str, str]]:
    """Headers of ``req`` to store as metadata (empty value = remove)."""
    return {key.title(): (value, timestamp.internal) for key, value in req.headers.items()
            if key.lower().startswith(prefixes)}


def check_stored_metadata(broker: DatabaseBroker, info: dict[str, Any],
                          updates: dict[str, tuple[str, str]], kind: str, limits: Constraints) -> None:
    """The metadata a POST would leave stored (what is there, with ``updates`` over it)
    within the count and size limits, as Swift checks it.

    :raises ConstraintError: 400 naming the limit broken
    """
    merged = {key: value for key, (value, _) in broker.metadata(info).items()}
    merged.update({key: value for key, (value, _) in updates.items()})
    check_metadata({key: value for key, value in merged.items() if value}, kind, limits)


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
    """Parse limit, marker, end_marker, prefix, delimiter, path and reverse.

    As Swift: a limit that is not ASCII digits (``-1``, ``5000.0``, ``²``) is
    ignored (the listing is ``max_limit`` long), a delimiter may be several
    characters, and markers may hold NUL (they only bound a name range).

    :raises ConstraintError: 412 for invalid UTF-8 or a limit over
        ``max_limit``; 400 for NUL in prefix, delimiter, path or reverse
    """
    try:
        query = {k: req.GET.get(k, '') for k in ('limit', 'marker', 'end_marker', 'prefix',
                                                  'delimiter', 'reverse', 'format')}
        path = req.GET.get('path')
    except UnicodeDecodeError:
        raise ConstraintError('invalid UTF-8 in query string', status=412) from None
    if any('\x00' in v for k, v in query.items() if not k.endswith('marker')) or '\x00' in (path or ''):
        raise ConstraintError('NUL in query string')
    given = clamped_digits(query['limit'], max_limit + 1)
    if given is not None and given > max_limit:
        raise ConstraintError(f'maximum limit is {max_limit}', status=412)
    limit = max_limit if given is None else given
    return ListingParams(limit=limit, marker=query['marker'], end_marker=query['end_marker'],
                         prefix=query['prefix'], delimiter=query['delimiter'], path=path,
                         reverse=query['reverse'].lower() in TRUE_VALUES)


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


def listing_content_type(req: Request) -> str:
    """The Content-Type of a listing in the format ``req`` asks for (a HEAD's too, as Swift)."""
    return {'json': 'application/json', 'xml': 'application/xml'}.get(listing_format(req), 'text/plain') \
        + '; charset=utf-8'


def listing_response(req: Request, entries: list[dict[str, Any]], kind: str, name: str,
                     headers: dict[str, str]) -> Response:
    """200 with the listing; 204 for an empty plain listing, as Swift."""
    fmt = listing_format(req)
    if not entries and fmt == 'plain':
        return Response(status=204, headers={**headers, 'Content-Type': listing_content_type(req),
                                             'Content-Length': '0'})
    body, content_type = format_listing(entries, fmt, kind, name)
    resp = Response(body=body, headers=headers)
    resp.content_type = content_type.split(';')[0]
    resp.charset = 'utf-8'
    if req.method == 'HEAD':
        resp.body = b''
    return resp


def receive_db(broker: DatabaseBroker, req: Request, tmp_dir: Path, read_timeout: float) -> Response:
    """SYNC: a whole-database copy (see swiftlike.common.db_sync); 201.

    :raises HTTPBadRequest: for missing or malformed headers
    """
    source_id = req.headers.get('X-Backend-Source-Id', '')
    max_row = parse_int(req.headers.get('X-Backend-Source-Max-Row'), what='X-Backend-Source-Max-Row',
                        minimum=-1)
    if not source_id or len(source_id) > MAX_SOURCE_ID or not source_id.isprintable() \
            or req.content_length is None:
        raise exc.HTTPBadRequest(body='SYNC needs X-Backend-Source-Id, -Max-Row and Content-Length\n')
    try:
        stream = GuardedInput(req.environ['wsgi.input'], read_timeout)   # a stall is 408, a hang-up 499
        result = db_sync.receive(broker, stream, req.content_length,  # type: ignore[arg-type]
                                 tmp_dir=tmp_dir, source_id=source_id, source_max_row=max_row,
                                 read_timeout=contextlib.nullcontext)
    except ValueError as err:
        raise exc.HTTPUnprocessableEntity(body=f'{err}\n') from None
    except DatabaseCorruptError as err:
        if str(err).startswith(str(tmp_dir)):       # the copy sent is unsound, not this node's database
            raise exc.HTTPUnprocessableEntity(body=f'{err}\n') from None
        raise
    return Response(status=201, json_body={'result': result})


def _text_arg(body: dict[str, Any], key: str) -> str:
    value = body.get(key) or ''
    if not is_text(value, nul=False) or len(value) > MAX_SOURCE_ID:
        raise ConstraintError(f'{key} must be a string')
    return str(value)


def _int_arg(body: dict[str, Any], key: str, default: int, *, minimum: int, maximum: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise ConstraintError(f'{key} must be a whole number from {minimum} to {maximum}')
    return value


def _get_items(broker: DatabaseBroker, body: dict[str, Any]) -> Response:
    since = _int_arg(body, 'since', -1, minimum=-1, maximum=INT64_MAX)
    limit = _int_arg(body, 'limit', MAX_ITEMS, minimum=0, maximum=INT64_MAX)
    return Response(json_body=broker.get_items_since(since, min(limit, MAX_ITEMS)))


def _merge_items(broker: DatabaseBroker, body: dict[str, Any]) -> Response:
    items = body.get('items', [])
    if not isinstance(items, list) or len(items) > MAX_ITEMS:
        raise ConstraintError(f'items must be a list of at most {MAX_ITEMS} rows')
    try:
        broker.merge_items(items, _text_arg(body, 'source_id') or None)
    except ValueError as err:
        raise ConstraintError(f'bad row: {str(err)[:100]}') from None
    return Response(status=202)


def _merge_info(broker: DatabaseBroker, body: dict[str, Any]) -> Response:
    try:
        broker.merge_info(body.get('info'))  # type: ignore[arg-type]
    except ValueError as err:
        raise ConstraintError(f'bad info: {str(err)[:100]}') from None
    return Response(status=202)


def _sync(broker: DatabaseBroker, body: dict[str, Any]) -> Response:
    remote_id = _text_arg(body, 'remote_id')
    info = broker.get_info()
    info['sync_point'] = broker.get_sync(remote_id)
    return Response(json_body=info)


_OPS = {'sync': _sync, 'get_items': _get_items, 'merge_items': _merge_items, 'merge_info': _merge_info}


def replicate(broker: DatabaseBroker, req: Request, read_timeout: float) -> Response:
    """REPLICATE with a JSON body ``{"op": ...}``:

    * ``sync``: this replica's id, max row, timestamps, metadata, and its
      sync point for ``remote_id``;
    * ``get_items``: rows after ``since`` (at most ``limit``);
    * ``merge_items``: merge ``items`` from ``source_id``, newest winning;
    * ``merge_info``: merge ``info`` (put and delete timestamps, metadata).

    :raises ConstraintError: 400 for a body that is not JSON, an unknown op,
        or arguments of the wrong type or out of range (checked before any
        change); 413 for a body over ``MAX_REPLICATE_BODY``
    """
    raw = read_body(req, limit=MAX_REPLICATE_BODY, seconds=read_timeout)
    body = parse_json(raw or b'{}', 'REPLICATE body')
    op = body.get('op') if isinstance(body, dict) else None
    handler = _OPS.get(op) if isinstance(op, str) else None
    if handler is None:
        raise ConstraintError('REPLICATE needs a JSON body with a known "op"')
    return handler(broker, body)


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
            return replicate(broker, req, self.conf.client_timeout)

    @public
    def SYNC(self, req: Request) -> Response:
        """A whole-database copy from a replicator (see :func:`receive_db`)."""
        path = self._path(req)
        broker = self._broker(path)
        with db_errors(path.device):
            return receive_db(broker, req, self.conf.devices / path.device / 'tmp', self.conf.client_timeout)

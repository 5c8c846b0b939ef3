"""Parsing and checking what object-server requests carry (headers, SYNC
metadata, REPLICATE bodies) before anything is stored: a malformed value is
a 400 here, never an error further in. No storage access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from webob import Request, exc

from swiftlike.common.constraints import ConstraintError
from swiftlike.common.numbers import parse_int, parse_optional_int
from swiftlike.common.request import UpdateTarget, check_suffixes, parse_update_targets
from swiftlike.common.request_body import parse_json
from swiftlike.common.sysmeta import OVERRIDE_SIZE
from swiftlike.common.timestamp import Timestamp, normalize_delete_at
from swiftlike.obj import sync

#: Seconds an X-Delete-At reaching an object server may be in the past.
DELETE_AT_SLACK: Final = 60
#: Largest REPLICATE body (a list of suffixes: 4096 of them fit in 40 KiB).
MAX_REPLICATE_BODY: Final = 1 << 20
SYNC_KINDS: Final = ('data', 'ts', 'meta')
#: What describes the data, so a .meta may not carry it: read with the data's
#: metadata it would replace the data's own (a wrong length or ETag would
#: get a sound object quarantined).
DATA_ONLY: Final = ('Content-Length', 'ETag', 'X-Data-Timestamp')


def targets(req: Request, kind: str) -> list[UpdateTarget]:
    """The X-<kind>-Host/-Device/-Partition targets of ``req``.

    :raises HTTPBadRequest: if they are malformed
    """
    try:
        return parse_update_targets(req.headers, kind)
    except ValueError as err:
        raise exc.HTTPBadRequest(body=f'{err}\n') from None


def delete_at(req: Request, now: float) -> int | None:
    """The request's X-Delete-At, if any. The proxy checked the client's
    value; a request delayed in flight may arrive a little late.

    :raises HTTPBadRequest: unless it is whole seconds (ten digits at most),
        at most ``DELETE_AT_SLACK`` in the past
    """
    value = req.headers.get('X-Delete-At')
    if value is None:
        return None
    try:
        at = normalize_delete_at(value)
    except ValueError as err:
        raise exc.HTTPBadRequest(body=f'{err}\n') from None
    if at < now - DELETE_AT_SLACK:
        raise exc.HTTPBadRequest(body='X-Delete-At must be a time in the future\n')
    return at


def check_write_headers(req: Request, now: float) -> None:
    """Check every header a PUT or POST reads, before anything is stored.

    :raises HTTPBadRequest: if one is malformed
    """
    delete_at(req, now)
    targets(req, 'Container')
    targets(req, 'Delete-At')
    parse_optional_int(req.headers.get(OVERRIDE_SIZE), what=OVERRIDE_SIZE)


@dataclass(frozen=True, slots=True)
class SyncRequest:
    """What a SYNC carries: the kind of file, its metadata and the data length."""

    kind: str
    meta: dict[str, str]
    timestamp: Timestamp
    data_length: int


def sync_lengths(req: Request) -> tuple[str, int, int]:
    """(kind, metadata length, data length) of a SYNC.

    :raises HTTPBadRequest: if the headers are missing or malformed
    """
    kind = req.headers.get('X-Backend-Sync-Kind', '')
    try:
        meta_length = parse_int(req.headers.get('X-Backend-Sync-Meta-Length'),
                                what='X-Backend-Sync-Meta-Length', maximum=sync.MAX_META)
    except ValueError:
        meta_length = -1
    total = req.content_length
    if kind not in SYNC_KINDS or meta_length < 0 or total is None or total < meta_length:
        raise exc.HTTPBadRequest(body='SYNC needs X-Backend-Sync-Kind, -Meta-Length and Content-Length\n')
    return kind, meta_length, total - meta_length


def sync_request(kind: str, raw: bytes, path: str, data_length: int) -> SyncRequest:
    """The SYNC metadata ``raw`` checked against ``path`` and the body.

    :raises HTTPBadRequest: if it is malformed
    """
    try:
        meta = sync.parse_meta(raw, path)
        timestamp = Timestamp(meta['X-Timestamp'])
        if 'X-Delete-At' in meta:
            normalize_delete_at(meta['X-Delete-At'])
        if kind == 'data':
            parse_int(meta.get('Content-Length'), what='Content-Length')
        elif kind == 'meta' and any(key in meta for key in DATA_ONLY):
            raise ValueError(f'a .meta may not carry {", ".join(DATA_ONLY)}')
    except (ValueError, RecursionError) as err:
        raise exc.HTTPBadRequest(body=f'bad SYNC metadata: {str(err)[:100]}\n') from None
    return SyncRequest(kind, meta, timestamp, data_length)


def replicate_suffixes(raw: bytes) -> list[str]:
    """The suffixes of a REPLICATE body ``{"op": "list", "suffixes": [...]}``.

    :raises ConstraintError: 400 if it is not such a body
    """
    body = parse_json(raw, 'REPLICATE body')
    if not isinstance(body, dict) or body.get('op', 'list') != 'list':
        raise ConstraintError('expected {"op": "list", "suffixes": [...]}')
    return check_suffixes(body.get('suffixes'))

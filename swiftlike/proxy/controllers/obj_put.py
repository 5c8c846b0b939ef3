"""Object PUT: every primary asked at once with ``Expect: 100-continue``
(a handoff takes the place of a primary that cannot be reached or refuses
with a 5xx such as 507), the body streamed to all of them in parallel, 201
once a quorum of the object's *primaries* has stored it: handoff copies add
durability but never make up the quorum, so an acknowledged object is
always where a read from its primaries finds it. A client error that a
quorum of primaries gives before the body (412 for ``If-None-Match: *``, 409)
is the answer, and no byte of the body is read."""

from __future__ import annotations

import math
import mimetypes
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from email.utils import formatdate
from functools import partial
from itertools import islice
from typing import Final

from webob import Request, Response, exc

from rings import Device
from swiftlike.common.concurrency import run_all, timeout
from swiftlike.common.http import HTTPClientDisconnect
from swiftlike.common.request import update_targets
from swiftlike.common.timestamp import Timestamp
from swiftlike.proxy.backend import BackendResult, best_response, quorum_size
from swiftlike.proxy.controllers.base import (
    ProxyState,
    VPath,
    backend_headers,
    client_of,
    delete_at_targets,
)
from swiftlike.proxy.putter import Putter, open_put

CHUNK: Final = 65536


def read_client_body(req: Request, client_timeout: float) -> Iterator[bytes]:
    """The request body in chunks; 499 if it ends before Content-Length or a read fails."""
    stream = req.environ['wsgi.input']
    remaining = req.content_length
    while remaining is None or remaining > 0:
        try:
            with timeout(client_timeout):
                chunk = stream.read(CHUNK if remaining is None else min(CHUNK, remaining))
        except OSError as err:           # the client went away, or a filter refused the body
            raise HTTPClientDisconnect(body=f'reading the body failed: {err}\n') from None
        if not chunk:
            break
        if remaining is not None:
            remaining -= len(chunk)
        yield chunk
    if remaining:
        raise HTTPClientDisconnect(body='body shorter than Content-Length\n')


def content_type_for(req: Request, obj: str) -> str:
    """The request's Content-Type, or one guessed from the name."""
    given = req.headers.get('Content-Type', '')
    if given and req.headers.get('X-Detect-Content-Type', '').lower() not in ('true', '1', 'yes'):
        return str(given.split(';swift_bytes=')[0])
    return mimetypes.guess_type(obj)[0] or 'application/octet-stream'


@dataclass(frozen=True)
class _Early:
    """A node's final answer, given before any of the body was sent."""

    result: BackendResult
    primary: bool


def _open_all(state: ProxyState, path: VPath, headers: list[dict[str, str]]
              ) -> tuple[list[Putter], list[_Early]]:
    """Open a PUT to every primary at once, each with ``Expect: 100-continue``.
    A primary that cannot be reached, or answers 507 or another 5xx before
    the body, has its place taken by the next handoff (with its headers, so
    its share of the container updates). Returns the nodes ready for the
    body, and every final answer given before it (a 409 or 412 among them)."""
    ring = state.object_ring.ring
    part = ring.get_part(path.account, path.container, path.obj)
    primaries = ring.get_part_nodes(part)
    spare = (n for n in islice(ring.get_more_nodes(part), len(primaries))
             if not state.backend.limiter.limited(n))
    early: list[_Early] = []

    def one(index: int, node: Device | None) -> Putter | None:
        primary = True
        while node is not None:
            if not state.backend.limiter.limited(node):
                got = open_put(state.backend, node, f'/{part}{path.backend_path}', headers[index],
                               primary=primary, index=index)
                if isinstance(got, Putter):
                    return got
                early.append(_Early(got, primary))
                if got.status < 500:
                    return None
            node, primary = next(spare, None), False
        return None

    opened = run_all([partial(one, i, n) for i, n in enumerate(primaries)],
                     limit=3 * (state.backend.conn_timeout + state.backend.node_timeout) + 1)
    return [p for p in opened if isinstance(p, Putter)], early


def _stream(state: ProxyState, putters: list[Putter], body: Iterable[bytes], needed: int,
            client: str) -> list[Putter]:
    """Send the body to every putter at once; those that fail are dropped
    (a node may refuse early, so that counts as the client's); 503 once
    fewer than ``needed`` primaries are left."""
    for putter in putters:
        putter.start()
    live = list(putters)
    for chunk in body:
        for putter in list(live):
            if not putter.send(chunk):
                state.backend.limiter.failed(putter.node, client)
                putter.close()
                live.remove(putter)
        if sum(p.primary for p in live) < needed:
            raise exc.HTTPServiceUnavailable(body='lost too many storage nodes during the upload\n')
    return live


def put_object(state: ProxyState, req: Request, path: VPath, body: Iterable[bytes], *,
               content_length: int | None, extra: dict[str, str]) -> Response:
    """Store ``body`` under ``path`` on a quorum of primaries."""
    ring = state.object_ring.ring
    replicas = len(ring.get_part_nodes(ring.get_part(path.account, path.container, path.obj)))
    cring = state.container_ring.ring
    cpart = cring.get_part(path.account, path.container)
    timestamp = Timestamp.now()
    sizing = {'Content-Length': str(content_length)} if content_length is not None \
        else {'Transfer-Encoding': 'chunked'}
    listing = update_targets(cring.get_part_nodes(cpart), replicas, 'Container', cpart)
    queue = delete_at_targets(state, extra.get('X-Delete-At'), replicas)
    headers = [backend_headers(req, timestamp, **extra, **sizing, **t, **q) for t, q in zip(listing, queue,
                                                                                           strict=True)]
    putters, early = _open_all(state, path, headers)
    needed = quorum_size(replicas)
    stored_early = [e for e in early if e.result.status // 100 == 2]     # e.g. an empty body, not waited for
    refused = _refusal(early, sum(p.primary for p in putters) + sum(e.primary for e in stored_early), needed)
    if refused is not None:
        for putter in putters:
            putter.close()
        state.backend.judge([e.result for e in early], client_of(req))
        return refused
    try:
        live = _stream(state, putters, body, needed, client_of(req))
    except BaseException:
        for putter in putters:
            putter.close()
        raise
    results = run_all([partial(p.finish, state.backend.node_timeout) for p in live],
                      limit=2 * state.backend.node_timeout + 1)
    finals = [r if isinstance(r, BackendResult) else p.lost() for r, p in zip(results, live, strict=True)]
    state.backend.judge([*(e.result for e in early), *finals], client_of(req))
    primaries = {id(p.node) for p in live if p.primary}
    primaries |= {id(e.result.node) for e in stored_early if e.primary}
    return _answer([*finals, *(e.result for e in stored_early)], primaries, needed, replicas, timestamp)


def _refusal(early: list[_Early], ready: int, needed: int) -> Response | None:
    """The answer to give before reading the body: a client error a quorum of
    primaries gave at once (412 for If-None-Match: *, 409, 400...), or 503
    when fewer than ``needed`` primaries are ``ready`` for it; None to go on."""
    errors = Counter(e.result.status for e in early if e.primary and 400 <= e.result.status < 500)
    status, count = errors.most_common(1)[0] if errors else (0, 0)
    if count >= needed or (ready < needed and status):
        first = next(e.result for e in early if e.result.status == status)
        return Response(status=status, body=first.body)
    if ready < needed:
        return exc.HTTPServiceUnavailable(body='not enough storage nodes reachable\n')
    return None


def _answer(finals: list[BackendResult], primaries: set[int], needed: int, replicas: int,
            timestamp: Timestamp) -> Response:
    """201 once a quorum of primaries stored the object, else the quorum's answer or 503."""
    best = best_response(finals, replicas)
    stored = sum(r.status == 201 and id(r.node) in primaries for r in finals)
    if best is None or (best.status == 201 and stored < needed):
        return exc.HTTPServiceUnavailable(body='no quorum of storage nodes stored the object\n')
    if best.status != 201:
        return Response(status=best.status, body=best.body)
    return exc.HTTPCreated(headers={'ETag': best.headers.get('Etag', ''),
                                    'Last-Modified': formatdate(math.ceil(timestamp.seconds), usegmt=True),
                                    'X-Timestamp': timestamp.internal})

"""What every controller uses: the proxy's state, account and container
info (cached), authorization, and passing a backend answer on."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final

from webob import Request, Response, exc

from swiftlike.common import env_keys, expiring, infocache
from swiftlike.common.constraints import Constraints
from swiftlike.common.infocache import Info
from swiftlike.common.request import update_targets
from swiftlike.common.ring_watcher import RingWatcher
from swiftlike.common.timestamp import Timestamp
from swiftlike.proxy.backend import Backend, BackendResult, best_response, iter_nodes, quorum_size
from swiftlike.proxy.conf import ProxyServerConf

#: ``X-Remove-<header>`` asks to remove these account and container headers (never sysmeta).
REMOVABLE: Final = ('x-remove-account-meta-', 'x-remove-container-meta-', 'x-remove-container-read',
                    'x-remove-container-write', 'x-remove-container-sync-to', 'x-remove-container-sync-key')
#: Response headers never passed from a backend to the client.
HOP_BY_HOP: Final = {'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'date',
                     'server', 'te', 'trailer', 'upgrade'}


@dataclass
class ProxyState:
    """Everything a controller needs from the proxy."""

    conf: ProxyServerConf
    limits: Constraints
    account_ring: RingWatcher
    container_ring: RingWatcher
    object_ring: RingWatcher
    backend: Backend
    clock: Callable[[], float] = time.time


@dataclass(frozen=True, slots=True)
class VPath:
    """``/v1/<account>[/<container>[/<object>]]``."""

    account: str
    container: str | None = None
    obj: str | None = None

    @property
    def backend_path(self) -> str:
        """The path after ``/<device>/<partition>`` on a storage node."""
        return '/' + '/'.join(p for p in (self.account, self.container, self.obj) if p is not None)


def backend_headers(req: Request, timestamp: Timestamp | None = None, **extra: str) -> dict[str, str]:
    """Headers for backend requests: the client's end-to-end headers (an
    ``X-Remove-Container-Meta-*`` and the like as the header itself, empty),
    the transaction id, and an X-Timestamp for writes."""
    skip = {'host', 'content-length', 'transfer-encoding', 'connection', 'x-auth-token',
            'x-storage-token', 'expect'}
    headers = {k: v for k, v in req.headers.items() if k.lower() not in skip}
    for key in [k for k in headers if k.lower().startswith(REMOVABLE)]:
        del headers[key]
        headers['X-' + key[len('X-Remove-'):]] = ''       # an empty value removes it, as Swift
    headers['X-Trans-Id'] = req.environ.get(env_keys.TXN_ID, '-')
    if timestamp is not None:
        headers['X-Timestamp'] = timestamp.internal
    headers.update(extra)
    return headers


def to_response(result: BackendResult, *, body: bool = True) -> Response:
    """A client response from a backend result (for HEAD, its headers only)."""
    if body:
        headers = [(k, v) for k, v in result.headers.items() if k.lower() not in HOP_BY_HOP]
        resp = Response(status=result.status, headerlist=headers, body=result.body)
        resp.content_length = len(result.body)          # 0 too (webob leaves an empty body's out)
        return resp
    headers = [(k, v) for k, v in result.headers.items() if k.lower() not in HOP_BY_HOP - {'content-length'}]
    return Response(status=result.status, headerlist=headers, app_iter=iter(()))


def quorum_response(results: list[BackendResult], replicas: int) -> Response:
    """The quorum's answer, or 503."""
    best = best_response(results, replicas)
    if best is None:
        return exc.HTTPServiceUnavailable(body='No quorum of storage nodes agreed\n')
    return to_response(best)


def is_owner(req: Request, account: str) -> bool:
    """Whether the requester owns ``account``, or no auth filter is in the pipeline, or a
    filter that took the decision over (tempurl's look-up of its own keys) allowed it."""
    if req.environ.get(env_keys.AUTHORIZE) is None or req.environ.get(env_keys.AUTHORIZE_OVERRIDE):
        return True
    groups = req.environ.get(env_keys.REMOTE_GROUPS) or ()
    return account in groups or '.reseller_admin' in groups


def client_of(req: Request) -> str:
    """Who sent ``req``, as the error limiter tells clients apart: its address."""
    return str(req.remote_addr or '-')


def first_good(state: ProxyState, ring: RingWatcher, part: int, method: str, path: str, *,
               headers: Mapping[str, str], client: str, query: str = '') -> BackendResult:
    """Ask nodes in turn until one answers 2xx, or a quorum of the primaries
    gives the same client error (a bad listing parameter is refused by every
    node alike: asking the rest would only turn it into a 503). Else the
    first 404, else the first client error, else 503."""
    results: list[BackendResult] = []
    needed = quorum_size(len(ring.ring.get_part_nodes(part)))
    answer: BackendResult | None = None
    for node in iter_nodes(ring.ring, part, state.backend.limiter):
        result = state.backend.request(node, method, path, headers, query=query)
        results.append(result)
        if result.status // 100 == 2 or (
                result.status // 100 == 4 and result.status != 404
                and sum(r.status == result.status for r in results) >= needed):
            answer = result
            break
    state.backend.judge(results, client)
    if answer is None:
        answer = next((r for r in results if r.status == 404), None) \
            or next((r for r in results if r.status // 100 == 4), None)
    return answer or BackendResult(503, {}, b'')


def _freshness(result: BackendResult) -> tuple[Timestamp, Timestamp]:
    put = result.headers.get('X-Backend-Put-Timestamp') or result.headers.get('X-Put-Timestamp') or '0'
    return Timestamp(put), Timestamp(result.headers.get('X-Backend-Meta-Timestamp') or '0')


def newest_good(state: ProxyState, ring: RingWatcher, part: int, method: str, path: str, *,
                headers: Mapping[str, str], client: str) -> BackendResult:
    """Ask every primary at once; the freshest 2xx answer (by put and
    metadata timestamps), else the quorum's answer, else 503. For stats and
    metadata of accounts and containers, where a replica may have missed a POST."""
    nodes = ring.ring.get_part_nodes(part)
    results = state.backend.fan_out(nodes, method, path, [dict(headers)] * len(nodes), client=client)
    good = [r for r in results if r.status // 100 == 2]
    if good:
        return max(good, key=_freshness)
    return best_response(results, len(nodes)) or BackendResult(503, {}, b'')


def _looked_up(state: ProxyState, req: Request, name: str, ttl: float,
               fetch: Callable[[], BackendResult]) -> Info | None:
    """What :mod:`infocache` knows under ``name``, else ``fetch()``'s answer,
    kept there; None if it does not exist."""
    info = infocache.cached(req.environ, name)
    if info is None:
        result = fetch()
        info = Info(result.status, {k.lower(): v for k, v in result.headers.items()})
        infocache.remember(req.environ, name, info, ttl)
    return info if info.exists else None


def account_info(state: ProxyState, req: Request, account: str) -> Info | None:
    """The account's HEAD (stats and metadata), or None if it does not exist."""
    def fetch() -> BackendResult:
        part = state.account_ring.ring.get_part(account)
        return newest_good(state, state.account_ring, part, 'HEAD', f'/{part}/{account}',
                           headers=backend_headers(req), client=client_of(req))
    return _looked_up(state, req, infocache.key(account), state.conf.recheck_account_existence, fetch)


def container_info(state: ProxyState, req: Request, account: str, container: str) -> Info | None:
    """The container's HEAD (ACLs, stats, metadata), or None if it does not
    exist. Every primary is asked and the freshest answer kept (a replica
    that missed a metadata POST must not have its stale ACL cached)."""
    def fetch() -> BackendResult:
        part = state.container_ring.ring.get_part(account, container)
        return newest_good(state, state.container_ring, part, 'HEAD', f'/{part}/{account}/{container}',
                           headers=backend_headers(req), client=client_of(req))
    return _looked_up(state, req, infocache.key(account, container), state.conf.recheck_container_existence,
                      fetch)


def remember_head(state: ProxyState, req: Request, result: BackendResult, account: str,
                  container: str | None = None) -> None:
    """Keep the answer of an account or container HEAD the proxy just made."""
    conf = state.conf
    ttl = conf.recheck_container_existence if container is not None else conf.recheck_account_existence
    infocache.remember(req.environ, infocache.key(account, container),
                       Info(result.status, {k.lower(): v for k, v in result.headers.items()}), ttl)


def forget_container(req: Request, account: str, container: str) -> None:
    infocache.forget(req.environ, infocache.key(account, container))


def forget_account(req: Request, account: str) -> None:
    infocache.forget(req.environ, infocache.key(account))


def delete_at_targets(state: ProxyState, delete_at: str | None, count: int) -> list[dict[str, str]]:
    """Headers telling each of ``count`` object servers where to queue the
    object for the expirer (X-Delete-At-Container, -Host, -Device, -Partition)."""
    if not delete_at:
        return [{} for _ in range(count)]
    container = expiring.container_for(int(delete_at))
    ring = state.container_ring.ring
    part = ring.get_part(expiring.ACCOUNT, container)
    targets = update_targets(ring.get_part_nodes(part), count, 'Delete-At', part)
    for target in targets:
        target['X-Delete-At-Container'] = container
    return targets

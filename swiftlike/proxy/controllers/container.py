"""Container requests: listings (GET/HEAD, ACL-aware), create (PUT),
metadata (POST), delete (DELETE)."""

from __future__ import annotations

from dataclasses import replace

from webob import Request, Response, exc

from swiftlike.common import constraints as cons
from swiftlike.common import env_keys
from swiftlike.common.auth_check import authorize
from swiftlike.common.policy import DEFAULT_POLICY, check_policy
from swiftlike.common.request import update_targets
from swiftlike.common.timestamp import Timestamp
from swiftlike.proxy.controllers.account import create_account, listing_head
from swiftlike.proxy.controllers.base import (
    ProxyState,
    VPath,
    account_info,
    backend_headers,
    client_of,
    container_info,
    first_good,
    forget_container,
    is_owner,
    newest_good,
    quorum_response,
    remember_head,
    to_response,
)

ACL_HEADERS = ('X-Container-Read', 'X-Container-Write')
#: Headers only the container's owner sees (others may read it through an ACL).
OWNER_HEADERS = frozenset(h.lower() for h in (*ACL_HEADERS, 'X-Container-Sync-Key', 'X-Container-Sync-To',
                                               'X-Container-Meta-Temp-Url-Key',
                                               'X-Container-Meta-Temp-Url-Key-2'))


def _authorize(state: ProxyState, req: Request, path: VPath, *, write: bool) -> Response | None:
    denied = authorize(req)
    if denied is None or write:
        return denied
    info = container_info(state, req, path.account, path.container or '')
    if info is None:
        return denied
    return authorize(req, info.get('x-container-read'))


def _clean_acls(req: Request) -> None:
    clean = req.environ.get(env_keys.CLEAN_ACL)
    for header in ACL_HEADERS:
        if header in req.headers and clean is not None:
            try:
                req.headers[header] = clean(header, req.headers[header])
            except ValueError as err:
                raise exc.HTTPBadRequest(body=f'{header}: {err}\n') from None


def _write(state: ProxyState, req: Request, path: VPath) -> Response:
    container = path.container or ''
    ring = state.container_ring
    part = ring.ring.get_part(path.account, container)
    nodes = ring.ring.get_part_nodes(part)
    account_part = state.account_ring.ring.get_part(path.account)
    targets = update_targets(state.account_ring.ring.get_part_nodes(account_part), len(nodes),
                             'Account', account_part)
    timestamp = Timestamp.now()
    headers = [backend_headers(req, timestamp, **t) for t in targets]
    results = state.backend.fan_out(nodes, req.method, f'/{part}/{path.account}/{container}', headers,
                                    client=client_of(req))
    forget_container(req, path.account, container)
    return quorum_response(results, len(nodes))


def handle(state: ProxyState, req: Request, path: VPath) -> Response:
    """Answer a container request."""
    cons.check_name(path.account, 'account', state.limits)
    cons.check_name(path.container or '', 'container', state.limits)
    denied = _authorize(state, req, path, write=req.method not in ('GET', 'HEAD'))
    if denied is not None:
        return denied
    if req.method in ('GET', 'HEAD'):
        ring = state.container_ring
        part = ring.ring.get_part(path.account, path.container or '')
        backend_path = f'/{part}/{path.account}/{path.container}'
        if req.method == 'HEAD':
            result = newest_good(state, ring, part, 'HEAD', backend_path, headers=backend_headers(req),
                                 client=client_of(req))
            remember_head(state, req, result, path.account, path.container or '')
        else:
            result = first_good(state, ring, part, 'GET', backend_path, headers=backend_headers(req),
                                client=client_of(req), query=req.query_string)
        if not is_owner(req, path.account):
            result = replace(result, headers={k: v for k, v in result.headers.items()
                                              if k.lower() not in OWNER_HEADERS})
        if result.status // 100 == 2:
            result = replace(result, headers={**result.headers, 'X-Storage-Policy': DEFAULT_POLICY})
        return listing_head(req, to_response(result, body=req.method == 'GET'))
    if req.method not in ('PUT', 'POST', 'DELETE'):
        return exc.HTTPMethodNotAllowed()
    cons.check_metadata(req.headers, 'container', state.limits)
    if req.method == 'PUT':
        check_policy(req.headers.get('X-Storage-Policy'))
    _clean_acls(req)
    if req.method == 'PUT' and account_info(state, req, path.account) is None:
        owner = path.account in (req.environ.get(env_keys.REMOTE_GROUPS) or ())
        if not (state.conf.account_autocreate and owner and create_account(state, req, path.account)):
            return exc.HTTPNotFound(body='account not found\n')
    if req.method == 'POST' and container_info(state, req, path.account, path.container or '') is None:
        return exc.HTTPNotFound()
    return _write(state, req, path)

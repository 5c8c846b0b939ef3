"""Account requests: stats and listings (GET/HEAD), metadata (POST), and
creation/deletion (PUT/DELETE, for reseller admins)."""

from __future__ import annotations

from webob import Request, Response, exc

from swiftlike.common import constraints as cons
from swiftlike.common import db_http
from swiftlike.common.auth_check import authorize
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.listing import format_listing
from swiftlike.common.timestamp import Timestamp
from swiftlike.proxy.controllers.base import (
    ProxyState,
    VPath,
    backend_headers,
    client_of,
    first_good,
    forget_account,
    is_owner,
    newest_good,
    quorum_response,
    remember_head,
    to_response,
)


def create_account(state: ProxyState, req: Request, account: str) -> bool:
    """PUT the account on its primaries (auto-create); True if a quorum took it."""
    ring = state.account_ring
    part = ring.ring.get_part(account)
    nodes = ring.ring.get_part_nodes(part)
    headers = backend_headers(req, Timestamp.now())
    # (a bare account: the metadata of the request that made it is that request's to write,
    # and checked there against what is already stored)
    headers = {k: v for k, v in headers.items() if not k.lower().startswith(('x-container-', 'x-account-'))}
    results = state.backend.fan_out(nodes, 'PUT', f'/{part}/{account}', [headers] * len(nodes),
                                    client=client_of(req))
    forget_account(req, account)
    return sum(r.status // 100 == 2 for r in results) >= len(nodes) // 2 + 1


def _format(req: Request) -> str:
    """The listing format asked for.

    :raises HTTPBadRequest: for an unknown one, or a query string that is not UTF-8
    """
    try:
        return db_http.listing_format(req)
    except (ConstraintError, UnicodeDecodeError):
        raise exc.HTTPBadRequest(body='Invalid format or query string') from None


def _empty_account(req: Request, account: str) -> Response:
    """An account not made yet (auto-created on its first write) lists as an empty one."""
    headers = {'X-Account-Container-Count': '0', 'X-Account-Object-Count': '0', 'X-Account-Bytes-Used': '0'}
    fmt = _format(req)
    if fmt == 'plain' or req.method == 'HEAD':
        return Response(status=204, headers={**headers, 'Content-Type': db_http.listing_content_type(req),
                                             'Content-Length': '0'})
    body, content_type = format_listing([], fmt, 'account', account)
    resp = Response(status=200, body=body, content_type=content_type.split(';')[0], charset='utf-8')
    resp.headers.update(headers)
    return resp


def listing_head(req: Request, resp: Response) -> Response:
    """A HEAD of an account or container names the Content-Type its listing in the asked
    format would have (the storage servers do not see a HEAD's query), as Swift."""
    if req.method == 'HEAD' and resp.status_int // 100 == 2:
        _format(req)
        resp.headers['Content-Type'] = db_http.listing_content_type(req)
    return resp


def handle(state: ProxyState, req: Request, path: VPath) -> Response:
    """Answer an account request."""
    cons.check_name(path.account, 'account', state.limits)
    denied = authorize(req)
    if denied is not None:
        return denied
    ring = state.account_ring
    part = ring.ring.get_part(path.account)
    backend_path = f'/{part}/{path.account}'
    if req.method in ('GET', 'HEAD'):
        if req.method == 'HEAD':
            result = newest_good(state, ring, part, 'HEAD', backend_path, headers=backend_headers(req),
                                 client=client_of(req))
            remember_head(state, req, result, path.account)
        else:
            result = first_good(state, ring, part, 'GET', backend_path, headers=backend_headers(req),
                                client=client_of(req), query=req.query_string)
        if result.status == 404 and state.conf.account_autocreate and is_owner(req, path.account):
            return _empty_account(req, path.account)
        return listing_head(req, to_response(result, body=req.method == 'GET'))
    if req.method not in ('POST', 'PUT', 'DELETE'):
        return exc.HTTPMethodNotAllowed()
    cons.check_metadata(req.headers, 'account', state.limits)
    nodes = ring.ring.get_part_nodes(part)
    if req.method == 'POST' and state.conf.account_autocreate and is_owner(req, path.account):
        create_account(state, req, path.account)
    headers = backend_headers(req, Timestamp.now())
    results = state.backend.fan_out(nodes, req.method, backend_path, [headers] * len(nodes),
                                    client=client_of(req))
    forget_account(req, path.account)
    return quorum_response(results, len(nodes))

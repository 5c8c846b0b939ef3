"""Account ACLs as the auth filter keeps them: a client's
``X-Account-Access-Control`` is checked and moved to account system metadata
on the way in, shown back (to the account's owners only) on the way out,
and an account's ACL is read with a HEAD of the account through the rest of
the pipeline. The decision what a level allows is the auth filter's.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

from webob import Request, exc

from swiftlike.common import env_keys, subrequest
from swiftlike.common.acl import AccountAcl, parse_account_acl
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.request import header_to_str, wsgi_path_to_str
from swiftlike.common.wsgi import WsgiApp

#: The header clients set and read an account's ACL with.
HEADER: Final = 'X-Account-Access-Control'
#: Where the account keeps it (the gatekeeper keeps clients from setting it directly).
SYSMETA: Final = 'X-Account-Sysmeta-Core-Access-Control'
#: The longest ACL taken (bytes), as Swift's max_header_size.
MAX_LENGTH: Final = 8192
#: Per client request: ``{account: AccountAcl}`` already read (sub-requests share it).
_MEMO: Final = 'swiftlike.account_acls'


def account_of(environ: dict[str, Any]) -> str | None:
    """The account of a request for an account itself (``/v1/<account>``),
    as WSGI text, else None."""
    parts = environ.get('PATH_INFO', '').rstrip('/').split('/')
    if len(parts) != 3 or parts[0] or parts[1] not in ('v1', 'v1.0') or not parts[2]:
        return None
    return str(parts[2])


def move_to_sysmeta(req: Request) -> None:
    """For an account PUT or POST: check the client's ACL header and put it,
    in its normal form, where the account keeps it (an empty value removes
    it). The header itself never reaches the account servers.

    :raises HTTPBadRequest: for a value that is not a valid account ACL
    """
    raw = req.headers.pop(HEADER, None)
    if raw is None or req.method not in ('PUT', 'POST'):
        return
    try:
        if len(raw) > MAX_LENGTH:
            raise ValueError(f'longer than {MAX_LENGTH} bytes')
        acl = parse_account_acl(header_to_str(raw))
    except (ValueError, ConstraintError) as err:
        raise exc.HTTPBadRequest(body=f'{HEADER} invalid: {err}\n',
                                 content_type='text/plain', charset='utf-8') from None
    req.headers[SYSMETA] = acl.header_value()


def shown(headers: Iterable[tuple[str, str]], *, owner: bool) -> list[tuple[str, str]]:
    """An account answer's headers as the client gets them: the ACL (from
    system metadata) only for an owner, and no raw copy of it."""
    out, acl = [], None
    for name, value in headers:
        lowered = name.lower()
        if lowered == SYSMETA.lower():
            acl = value
        elif lowered != HEADER.lower():
            out.append((name, value))
    if owner and acl:
        try:
            value = parse_account_acl(acl).header_value()
        except ValueError:
            value = ''
        if value:
            out.append((HEADER, value))
    return out


def acl_of(app: WsgiApp, environ: dict[str, Any], account: str) -> AccountAcl:
    """The ACL of ``account`` (WSGI text), read once per client request with
    a HEAD through ``app`` that no ACL check refuses. An account without
    one, or one that cannot be read, grants nothing."""
    memo: dict[str, AccountAcl] = environ.setdefault(_MEMO, {})
    if account not in memo:
        memo[account] = _fetch(app, environ, account)
    return memo[account]


def _fetch(app: WsgiApp, environ: dict[str, Any], account: str) -> AccountAcl:
    try:
        path = '/v1/' + wsgi_path_to_str(account)
    except ConstraintError:
        return AccountAcl()
    env = subrequest.environ_for(environ, 'HEAD', path)
    env[env_keys.AUTHORIZE] = lambda _req: None
    env[env_keys.AUTHORIZE_OVERRIDE] = True
    resp = Request(env).get_response(app)
    subrequest.close(resp)
    value = resp.headers.get(SYSMETA, '') if resp.status_int // 100 == 2 else ''
    try:
        return parse_account_acl(value) if value else AccountAcl()
    except ValueError:
        return AccountAcl()

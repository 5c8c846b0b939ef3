"""A container's (or account's) metadata, read for filters that act on it
for any client, anonymous ones too (staticweb, cors, etag_quoter): a HEAD
through the rest of the pipeline that bypasses the client's auth, kept in
the shared cache for ``ttl`` seconds and in the request's environ for the
rest of the request. A container write that passes such a filter drops the
cached copy (see ``forget``). Never answers the client itself; a caller
must only act on what the owner set, never show it to the client."""

from __future__ import annotations

from typing import Any, Final

from webob import Request, Response

from swiftlike.common import env_keys, subrequest
from swiftlike.common.wsgi import WsgiApp

PREFIX: Final = 'x-container-meta-'
_MEMO: Final = 'swiftlike.container_meta.memo'


def _allow(req: Request) -> Response | None:
    """The authorize callback of the look-up HEAD itself."""
    return None


def _key(account: str, container: str | None) -> str:
    return f'container-meta/{account}/{container}' if container else f'account-meta/{account}'


def _head(app: WsgiApp, environ: dict[str, Any], path: str) -> dict[str, str] | None:
    """The answer's headers (names lower-case); {} for a path that does not
    exist or cannot be read for a client error, None on a 5xx."""
    env = subrequest.environ_for(environ, 'HEAD', path)
    for name in (env_keys.REMOTE_GROUPS, 'REMOTE_USER'):
        env.pop(name, None)
    env[env_keys.AUTHORIZE] = _allow
    env[env_keys.AUTHORIZE_OVERRIDE] = True
    env[env_keys.META_LOOKUP] = True
    resp = Request(env).get_response(app)
    subrequest.close(resp)
    if resp.status_int // 100 == 5:
        return None
    if resp.status_int // 100 != 2:
        return {}
    return {k.lower(): v for k, v in resp.headers.items()}


def headers_of(app: WsgiApp, environ: dict[str, Any], account: str, container: str | None = None, *,
               ttl: float = 10.0) -> dict[str, str]:
    """Every header of the account's or container's HEAD, names lower-case
    ({} if it does not exist or could not be read)."""
    memo: dict[str, dict[str, str]] = environ.setdefault(_MEMO, {})
    key = _key(account, container)
    if key in memo:
        return memo[key]
    cache = environ.get(env_keys.CACHE)
    found = cache.get(key) if cache is not None else None
    if not isinstance(found, dict):
        found = _head(app, environ, f'/v1/{account}' + (f'/{container}' if container else ''))
        if found is None:
            return {}
        if cache is not None:
            cache.set(key, found, ttl)
    headers = {str(k): str(v) for k, v in found.items()}
    memo[key] = headers
    return headers


def read(app: WsgiApp, environ: dict[str, Any], account: str, container: str, *,
         ttl: float = 10.0) -> dict[str, str]:
    """The container's user metadata, e.g. ``{'web-index': 'index.html'}`` ({} if
    it has none, does not exist, or could not be read)."""
    headers = headers_of(app, environ, account, container, ttl=ttl)
    return {k[len(PREFIX):]: v for k, v in headers.items() if k.startswith(PREFIX)}


def forget(environ: dict[str, Any], account: str, container: str | None = None) -> None:
    """Drop the cached headers of an account or container (it is being written)."""
    environ.get(_MEMO, {}).pop(_key(account, container), None)
    cache = environ.get(env_keys.CACHE)
    if cache is not None:
        cache.delete(_key(account, container))

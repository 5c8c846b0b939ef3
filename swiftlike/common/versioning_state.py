"""What the versioning filters need to know about a container (its write
ACL and versioning system metadata), read with one HEAD made on behalf of
the container's owner, and the owner's sub-requests themselves.

A sub-request "as the owner" carries no authorize callback, so the proxy
lets it through: callers must have authorized the client first. The
answer is remembered for the rest of the client's request, and for
``TTL`` seconds in a cache every proxy process shares (never in a
per-process one, which would keep what another process just changed).
This module must not decide anything about versioning itself."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final

from webob import Request, Response

from swiftlike.common import env_keys, subrequest
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.request import split_path
from swiftlike.common.wsgi import WsgiApp

#: Container sysmeta: the legacy archive container (URL-quoted) and mode (stack/history).
LOCATION: Final = 'X-Container-Sysmeta-Versions-Location'
MODE: Final = 'X-Container-Sysmeta-Versions-Mode'
#: Container sysmeta: object versioning (the newer kind) is on ('true'/'false'; absent: never set).
ENABLED: Final = 'X-Container-Sysmeta-Versions-Enabled'
#: Seconds a container's versioning state is kept in the shared cache.
TTL: Final = 30.0


@dataclass(frozen=True)
class ContainerState:
    """A container's versioning state (``status`` is the HEAD's)."""

    status: int
    write_acl: str = ''
    read_acl: str = ''
    location: str = ''
    mode: str = ''
    enabled: str = ''

    @property
    def exists(self) -> bool:
        return self.status // 100 == 2


def owner_environ(environ: dict[str, Any], method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """A sub-request environ without the client's authorize callback."""
    env = subrequest.environ_for(environ, method, path, **kwargs)
    env.pop(env_keys.AUTHORIZE, None)
    return env


def owner_call(app: WsgiApp, environ: dict[str, Any], method: str, path: str, **kwargs: Any) -> Response:
    """The answer of ``app`` to a sub-request made as the owner (body unread)."""
    return Request(owner_environ(environ, method, path, **kwargs)).get_response(app)


def split_v1(req: Request) -> tuple[str, str, str] | None:
    """``(account, container, object or '')`` of a /v1 container or object request, else None."""
    try:
        version, account, container, obj = split_path(subrequest.path_of(req), 1, 4, rest_with_last=True)
    except (ConstraintError, UnicodeDecodeError):
        return None
    if version not in ('v1', 'v1.0') or not account or not container:
        return None
    return account, container, obj or ''


def _key(account: str, container: str) -> str:
    return f'versioning/{account}/{container}'


def _shared_cache(environ: dict[str, Any]) -> Any:
    cache = environ.get(env_keys.CACHE)
    return cache if cache is not None and getattr(cache, 'shared', False) else None


def lookup(app: WsgiApp, environ: dict[str, Any], account: str, container: str) -> ContainerState:
    """The versioning state of ``/account/container``."""
    memo: dict[str, ContainerState] = environ.setdefault(env_keys.VERSIONING_MEMO, {})
    key = _key(account, container)
    if key in memo:
        return memo[key]
    cache = _shared_cache(environ)
    hit = cache.get(key) if cache is not None else None
    if isinstance(hit, dict):
        state = ContainerState(**hit)
    else:
        resp = owner_call(app, environ, 'HEAD', f'/v1/{account}/{container}')
        subrequest.close(resp)
        h = resp.headers
        state = ContainerState(resp.status_int, h.get('X-Container-Write', ''), h.get('X-Container-Read', ''),
                               h.get(LOCATION, ''), h.get(MODE, ''), h.get(ENABLED, '').lower())
        if cache is not None and state.exists:
            cache.set(key, asdict(state), TTL)
    memo[key] = state
    return state


def forget(environ: dict[str, Any], account: str, container: str) -> None:
    """Drop what is known of a container (after a write to its metadata)."""
    key = _key(account, container)
    environ.get(env_keys.VERSIONING_MEMO, {}).pop(key, None)
    cache = _shared_cache(environ)
    if cache is not None:
        cache.delete(key)

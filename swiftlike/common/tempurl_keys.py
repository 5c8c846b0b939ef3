"""The temp URL keys of an account and a container (``X-Account-Meta-Temp-
URL-Key[-2]``, ``X-Container-Meta-Temp-URL-Key[-2]``), read for tempurl and
formpost by a HEAD through the rest of the pipeline that bypasses the
client's auth, and kept briefly in the shared cache.

When a key changes, a cached copy could let a revoked key work, or refuse a
new one, until it expires. So: entries live ``ttl`` seconds; a signature
that matches no cached key is checked once more against freshly read keys
(at most once a second per account/container); and a write to an account
or container that passes these filters drops its entries (in every proxy
when the cache is memcached; other workers' in-process caches keep theirs
until ``ttl``). Only the account's owner sees the keys in a HEAD or GET.
Never answers the client itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from webob import Request, Response

from swiftlike.common import env_keys, subrequest
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.hmac_sig import key_bytes
from swiftlike.common.request import wsgi_path_to_str
from swiftlike.common.wsgi import WsgiApp

ACCOUNT_SCOPE: Final = 'account'
CONTAINER_SCOPE: Final = 'container'
#: Seconds a cached entry must be old before a failed signature reads the keys again.
MIN_REFRESH: Final = 1.0
_KEY_HEADERS: Final = ('Temp-Url-Key', 'Temp-Url-Key-2')

ScopedKey = tuple[bytes, str]


def _read(app: WsgiApp, environ: dict[str, Any], path: str, kind: str) -> list[str] | None:
    """The keys in ``path``'s metadata: none if it does not exist, None if
    it could not be read (a 5xx, not to be cached)."""
    resp = subrequest.lookup_head(app, environ, path)
    if resp.status_int // 100 != 2:
        return [] if resp.status_int // 100 == 4 else None
    return [resp.headers[f'X-{kind}-Meta-{name}'] for name in _KEY_HEADERS
            if resp.headers.get(f'X-{kind}-Meta-{name}')]


@dataclass
class KeyLookup:
    """Reads and caches the keys that may sign requests for one container."""

    app: WsgiApp
    ttl: float = 30.0
    clock: Callable[[], float] = time.time

    def keys(self, environ: dict[str, Any], account: str, container: str, *,
             refresh: bool = False) -> tuple[list[ScopedKey], bool]:
        """``[(key, scope)]``, account keys first, and whether any came from
        the cache. ``refresh`` reads again what was cached long enough ago."""
        found: list[ScopedKey] = []
        cached_any = False
        for scope, path, kind in ((ACCOUNT_SCOPE, f'/v1/{account}', 'Account'),
                                  (CONTAINER_SCOPE, f'/v1/{account}/{container}', 'Container')):
            values, cached = self._entry(environ, path, kind, refresh=refresh)
            cached_any = cached_any or cached
            found.extend((key_bytes(v), scope) for v in values)
        return found, cached_any

    def _entry(self, environ: dict[str, Any], path: str, kind: str, *,
               refresh: bool) -> tuple[list[str], bool]:
        cache = environ.get(env_keys.CACHE)
        name = f'tempurl-keys{path}'
        entry = cache.get(name) if cache is not None else None
        now = self.clock()
        if isinstance(entry, dict) and isinstance(entry.get('keys'), list) and not (
                refresh and now - float(entry.get('at', 0)) >= MIN_REFRESH):
            return [str(k) for k in entry['keys']], True
        values = _read(self.app, environ, path, kind)
        if values is None:
            return [], False
        if cache is not None:
            cache.set(name, {'keys': values, 'at': now}, self.ttl)
        return values, False


def forget(environ: dict[str, Any], account: str, container: str | None = None) -> None:
    """Drop the cached keys of an account (and of one of its containers)."""
    cache = environ.get(env_keys.CACHE)
    if cache is None:
        return
    cache.delete(f'tempurl-keys/v1/{account}')
    if container:
        cache.delete(f'tempurl-keys/v1/{account}/{container}')


def _account_container(req: Request) -> tuple[str, str | None] | None:
    """``(account, container or None)`` of an account or container path, else None."""
    try:
        parts = wsgi_path_to_str(req.environ.get('PATH_INFO', '')).rstrip('/').split('/')
    except ConstraintError:
        return None
    if len(parts) not in (3, 4) or parts[0] or parts[1] not in ('v1', 'v1.0') or not parts[2]:
        return None
    return parts[2], parts[3] if len(parts) == 4 else None


def _is_owner(environ: dict[str, Any], account: str) -> bool:
    """Whether auth (which ran below, in the same environ) found the account's owner."""
    if environ.get(env_keys.AUTHORIZE) is None:
        return True
    groups = environ.get(env_keys.REMOTE_GROUPS) or ()
    return account in groups or '.reseller_admin' in groups


def pass_on(app: WsgiApp, req: Request) -> Response | None:
    """A request without a signature, at an account or container: after a
    write, drop the cached keys it may have changed; from a read by anyone
    but the owner, remove the keys (a reader through an ACL must not sign
    writes; Swift's proxy hides them the same way). None for any other
    request (it goes on untouched)."""
    where = _account_container(req)
    if where is None or req.method not in ('POST', 'PUT', 'DELETE', 'GET', 'HEAD') \
            or req.environ.get(env_keys.AUTHORIZE_OVERRIDE):
        return None             # (a look-up of the keys themselves is made with the override)
    resp = req.get_response(app)
    if req.method in ('GET', 'HEAD'):
        if not _is_owner(req.environ, where[0]):
            for name in [n for n in resp.headers if n.lower().endswith(('-meta-temp-url-key',
                                                                         '-meta-temp-url-key-2'))]:
                del resp.headers[name]
    else:
        forget(req.environ, *where)
    return resp

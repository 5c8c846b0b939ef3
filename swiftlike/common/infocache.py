"""What is known of an account or a container, for the proxy and for every
filter that acts on one (quotas, versioning, staticweb, CORS, ...): the
status and headers of its HEAD.

- It is looked up once per client request: kept in the environ under
  :data:`MEMO`, which sub-requests share (their environ is a copy of the
  client's, and this dict the same object).
- Every proxy process shares it through the cache (memcached) for the
  proxy's ``recheck_*_existence`` seconds. Only what exists is shared (other
  proxies may create it any time), and only in a shared cache: a per-process
  copy would keep an ACL another process just changed.
- The proxy app fills it (:func:`remember`) as it asks the nodes and drops it
  (:func:`forget`) when it writes the account or container.
- A filter reads it with :func:`info_of`: on a miss, a HEAD through the rest
  of the pipeline that no auth check stops (the proxy fills the memo as it
  answers). A filter must only act on what the owner set there, never show
  it to a client who may not read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from swiftlike.common import env_keys, subrequest
from swiftlike.common.wsgi import WsgiApp

#: environ key: dict of key -> Info, for one client request and its sub-requests.
MEMO: Final = 'swiftlike.infocache'


@dataclass(frozen=True)
class Info:
    """A HEAD's status and headers (names lower-case)."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.status // 100 == 2

    def get(self, name: str, default: str = '') -> str:
        return self.headers.get(name.lower(), default)

    def meta(self, prefix: str) -> dict[str, str]:
        """Headers starting with ``prefix`` (lower-case), with it cut off."""
        prefix = prefix.lower()
        return {k[len(prefix):]: v for k, v in self.headers.items() if k.startswith(prefix)}


def key(account: str, container: str | None = None) -> str:
    return f'container/{account}/{container}' if container is not None else f'account/{account}'


def _memo(environ: dict[str, Any]) -> dict[str, Info]:
    memo: dict[str, Info] = environ.setdefault(MEMO, {})
    return memo


def _shared_cache(environ: dict[str, Any]) -> Any:
    cache = environ.get(env_keys.CACHE)
    return cache if cache is not None and getattr(cache, 'shared', False) else None


def cached(environ: dict[str, Any], name: str) -> Info | None:
    """What this request, or the shared cache, knows under ``name`` (see :func:`key`)."""
    memo = _memo(environ)
    if name in memo:
        return memo[name]
    cache = _shared_cache(environ)
    hit = cache.get(name) if cache is not None else None
    if isinstance(hit, dict) and isinstance(hit.get('headers'), dict) and isinstance(hit.get('status'), int):
        memo[name] = Info(hit['status'], {str(k): str(v) for k, v in hit['headers'].items()})
        return memo[name]
    return None


def remember(environ: dict[str, Any], name: str, info: Info, ttl: float) -> None:
    """Keep ``info`` for this request, and in the shared cache for ``ttl`` seconds if it exists."""
    if info.status // 100 == 5:
        return
    _memo(environ)[name] = info
    cache = _shared_cache(environ)
    if cache is not None and info.exists:
        cache.set(name, {'status': info.status, 'headers': info.headers}, ttl)


def forget(environ: dict[str, Any], name: str) -> None:
    """Drop what is known under ``name`` (it is being written)."""
    _memo(environ).pop(name, None)
    cache = _shared_cache(environ)
    if cache is not None:
        cache.delete(name)


def info_of(app: WsgiApp, environ: dict[str, Any], account: str, container: str | None = None) -> Info:
    """The account's or container's Info, from the memo, the shared cache,
    or a HEAD through ``app`` that no auth check stops (a 503 Info, not
    kept, when that HEAD failed)."""
    name = key(account, container)
    found = cached(environ, name)
    if found is not None:
        return found
    resp = subrequest.lookup_head(app, environ, f'/v1/{account}' + (f'/{container}' if container else ''))
    found = _memo(environ).get(name)             # the proxy app remembered what it found
    if found is None:
        found = Info(resp.status_int, {k.lower(): v for k, v in resp.headers.items()})
        if found.status // 100 != 5:
            _memo(environ)[name] = found
    return found

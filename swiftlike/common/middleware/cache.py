"""Puts a cache in the environ for later filters and the proxy: in-process
by default, memcached (pymemcache) when ``memcache_servers`` is set."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from webob import Request, Response

from swiftlike.common import env_keys
from swiftlike.common.wsgi import Middleware, WsgiApp


class Cache(Protocol):
    """What the proxy needs of a cache: JSON-able values with a TTL.
    ``shared`` says whether every proxy process sees the same cache."""

    shared: bool

    def get(self, key: str) -> Any: ...
    def set(self, key: str, value: Any, ttl: float) -> None: ...
    def delete(self, key: str) -> None: ...


class MemoryCache:
    """A small in-process cache (one per worker process)."""

    shared = False

    def __init__(self, max_items: int = 100_000, clock: Callable[[], float] = time.monotonic) -> None:
        self._items: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._max = max_items
        self._clock = clock

    def get(self, key: str) -> Any:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] < self._clock():
                self._items.pop(key, None)
                return None
            return hit[1]

    def set(self, key: str, value: Any, ttl: float) -> None:
        with self._lock:
            if len(self._items) >= self._max:
                self._items.clear()
            self._items[key] = (self._clock() + ttl, value)

    def delete(self, key: str) -> None:
        with self._lock:
            self._items.pop(key, None)


class MemcacheCache:
    """memcached through pymemcache (a pooled client, JSON values)."""

    shared = True

    def __init__(self, servers: Iterable[str], timeout: float) -> None:
        from pymemcache.client.hash import HashClient
        hosts = []
        for server in servers:
            host, _, port = server.rpartition(':')
            hosts.append((host, int(port)))
        # default_noreply=False: a delete is done when it returns; with pymemcache's
        # default (noreply) a get on another pooled connection could still see the
        # old value, e.g. a container's ACL just changed
        self._client = HashClient(hosts, connect_timeout=timeout, timeout=timeout, use_pooling=True,
                                  ignore_exc=True, default_noreply=False)

    @staticmethod
    def _key(key: str) -> str:
        # names may hold spaces, control characters or 1 KiB of UTF-8; memcached takes none
        return 'sl:' + hashlib.md5(key.encode('utf-8', 'surrogatepass'), usedforsecurity=False).hexdigest()

    def get(self, key: str) -> Any:
        raw = self._client.get(self._key(key))
        return json.loads(raw) if raw else None

    def set(self, key: str, value: Any, ttl: float) -> None:
        self._client.set(self._key(key), json.dumps(value), expire=max(1, int(ttl)))

    def delete(self, key: str) -> None:
        self._client.delete(self._key(key))


@dataclass(frozen=True)
class CacheConf:
    """Options of the cache filter."""

    memcache_servers: str = ''
    memcache_timeout: float = 0.3


class CacheMiddleware(Middleware):
    """Provides ``environ[env_keys.CACHE]``."""

    conf_class = CacheConf

    def __init__(self, app: WsgiApp, conf: CacheConf | None = None) -> None:
        super().__init__(app, conf)
        conf = conf or CacheConf()
        servers = [s.strip() for s in conf.memcache_servers.split(',') if s.strip()]
        self.cache: Cache = MemcacheCache(servers, conf.memcache_timeout) if servers else MemoryCache()

    def process_request(self, req: Request) -> Response | None:
        req.environ[env_keys.CACHE] = self.cache
        return None


filter_factory = CacheMiddleware.factory

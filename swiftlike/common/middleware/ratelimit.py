"""Per-container write rate limiting: at most ``container_ratelimit``
object PUTs/DELETEs per second per container (0, the default, is off);
over the limit a request waits up to ``max_sleep`` seconds, else 498."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from webob import Request, Response

from swiftlike.common import info
from swiftlike.common.wsgi import Middleware, WsgiApp


def rate_limited() -> Response:
    """498, as Swift answers."""
    return Response(status='498 Rate Limited', body=b'Slow down\n', content_type='text/plain')


@dataclass(frozen=True)
class RateLimitConf:
    """Options of the ratelimit filter."""

    container_ratelimit: float = 0.0
    max_sleep: float = 5.0


class RateLimit(Middleware):
    """A leaky bucket per container, in this process."""

    conf_class = RateLimitConf

    def __init__(self, app: WsgiApp, conf: RateLimitConf | None = None,
                 *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(app, conf)
        self.rconf = conf or RateLimitConf()
        self.next_free: dict[str, float] = {}
        self.clock = clock
        self.sleep = sleep

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'ratelimit', {'container_ratelimit': self.rconf.container_ratelimit,
                                                'max_sleep_time_seconds': self.rconf.max_sleep})
            return None
        rate = self.rconf.container_ratelimit
        if rate <= 0 or req.method not in ('PUT', 'DELETE'):
            return None
        parts = req.environ.get('PATH_INFO', '').split('/', 5)
        if len(parts) < 5 or parts[1] != 'v1' or not parts[4]:
            return None
        key = f'{parts[2]}/{parts[3]}'
        now = self.clock()
        start = max(now, self.next_free.get(key, now))
        wait = start - now
        if wait > self.rconf.max_sleep:
            return rate_limited()
        self.next_free[key] = start + 1.0 / rate
        if wait > 0:
            self.sleep(wait)
        return None


filter_factory = RateLimit.factory

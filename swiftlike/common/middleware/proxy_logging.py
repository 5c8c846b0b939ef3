"""One access-log line per client request: client, method, path, status,
bytes in and out, seconds, transaction id."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from swiftlike.common import env_keys
from swiftlike.common.wsgi import Middleware

logger = logging.getLogger('swiftlike.access')


class ProxyLogging(Middleware):
    """Logs when the response body has been sent (or the client went away)."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        status = ['-']

        def capture(code: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[0] = code.split(' ', 1)[0]
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        body = self.app(environ, capture)
        return self._logged(environ, body, status, started)

    def _logged(self, environ: dict[str, Any], body: Iterable[bytes], status: list[str],
                started: float) -> Iterator[bytes]:
        sent = 0
        try:
            for chunk in body:
                sent += len(chunk)
                yield chunk
        finally:
            close = getattr(body, 'close', None)
            if close:
                close()
            query = environ.get('QUERY_STRING')
            path = environ.get('PATH_INFO', '') + (f'?{query}' if query else '')
            logger.info('%s %s %s %s %s %d %.4f', environ.get('REMOTE_ADDR', '-'),
                        environ.get('REQUEST_METHOD'), path, status[0],
                        environ.get('CONTENT_LENGTH') or '-', sent, time.monotonic() - started,
                        extra={'txn_id': environ.get(env_keys.TXN_ID, '-')})


filter_factory = ProxyLogging.factory

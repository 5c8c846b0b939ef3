"""First filter of every pipeline: gives each request a transaction id and
turns any uncaught exception into a bare 500 (logged with its traceback,
never sent to the client)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from swiftlike.common import env_keys
from swiftlike.common.wsgi import Middleware

logger = logging.getLogger(__name__)


def new_trans_id(suffix: str = '') -> str:
    """``tx<21 hex>-<hex epoch seconds><suffix>``, as Swift's."""
    return f'tx{uuid.uuid4().hex[:21]}-{int(time.time()):010x}{suffix}'


class CatchErrors(Middleware):
    """Transaction ids and the one catch-all."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        trans_id = environ.get('HTTP_X_TRANS_ID') or new_trans_id()
        environ[env_keys.TXN_ID] = trans_id
        environ['HTTP_X_TRANS_ID'] = trans_id
        def with_trans_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            if not any(k.lower() == 'x-trans-id' for k, _ in headers):
                headers = [*headers, ('X-Trans-Id', trans_id)]
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        try:
            return self.app(environ, with_trans_id)
        except Exception:
            logger.exception('uncaught error in %s %s', environ.get('REQUEST_METHOD'),
                             environ.get('PATH_INFO'), extra={'txn_id': trans_id})
            body = b'An internal error occurred.\n'
            start_response('500 Internal Server Error',
                           [('Content-Type', 'text/plain'), ('Content-Length', str(len(body))),
                            ('X-Trans-Id', trans_id)])
            return [body]


filter_factory = CatchErrors.factory

"""First filter of every pipeline: gives each request a transaction id and
turns any uncaught exception into a bare 500 (logged with its traceback,
never sent to the client).

A client does not choose its transaction id (it would make log lines of
other requests its own): the proxy makes a new one, to which a client may
add a suffix of its own with ``X-Trans-Id-Extra``. Storage servers, which
only the cluster talks to, keep the proxy's (``keep_trans_id = true``)."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote

from swiftlike.common import env_keys
from swiftlike.common.wsgi import Middleware

logger = logging.getLogger(__name__)


#: Most characters of X-Trans-Id-Extra kept in the transaction id.
EXTRA_LENGTH: Final = 32


def new_trans_id(suffix: str = '') -> str:
    """``tx<21 hex>-<hex epoch seconds><suffix>``, as Swift's (the suffix is URL-quoted).

    >>> new_trans_id('-my job/1')[34:]
    '-my%20job/1'
    """
    return f'tx{uuid.uuid4().hex[:21]}-{int(time.time()):010x}{quote(suffix)}'


@dataclass(frozen=True)
class CatchErrorsConf:
    """``[filter:catch_errors]``."""

    keep_trans_id: bool = False


class CatchErrors(Middleware):
    """Transaction ids and the one catch-all."""

    conf_class = CatchErrorsConf

    def _trans_id(self, environ: dict[str, Any]) -> str:
        if self.conf is not None and self.conf.keep_trans_id and environ.get('HTTP_X_TRANS_ID'):
            return str(environ['HTTP_X_TRANS_ID'])
        extra = environ.get('HTTP_X_TRANS_ID_EXTRA', '')
        raw = extra.encode('latin-1', 'replace').decode('utf-8', 'replace')
        return new_trans_id('-' + raw.strip()[:EXTRA_LENGTH] if raw.strip() else '')

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        trans_id = self._trans_id(environ)
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

"""Keeps internal headers out: strips ``X-Backend-*`` and system metadata
headers from client requests and from responses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Final

from swiftlike.common.wsgi import Middleware

#: Request header prefixes only the cluster itself may send.
INTERNAL_PREFIXES: Final = ('HTTP_X_BACKEND_', 'HTTP_X_OBJECT_SYSMETA_', 'HTTP_X_CONTAINER_SYSMETA_',
                            'HTTP_X_ACCOUNT_SYSMETA_', 'HTTP_X_TIMESTAMP', 'HTTP_X_CONTAINER_HOST',
                            'HTTP_X_CONTAINER_DEVICE', 'HTTP_X_CONTAINER_PARTITION',
                            'HTTP_X_ACCOUNT_HOST', 'HTTP_X_ACCOUNT_DEVICE', 'HTTP_X_ACCOUNT_PARTITION')


class Gatekeeper(Middleware):
    """Filters internal headers both ways."""

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        for key in [k for k in environ if k.startswith(INTERNAL_PREFIXES)]:
            del environ[key]

        def filtered_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            kept = [(k, v) for k, v in headers
                    if not k.lower().startswith('x-backend-') and '-sysmeta-' not in k.lower()]
            return start_response(status, kept, exc_info) if exc_info else start_response(status, kept)

        return self.app(environ, filtered_start)


filter_factory = Gatekeeper.factory

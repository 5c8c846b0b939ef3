"""A container's (or account's) metadata, for filters that act on it for
any client, anonymous ones too (staticweb, cors, etag_quoter): read from
:mod:`swiftlike.common.infocache` (one look-up per client request, shared
with the proxy's own and between proxies; the proxy drops it when it writes
the account or container). Never answers the client itself; a caller must
only act on what the owner set, never show it to the client."""

from __future__ import annotations

from typing import Any, Final

from swiftlike.common import infocache
from swiftlike.common.wsgi import WsgiApp

PREFIX: Final = 'x-container-meta-'


def headers_of(app: WsgiApp, environ: dict[str, Any], account: str,
               container: str | None = None) -> dict[str, str]:
    """Every header of the account's or container's HEAD, names lower-case
    ({} if it does not exist or could not be read)."""
    info = infocache.info_of(app, environ, account, container)
    return info.headers if info.exists else {}


def read(app: WsgiApp, environ: dict[str, Any], account: str, container: str) -> dict[str, str]:
    """The container's user metadata, e.g. ``{'web-index': 'index.html'}`` ({} if
    it has none, does not exist, or could not be read)."""
    headers = headers_of(app, environ, account, container)
    return {k[len(PREFIX):]: v for k, v in headers.items() if k.startswith(PREFIX)}


def forget(environ: dict[str, Any], account: str, container: str | None = None) -> None:
    """Drop what is known of an account or container (it is being written)."""
    infocache.forget(environ, infocache.key(account, container))

"""A request from one server straight to a node, by path: the daemons', the
replicators' and the tools' way of reaching other servers (on
:mod:`swiftlike.common.http_client`'s kept-alive connections)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import BinaryIO
from urllib.parse import quote

from swiftlike.common.http_client import POOL, Answer, Client, Pool


def direct_request(host: str, port: int, method: str, path: str, *,
                   headers: Mapping[str, str] | None = None, body: bytes | BinaryIO = b'',
                   conn_timeout: float = 0.5, node_timeout: float = 3.0,
                   pool: Pool = POOL, query: str = '') -> Answer:
    """Send one request; ``path`` is unquoted text (it is quoted here),
    ``query`` an encoded query string. A file ``body`` is streamed (give its
    Content-Length in ``headers``). Resent only where that is safe (see
    :meth:`Client.request`).

    :raises OSError: or concurrency.Timeout, if the node cannot be reached in time
    """
    client = Client(conn_timeout=conn_timeout, node_timeout=node_timeout, pool=pool)
    return client.request(host, port, method, quote(path) + (f'?{query}' if query else ''),
                          headers=headers, body=body)

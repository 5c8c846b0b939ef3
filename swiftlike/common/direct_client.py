"""HTTP requests from one server to another (backend), with timeouts."""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from swiftlike.common.concurrency import timeout


@dataclass(frozen=True, slots=True)
class BackendResponse:
    """Status, headers and body of a backend response."""

    status: int
    headers: dict[str, str]
    body: bytes


def direct_request(host: str, port: int, method: str, path: str, *,
                   headers: Mapping[str, str] | None = None, body: bytes = b'',
                   conn_timeout: float = 0.5, node_timeout: float = 3.0) -> BackendResponse:
    """Send one request; ``path`` is unquoted text (it is quoted here).

    :raises OSError: or concurrency.Timeout, if the node cannot be reached in time
    """
    with timeout(conn_timeout):
        conn = http.client.HTTPConnection(host, port, timeout=node_timeout)
        conn.connect()
    try:
        with timeout(node_timeout):
            conn.request(method, quote(path), body=body or None, headers=dict(headers or {}))
            resp = conn.getresponse()
            data = resp.read()
        return BackendResponse(resp.status, {k.title(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()

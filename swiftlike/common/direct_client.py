"""HTTP requests from one server to another (backend), with timeouts, on
kept-alive connections where a :class:`ConnectionPool` is given."""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO, Final
from urllib.parse import quote

from swiftlike.common.concurrency import timeout


@dataclass(frozen=True, slots=True)
class BackendResponse:
    """Status, headers and body of a backend response."""

    status: int
    headers: dict[str, str]
    body: bytes


class HttpPool:
    """Idle kept-alive connections of one process, by (host, port). A
    connection serves one request at a time: it is taken out while in use."""

    def __init__(self, per_host: int = 8) -> None:
        self.per_host = per_host
        self._idle: dict[tuple[str, int], list[http.client.HTTPConnection]] = {}

    def take(self, host: str, port: int) -> http.client.HTTPConnection | None:
        idle = self._idle.get((host, port))
        return idle.pop() if idle else None

    def give(self, host: str, port: int, conn: http.client.HTTPConnection) -> None:
        idle = self._idle.setdefault((host, port), [])
        if len(idle) < self.per_host:
            idle.append(conn)
        else:
            conn.close()


#: Methods whose repetition changes nothing: retried after a stale keep-alive connection failed.
IDEMPOTENT: Final = frozenset({'GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'})


class _NotSent(Exception):
    """The request did not get through whole: safe to send again, whatever its method."""


def _exchange(conn: http.client.HTTPConnection, method: str, target: str, *, headers: dict[str, str],
              body: bytes | BinaryIO, node_timeout: float) -> tuple[BackendResponse, bool]:
    """One request on ``conn``.

    :raises _NotSent: if sending it failed (the peer cannot have acted on it)
    """
    if not isinstance(body, bytes):
        body.seek(0)
    with timeout(node_timeout):
        try:
            conn.request(method, target, body=body or None, headers=headers)
        except (OSError, http.client.HTTPException) as err:
            raise _NotSent(repr(err)) from err
        resp = conn.getresponse()
        data = resp.read()
    reusable = not resp.will_close
    return BackendResponse(resp.status, {k.title(): v for k, v in resp.getheaders()}, data), reusable


def direct_request(host: str, port: int, method: str, path: str, *,
                   headers: Mapping[str, str] | None = None, body: bytes | BinaryIO = b'',
                   conn_timeout: float = 0.5, node_timeout: float = 3.0,
                   pool: HttpPool | None = None, query: str = '') -> BackendResponse:
    """Send one request; ``path`` is unquoted text (it is quoted here),
    ``query`` an encoded query string. A
    file ``body`` is streamed (give its Content-Length in ``headers``).

    A pooled connection that turns out to be closed by the peer is retried
    once on a new connection: any request that could not be sent, and an
    idempotent one (:data:`IDEMPOTENT`) whose answer was lost; never one
    that timed out (the peer may still be acting on it).

    :raises OSError: or concurrency.Timeout, if the node cannot be reached in time
    """
    target, hdrs = quote(path) + (f'?{query}' if query else ''), dict(headers or {})
    conn = pool.take(host, port) if pool else None
    if conn is not None:
        try:
            result, reusable = _exchange(conn, method, target, headers=hdrs, body=body,
                                         node_timeout=node_timeout)
            if reusable and pool:
                pool.give(host, port, conn)
            else:
                conn.close()
            return result
        except _NotSent:
            conn.close()                      # stale keep-alive: send it again on a fresh connection
        except (OSError, http.client.HTTPException):
            conn.close()
            if method not in IDEMPOTENT:
                raise
        except BaseException:
            conn.close()
            raise
    with timeout(conn_timeout):
        conn = http.client.HTTPConnection(host, port, timeout=node_timeout)
        conn.connect()
    try:
        result, reusable = _exchange(conn, method, target, headers=hdrs, body=body, node_timeout=node_timeout)
    except _NotSent as err:
        conn.close()
        raise ConnectionError(f'{method} to {host}:{port} could not be sent: {err}') from err
    except BaseException:
        conn.close()
        raise
    if reusable and pool:
        pool.give(host, port, conn)
    else:
        conn.close()
    return result

"""Accepting and holding client connections in one worker process: the
accept loop around eventlet's WSGI ``Server``, the per-process connection
cap, the request concurrency limit, and the graceful stop. Each connection
is served by swiftlike.common.http_protocol; this module never parses HTTP.

Limits (all in ``[DEFAULT]`` of a server's ini, see swiftlike.common.server_conf):
no read or write on a connection waits longer than ``keepalive_timeout`` (for
a request's first byte, body bytes, or a client to take its answer); a head
must be complete ``header_timeout`` after its first byte; at most ``max_clients``
requests are in the app at once (the others wait for a slot, their
connections held); at most ``max_connections`` connections are open (bounded
by half of RLIMIT_NOFILE). At the cap, the connection that has waited
longest for a request (idle keep-alive or an unfinished head) is closed to
make room; if every connection has a request in the app, the new one is
answered 503 and closed. A body the app left unread is skipped (to keep the
connection) only up to 1 MiB and ``header_timeout`` seconds.
"""

from __future__ import annotations

import errno
import itertools
import logging
import time
import warnings
from typing import Any, Final

with warnings.catch_warnings():
    warnings.simplefilter('ignore')      # eventlet announces its maintenance mode on import
    import eventlet
    import eventlet.wsgi
    from eventlet import greenio
    from eventlet.semaphore import Semaphore

from swiftlike.common.connections import Connection, ConnectionRegistry
from swiftlike.common.http_protocol import StrictHttpProtocol, error_response
from swiftlike.common.server_conf import ServerConf

logger = logging.getLogger(__name__)

#: accept() errors that mean "out of descriptors or memory for now": pause, then go on.
_EXHAUSTED: Final = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
#: accept() errors about one connection that is already gone.
_ABORTED: Final = {errno.ECONNABORTED, errno.EPROTO, errno.EINTR, errno.EAGAIN}
#: A green accept() does not yield while connections are queued; the accept
#: loop yields after this many, so that a flood of connections cannot starve requests.
_ACCEPTS_PER_YIELD: Final = 16
#: Bytes written per response before eventlet flushes (larger is faster for big objects).
_WRITE_CHUNK: Final = 65536


class WsgiServer(eventlet.wsgi.Server):  # type: ignore[misc]
    """eventlet's ``Server`` (the per-server settings that the protocol
    reads) with our own accept loop, connection registry and stop."""

    def __init__(self, sock: Any, app: Any, conf: ServerConf, *, cap: int) -> None:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')   # capitalize_response_headers=False warns
            # header names go out as the app wrote them (S3 clients read x-amz-meta-* names as sent)
            super().__init__(sock, sock.getsockname(), app, log_output=False,
                             keepalive=conf.keepalive_timeout, minimum_chunk_size=_WRITE_CHUNK,
                             capitalize_response_headers=False, protocol=StrictHttpProtocol)
        self.header_timeout = conf.header_timeout
        self.slots = Semaphore(conf.max_clients)
        self.cap = cap
        self.stopping = False
        self.connections = ConnectionRegistry()

    def serve_forever(self) -> None:
        """Accept until an exception (the worker's stop signal) is thrown in."""
        for accepted in itertools.count(1):
            try:
                client, address = self.socket.accept()
            except OSError as err:
                if err.errno in _EXHAUSTED:
                    logger.warning('accept failed, pausing: %s (%d connections open)', err,
                                   len(self.connections))
                    eventlet.sleep(0.1)
                elif err.errno not in _ABORTED:
                    raise
                continue
            self._admit(client, address)
            if not accepted % _ACCEPTS_PER_YIELD:
                eventlet.sleep(0)

    def _admit(self, client: Any, address: Any) -> None:
        if len(self.connections) >= self.cap and not self._close_oldest_waiting():
            _turn_away(client)
            return
        conn = self.connections.open(client, address)
        eventlet.spawn_n(self._serve_connection, conn)

    def _serve_connection(self, conn: Connection) -> None:
        try:
            self.protocol(conn, self)
        except OSError as err:              # the client went away (a timeout included)
            logger.debug('connection from %s ended: %s', conn.address, err)
        except Exception:                   # the top of this green thread: log, never kill the process
            logger.exception('error serving a connection from %s', conn.address)
        finally:
            self.connections.forget(conn)
            conn.sock.close()

    def _close_oldest_waiting(self) -> bool:
        """Close the connection that has waited longest for a request; False if none waits."""
        oldest = self.connections.oldest_waiting()
        if oldest is None:
            return False
        self.connections.forget(oldest)
        greenio.shutdown_safe(oldest.sock)   # its green thread reads EOF and ends
        return True

    def stop(self, grace: float) -> None:
        """Stop serving: idle connections close now, those with a request
        finish it (answered with ``Connection: close``) for up to ``grace`` seconds."""
        self.stopping = True
        for conn in self.connections.idle():
            greenio.shutdown_safe(conn.sock)
        deadline = time.monotonic() + grace
        while self.connections and time.monotonic() < deadline:
            eventlet.sleep(0.05)


def _turn_away(client: Any) -> None:
    """Answer 503 on a connection over the cap, without waiting for it."""
    try:
        client.setblocking(False)
        client.send(error_response(503, 'too many connections'))
    except OSError:
        pass
    client.close()

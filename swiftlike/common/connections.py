"""Bookkeeping of a worker's open client connections: each one's phase
(waiting for a request, reading its head, in the app) and, in O(1), which
one has waited longest, so that the connection cap can make room without
scanning thousands of connections. No sockets are touched here; see
swiftlike.common.http_server (which closes) and http_protocol (which moves
a connection from phase to phase)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any, Final

#: Connection phases: waiting for a request's first byte, reading its head, in the app.
IDLE: Final = 'idle'
HEAD: Final = 'head'
ACTIVE: Final = 'active'


class Connection:
    """One client connection: its socket, its phase and since when."""

    def __init__(self, sock: Any, address: Any, registry: ConnectionRegistry) -> None:
        self.sock = sock
        self.address = address
        self.phase = IDLE
        self.since = registry.clock()
        self._registry = registry

    def enter(self, phase: str) -> None:
        """Move to ``phase`` (IDLE, HEAD or ACTIVE), now."""
        self.phase = phase
        self.since = self._registry.clock()
        self._registry.moved(self)


class ConnectionRegistry:
    """The open connections, and those not in the app (idle or reading a
    head) in the order they entered that phase: the first has waited longest.

    >>> reg = ConnectionRegistry(clock=iter(range(10)).__next__)
    >>> a, b = reg.open('sock-a', 'a'), reg.open('sock-b', 'b')
    >>> a.enter(ACTIVE); reg.oldest_waiting().address, len(reg)
    ('b', 2)
    >>> a.enter(IDLE); b.enter(HEAD); reg.oldest_waiting().address
    'a'
    """

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._open: dict[Connection, None] = {}
        self._waiting: dict[Connection, None] = {}     # insertion order: oldest first

    def open(self, sock: Any, address: Any) -> Connection:
        """Register a just-accepted connection (idle)."""
        conn = Connection(sock, address, self)
        self._open[conn] = None
        self._waiting[conn] = None
        return conn

    def forget(self, conn: Connection) -> None:
        """Drop ``conn`` (closed, or being closed); forgetting twice is harmless."""
        self._open.pop(conn, None)
        self._waiting.pop(conn, None)

    def moved(self, conn: Connection) -> None:
        """``conn`` entered its current phase now."""
        self._waiting.pop(conn, None)
        if conn.phase != ACTIVE and conn in self._open:
            self._waiting[conn] = None

    def oldest_waiting(self) -> Connection | None:
        """The connection that has waited longest for a request, if any waits."""
        return next(iter(self._waiting), None)

    def idle(self) -> list[Connection]:
        """The connections waiting for a request's first byte."""
        return [conn for conn in self._waiting if conn.phase == IDLE]

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self) -> Iterator[Connection]:
        return iter(list(self._open))

"""Open SQLite connections of one process, kept by database file so a busy
container is not reopened for every request. No SQL here."""

from __future__ import annotations

import os
import sqlite3
from collections import OrderedDict
from pathlib import Path


class ConnectionPool:
    """Open SQLite connections of one process, by database file (at most
    ``size``; the least recently used goes first), so a busy container is
    not reopened for every request.

    A connection is used by one request at a time: :meth:`take` removes it
    from the pool until :meth:`give` returns it. A file replaced on disk
    (a new inode) gets a new connection.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._conns: OrderedDict[Path, tuple[int, sqlite3.Connection]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._conns)

    def take(self, path: Path) -> sqlite3.Connection | None:
        """A pooled connection to ``path`` (removed from the pool), if any."""
        held = self._conns.pop(path, None)
        if held is None:
            return None
        try:
            same = os.stat(path).st_ino == held[0]
        except FileNotFoundError:
            same = False
        if not same:
            held[1].close()
            return None
        return held[1]

    def give(self, path: Path, conn: sqlite3.Connection) -> None:
        """Keep ``conn`` for the next request on ``path``, as the most recently
        used; close the least recently used one if the pool is full."""
        try:
            inode = os.stat(path).st_ino
        except FileNotFoundError:
            conn.close()
            return
        other = self._conns.pop(path, None)
        if other is not None:                # two requests had one each: one is enough
            other[1].close()
        while self._conns and len(self._conns) >= self.size:
            _, (_, oldest) = self._conns.popitem(last=False)
            oldest.close()
        self._conns[path] = (inode, conn)

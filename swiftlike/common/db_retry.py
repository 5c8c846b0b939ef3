"""Waiting for a database lock without blocking the hub: SQLite is opened
with a busy timeout of zero, so a locked database answers at once, and the
caller retries after a green sleep (swiftlike.common.concurrency.sleep) until
its total timeout, then raises :class:`DatabaseLockedError` (HTTP 503).
SQLite's own busy handler would sleep inside C, and with it every green
thread of the worker.

No SQL here: only the retry loop and what counts as "busy"."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Final, TypeVar

from swiftlike.common.exceptions import DatabaseLockedError

T = TypeVar('T')

#: SQLITE_BUSY and SQLITE_LOCKED (primary result codes).
_BUSY_CODES: Final = frozenset({5, 6})
#: First green sleep between attempts; it doubles up to :data:`MAX_DELAY`.
FIRST_DELAY: Final = 0.001
#: Longest green sleep between attempts, so a lock let go is taken soon after.
MAX_DELAY: Final = 0.02


def is_busy(err: BaseException) -> bool:
    """Whether ``err`` says that a lock is held elsewhere (SQLite's "database is
    locked", or a non-blocking flock that would block), so retrying may succeed."""
    if isinstance(err, BlockingIOError):
        return True
    if not isinstance(err, sqlite3.OperationalError):
        return False
    code = getattr(err, 'sqlite_errorcode', None)
    if code is not None:
        return code & 0xff in _BUSY_CODES
    return 'locked' in str(err) or 'busy' in str(err)


def retry_busy(attempt: Callable[[], T], *, timeout: float, what: str,
               clock: Callable[[], float], sleep: Callable[[float], None],
               locked: tuple[type[Exception], ...] = ()) -> T:
    """``attempt()``, again after a green sleep each time it finds a lock held
    (see :func:`is_busy`, or it raised one of ``locked``), for up to ``timeout``
    seconds in all.

    ``attempt`` must leave nothing half done when it raises: a transaction
    that found the lock held is rolled back before it is tried again.

    :raises DatabaseLockedError: if the lock is still held after ``timeout``
    """
    give_up = clock() + timeout
    delay = FIRST_DELAY
    caught: tuple[type[Exception], ...] = (sqlite3.OperationalError, BlockingIOError, *locked)
    while True:
        try:
            return attempt()
        except caught as err:
            if not (isinstance(err, locked) or is_busy(err)):
                raise
            left = give_up - clock()
            if left <= 0:
                raise DatabaseLockedError(f'{what}: still locked after {timeout:g} s') from err
        sleep(min(delay, left))
        delay = min(delay * 2, MAX_DELAY)

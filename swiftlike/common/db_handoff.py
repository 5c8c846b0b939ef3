"""Removing a handoff account or container database once its primaries have
it, without losing a write that reached it meanwhile (#11).

The replicator notes the database's info (stat row and max row) before it
pushes. To remove it, it takes the database's write lock (``BEGIN
IMMEDIATE``: no other writer can commit while it is held), checks that the
info is unchanged and that no non-empty side file (a pending file of
queued rows) sits next to it, and moves the hash directory aside into the
device's ``tmp`` while still holding the lock. A writer that opened the file
before the move and commits after it writes into the moved copy; so once the
lock is let go the copy is checked again, and put back if it changed. Only
then is it deleted. No HTTP here; the lock is waited for green
(swiftlike.common.concurrency.sleep), never inside SQLite.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from swiftlike.common import concurrency
from swiftlike.common.db import DatabaseBroker
from swiftlike.common.db_sync import merge_copy
from swiftlike.common.exceptions import DatabaseLockedError

logger = logging.getLogger(__name__)
#: Longest green sleep between two attempts to take a database's write lock.
RETRY_MAX: Final = 0.05
#: What SQLite keeps next to a database file, by the suffix of its name.
SQLITE_FILES: Final = ('', '-wal', '-shm', '-journal')


def begin_immediate(conn: sqlite3.Connection, what: object, timeout: float, *,
                    clock: Callable[[], float] = time.monotonic) -> None:
    """Take ``conn``'s database write lock (``BEGIN IMMEDIATE``), waiting up to
    ``timeout`` seconds with green sleeps between attempts.

    :raises DatabaseLockedError: if another writer holds it all that time
    """
    give_up = clock() + timeout
    delay = 0.001
    while True:
        try:
            conn.execute('BEGIN IMMEDIATE')
            return
        except sqlite3.OperationalError as err:
            if 'locked' not in str(err) and 'busy' not in str(err):
                raise
            left = give_up - clock()
            if left <= 0:
                raise DatabaseLockedError(f'{what}: still locked after {timeout:g} s') from err
            concurrency.sleep(min(delay, left))
            delay = min(2 * delay, RETRY_MAX)


def _side_files_empty(db_file: Path) -> bool:
    """Whether every other file of the database's directory (a pending file of
    queued rows, say) is empty: rows there are not in the info yet. SQLite's
    own (``-wal``, ``-shm``, ``-journal``) are part of the database."""
    for entry in os.scandir(db_file.parent):
        if entry.name.startswith(db_file.name) and entry.name[len(db_file.name):] in SQLITE_FILES:
            continue
        if entry.is_file() and entry.stat().st_size:
            return False
    return True


def unchanged(broker: DatabaseBroker, before: dict[str, Any]) -> bool:
    """Whether ``broker``'s database still has the info ``before`` and nothing queued."""
    return _side_files_empty(broker.path) and broker.get_info() == before


def remove_handoff(broker: DatabaseBroker, before: dict[str, Any], *, tmp_dir: Path,
                   timeout: float) -> bool:
    """Remove the handoff database of ``broker`` if it is unchanged since its info
    was ``before`` (see the module's docstring). True if it was removed.

    :raises DatabaseLockedError: if its write lock is held for ``timeout`` (nothing removed)
    """
    hash_dir = broker.path.parent
    moved = tmp_dir / f'.handoff-{uuid.uuid4().hex}'
    with broker.connect() as conn:
        begin_immediate(conn, broker.path, timeout)
        try:
            if not unchanged(broker, before):
                return False
            tmp_dir.mkdir(parents=True, exist_ok=True)
            os.rename(hash_dir, moved)
        finally:
            conn.execute('ROLLBACK')
    copy = type(broker)(moved / broker.path.name, account=broker.account, container=broker.container)
    if not unchanged(copy, before):
        _put_back(copy, broker)
        return False
    shutil.rmtree(moved, ignore_errors=True)
    return True


def _put_back(copy: DatabaseBroker, broker: DatabaseBroker) -> None:
    """A writer reached the moved copy: move it back, or, if the database was
    created again meanwhile, merge the copy into it."""
    logger.warning('%s: written to while being removed as a handoff; kept', broker.path)
    try:
        os.rename(copy.path.parent, broker.path.parent)
        return
    except OSError:                              # made again meanwhile (ENOTEMPTY / EEXIST)
        pass
    info = copy.get_info()
    merge_copy(copy, broker, info, info['id'])
    shutil.rmtree(copy.path.parent, ignore_errors=True)

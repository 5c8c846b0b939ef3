"""Whole-database copies, for a replica that is missing or far behind.

The sender takes a consistent snapshot with SQLite's backup API and sends
it as the body of ``SYNC /<dev>/<part>/<account>[/<container>]``, naming
itself in ``X-Backend-Source-Id`` and ``X-Backend-Source-Max-Row``. The
receiver writes it to the device's ``tmp`` directory and checks it; with no
database yet it gives the copy an id of its own, records that it holds the
source's rows up to max row, and links it into place; with one, it merges
the copy's rows and stat into it, newest winning.
"""

from __future__ import annotations

import os
import sqlite3
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from swiftlike.common.db import DatabaseBroker
from swiftlike.common.db_retry import retry_busy
from swiftlike.common.exceptions import DatabaseCorruptError, DatabaseLockedError

CHUNK = 65536


def snapshot(broker: DatabaseBroker, tmp_dir: Path) -> Path:
    """A consistent copy of ``broker``'s database in ``tmp_dir`` (the caller
    removes it; nothing is left behind if it fails).

    :raises DatabaseCorruptError: if the database cannot be read or copied
    """
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix='.snapshot-', suffix='.db')
    os.close(fd)
    done = False
    try:
        dest = sqlite3.connect(name)
        try:
            _backup(broker, dest)
            dest.execute('PRAGMA journal_mode = DELETE')
        finally:
            dest.close()
        done = True
    except sqlite3.Error as err:                 # e.g. the tmp dir's disk is full
        raise DatabaseCorruptError(f'cannot copy {broker.path}: {err}') from err
    finally:
        if not done:
            Path(name).unlink(missing_ok=True)
    return Path(name)


def _backup(broker: DatabaseBroker, dest: sqlite3.Connection) -> None:
    """Copy ``broker``'s database into ``dest``, again after a short green sleep while
    another writer holds its lock (a peer's merge into it, say), for up to its timeout.

    :raises DatabaseLockedError: if the lock is still held then
    """
    def attempt() -> None:
        with broker.connect() as conn:
            conn.backup(dest)
    retry_busy(attempt, timeout=broker.timeout, what=str(broker.path), clock=broker.clock,
               sleep=broker.sleep, locked=(DatabaseLockedError,))     # (connect() says "locked" so)


def _receive_file(stream: BinaryIO, length: int, tmp_dir: Path,
                  read_timeout: Callable[[], Any]) -> Path:
    tmp_dir.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=tmp_dir, prefix='.incoming-', suffix='.db')
    try:
        with os.fdopen(fd, 'wb') as fh:
            remaining = length
            while remaining > 0:
                with read_timeout():
                    chunk = stream.read(min(CHUNK, remaining))
                if not chunk:
                    raise ValueError('body shorter than Content-Length')
                fh.write(chunk)
                remaining -= len(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _check_copy(copy: DatabaseBroker, broker: DatabaseBroker) -> dict[str, Any]:
    """The copy's stat row, if it is a sound database of the same account/container.

    :raises ValueError: if it is not
    """
    try:
        with copy.connect() as conn:
            if conn.execute('PRAGMA quick_check').fetchone()[0] != 'ok':
                raise ValueError('the copy fails quick_check')
        info = copy.get_info()
    except DatabaseCorruptError as err:
        raise ValueError(f'not a database: {err}') from None
    if info.get('account') != broker.account or info.get('container', None) != broker.container:
        raise ValueError('the copy is of another database')
    return info


def receive(broker: DatabaseBroker, stream: BinaryIO, length: int, *, tmp_dir: Path, source_id: str,
            source_max_row: int, read_timeout: Callable[[], Any]) -> str:
    """Take a whole-database copy for ``broker``: 'created' or 'merged'.

    :raises ValueError: for a body that is not a sound copy of this database
    """
    path = _receive_file(stream, length, tmp_dir, read_timeout)
    try:
        copy = type(broker)(path, account=broker.account, container=broker.container)
        info = _check_copy(copy, broker)
        if not broker.exists():
            with copy.connect() as conn:
                conn.execute(f'UPDATE {copy.stat_table} SET id = ?', (str(uuid.uuid4()),))
                conn.execute('DELETE FROM sync')
            copy.set_sync(source_id, source_max_row)
            broker.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(path, broker.path)
                return 'created'
            except FileExistsError:
                pass                          # created meanwhile: merge instead
        merge_copy(copy, broker, info, source_id)
        return 'merged'
    finally:
        path.unlink(missing_ok=True)


def merge_copy(copy: DatabaseBroker, broker: DatabaseBroker, info: dict[str, Any], source_id: str) -> None:
    """Merge every row and the stat of ``copy`` into ``broker``."""
    since = -1
    while True:
        items = copy.get_items_since(since, 10000)
        if not items:
            break
        broker.merge_items(items)
        since = items[-1]['ROWID']
    broker.merge_info(info)
    if since >= 0:
        broker.set_sync(source_id, since)

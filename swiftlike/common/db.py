"""SQLite databases of accounts and containers: one file per account or
container, WAL mode, rows carrying timestamps (a delete is a row marked
deleted, kept until reclaimed). This is the part shared by both kinds;
swiftlike.container.backend and swiftlike.account.backend add their tables.

Every change of a row deletes the old row and inserts a new one, so a row
id only grows: replication sends "rows since row id N".

Nothing here waits for a lock inside SQLite (that would stall every green
thread of a worker): connections have a busy timeout of zero and each
operation is retried after a green sleep until the broker's ``timeout``
(swiftlike.common.db_retry). Rows from object servers may be queued in the
database's pending file (swiftlike.common.db_pending) and are merged, in
one transaction, before anything reads the database.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar, Final, TypeVar

from swiftlike.common import concurrency
from swiftlike.common.db_fields import check_metadata, int_field, timestamp_field
from swiftlike.common.db_pending import PENDING_CAP, GroupCommit, PendingFile
from swiftlike.common.db_pool import ConnectionPool
from swiftlike.common.db_retry import is_busy, retry_busy
from swiftlike.common.exceptions import DatabaseCorruptError, DatabaseLockedError, DatabaseNotFoundError
from swiftlike.common.timestamp import Timestamp

logger = logging.getLogger(__name__)
T = TypeVar('T')

#: How long a read that may be stale waits to merge the pending file before
#: it reads without it (Swift's pending_timeout for HEAD and GET).
STALE_WAIT: Final = 0.1


SYNC_SCHEMA = '''
CREATE TABLE sync (remote_id TEXT PRIMARY KEY, sync_point INTEGER NOT NULL);
'''


class DatabaseBroker:
    """One database file. Subclasses set ``db_type``, ``stat_table``,
    ``item_table``, ``schema`` and ``item_fields``.

    :param timeout: seconds an operation waits (green) for a lock held by
        another writer before it raises DatabaseLockedError
    :param stale_reads_ok: reads wait only ``STALE_WAIT`` to merge the
        pending file, then read without it (for HEAD and GET, as Swift)
    :param merges: the group commit a queued row waits for (the server's;
        none: rows are merged at reads and past the cap)
    :param clock: monotonic seconds
    :param sleep: a green sleep
    """

    db_type: ClassVar[str] = ''
    stat_table: ClassVar[str] = ''
    item_table: ClassVar[str] = ''
    schema: ClassVar[str] = ''
    item_fields: ClassVar[tuple[str, ...]] = ()
    #: Pending-file size past which the append that crosses it merges.
    pending_cap: ClassVar[int] = PENDING_CAP

    def __init__(self, path: Path, *, account: str, container: str | None = None,
                 timeout: float = 25.0, pool: ConnectionPool | None = None, stale_reads_ok: bool = False,
                 merges: GroupCommit | None = None, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = concurrency.sleep) -> None:
        self.path = path
        self.account = account
        self.container = container
        self.timeout = timeout
        self.pool = pool
        self.stale_reads_ok = stale_reads_ok
        self.merges = merges
        self.clock = clock
        self.sleep = sleep
        self.pending = PendingFile(path.with_name(path.name + '.pending'), timeout=timeout,
                                   clock=clock, sleep=sleep, owner=path)

    # -- files ----------------------------------------------------------------

    def exists(self) -> bool:
        """Whether the database file exists."""
        return self.path.exists()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode, after the pending file is merged;
        use ``with conn:`` for a transaction. Nothing is retried: a lock held
        elsewhere raises DatabaseLockedError at once.

        :raises DatabaseNotFoundError: if there is no file
        :raises DatabaseCorruptError: if SQLite cannot read it
        :raises DatabaseLockedError: if it is locked
        """
        self._merge_before_read()
        try:
            with self._connection() as conn:
                yield conn
        except sqlite3.OperationalError as err:       # only "busy" gets through _connection
            raise DatabaseLockedError(f'{self.path}: {err}') from err

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A pooled (or new) connection; SQLite errors other than "busy" are
        DatabaseCorruptError, "busy" is rolled back and raised as it is."""
        conn = self.pool.take(self.path) if self.pool is not None else None
        if conn is None:
            conn = self._open()
        healthy = False
        try:
            yield conn
            healthy = not conn.in_transaction
        except sqlite3.DatabaseError as err:
            if not is_busy(err):
                raise DatabaseCorruptError(f'{self.path}: {err}') from err
            healthy = _rolled_back(conn)
            raise
        finally:
            if healthy and self.pool is not None:
                self.pool.give(self.path, conn)
            else:
                conn.close()

    def _open(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise DatabaseNotFoundError(f'no {self.db_type} database')
        try:
            conn = sqlite3.connect(self.path, timeout=0, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as err:
            raise DatabaseCorruptError(f'{self.path}: {err}') from err
        try:
            conn.row_factory = sqlite3.Row
            conn.execute('PRAGMA synchronous = NORMAL')
        except sqlite3.Error as err:
            conn.close()
            if is_busy(err):          # locked, not corrupt: the caller retries (or answers 503)
                raise
            raise DatabaseCorruptError(f'{self.path}: {err}') from err
        return conn

    def _run(self, work: Callable[[sqlite3.Connection], T], *, write: bool = False,
             timeout: float | None = None) -> T:
        """``work(conn)`` (in a ``BEGIN IMMEDIATE`` transaction if ``write``),
        tried again after a green sleep while another writer holds the lock.

        :raises DatabaseLockedError: if it is still held after ``timeout``
            (the broker's if None)
        """
        def attempt() -> T:
            with self._connection() as conn:
                if not write:
                    return work(conn)
                self._begin(conn)
                result = work(conn)
                conn.execute('COMMIT')
                return result
        return retry_busy(attempt, timeout=self.timeout if timeout is None else timeout,
                          what=str(self.path), clock=self.clock, sleep=self.sleep)

    def _begin(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``: the write lock. A database removed while this
        waited for it (see :meth:`remove_if_unchanged`) is not written to.

        :raises DatabaseNotFoundError: if the file is gone
        """
        conn.execute('BEGIN IMMEDIATE')
        if not self.path.exists():
            raise DatabaseNotFoundError(f'{self.path} was removed')

    def remove_if_unchanged(self, max_row: int) -> bool:
        """Remove the database and its directory (a handoff now on every
        primary) if nothing arrived since ``max_row`` was read: no newer row,
        nothing pending. Checked and unlinked under the database's write lock
        and the pending file's, so a write or an append waiting for either
        finds no database (404: the sender keeps it for later) instead of
        being acknowledged and lost.

        :returns: whether it was removed
        :raises DatabaseLockedError: if a lock stays held for ``timeout``
        """
        def check_and_unlink(conn: sqlite3.Connection) -> bool:
            self._begin(conn)
            with self.pending.locked():
                now = conn.execute(f'SELECT MAX(ROWID) FROM {self.item_table}').fetchone()[0] or 0
                if now != max_row or self.pending.size():
                    conn.execute('ROLLBACK')
                    return False
                self.path.unlink()                  # the database first: see PendingFile.append
                self.pending.path.unlink(missing_ok=True)
            conn.execute('ROLLBACK')
            return True
        if not self._run(check_and_unlink):
            return False
        shutil.rmtree(self.path.parent, ignore_errors=True)
        return True

    # -- the pending file -------------------------------------------------------

    def enqueue_item(self, item: Mapping[str, Any]) -> None:
        """Queue one row in the pending file (checked first); it is merged
        with the others of this turn by ``merges``, before the next read, or
        at once if the file grew past ``pending_cap`` (if the database is
        not locked). Once this returns the row is durable.

        :raises ValueError: if the row is malformed
        :raises DatabaseNotFoundError: if there is no database
        :raises DatabaseLockedError: if the pending file stays locked
        """
        row = self.check_item(item)
        if not self.path.exists():
            raise DatabaseNotFoundError(f'no {self.db_type} database')
        try:
            size = self.pending.append(row)
        except FileNotFoundError:              # the database (or its directory) went meanwhile
            raise DatabaseNotFoundError(f'no {self.db_type} database') from None
        if size > self.pending_cap:
            try:
                self.commit_pending(0)          # one try: the row is safe, a later append tries again
            except DatabaseLockedError as err:
                logger.info('merge of %s put off: %s', self.pending.path, err)
        elif self.merges is not None:
            self.merges.after_append(self)

    def commit_pending(self, timeout: float | None = None) -> int:
        """Merge the pending file into the database, in one transaction; how
        many records it held.

        :param timeout: how long to wait for the locks (the broker's if None)
        :raises DatabaseLockedError: if the database or the file stays locked
        """
        if not self.pending.size():
            return 0

        def merge(conn: sqlite3.Connection) -> int:
            # The database's lock first, then the file's: an append takes only
            # the file's, and never for longer than one write.
            self._begin(conn)
            return self.pending.drain(lambda records: self._merge_records(conn, records),
                                      timeout=timeout)
        return self._run(merge, timeout=timeout)

    def _merge_records(self, conn: sqlite3.Connection, records: list[dict[str, Any]]) -> None:
        for record in records:
            try:
                row = self.check_item(record)
            except ValueError as err:
                logger.warning('%s: skipping a pending record: %s', self.pending.path, err)
                continue
            self._merge_item(conn, row)
        conn.execute('COMMIT')

    def _merge_before_read(self) -> None:
        """Merge the pending file; a stale-ok broker waits only ``STALE_WAIT``
        for the locks and then reads without it."""
        if not self.stale_reads_ok:
            self.commit_pending()
            return
        try:
            self.commit_pending(min(self.timeout, STALE_WAIT))
        except DatabaseLockedError as err:
            logger.debug('reading %s without its pending rows: %s', self.path, err)

    def _read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """``work(conn)`` after the pending file is merged, retried while locked."""
        self._merge_before_read()
        return self._run(work)

    def initialize(self, put_timestamp: Timestamp, **stat: object) -> bool:
        """Create the database (atomically: built aside, then renamed in).

        :returns: False if it already existed
        """
        if self.path.exists():
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f'.{self.path.name}.{uuid.uuid4().hex}.tmp')
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute('PRAGMA journal_mode = WAL')
            conn.executescript(self.schema + SYNC_SCHEMA)
            now = put_timestamp.internal
            values = {'created_at': now, 'put_timestamp': now, 'delete_timestamp': '0',
                      'status_changed_at': now, 'id': str(uuid.uuid4()), 'metadata': '{}', **stat}
            names = ', '.join(values)
            marks = ', '.join('?' * len(values))
            conn.execute(f'INSERT INTO {self.stat_table} ({names}) VALUES ({marks})', list(values.values()))
        finally:
            conn.close()
        fd = os.open(tmp, os.O_RDONLY)
        os.fsync(fd)
        os.close(fd)
        try:
            os.link(tmp, self.path)          # fails if another worker created it first
        except FileExistsError:
            return False
        finally:
            tmp.unlink(missing_ok=True)
        return True

    # -- stat and metadata ----------------------------------------------------------

    def get_info(self) -> dict[str, Any]:
        """The stat row as a dict, with ``max_row`` (after the pending file is merged).

        :raises DatabaseCorruptError: if there is none
        """
        def read(conn: sqlite3.Connection) -> tuple[sqlite3.Row | None, int | None]:
            row = conn.execute(f'SELECT * FROM {self.stat_table}').fetchone()
            return row, conn.execute(f'SELECT MAX(ROWID) FROM {self.item_table}').fetchone()[0]
        row, max_row = self._read(read)
        if row is None:
            raise DatabaseCorruptError(f'{self.path}: no {self.stat_table} row')
        info = dict(row)
        info['max_row'] = max_row or 0
        return info

    def is_deleted(self, info: Mapping[str, Any] | None = None) -> bool:
        """Deleted: the delete timestamp is newer than the put timestamp."""
        info = info or self.get_info()
        return Timestamp(info['delete_timestamp']) > Timestamp(info['put_timestamp'])

    def metadata(self, info: Mapping[str, Any] | None = None) -> dict[str, tuple[str, str]]:
        """``{header: (value, timestamp)}``; removed keys have value ''."""
        info = info or self.get_info()
        return {k: (v[0], v[1]) for k, v in json.loads(info['metadata'] or '{}').items()}

    def update_metadata(self, updates: Mapping[str, tuple[str, str]]) -> None:
        """Merge metadata, newest timestamp per key winning."""
        def write(conn: sqlite3.Connection) -> None:
            raw = conn.execute(f'SELECT metadata FROM {self.stat_table}').fetchone()[0]
            current = json.loads(raw or '{}')
            for key, (value, timestamp) in updates.items():
                if key not in current or Timestamp(timestamp) > Timestamp(current[key][1]):
                    current[key] = [value, timestamp]
            conn.execute(f'UPDATE {self.stat_table} SET metadata = ?', (json.dumps(current),))
        self._run(write, write=True)

    def _raise_timestamp(self, column: str, timestamp: Timestamp) -> None:
        """Set ``column`` (and status_changed_at) to ``timestamp`` if that is newer."""
        self._run(lambda conn: conn.execute(
            f'UPDATE {self.stat_table} SET {column} = ?, status_changed_at = ? WHERE {column} < ?',
            (timestamp.internal, timestamp.internal, timestamp.internal)), write=True)

    def update_put_timestamp(self, timestamp: Timestamp) -> None:
        """Raise put_timestamp (a PUT of an existing database)."""
        self._raise_timestamp('put_timestamp', timestamp)

    def mark_deleted(self, timestamp: Timestamp) -> None:
        """Raise delete_timestamp, and remove the metadata set before it: an
        account or container created again under the same name starts without
        the old one's ACLs and settings, as Swift's."""
        self._raise_timestamp('delete_timestamp', timestamp)
        stale = {key: ('', timestamp.internal) for key, (value, _) in self.metadata().items() if value}
        if stale:
            self.update_metadata(stale)

    def merge_info(self, info: Mapping[str, Any]) -> None:
        """Merge another replica's put and delete timestamps and metadata, newest winning.

        :raises ValueError: if ``info`` lacks them or they are malformed
        """
        if not isinstance(info, Mapping):
            raise ValueError('info must be a JSON object')
        put_timestamp = Timestamp(timestamp_field(info, 'put_timestamp'))
        delete_timestamp = Timestamp(timestamp_field(info, 'delete_timestamp'))
        metadata = check_metadata(info.get('metadata'))
        self.update_put_timestamp(put_timestamp)
        self.mark_deleted(delete_timestamp)
        self.update_metadata(metadata)

    # -- replication ----------------------------------------------------------------

    def get_sync(self, remote_id: str) -> int:
        """The row id up to which ``remote_id``'s rows have been merged here (-1 if none)."""
        row = self._run(lambda conn: conn.execute('SELECT sync_point FROM sync WHERE remote_id = ?',
                                                  (remote_id,)).fetchone())
        return int(row[0]) if row else -1

    def set_sync(self, remote_id: str, sync_point: int) -> None:
        """Record that rows of ``remote_id`` up to ``sync_point`` are merged."""
        self._run(lambda conn: _set_sync(conn, remote_id, sync_point), write=True)

    def get_items_since(self, row_id: int, limit: int) -> list[dict[str, Any]]:
        """Rows with ROWID > ``row_id``, oldest first, with their ROWID (after
        the pending file is merged)."""
        fields = ', '.join(self.item_fields)
        rows = self._read(lambda conn: conn.execute(
            f'SELECT ROWID, {fields} FROM {self.item_table} WHERE ROWID > ? ORDER BY ROWID LIMIT ?',
            (row_id, limit)).fetchall())
        return [dict(r) for r in rows]

    def merge_items(self, items: Sequence[Mapping[str, Any]], source_id: str | None = None) -> None:
        """Merge rows from another replica (newest wins) and advance its sync
        point, in one transaction (after the pending file is merged).

        :raises ValueError: if any row is malformed (then none is merged)
        """
        rows = [self.check_item(item) for item in items]
        sync_point = max((int_field(i, 'ROWID', minimum=-1) if 'ROWID' in i else 0 for i in items), default=0)

        def write(conn: sqlite3.Connection) -> None:
            for row in rows:
                self._merge_item(conn, row)
            if source_id and items:
                _set_sync(conn, source_id, sync_point)
        self._merge_before_read()
        self._run(write, write=True)

    def check_item(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """A row from elsewhere with every field checked (and timestamps normalised).

        :raises ValueError: if it is not a row of this table
        """
        raise NotImplementedError

    def put_item(self, item: Mapping[str, Any]) -> bool:
        """Merge one row in its own transaction (not through the pending
        file); False if what is stored is newer.

        :raises ValueError: if the row is malformed
        """
        row = self.check_item(item)
        return self._run(lambda conn: self._merge_item(conn, row), write=True)

    def _merge_item(self, conn: sqlite3.Connection, item: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def reclaim(self, older_than: Timestamp) -> int:
        """Remove deleted rows older than ``older_than`` (after the pending
        file is merged); how many."""
        self._merge_before_read()
        return self._run(lambda conn: conn.execute(
            f'DELETE FROM {self.item_table} WHERE deleted = 1 AND {self.row_time} < ?',
            (older_than.internal,)).rowcount, write=True)

    row_time: ClassVar[str] = 'created_at'


def _set_sync(conn: sqlite3.Connection, remote_id: str, sync_point: int) -> None:
    conn.execute('INSERT INTO sync (remote_id, sync_point) VALUES (?, ?) ON CONFLICT(remote_id) '
                 'DO UPDATE SET sync_point = MAX(sync_point, excluded.sync_point)', (remote_id, sync_point))


def _rolled_back(conn: sqlite3.Connection) -> bool:
    """Roll back what ``conn`` had begun; whether it can be used again."""
    try:
        if conn.in_transaction:
            conn.execute('ROLLBACK')
    except sqlite3.Error:
        return False
    return True

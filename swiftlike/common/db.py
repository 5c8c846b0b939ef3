"""SQLite databases of accounts and containers: one file per account or
container, WAL mode, rows carrying timestamps (a delete is a row marked
deleted, kept until reclaimed). This is the part shared by both kinds;
swiftlike.container.backend and swiftlike.account.backend add their tables.

Every change of a row deletes the old row and inserts a new one, so a row
id only grows: replication sends "rows since row id N".
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from swiftlike.common.exceptions import DatabaseCorruptError, DatabaseNotFoundError
from swiftlike.common.numbers import INT64_MAX, NumberError
from swiftlike.common.timestamp import Timestamp


def text_field(item: Mapping[str, Any], key: str, *, name: bool = False) -> str:
    """``item[key]`` if it is a str SQLite can store (UTF-8, no lone
    surrogates); a ``name`` must also be non-empty and without NUL.

    :raises ValueError: otherwise
    """
    value = item.get(key)
    if not isinstance(value, str) or (name and (not value or '\x00' in value)):
        raise ValueError(f'{key} must be a {"name" if name else "string"}')
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        raise ValueError(f'{key} is not valid Unicode') from None
    return value


def int_field(item: Mapping[str, Any], key: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """``item[key]`` if it is an int (not a bool) in ``[minimum, maximum]``.

    :raises ValueError: otherwise
    """
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise NumberError(f'{key} must be a whole number from {minimum} to {maximum}')
    return value


def timestamp_field(item: Mapping[str, Any], key: str) -> str:
    """``item[key]`` as an internal timestamp, if it is one (a str or a number).

    :raises ValueError: otherwise
    """
    value = item.get(key)
    if not isinstance(value, (str, int, float)):
        raise ValueError(f'{key} must be a timestamp')
    return Timestamp(value).internal


def check_metadata(raw: object) -> dict[str, tuple[str, str]]:
    """Stored metadata (JSON text of ``{key: [value, timestamp]}``), checked.

    :raises ValueError: if it is not that
    """
    if raw is not None and not isinstance(raw, str):
        raise ValueError('metadata must be JSON text')
    try:
        parsed = json.loads(raw or '{}')
    except RecursionError:
        raise ValueError('metadata nested too deep') from None
    if not isinstance(parsed, dict):
        raise ValueError('metadata must be a JSON object')
    out = {}
    for key, pair in parsed.items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError('metadata values are [value, timestamp]')
        entry = {'key': key, 'value': pair[0], 'timestamp': pair[1]}
        out[text_field(entry, 'key', name=True)] = (text_field(entry, 'value'),
                                                      timestamp_field(entry, 'timestamp'))
    return out


class ConnectionPool:
    """Open SQLite connections of one process, by database file (at most
    ``size``), so a busy container is not reopened for every request.

    A connection is used by one request at a time: sqlite calls never yield
    to other green threads, and a request's statements run back to back. A
    file replaced on disk (a new inode) gets a new connection.
    """

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._conns: dict[Path, tuple[int, sqlite3.Connection]] = {}

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
        """Keep ``conn`` for the next request on ``path``."""
        if len(self._conns) >= self.size:
            _, (_, oldest) = self._conns.popitem()
            oldest.close()
        try:
            self._conns[path] = (os.stat(path).st_ino, conn)
        except FileNotFoundError:
            conn.close()


SYNC_SCHEMA = '''
CREATE TABLE sync (remote_id TEXT PRIMARY KEY, sync_point INTEGER NOT NULL);
'''


class DatabaseBroker:
    """One database file. Subclasses set ``db_type``, ``stat_table``,
    ``item_table``, ``schema`` and ``item_fields``."""

    db_type: ClassVar[str] = ''
    stat_table: ClassVar[str] = ''
    item_table: ClassVar[str] = ''
    schema: ClassVar[str] = ''
    item_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, path: Path, *, account: str, container: str | None = None,
                 timeout: float = 25.0, pool: ConnectionPool | None = None) -> None:
        self.path = path
        self.account = account
        self.container = container
        self.timeout = timeout
        self.pool = pool

    # -- files ----------------------------------------------------------------

    def exists(self) -> bool:
        """Whether the database file exists."""
        return self.path.exists()

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A connection in autocommit mode; use ``with conn:`` for a transaction.

        :raises DatabaseNotFoundError: if there is no file
        :raises DatabaseCorruptError: if SQLite cannot read it
        """
        conn = self.pool.take(self.path) if self.pool else None
        if conn is None:
            conn = self._open()
        healthy = False
        try:
            yield conn
            healthy = not conn.in_transaction
        except sqlite3.DatabaseError as err:
            if isinstance(err, sqlite3.OperationalError) and 'locked' in str(err):
                raise
            raise DatabaseCorruptError(f'{self.path}: {err}') from err
        finally:
            if healthy and self.pool:
                self.pool.give(self.path, conn)
            else:
                conn.close()

    def _open(self) -> sqlite3.Connection:
        if not self.path.exists():
            raise DatabaseNotFoundError(f'no {self.db_type} database')
        try:
            conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute('PRAGMA synchronous = NORMAL')
        except sqlite3.Error as err:
            raise DatabaseCorruptError(str(err)) from err
        return conn

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
        """The stat row as a dict.

        :raises DatabaseCorruptError: if there is none
        """
        with self.connect() as conn:
            row = conn.execute(f'SELECT * FROM {self.stat_table}').fetchone()
            max_row = conn.execute(f'SELECT MAX(ROWID) FROM {self.item_table}').fetchone()[0]
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
        with self.connect() as conn, conn:
            conn.execute('BEGIN IMMEDIATE')
            raw = conn.execute(f'SELECT metadata FROM {self.stat_table}').fetchone()[0]
            current = json.loads(raw or '{}')
            for key, (value, timestamp) in updates.items():
                if key not in current or Timestamp(timestamp) > Timestamp(current[key][1]):
                    current[key] = [value, timestamp]
            conn.execute(f'UPDATE {self.stat_table} SET metadata = ?', (json.dumps(current),))

    def update_put_timestamp(self, timestamp: Timestamp) -> None:
        """Raise put_timestamp (a PUT of an existing database)."""
        with self.connect() as conn, conn:
            conn.execute(f'UPDATE {self.stat_table} SET put_timestamp = ?, status_changed_at = ? '
                         'WHERE put_timestamp < ?', (timestamp.internal, timestamp.internal,
                                                     timestamp.internal))

    def mark_deleted(self, timestamp: Timestamp) -> None:
        """Raise delete_timestamp."""
        with self.connect() as conn, conn:
            conn.execute(f'UPDATE {self.stat_table} SET delete_timestamp = ?, status_changed_at = ? '
                         'WHERE delete_timestamp < ?', (timestamp.internal, timestamp.internal,
                                                        timestamp.internal))

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
        with self.connect() as conn:
            row = conn.execute('SELECT sync_point FROM sync WHERE remote_id = ?', (remote_id,)).fetchone()
        return row[0] if row else -1

    def set_sync(self, remote_id: str, sync_point: int) -> None:
        """Record that rows of ``remote_id`` up to ``sync_point`` are merged."""
        with self.connect() as conn, conn:
            conn.execute('INSERT INTO sync (remote_id, sync_point) VALUES (?, ?) ON CONFLICT(remote_id) '
                         'DO UPDATE SET sync_point = MAX(sync_point, excluded.sync_point)',
                         (remote_id, sync_point))

    def get_items_since(self, row_id: int, limit: int) -> list[dict[str, Any]]:
        """Rows with ROWID > ``row_id``, oldest first, with their ROWID."""
        fields = ', '.join(self.item_fields)
        with self.connect() as conn:
            rows = conn.execute(f'SELECT ROWID, {fields} FROM {self.item_table} WHERE ROWID > ? '
                                'ORDER BY ROWID LIMIT ?', (row_id, limit)).fetchall()
        return [dict(r) for r in rows]

    def merge_items(self, items: Sequence[Mapping[str, Any]], source_id: str | None = None) -> None:
        """Merge rows from another replica (newest wins) and advance its sync point.

        :raises ValueError: if any row is malformed (then none is merged)
        """
        rows = [self.check_item(item) for item in items]
        sync_point = max((int_field(i, 'ROWID', minimum=-1) if 'ROWID' in i else 0 for i in items), default=0)
        with self.connect() as conn, conn:
            conn.execute('BEGIN IMMEDIATE')
            for row in rows:
                self._merge_item(conn, row)
        if source_id and items:
            self.set_sync(source_id, sync_point)

    def check_item(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """A row from elsewhere with every field checked (and timestamps normalised).

        :raises ValueError: if it is not a row of this table
        """
        raise NotImplementedError

    def put_item(self, item: Mapping[str, Any]) -> bool:
        """Merge one row in its own transaction; False if what is stored is newer.

        :raises ValueError: if the row is malformed
        """
        row = self.check_item(item)
        with self.connect() as conn, conn:
            conn.execute('BEGIN IMMEDIATE')
            return self._merge_item(conn, row)

    def _merge_item(self, conn: sqlite3.Connection, item: Mapping[str, Any]) -> bool:
        raise NotImplementedError

    def reclaim(self, older_than: Timestamp) -> int:
        """Remove deleted rows older than ``older_than``; how many."""
        with self.connect() as conn, conn:
            cur = conn.execute(f'DELETE FROM {self.item_table} WHERE deleted = 1 AND {self.row_time} < ?',
                               (older_than.internal,))
        return cur.rowcount

    row_time: ClassVar[str] = 'created_at'

"""The container database: one row per object name (the newest version,
deleted or not), with object count and bytes kept by triggers."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from swiftlike.common.db import DatabaseBroker
from swiftlike.common.db_fields import int_field, text_field, timestamp_field
from swiftlike.common.listing import ListingParams, list_rows, listed_etag
from swiftlike.common.timestamp import Timestamp

SCHEMA = '''
CREATE TABLE object (
    ROWID INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL, created_at TEXT NOT NULL, size INTEGER NOT NULL,
    content_type TEXT NOT NULL, etag TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX ix_object_name ON object (name);
CREATE TABLE container_stat (
    account TEXT, container TEXT, created_at TEXT, put_timestamp TEXT,
    delete_timestamp TEXT, status_changed_at TEXT, object_count INTEGER DEFAULT 0,
    bytes_used INTEGER DEFAULT 0, id TEXT, metadata TEXT DEFAULT '{}',
    reported_put_timestamp TEXT DEFAULT '0', reported_delete_timestamp TEXT DEFAULT '0',
    reported_object_count INTEGER DEFAULT 0, reported_bytes_used INTEGER DEFAULT 0);
CREATE TRIGGER object_insert AFTER INSERT ON object BEGIN
    UPDATE container_stat SET object_count = object_count + (1 - new.deleted),
        bytes_used = bytes_used + CASE WHEN new.deleted THEN 0 ELSE new.size END;
END;
CREATE TRIGGER object_delete AFTER DELETE ON object BEGIN
    UPDATE container_stat SET object_count = object_count - (1 - old.deleted),
        bytes_used = bytes_used - CASE WHEN old.deleted THEN 0 ELSE old.size END;
END;
'''

LISTING_COLUMNS = ('name', 'created_at', 'size', 'content_type', 'etag')


def _object_row(name: str, timestamp: Timestamp, size: int, content_type: str, etag: str, *,
                deleted: bool) -> dict[str, Any]:
    return {'name': name, 'created_at': timestamp.internal, 'size': size,
            'content_type': content_type, 'etag': etag, 'deleted': int(deleted)}


class ContainerBroker(DatabaseBroker):
    """A container's SQLite database."""

    db_type = 'container'
    stat_table = 'container_stat'
    item_table = 'object'
    schema = SCHEMA
    item_fields = ('name', 'created_at', 'size', 'content_type', 'etag', 'deleted')

    def put_object(self, name: str, timestamp: Timestamp, size: int, content_type: str,
                   etag: str, *, deleted: bool = False) -> bool:
        """Record a version of an object; False if a newer one is recorded."""
        return self.put_item(_object_row(name, timestamp, size, content_type, etag, deleted=deleted))

    def queue_object(self, name: str, timestamp: Timestamp, size: int, content_type: str,
                     etag: str, *, deleted: bool = False) -> None:
        """Record a version of an object through the pending file (an object
        server's update): one short append, merged with others in one
        transaction before the next read.

        :raises ValueError: if a field is malformed
        :raises DatabaseNotFoundError: if there is no database
        """
        self.enqueue_item(_object_row(name, timestamp, size, content_type, etag, deleted=deleted))

    def check_item(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """An object row from elsewhere (REPLICATE merge_items, a SYNC copy), checked.

        :raises ValueError: for a missing or malformed field
        """
        if not isinstance(item, Mapping):
            raise ValueError('a row must be a JSON object')
        return {'name': text_field(item, 'name', name=True),
                'created_at': timestamp_field(item, 'created_at'),
                'size': int_field(item, 'size'),
                'content_type': text_field(item, 'content_type'),
                'etag': text_field(item, 'etag'),
                'deleted': int_field(item, 'deleted', maximum=1)}

    def _merge_item(self, conn: sqlite3.Connection, item: Mapping[str, Any]) -> bool:
        row = conn.execute('SELECT created_at FROM object WHERE name = ?', (item['name'],)).fetchone()
        if row is not None:
            if Timestamp(row[0]) >= Timestamp(item['created_at']):
                return False
            conn.execute('DELETE FROM object WHERE name = ?', (item['name'],))
        conn.execute('INSERT INTO object (name, created_at, size, content_type, etag, deleted) '
                     'VALUES (?, ?, ?, ?, ?, ?)',
                     (item['name'], item['created_at'], item['size'], item['content_type'],
                      item['etag'], item['deleted']))
        return True

    def list_objects(self, params: ListingParams) -> list[dict[str, Any]]:
        """Listing entries: name, hash, bytes, content_type, last_modified (or subdir)."""
        rows = self._read(lambda conn: list_rows(conn, 'object', LISTING_COLUMNS, params))
        out = []
        for row in rows:
            if 'subdir' in row:
                out.append(row)
                continue
            out.append({'name': row['name'], **listed_etag(row['etag']), 'bytes': row['size'],
                        'content_type': row['content_type'],
                        'last_modified': Timestamp(row['created_at']).isoformat})
        return out

    def mark_reported(self, info: Mapping[str, Any]) -> None:
        """Record ``info``'s stats as acknowledged by the account."""
        self._run(lambda conn: conn.execute(
            'UPDATE container_stat SET reported_put_timestamp = ?, reported_delete_timestamp = ?, '
            'reported_object_count = ?, reported_bytes_used = ?',
            (info['put_timestamp'], info['delete_timestamp'], info['object_count'], info['bytes_used'])),
            write=True)

    def is_empty(self) -> bool:
        """No live objects."""
        return int(self.get_info()['object_count']) == 0

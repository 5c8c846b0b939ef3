"""The account database: one row per container (the newest report of it),
with container, object and byte counts kept by triggers."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from swiftlike.common.db import DatabaseBroker
from swiftlike.common.db_fields import int_field, text_field, timestamp_field
from swiftlike.common.listing import ListingParams, list_rows
from swiftlike.common.policy import DEFAULT_POLICY
from swiftlike.common.timestamp import Timestamp

SCHEMA = '''
CREATE TABLE container (
    ROWID INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL, put_timestamp TEXT NOT NULL, delete_timestamp TEXT NOT NULL,
    object_count INTEGER NOT NULL, bytes_used INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE UNIQUE INDEX ix_container_name ON container (name);
CREATE TABLE account_stat (
    account TEXT, created_at TEXT, put_timestamp TEXT, delete_timestamp TEXT,
    status_changed_at TEXT, container_count INTEGER DEFAULT 0, object_count INTEGER DEFAULT 0,
    bytes_used INTEGER DEFAULT 0, id TEXT, metadata TEXT DEFAULT '{}');
CREATE TRIGGER container_insert AFTER INSERT ON container BEGIN
    UPDATE account_stat SET container_count = container_count + (1 - new.deleted),
        object_count = object_count + CASE WHEN new.deleted THEN 0 ELSE new.object_count END,
        bytes_used = bytes_used + CASE WHEN new.deleted THEN 0 ELSE new.bytes_used END;
END;
CREATE TRIGGER container_delete AFTER DELETE ON container BEGIN
    UPDATE account_stat SET container_count = container_count - (1 - old.deleted),
        object_count = object_count - CASE WHEN old.deleted THEN 0 ELSE old.object_count END,
        bytes_used = bytes_used - CASE WHEN old.deleted THEN 0 ELSE old.bytes_used END;
END;
'''

LISTING_COLUMNS = ('name', 'put_timestamp', 'object_count', 'bytes_used')


class AccountBroker(DatabaseBroker):
    """An account's SQLite database."""

    db_type = 'account'
    stat_table = 'account_stat'
    item_table = 'container'
    schema = SCHEMA
    item_fields = ('name', 'put_timestamp', 'delete_timestamp', 'object_count', 'bytes_used', 'deleted')
    row_time = 'delete_timestamp'

    def put_container(self, name: str, put_timestamp: Timestamp, delete_timestamp: Timestamp,
                      object_count: int, bytes_used: int) -> bool:
        """Record a container report; False if it is older than what is recorded."""
        item = {'name': name, 'put_timestamp': put_timestamp.internal,
                'delete_timestamp': delete_timestamp.internal, 'object_count': object_count,
                'bytes_used': bytes_used}
        return self.put_item(item)

    def check_item(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """A container row from elsewhere (a report, REPLICATE merge_items, a SYNC copy), checked.

        :raises ValueError: for a missing or malformed field
        """
        if not isinstance(item, Mapping):
            raise ValueError('a row must be a JSON object')
        return {'name': text_field(item, 'name', name=True),
                'put_timestamp': timestamp_field(item, 'put_timestamp'),
                'delete_timestamp': timestamp_field(item, 'delete_timestamp'),
                'object_count': int_field(item, 'object_count'),
                'bytes_used': int_field(item, 'bytes_used')}

    def _merge_item(self, conn: sqlite3.Connection, item: Mapping[str, Any]) -> bool:
        row = conn.execute('SELECT put_timestamp, delete_timestamp, object_count, bytes_used '
                           'FROM container WHERE name = ?', (item['name'],)).fetchone()
        put_ts, del_ts = Timestamp(item['put_timestamp']), Timestamp(item['delete_timestamp'])
        count, used = item['object_count'], item['bytes_used']
        if row is not None:
            old_put, old_del = Timestamp(row[0]), Timestamp(row[1])
            if max(old_put, old_del) > max(put_ts, del_ts):
                count, used = row[2], row[3]          # the stored report is newer
            if (old_put, old_del) == (max(put_ts, old_put), max(del_ts, old_del)) and \
                    (count, used) == (row[2], row[3]):
                return False
            put_ts, del_ts = max(put_ts, old_put), max(del_ts, old_del)
            conn.execute('DELETE FROM container WHERE name = ?', (item['name'],))
        deleted = int(del_ts > put_ts)
        conn.execute('INSERT INTO container (name, put_timestamp, delete_timestamp, object_count, '
                     'bytes_used, deleted) VALUES (?, ?, ?, ?, ?, ?)',
                     (item['name'], put_ts.internal, del_ts.internal, count, used, deleted))
        return True

    def list_containers(self, params: ListingParams) -> list[dict[str, Any]]:
        """Listing entries: name, count, bytes, last_modified, storage_policy (or subdir)."""
        rows = self._read(lambda conn: list_rows(conn, 'container', LISTING_COLUMNS, params))
        out = []
        for row in rows:
            if 'subdir' in row:
                out.append(row)
                continue
            out.append({'name': row['name'], 'count': row['object_count'], 'bytes': row['bytes_used'],
                        'last_modified': Timestamp(row['put_timestamp']).isoformat,
                        'storage_policy': DEFAULT_POLICY})
        return out

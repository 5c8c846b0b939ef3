"""A database another process holds locked is locked, not corrupt: the
auditor must not quarantine it, and a replicator's copy waits for the lock
(a probe saw 'database is locked' reported as DatabaseCorruptError)."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from swiftlike.common import db_sync
from swiftlike.common.db_auditor import check_database
from swiftlike.common.exceptions import DatabaseCorruptError, DatabaseLockedError
from swiftlike.common.timestamp import Timestamp
from swiftlike.container.backend import ContainerBroker


@pytest.fixture
def broker(tmp_path):
    b = ContainerBroker(tmp_path / 'x' / 'c.db', account='a', container='c', timeout=0.2)
    assert b.initialize(Timestamp(100), account='a', container='c')
    return b


def exclusive(path) -> sqlite3.Connection:
    """Another connection that holds the database so nobody else can even read it."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute('PRAGMA locking_mode = EXCLUSIVE')
    conn.execute('BEGIN EXCLUSIVE')
    conn.execute('CREATE TABLE IF NOT EXISTS hold (x)')
    return conn


def test_the_auditor_finds_it_locked_not_corrupt(broker):
    holder = exclusive(broker.path)
    try:
        with pytest.raises(DatabaseLockedError):
            check_database(broker)
    finally:
        holder.close()
    check_database(broker)


def test_a_snapshot_waits_for_the_lock(broker, tmp_path):
    holder = exclusive(broker.path)
    threading.Timer(0.05, holder.close).start()
    copy = db_sync.snapshot(broker, tmp_path / 'tmp')
    assert copy.exists()
    with pytest.raises((DatabaseLockedError, DatabaseCorruptError)) as caught:
        held = exclusive(broker.path)
        try:
            db_sync.snapshot(broker, tmp_path / 'tmp')
        finally:
            held.close()
    assert isinstance(caught.value, DatabaseLockedError)

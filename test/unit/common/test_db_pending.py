"""The pending file of a container database: rows queued by one short append
each, merged in one transaction before anything reads the database, and
never lost: not by a crash before the merge, not by a torn record, not by two
appenders at once."""

from __future__ import annotations

import fcntl
import json
import multiprocessing as mp
import os
import sqlite3
import threading
import time
from pathlib import Path

import eventlet
import pytest

from swiftlike.common.db_auditor import check_database
from swiftlike.common.db_pending import GroupCommit, PendingFile, decode, encode
from swiftlike.common.exceptions import DatabaseLockedError, DatabaseNotFoundError
from swiftlike.common.listing import ListingParams
from swiftlike.common.timestamp import Timestamp
from swiftlike.container.backend import ContainerBroker


class FakeClock:
    """Monotonic time that only a (fake) sleep moves."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def make_broker(path: Path, clock: FakeClock | None = None, **kw) -> ContainerBroker:
    if clock is not None:
        kw.update(clock=clock, sleep=clock.sleep)
    broker = ContainerBroker(path, account='a', container='c', **kw)
    broker.initialize(Timestamp(100), account='a', container='c')
    return broker


@pytest.fixture
def broker(tmp_path, clock) -> ContainerBroker:
    return make_broker(tmp_path / 'c' / 'c.db', clock, timeout=1.0)


def queue(broker: ContainerBroker, name: str, ts: float = 10.0, size: int = 5, deleted: bool = False) -> None:
    broker.queue_object(name, Timestamp(ts), size, 'a/b', 'e' * 32, deleted=deleted)


def rows_in_db(broker: ContainerBroker) -> int:
    """Rows in the table itself, read without merging the pending file."""
    conn = sqlite3.connect(broker.path)
    try:
        return conn.execute('SELECT COUNT(*) FROM object').fetchone()[0]
    finally:
        conn.close()


def test_a_queued_row_is_appended_not_merged(broker):
    queue(broker, 'o1')
    queue(broker, 'o2')
    assert rows_in_db(broker) == 0
    assert [r['name'] for r in decode(broker.pending.path.read_bytes())] == ['o1', 'o2']


def test_a_queued_row_for_no_database_is_refused(tmp_path):
    broker = ContainerBroker(tmp_path / 'none.db', account='a', container='c')
    with pytest.raises(DatabaseNotFoundError):
        queue(broker, 'o')
    assert not broker.pending.path.exists()


def test_a_malformed_row_is_refused_before_it_is_queued(broker):
    with pytest.raises(ValueError):
        broker.queue_object('', Timestamp(1), 1, 'a/b', 'e')
    assert broker.pending.size() == 0


@pytest.mark.parametrize('read', [
    lambda b: b.get_info()['object_count'],
    lambda b: len(b.list_objects(ListingParams(limit=100))),
    lambda b: len(b.get_items_since(-1, 100)),
    lambda b: 0 if b.is_empty() else 2,
    lambda b: check_database(b) or rows_in_db(b),          # the auditor
    lambda b: b.reclaim(Timestamp(1)) or rows_in_db(b),    # the replicator's reclaim
], ids=['info', 'listing', 'replication-rows', 'is-empty', 'auditor', 'reclaim'])
def test_every_read_merges_first(broker, read):
    queue(broker, 'o1')
    queue(broker, 'o2')
    assert read(broker) == 2
    assert broker.pending.size() == 0 and rows_in_db(broker) == 2


def test_incoming_replication_rows_merge_the_pending_file_too(broker):
    queue(broker, 'o1', ts=10)
    broker.merge_items([{'name': 'o1', 'created_at': Timestamp(5).internal, 'size': 1, 'content_type': 'x',
                         'etag': 'y', 'deleted': 0, 'ROWID': 7}], 'peer')
    assert broker.get_items_since(-1, 10)[0]['created_at'] == Timestamp(10).internal
    assert broker.get_sync('peer') == 7


def test_one_merge_is_one_transaction_newest_wins(broker):
    queue(broker, 'x', ts=10, size=1)
    queue(broker, 'x', ts=30, size=3)
    queue(broker, 'x', ts=20, size=2)         # older than the one before: ignored
    queue(broker, 'gone', ts=10)
    queue(broker, 'gone', ts=11, deleted=True)
    info = broker.get_info()
    assert (info['object_count'], info['bytes_used']) == (1, 3)


def test_a_crash_before_the_merge_loses_nothing(broker, tmp_path):
    queue(broker, 'o1')
    queue(broker, 'o2')
    reopened = ContainerBroker(broker.path, account='a', container='c')     # a new process
    assert reopened.get_info()['object_count'] == 2


def test_a_crash_between_commit_and_truncate_merges_twice_harmlessly(broker):
    queue(broker, 'o1', size=4)
    queue(broker, 'o2', size=6)
    saved = broker.pending.path.read_bytes()
    assert broker.get_info()['bytes_used'] == 10
    broker.pending.path.write_bytes(saved)                # as if the truncate never happened
    info = broker.get_info()
    assert (info['object_count'], info['bytes_used'], info['max_row']) == (2, 10, 2)


def test_a_torn_last_record_is_ignored_and_later_ones_kept(broker, caplog):
    queue(broker, 'o1')
    with open(broker.pending.path, 'ab') as fh:                # a crash mid-append
        fh.write(encode({'name': 'torn', 'created_at': '1'})[:15])
    assert broker.get_info()['object_count'] == 1
    assert 'torn' in caplog.text
    with open(broker.pending.path, 'ab') as fh:
        fh.write(b'{"name": "torn-again"')
    queue(broker, 'o2')                                       # starts a line of its own
    assert [e['name'] for e in broker.list_objects(ListingParams(limit=10))] == ['o1', 'o2']


def test_garbage_records_are_skipped(broker):
    with open(broker.pending.path, 'wb') as fh:
        fh.write(b'not json\n[1, 2]\n{"name": ""}\n\n')
    queue(broker, 'o1')
    assert broker.get_info()['object_count'] == 1


def test_names_with_newlines_stay_on_one_line(broker):
    queue(broker, 'a\nb\r\u2028c')
    assert broker.pending.path.read_bytes().count(b'\n') == 1
    assert broker.list_objects(ListingParams(limit=10))[0]['name'] == 'a\nb\r\u2028c'


def test_past_the_cap_the_append_merges(broker):
    broker.pending_cap = 600
    for i in range(5):
        queue(broker, f'o{i}')
    assert rows_in_db(broker) == 5 and broker.pending.size() < 600


def test_past_the_cap_a_locked_database_puts_the_merge_off(broker, clock):
    broker.pending_cap = 1
    with _held_write_lock(broker.path):
        queue(broker, 'o1')                                   # acknowledged: it is in the file
    assert rows_in_db(broker) == 0 and broker.pending.size() > 0
    assert clock.now == 0                                     # one try: no wait for the lock
    assert broker.get_info()['object_count'] == 1


class _held_write_lock:
    """Another connection holding the database's write lock (BEGIN IMMEDIATE)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)

    def __enter__(self) -> _held_write_lock:
        self.conn.execute('BEGIN IMMEDIATE')
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.execute('ROLLBACK')
        self.conn.close()


def test_a_stale_ok_read_goes_on_without_the_pending_rows(tmp_path, clock):
    broker = make_broker(tmp_path / 'c.db', clock, timeout=5.0, stale_reads_ok=True)
    queue(broker, 'o1')
    with _held_write_lock(broker.path):
        assert broker.get_info()['object_count'] == 0          # stale, after a short wait
        assert 0.09 <= clock.now < 1.0
    assert broker.pending.size() > 0


def test_a_strict_read_waits_then_fails_locked(broker, clock):
    queue(broker, 'o1')
    with _held_write_lock(broker.path), pytest.raises(DatabaseLockedError):
        broker.get_info()
    assert clock.now >= 1.0 and all(s <= 0.05 for s in clock.sleeps)
    assert broker.get_info()['object_count'] == 1


def test_the_merge_waits_green_for_the_file_lock(broker, clock):
    queue(broker, 'o1')
    fd = os.open(broker.pending.path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)                        # an appender of another process
        with pytest.raises(DatabaseLockedError):
            broker.commit_pending()
        assert clock.now >= 1.0
    finally:
        os.close(fd)
    assert rows_in_db(broker) == 0                            # the transaction was rolled back
    assert broker.commit_pending() == 1


def _append_many(path: str, prefix: str, count: int) -> None:
    pending = PendingFile(Path(path), timeout=30, clock=time.monotonic, sleep=time.sleep)
    for i in range(count):
        pending.append({'name': f'{prefix}{i}', 'created_at': '1', 'size': 1, 'content_type': 'x',
                        'etag': 'y' * 200, 'deleted': 0})


def test_two_appenders_at_once_lose_nothing(tmp_path):
    """Two processes (two workers of a server) appending 500 records each
    while this one merges: every record arrives whole."""
    broker = make_broker(tmp_path / 'c.db', timeout=30)
    ctx = mp.get_context('spawn')
    procs = [ctx.Process(target=_append_many, args=(str(broker.pending.path), p, 500)) for p in 'ab']
    for proc in procs:
        proc.start()
    merged = 0
    while any(p.is_alive() for p in procs):
        merged += broker.commit_pending()
    for proc in procs:
        proc.join(30)
        assert proc.exitcode == 0
    merged += broker.commit_pending()
    assert merged == 1000
    assert broker.get_info()['object_count'] == 1000


def test_records_are_compact_json_lines():
    line = encode({'name': 'ü', 'size': 1})
    assert line.endswith(b'\n') and line.isascii()
    assert json.loads(line) == {'name': 'ü', 'size': 1}


def test_a_handoff_is_removed_only_if_nothing_arrived(broker):
    queue(broker, 'o1')
    max_row = broker.get_info()['max_row']
    queue(broker, 'o2')                                       # arrived after the push
    assert not broker.remove_if_unchanged(max_row)
    assert broker.get_info()['object_count'] == 2
    assert broker.remove_if_unchanged(broker.get_info()['max_row'])
    assert not broker.path.parent.exists()


def test_an_append_waiting_while_the_database_is_removed_is_refused(tmp_path):
    """An append that opened the pending file, then waited for its lock while
    the replicator removed the database, must not be acknowledged."""
    broker = make_broker(tmp_path / 'c' / 'c.db', timeout=10)
    outcome: list[object] = []

    def append() -> None:
        try:
            queue(broker, 'late')
            outcome.append('acknowledged')
        except DatabaseNotFoundError as err:
            outcome.append(err)
    with broker.pending.locked():
        thread = threading.Thread(target=append)
        thread.start()
        time.sleep(0.2)                                       # it has the file open, waiting
        broker.path.unlink()
        broker.pending.path.unlink()
    thread.join(10)
    assert len(outcome) == 1 and isinstance(outcome[0], DatabaseNotFoundError)



def green_commit() -> GroupCommit:
    """A group commit as in a green server: green threads, a real green yield."""
    return GroupCommit(green=lambda: True, pause=eventlet.sleep)


def test_group_commit_one_transaction_for_the_rows_of_a_turn(tmp_path):
    merges = green_commit()
    broker = make_broker(tmp_path / 'c.db', merges=merges)
    merged: list[int] = []
    commit = broker.commit_pending
    broker.commit_pending = lambda timeout=None: merged.append(commit(timeout)) or merged[-1]
    pool = eventlet.GreenPool()
    for i in range(20):
        pool.spawn(queue, broker, f'o{i}')
    pool.waitall()
    assert merged == [20]                                     # one merge for all twenty
    assert rows_in_db(broker) == 20 and broker.pending.size() == 0 and len(merges) == 0


def test_group_commit_acknowledges_only_after_the_merge(tmp_path):
    broker = make_broker(tmp_path / 'c.db', merges=green_commit())
    seen: list[int] = []

    def put(name: str) -> None:
        queue(broker, name)
        seen.append(rows_in_db(broker))                      # what a raw reader would see now
    pool = eventlet.GreenPool()
    for name in ('a', 'b', 'c'):
        pool.spawn(put, name)
    pool.waitall()
    assert seen == [3, 3, 3]


def test_group_commit_leaves_rows_pending_when_locked(tmp_path):
    broker = make_broker(tmp_path / 'c.db', merges=green_commit())
    with _held_write_lock(broker.path):
        eventlet.spawn(queue, broker, 'o1').wait()            # one try, no wait, no error
    assert rows_in_db(broker) == 0 and broker.get_info()['object_count'] == 1


def test_group_commit_needs_a_green_process(tmp_path):
    broker = make_broker(tmp_path / 'c.db', merges=GroupCommit(green=lambda: False))
    queue(broker, 'o1')
    assert rows_in_db(broker) == 0 and broker.pending.size() > 0

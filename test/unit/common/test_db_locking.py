"""Waiting for a database lock happens in Python, between green sleeps, never
inside SQLite's busy handler; and the connection pool keeps the connections
used most recently."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from swiftlike.common.db_pool import ConnectionPool
from swiftlike.common.db_retry import MAX_DELAY, is_busy, retry_busy
from swiftlike.common.exceptions import DatabaseLockedError, LockTimeoutError
from swiftlike.common.timestamp import Timestamp
from swiftlike.container.backend import ContainerBroker


class LockHolder:
    """Another connection holding the write lock until :meth:`release`."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute('BEGIN IMMEDIATE')

    def release(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute('ROLLBACK')
        self.conn.close()


class FakeSleep:
    """Counts green sleeps, moves a fake clock, and runs ``after`` at the ``at``-th one."""

    def __init__(self, *, at: int = 0, after=None) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.at, self.after = at, after

    def clock(self) -> float:
        return self.now

    def __call__(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.after and len(self.slept) == self.at:
            self.after()


def broker_at(path: Path, sleep: FakeSleep, timeout: float = 2.0, pool: ConnectionPool | None = None
              ) -> ContainerBroker:
    broker = ContainerBroker(path, account='a', container='c', timeout=timeout, clock=sleep.clock,
                             sleep=sleep, pool=pool)
    broker.initialize(Timestamp(1), account='a', container='c')
    return broker


def locked_error() -> sqlite3.OperationalError:
    conn = sqlite3.connect(':memory:')
    err = sqlite3.OperationalError('database is locked')
    conn.close()
    return err


def test_busy_is_a_held_lock_and_nothing_else():
    assert is_busy(locked_error())
    assert is_busy(BlockingIOError())
    assert not is_busy(sqlite3.OperationalError('no such table: x'))
    assert not is_busy(sqlite3.DatabaseError('file is not a database'))


def test_retry_until_it_works():
    sleep = FakeSleep()
    answers: list[object] = [locked_error(), BlockingIOError(), 'done']

    def attempt() -> object:
        answer = answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer
    assert retry_busy(attempt, timeout=1, what='x', clock=sleep.clock, sleep=sleep) == 'done'
    assert len(sleep.slept) == 2


def test_retry_gives_up_with_a_domain_error_after_the_timeout():
    sleep = FakeSleep()

    def attempt() -> None:
        raise locked_error()
    with pytest.raises(DatabaseLockedError, match='still locked after 3 s') as caught:
        retry_busy(attempt, timeout=3, what='x', clock=sleep.clock, sleep=sleep)
    assert isinstance(caught.value, LockTimeoutError)           # the servers answer 503
    assert sleep.now == pytest.approx(3.0)
    assert max(sleep.slept) <= MAX_DELAY                         # a released lock is seen soon


def test_other_errors_are_not_retried():
    sleep = FakeSleep()

    def attempt() -> None:
        raise sqlite3.OperationalError('no such table: x')
    with pytest.raises(sqlite3.OperationalError):
        retry_busy(attempt, timeout=3, what='x', clock=sleep.clock, sleep=sleep)
    assert sleep.slept == []


def test_connections_never_wait_inside_sqlite(tmp_path):
    broker = broker_at(tmp_path / 'c.db', FakeSleep())
    with broker.connect() as conn:
        assert conn.execute('PRAGMA busy_timeout').fetchone()[0] == 0


@pytest.mark.parametrize('write', [
    lambda b: b.update_metadata({'X-Container-Meta-A': ('1', Timestamp(2).internal)}),
    lambda b: b.put_object('o', Timestamp(2), 1, 'a/b', 'e'),
    lambda b: b.mark_deleted(Timestamp(2)),
    lambda b: b.merge_items([{'name': 'o', 'created_at': '2', 'size': 1, 'content_type': 'x',
                              'etag': 'e', 'deleted': 0}], 'peer'),
], ids=['metadata', 'row', 'delete', 'replication'])
def test_a_write_waits_green_for_the_lock(tmp_path, write):
    """The holder lets go during the 5th green sleep: the write then goes through."""
    holder: list[LockHolder] = []
    sleep = FakeSleep(at=5, after=lambda: holder[0].release())
    broker = broker_at(tmp_path / 'c.db', sleep)
    holder.append(LockHolder(broker.path))
    write(broker)
    assert len(sleep.slept) == 5
    assert broker.get_info()['max_row'] in (0, 1)


def test_a_write_gives_up_after_the_timeout(tmp_path):
    sleep = FakeSleep()
    broker = broker_at(tmp_path / 'c.db', sleep, timeout=0.5)
    holder = LockHolder(broker.path)
    try:
        with pytest.raises(DatabaseLockedError):
            broker.update_metadata({'X-Container-Meta-A': ('1', Timestamp(2).internal)})
    finally:
        holder.release()
    assert sleep.now == pytest.approx(0.5)
    assert broker.metadata() == {}


def test_a_pooled_connection_survives_a_locked_attempt(tmp_path):
    pool = ConnectionPool()
    sleep = FakeSleep()
    broker = broker_at(tmp_path / 'c.db', sleep, timeout=0.1, pool=pool)
    holder = LockHolder(broker.path)
    with pytest.raises(DatabaseLockedError):
        broker.mark_deleted(Timestamp(5))
    holder.release()
    assert len(pool) == 1                                         # rolled back and kept
    broker.mark_deleted(Timestamp(5))
    assert broker.is_deleted()


def _conn() -> sqlite3.Connection:
    return sqlite3.connect(':memory:')


def test_pool_evicts_the_least_recently_used(tmp_path):
    paths = [tmp_path / f'{n}.db' for n in 'abc']
    for path in paths:
        path.touch()
    a, b, c = paths
    pool = ConnectionPool(size=2)
    conn_a, conn_b = _conn(), _conn()
    pool.give(a, conn_a)
    pool.give(b, conn_b)
    pool.give(a, pool.take(a))                 # a was used again: b is now the least recent
    pool.give(c, _conn())
    assert pool.take(b) is None
    assert pool.take(a) is conn_a
    with pytest.raises(sqlite3.ProgrammingError):
        conn_b.execute('SELECT 1')             # closed when evicted


def test_pool_keeps_one_connection_a_file(tmp_path):
    path = tmp_path / 'a.db'
    path.touch()
    pool = ConnectionPool(size=4)
    first, second = _conn(), _conn()
    pool.give(path, first)
    pool.give(path, second)
    assert len(pool) == 1 and pool.take(path) is second
    with pytest.raises(sqlite3.ProgrammingError):
        first.execute('SELECT 1')


def test_pool_drops_a_connection_to_a_replaced_file(tmp_path):
    path = tmp_path / 'a.db'
    path.touch()
    pool = ConnectionPool()
    pool.give(path, _conn())
    replacement = tmp_path / 'new.db'
    replacement.touch()
    replacement.replace(path)                  # e.g. a SYNC copy linked into place
    assert pool.take(path) is None

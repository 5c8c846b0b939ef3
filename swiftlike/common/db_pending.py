"""The pending file of a database, ``<db>.pending``: rows (object updates
from object servers) waiting to be merged into the database, so that a storm
of updates costs one short append each and one transaction per batch rather
than one transaction per row (as Swift does).

Format: one JSON object per line. An append holds an exclusive ``flock`` on
the file for one ``write``; a merge holds it while it reads the records, the
caller merges and commits them, and the file is truncated. A crash between
append and merge leaves the record in the file (it is merged by the next
reader, or at once by :class:`GroupCommit`); a crash between commit
and truncate merges the records twice, which the newest-wins merge makes
harmless. A crash mid-append leaves a
torn last line: it was never acknowledged, the next append starts a new
line after it, and the merge skips it.

No SQL here, and no fsync: the database itself runs with
``synchronous = NORMAL``, durable across a process crash, not a power cut.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Protocol

from swiftlike.common import concurrency
from swiftlike.common.db_retry import retry_busy
from swiftlike.common.exceptions import DatabaseCorruptError, DatabaseLockedError, DatabaseNotFoundError

logger = logging.getLogger(__name__)

#: Size past which the append that crossed it merges the file at once.
PENDING_CAP: Final = 128 << 10
#: Largest read at a time when draining.
_CHUNK: Final = 1 << 20


def encode(record: Mapping[str, Any]) -> bytes:
    """One record as a line: compact JSON, ASCII (control characters escaped,
    so a name holding a newline stays on one line).

    >>> encode({'name': 'a\\nb', 'size': 1})
    b'{"name":"a\\\\nb","size":1}\\n'
    """
    return json.dumps(dict(record), separators=(',', ':')).encode('ascii') + b'\n'


def decode(data: bytes, where: Path | str = '<pending>') -> list[dict[str, Any]]:
    """The records of a pending file's contents. A torn last line (no newline)
    and a line that is not a JSON object are skipped, with a warning.

    >>> decode(b'{"a":1}\\nxx\\n{"b":2}\\n{"c"')
    [{'a': 1}, {'b': 2}]
    """
    lines = data.split(b'\n')
    if lines[-1]:
        logger.warning('%s: skipping a torn last record (%d bytes)', where, len(lines[-1]))
    records = []
    for line in lines[:-1]:
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):
            record = None
        if isinstance(record, dict):
            records.append(record)
        elif line:
            logger.warning('%s: skipping a malformed record %r', where, line[:80])
    return records


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_all(fd: int) -> bytes:
    parts, offset = [], 0
    while chunk := os.pread(fd, _CHUNK, offset):
        parts.append(chunk)
        offset += len(chunk)
    return b''.join(parts)


class PendingFile:
    """``path``, locked with a green wait of up to ``timeout`` seconds.

    :param owner: the database; an append that gets the lock after the file
        was unlinked, or after ``owner`` was, raises FileNotFoundError rather
        than writing where nobody will read (see :meth:`locked`)
    :param clock: monotonic seconds
    :param sleep: a green sleep (swiftlike.common.concurrency.sleep)
    """

    def __init__(self, path: Path, *, timeout: float, clock: Callable[[], float],
                 sleep: Callable[[float], None], owner: Path | None = None) -> None:
        self.path = path
        self.owner = owner
        self.timeout = timeout
        self.clock = clock
        self.sleep = sleep

    def size(self) -> int:
        """Bytes waiting (0 if there is no file)."""
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return 0

    def _lock(self, fd: int, timeout: float | None = None) -> None:
        retry_busy(lambda: fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB),
                   timeout=self.timeout if timeout is None else timeout, what=str(self.path),
                   clock=self.clock, sleep=self.sleep)

    def append(self, record: Mapping[str, Any]) -> int:
        """Append one record; the file's size after it.

        :raises DatabaseLockedError: if the file stays locked for ``timeout``
        :raises FileNotFoundError: if the file or its database is gone
        :raises OSError: if it cannot be written (e.g. ENOSPC)
        """
        line = encode(record)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            self._lock(fd)
            stat = os.fstat(fd)
            if not stat.st_nlink or (self.owner is not None and not self.owner.exists()):
                raise FileNotFoundError(f'{self.owner or self.path} was removed')
            end = stat.st_size
            if end and os.pread(fd, 1, end - 1) != b'\n':
                line = b'\n' + line          # end the torn record a crash left, so it stays apart
            _write_all(fd, line)
            return end + len(line)
        finally:
            os.close(fd)                     # and with it the lock

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file's lock (creating the file if need be): no append
        happens meanwhile, and one waiting for it fails if the file or its
        database is unlinked before this lets go.

        :raises DatabaseLockedError: if the file stays locked for ``timeout``
        """
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._lock(fd)
            yield
        finally:
            os.close(fd)

    def drain(self, merge: Callable[[list[dict[str, Any]]], None], *, timeout: float | None = None) -> int:
        """Lock the file, hand its records to ``merge`` (which must make them
        durable before it returns), then empty the file; how many records.
        If ``merge`` raises, the file is left as it was.

        :raises DatabaseLockedError: if the file stays locked for ``timeout``
            (the constructor's if None)
        """
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return 0
        try:
            self._lock(fd, timeout)
            records = decode(_read_all(fd), self.path)
            merge(records)
            os.ftruncate(fd, 0)
            return len(records)
        finally:
            os.close(fd)


class Mergeable(Protocol):
    """What :class:`PendingMerges` merges: a database broker."""

    path: Path

    def commit_pending(self, timeout: float | None = None) -> int:
        """Merge the pending file; how many records."""
        ...


class GroupCommit:
    """Merges of the rows queued in one turn of the hub, in one transaction,
    before any of them is acknowledged: the first request that queued a row
    for a database yields once, so the requests ready in this turn queue
    theirs, then merges the pending file; they wait for that merge. A storm
    of updates costs one transaction a turn, and an acknowledged row is in
    the database file (not only in the pending file) unless the merge found
    the database locked: then it tries once, and the rows wait for the next
    read or merge.

    Only in a green process (a server under the launcher); otherwise rows are
    merged at reads and past the size cap.
    """

    def __init__(self, *, green: Callable[[], bool] = concurrency.green,
                 pause: Callable[[float], None] = concurrency.sleep,
                 signal: Callable[[], concurrency.Signal] = concurrency.Signal) -> None:
        self._green = green
        self._pause = pause
        self._signal = signal
        self._open: dict[Path, concurrency.Signal] = {}

    def __len__(self) -> int:
        return len(self._open)

    def after_append(self, db: Mergeable) -> None:
        """Wait until a merge that began after this request's append is done."""
        if not self._green():
            return
        batch = self._open.get(db.path)
        if batch is not None:
            batch.wait()
            return
        batch = self._open[db.path] = self._signal()
        try:
            self._pause(0)                        # the other requests of this turn append
        finally:
            del self._open[db.path]
        try:
            db.commit_pending(0)
        except (DatabaseLockedError, DatabaseNotFoundError, DatabaseCorruptError, OSError) as err:
            logger.debug('merge of %s put off: %s', db.path, err)
        finally:
            batch.send()

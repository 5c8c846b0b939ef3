"""Per-partition suffix hashes for replication, kept in ``hashes.json``
(JSON, never pickle). Writes append the suffix they touched to
``hashes.invalid``; a read recomputes those suffixes. Both files are
changed only under the partition's lock, an flock on ``<part>/.lock``.

The lock is taken with a timeout and a green retry (never a blocking
flock, which would stall every green thread of the server), and held only
briefly: a rehash takes the invalidations under the lock, computes the
hashes without it (in a thread, see concurrency.offload), and saves them
under the lock again unless another rehash saved meanwhile."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

from swiftlike.common import concurrency
from swiftlike.common.exceptions import LockTimeoutError

HASHES: Final = 'hashes.json'
INVALID: Final = 'hashes.invalid'
LOCK: Final = '.lock'
#: Seconds a write or rehash waits for a partition's lock before giving up (503).
LOCK_TIMEOUT: Final = 10.0
#: Longest green sleep between two attempts to take a lock.
LOCK_RETRY_MAX: Final = 0.05

#: Lists a hash directory after cleaning it up; returns the file names kept.
CleanHashDir = Callable[[Path], list[str]]


@contextmanager
def partition_lock(part_dir: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold the partition's lock (an flock on ``<part>/.lock``), waiting up to
    ``timeout`` seconds for it: non-blocking attempts with a short green sleep
    (1 ms, doubling up to LOCK_RETRY_MAX) between them.

    :raises LockTimeoutError: if it is still held elsewhere after ``timeout``
    """
    part_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(part_dir / LOCK, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        _acquire(fd, part_dir, timeout)
        yield
    finally:
        os.close(fd)


def _acquire(fd: int, part_dir: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    delay = 0.001
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            left = deadline - time.monotonic()
            if left <= 0:
                raise LockTimeoutError(f'{part_dir}: lock still held after {timeout:g}s') from None
            concurrency.sleep(min(delay, left))
            delay = min(2 * delay, LOCK_RETRY_MAX)


def invalidate_locked(part_dir: Path, suffixes: Iterator[str] | list[str]) -> None:
    """Note that ``suffixes`` changed; the caller holds the partition's lock."""
    with open(part_dir / INVALID, 'a', encoding='ascii') as fh:
        fh.write(''.join(suffix + '\n' for suffix in suffixes))


def invalidate(part_dir: Path, suffix: str, timeout: float = LOCK_TIMEOUT) -> None:
    """Note that ``suffix`` changed.

    :raises LockTimeoutError: see :func:`partition_lock`
    """
    with partition_lock(part_dir, timeout):
        invalidate_locked(part_dir, [suffix])


def suffix_hash(suffix_dir: Path, clean: CleanHashDir, empty: list[Path]) -> str | None:
    """md5 over the suffix's hash directories and their files, or None if
    empty. Empty hash dirs (and the suffix dir, if all are) go in ``empty``."""
    md5 = hashlib.md5(usedforsecurity=False)
    found = False
    try:
        hash_dirs = sorted(os.listdir(suffix_dir))
    except (FileNotFoundError, NotADirectoryError):
        return None
    for name in hash_dirs:
        kept = clean(suffix_dir / name)
        if kept:
            found = True
            md5.update(name.encode('ascii', 'replace'))
            for file_name in sorted(kept):
                md5.update(file_name.encode('ascii', 'replace'))
        else:
            empty.append(suffix_dir / name)
    if not found:
        empty.append(suffix_dir)
        return None
    return md5.hexdigest()


def remove_empty_dirs(dirs: list[Path]) -> None:
    """rmdir each of ``dirs`` still empty; under the partition's lock, so a
    write (which retries under it) never finds its new dir gone."""
    for path in dirs:
        try:
            path.rmdir()
        except OSError:
            pass


def _load(path: Path) -> dict[str, str | None]:
    try:
        data = json.loads(path.read_text())
        return {str(k): (str(v) if v else None) for k, v in data.items()}
    except (FileNotFoundError, ValueError, AttributeError):
        return {}


def _version(part_dir: Path) -> tuple[int, int] | None:
    """Which save of ``hashes.json`` is on disk (a save replaces the file)."""
    try:
        st = os.stat(part_dir / HASHES)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def _save(part_dir: Path, hashes: dict[str, str | None]) -> None:
    tmp = part_dir / (HASHES + '.tmp')
    tmp.write_text(json.dumps(hashes, sort_keys=True))
    os.replace(tmp, part_dir / HASHES)


def _consolidate(part_dir: Path) -> tuple[dict[str, str | None], tuple[int, int] | None]:
    """Move ``hashes.invalid`` into ``hashes.json`` (as suffixes to recompute);
    under the lock. The hashes, and which save of the file holds them."""
    stored = _load(part_dir / HASHES)
    try:
        stale = set((part_dir / INVALID).read_text().split())
    except FileNotFoundError:
        stale = set()
    if stale:
        stored.update(dict.fromkeys(stale))
        _save(part_dir, stored)
        (part_dir / INVALID).unlink()
    return stored, _version(part_dir)


def _compute(part_dir: Path, stored: dict[str, str | None], recalculate: list[str],
             clean: CleanHashDir, empty: list[Path]) -> dict[str, str]:
    """The hashes of every suffix on disk: the stored ones, and the rest (unknown,
    invalidated or asked for) recomputed. No lock: it may run long, in a thread;
    so it leaves the empty dirs it finds in ``empty``, for removal under the lock."""
    hashes = dict(stored)
    with os.scandir(part_dir) as entries:
        on_disk = {e.name for e in entries if len(e.name) == 3 and e.is_dir()}
    for suffix in on_disk - set(hashes):
        hashes[suffix] = None
    hashes.update(dict.fromkeys(recalculate))
    for suffix, value in list(hashes.items()):
        if value is None:
            hashes[suffix] = suffix_hash(part_dir / suffix, clean, empty)
    return {k: v for k, v in hashes.items() if v}


def get_hashes(part_dir: Path, recalculate: list[str], clean: CleanHashDir,
               timeout: float = LOCK_TIMEOUT) -> dict[str, str]:
    """The partition's suffix hashes, recomputing invalidated and requested ones.

    A write during the computation leaves its invalidation in
    ``hashes.invalid`` for the next call; if another call saved hashes
    meanwhile, this one's are returned but not saved.

    :raises LockTimeoutError: see :func:`partition_lock`
    """
    with partition_lock(part_dir, timeout):
        stored, version = _consolidate(part_dir)
    empty: list[Path] = []
    result = concurrency.offload(_compute, part_dir, stored, recalculate, clean, empty)
    if result != stored or empty:
        with partition_lock(part_dir, timeout):
            remove_empty_dirs(empty)
            if result != stored and _version(part_dir) == version:
                _save(part_dir, dict(result))
    return result

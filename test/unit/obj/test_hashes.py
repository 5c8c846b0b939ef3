"""Partition locks and suffix hashes: a lock held elsewhere is waited for with
a timeout (never a blocking flock), and a rehash holds the lock only briefly,
so a write during it is neither blocked nor forgotten."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from swiftlike.common import concurrency
from swiftlike.common.exceptions import LockTimeoutError
from swiftlike.obj import hashes


def _hold(part_dir: Path) -> int:
    """Take the partition's lock on a file description of our own (as another process would)."""
    part_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(part_dir / hashes.LOCK, os.O_CREAT | os.O_WRONLY, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    return fd


def test_a_held_lock_times_out_with_a_domain_error(tmp_path):
    fd = _hold(tmp_path / '7')
    try:
        with pytest.raises(LockTimeoutError, match='lock still held'):
            with hashes.partition_lock(tmp_path / '7', timeout=0):
                pass
        with pytest.raises(LockTimeoutError):
            hashes.invalidate(tmp_path / '7', 'abc', timeout=0.01)
    finally:
        os.close(fd)
    assert not (tmp_path / '7' / hashes.INVALID).exists()


def test_a_released_lock_is_taken(tmp_path):
    os.close(_hold(tmp_path / '7'))
    hashes.invalidate(tmp_path / '7', 'abc', timeout=0)
    assert (tmp_path / '7' / hashes.INVALID).read_text() == 'abc\n'


def _suffix_dir(part_dir: Path, suffix: str, files: dict[str, list[str]]) -> None:
    for name_hash, names in files.items():
        (part_dir / suffix / name_hash).mkdir(parents=True, exist_ok=True)
        for name in names:
            (part_dir / suffix / name_hash / name).touch()


def _listing(path: Path) -> list[str]:
    return sorted(os.listdir(path)) if path.is_dir() else []


def test_a_write_during_a_rehash_is_not_blocked_and_not_forgotten(tmp_path):
    """The clean callback runs during the computation, outside the lock: a
    write there (invalidate takes the lock) neither deadlocks nor is lost."""
    part = tmp_path / '7'
    _suffix_dir(part, 'abc', {'0' * 29 + 'abc': ['1.00000.data']})
    written = []

    def clean_and_write(hash_dir: Path) -> list[str]:
        if not written:
            _suffix_dir(part, 'abc', {'1' * 29 + 'abc': ['2.00000.data']})
            hashes.invalidate(part, 'abc', timeout=0)
            written.append(True)
        return _listing(hash_dir)
    first = hashes.get_hashes(part, [], clean_and_write, timeout=0)
    assert (part / hashes.INVALID).read_text() == 'abc\n'         # left for the next call
    second = hashes.get_hashes(part, [], _listing, timeout=0)
    assert first['abc'] != second['abc']
    assert second == hashes.get_hashes(part, ['abc'], _listing, timeout=0)


def test_empty_dirs_are_removed_under_the_lock(tmp_path):
    part = tmp_path / '7'
    _suffix_dir(part, 'abc', {'0' * 29 + 'abc': []})
    _suffix_dir(part, 'def', {'0' * 29 + 'def': ['1.00000.ts'], '1' * 29 + 'def': []})
    result = hashes.get_hashes(part, [], _listing, timeout=0)
    assert list(result) == ['def']
    assert not (part / 'abc').exists() and _listing(part / 'def') == ['0' * 29 + 'def']


def test_a_rehash_waits_for_the_lock_and_gives_up(tmp_path):
    part = tmp_path / '7'
    _suffix_dir(part, 'abc', {'0' * 29 + 'abc': ['1.00000.data']})
    fd = _hold(part)
    try:
        with pytest.raises(LockTimeoutError):
            hashes.get_hashes(part, [], _listing, timeout=0.01)
    finally:
        os.close(fd)


def test_offload_returns_and_raises_what_the_call_does():
    assert concurrency.offload(divmod, 7, 2) == (3, 1)
    with pytest.raises(ZeroDivisionError):
        concurrency.offload(divmod, 1, 0)


def test_a_write_to_a_locked_partition_fails_with_lock_timeout(tmp_path):
    """What the object server answers 503 for: the data is in place, but its
    suffix could not be marked for replication within the store's lock_timeout."""
    from swiftlike.common.timestamp import Timestamp
    from swiftlike.obj.diskfile import ObjectName
    from swiftlike.obj.fs_diskfile import FsObjectStore
    (tmp_path / 'sda').mkdir()
    store = FsObjectStore(tmp_path, mount_check=False, hash_prefix=b'', hash_suffix=b's', fsync=False,
                          lock_timeout=0.01)
    df = store.diskfile(ObjectName('sda', 7, 'a', 'c', 'o'))
    fd = _hold(tmp_path / 'sda' / 'objects' / '7')
    stamp = Timestamp.now()
    try:
        with pytest.raises(LockTimeoutError):
            df.delete(stamp)
    finally:
        os.close(fd)
    assert df.newest_timestamp() == stamp

"""Raced opens leak no file descriptor: whatever fails after a file of an
object is opened (the .meta vanished between listing and opening, a corrupt
.meta, metadata that cannot be merged, a failed preallocation), every fd
opened is closed. Counted in /proc/self/fd."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from swiftlike.common.exceptions import DeviceUnavailableError, DiskFileNotExistError
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj import layout, metadata
from swiftlike.obj.diskfile import ObjectName
from swiftlike.obj.fs_diskfile import FsDiskFile, FsObjectStore

NAME = ObjectName('sda', 1, 'AUTH_a', 'c', 'o')
PROC_FD = Path('/proc/self/fd')

pytestmark = pytest.mark.skipif(not PROC_FD.is_dir(), reason='needs /proc/self/fd')


def open_fds() -> int:
    return len(os.listdir(PROC_FD))


@pytest.fixture
def store(tmp_path):
    (tmp_path / 'sda').mkdir()
    return FsObjectStore(tmp_path, mount_check=False, hash_prefix=b'', hash_suffix=b's', fsync=False)


def _put_with_meta(store: FsObjectStore) -> FsDiskFile:
    df = store.diskfile(NAME)
    with df.writer() as writer:
        writer.write(b'body')
        writer.put({'X-Timestamp': Timestamp(1.0).internal, 'Content-Length': '4'})
    df.write_metadata({'X-Timestamp': Timestamp(2.0).internal, 'X-Object-Meta-A': 'b'})
    return df


def test_a_meta_vanishing_between_listing_and_open_leaks_nothing(store, monkeypatch):
    df = _put_with_meta(store)
    real = layout.read_state(os.listdir(df.hash_dir))
    gone = layout.HashDirState(data=real.data, meta='1.50000.meta')    # listed, then replaced
    monkeypatch.setattr(FsDiskFile, '_state', lambda self: gone)
    before = open_fds()
    for _ in range(20):
        with pytest.raises(DiskFileNotExistError):
            df.open(3.0)
    assert open_fds() == before


def test_a_meta_replaced_once_is_looked_up_again(store, monkeypatch):
    df = _put_with_meta(store)
    real = layout.read_state(os.listdir(df.hash_dir))
    states = iter([layout.HashDirState(data=real.data, meta='1.50000.meta'), real])
    monkeypatch.setattr(FsDiskFile, '_state', lambda self: next(states))
    before = open_fds()
    reader = df.open(3.0)
    assert reader.metadata['X-Object-Meta-A'] == 'b'
    reader.close()
    assert open_fds() == before


@pytest.mark.parametrize('failure', [OSError(errno.EIO, 'bad disk'), KeyError('X-Timestamp')])
def test_a_failing_meta_read_leaks_nothing(store, monkeypatch, failure):
    df = _put_with_meta(store)
    real_read = metadata.read
    calls = []

    def read(fd: int) -> tuple[dict[str, str], int]:
        calls.append(fd)
        if len(calls) % 2 == 0:             # the .meta, after the .data was opened
            raise failure
        return real_read(fd)
    monkeypatch.setattr(metadata, 'read', read)
    before = open_fds()
    for _ in range(10):
        with pytest.raises((DeviceUnavailableError, KeyError)):
            df.open(3.0)
    assert open_fds() == before


def test_data_without_a_timestamp_leaks_nothing(store, monkeypatch):
    df = _put_with_meta(store)
    real_read = metadata.read

    def read(fd: int) -> tuple[dict[str, str], int]:
        meta, length = real_read(fd)
        meta.pop('X-Timestamp')
        return meta, length
    monkeypatch.setattr(metadata, 'read', read)
    before = open_fds()
    for _ in range(10):
        with pytest.raises(KeyError):
            df.open(3.0)
    assert open_fds() == before


def test_a_failed_preallocation_leaks_nothing(store, monkeypatch):
    def no_space(fd: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, 'full')
    monkeypatch.setattr(os, 'posix_fallocate', no_space)
    before = open_fds()
    for _ in range(10):
        with pytest.raises(DeviceUnavailableError):
            with store.diskfile(NAME).writer(1000):
                pass
    assert open_fds() == before
    assert not list((store.devices / 'sda' / 'tmp').iterdir())

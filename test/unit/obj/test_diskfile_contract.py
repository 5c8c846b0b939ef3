"""One contract for every ObjectStore: files with xattrs, and memory."""

from __future__ import annotations

import os

import pytest

from swiftlike.common.exceptions import (
    DeviceUnavailableError,
    DiskFileDeletedError,
    DiskFileExpiredError,
    DiskFileNotExistError,
)
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj.diskfile import ObjectName
from swiftlike.obj.fs_diskfile import FsObjectStore
from swiftlike.obj.mem_diskfile import MemObjectStore

NAME = ObjectName('sda', 5, 'AUTH_a', 'c', 'o \u2603')


@pytest.fixture(params=['fs', 'mem'])
def store(request, tmp_path):
    if request.param == 'mem':
        return MemObjectStore(('sda',), clock=lambda: 2e9)
    (tmp_path / 'sda').mkdir()
    return FsObjectStore(tmp_path, mount_check=False, hash_prefix=b'p', hash_suffix=b's',
                         clock=lambda: 2e9)


def meta(ts: float, **extra: str) -> dict[str, str]:
    return {'X-Timestamp': Timestamp(ts).internal, 'name': NAME.path, 'Content-Type': 'a/b',
            'ETag': 'x', **extra}


def write(store, body: bytes, ts: float, **extra: str) -> None:
    with store.diskfile(NAME).writer(len(body)) as writer:
        for offset in range(0, len(body), 3):
            writer.write(body[offset:offset + 3])
        writer.put(meta(ts, **{'Content-Length': str(len(body)), **extra}))


def read(store, now: float = 2e9) -> tuple[bytes, dict[str, str]]:
    reader = store.diskfile(NAME).open(now)
    try:
        return b''.join(reader.iter_range(0, reader.content_length, 4)), reader.metadata
    finally:
        reader.close()


def test_old_tombstones_are_reclaimed(tmp_path):
    (tmp_path / 'sda').mkdir()
    store = FsObjectStore(tmp_path, mount_check=False, hash_prefix=b'p', hash_suffix=b's',
                          reclaim_age=3600, clock=lambda: 2e9)
    write(store, b'x', 1e9)
    store.diskfile(NAME).delete(Timestamp(1.1e9))
    assert not list(tmp_path.rglob('*.ts')) and not list(tmp_path.rglob('*.data'))


def test_missing(store):
    with pytest.raises(DiskFileNotExistError):
        store.diskfile(NAME).open(2e9)
    assert store.diskfile(NAME).newest_timestamp() is None


def test_write_then_read(store):
    write(store, b'hello world', 1e9, **{'X-Object-Meta-A': 'b'})
    body, metadata = read(store)
    assert body == b'hello world' and metadata['X-Object-Meta-A'] == 'b'
    reader = store.diskfile(NAME).open(2e9)
    assert b''.join(reader.iter_range(6, 9)) == b'wor' and reader.data_timestamp == Timestamp(1e9)
    reader.close()


def test_unfinished_writer_leaves_nothing(store):
    with store.diskfile(NAME).writer() as writer:
        writer.write(b'partial')
    with pytest.raises(DiskFileNotExistError):
        store.diskfile(NAME).open(2e9)


def test_newest_wins_and_tombstones(store):
    write(store, b'one', 1.9995e9)
    write(store, b'two', 1.9996e9)
    assert read(store)[0] == b'two'
    store.diskfile(NAME).delete(Timestamp(1.9997e9))      # within reclaim_age of the clock (2e9)
    with pytest.raises(DiskFileDeletedError) as err:
        store.diskfile(NAME).open(2e9)
    assert err.value.timestamp == Timestamp(1.9997e9)
    assert store.diskfile(NAME).newest_timestamp() == Timestamp(1.9997e9)
    write(store, b'three', 1.9998e9)
    assert read(store)[0] == b'three'


def test_post_metadata_replaces_user_metadata(store):
    write(store, b'x', 1e9, **{'X-Object-Meta-A': '1'})
    store.diskfile(NAME).write_metadata({'X-Timestamp': Timestamp(1.1e9).internal, 'X-Object-Meta-B': '2'})
    _, metadata = read(store)
    assert 'X-Object-Meta-A' not in metadata and metadata['X-Object-Meta-B'] == '2'
    assert metadata['Content-Length'] == '1' and metadata['X-Timestamp'] == Timestamp(1.1e9).internal
    store.diskfile(NAME).delete(Timestamp(1.2e9))
    with pytest.raises(DiskFileNotExistError):
        store.diskfile(NAME).write_metadata({'X-Timestamp': Timestamp(1.3e9).internal})


def test_expired(store):
    write(store, b'x', 1e9, **{'X-Delete-At': '1500000000'})
    assert read(store, now=1.4e9)[0] == b'x'
    with pytest.raises(DiskFileExpiredError):
        store.diskfile(NAME).open(1.6e9)


def test_large_metadata(store):
    big = {f'X-Object-Meta-{i:02d}': 'v' * 40 for i in range(90)}
    write(store, b'body', 1e9, **big)
    body, metadata = read(store)
    assert body == b'body' and all(metadata[k] == v for k, v in big.items())


def test_unknown_device(store):
    with pytest.raises(DeviceUnavailableError):
        store.diskfile(ObjectName('nodev', 1, 'a', 'c', 'o'))


def test_suffix_hashes_change_with_writes(store):
    write(store, b'x', 1e9)
    first = store.suffix_hashes('sda', 5, [])
    assert len(first) == 1
    write(store, b'y', 1.1e9)
    second = store.suffix_hashes('sda', 5, [])
    assert second.keys() == first.keys() and second != first
    assert store.suffix_hashes('sda', 6, []) == {}


def test_fs_quarantines_a_file_without_metadata(tmp_path):
    (tmp_path / 'sda').mkdir()
    store = FsObjectStore(tmp_path, mount_check=False, hash_prefix=b'p', hash_suffix=b's')
    write(store, b'body', 1e9)
    data = next(tmp_path.rglob('*.data'))
    os.removexattr(data, 'user.swiftlike.meta')
    with pytest.raises(DiskFileNotExistError):
        store.diskfile(NAME).open(2e9)
    assert list((tmp_path / 'sda' / 'quarantined' / 'objects').iterdir())


def test_fs_quarantines_a_truncated_body(tmp_path):
    (tmp_path / 'sda').mkdir()
    store = FsObjectStore(tmp_path, mount_check=False, hash_prefix=b'p', hash_suffix=b's')
    write(store, b'body' * 1000, 1e9)
    data = next(tmp_path.rglob('*.data'))
    os.truncate(data, 100)
    with pytest.raises(DiskFileNotExistError):
        store.diskfile(NAME).open(2e9)
    assert not data.exists()

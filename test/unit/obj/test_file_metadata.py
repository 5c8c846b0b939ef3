"""Every file a store writes for an object (.data, .meta, .ts) carries what
replication sends it with: the object's name and its X-Timestamp, whatever
the caller passed (an object POST passes neither name nor the data's keys)."""

from __future__ import annotations

import os
import time

import pytest

from swiftlike.common.timestamp import Timestamp
from swiftlike.obj import layout, metadata
from swiftlike.obj.diskfile import ObjectName
from swiftlike.obj.fs_diskfile import FsObjectStore
from swiftlike.obj.mem_diskfile import MemObjectStore

NAME = ObjectName('sda', 5, 'AUTH_a', 'c', 'o/with \u2603')


@pytest.fixture(params=['fs', 'mem'])
def store(request, tmp_path):
    if request.param == 'mem':
        return MemObjectStore(('sda',))
    (tmp_path / 'sda').mkdir()
    return FsObjectStore(tmp_path, mount_check=False, hash_prefix=b'p', hash_suffix=b's', fsync=False)


def stored(store) -> dict[str, dict[str, str]]:
    """The metadata of each file of NAME, by extension."""
    df = store.diskfile(NAME)
    if isinstance(store, MemObjectStore):
        return {os.path.splitext(n)[1]: meta for n, (_, meta) in df.versions.files.items()}
    found = {}
    for path in df.hash_dir.iterdir() if df.hash_dir.exists() else []:
        fd = os.open(path, os.O_RDONLY)
        try:
            found[path.suffix] = metadata.read(fd)[0]
        finally:
            os.close(fd)
    return found


def test_data_meta_and_tombstone_all_name_their_object(store):
    now = time.time()                       # tombstones older than reclaim_age go at once
    df = store.diskfile(NAME)
    with df.writer(1) as writer:
        writer.write(b'x')
        writer.put({'X-Timestamp': Timestamp(now + 1).internal, 'Content-Length': '1', 'ETag': 'e'})
    df.write_metadata({'X-Timestamp': Timestamp(now + 2).internal, 'X-Object-Meta-A': 'b'})
    files = stored(store)
    assert sorted(files) == ['.data', '.meta']
    assert files['.meta'] == {'X-Timestamp': Timestamp(now + 2).internal, 'X-Object-Meta-A': 'b',
                              'name': '/AUTH_a/c/o/with \u2603'}
    assert files['.data']['name'] == NAME.path
    df.delete(Timestamp(now + 3))
    assert stored(store) == {'.ts': {'X-Timestamp': Timestamp(now + 3).internal, 'name': NAME.path}}


def test_a_write_without_a_timestamp_is_refused(store):
    with pytest.raises(ValueError, match='X-Timestamp'):
        with store.diskfile(NAME).writer(0) as writer:
            writer.put({'Content-Length': '0'})
    assert stored(store) == {}


def test_file_metadata_keeps_the_callers_keys_and_sets_the_name():
    assert layout.file_metadata({'X-Timestamp': '1.00000', 'name': '/wrong'}, '/a/c/o') == \
        {'X-Timestamp': '1.00000', 'name': '/a/c/o'}

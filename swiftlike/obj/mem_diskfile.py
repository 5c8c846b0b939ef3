"""Objects in memory: the same contract as fs_diskfile, for tests and for
reasoning about the server without a disk. Not durable, not shared
between processes."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from swiftlike.common.exceptions import (
    DeviceUnavailableError,
)
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj import layout
from swiftlike.obj.diskfile import ObjectName
from swiftlike.obj.fs_diskfile import merge_post


@dataclass
class _Versions:
    files: dict[str, tuple[bytes, dict[str, str]]] = field(default_factory=dict)


class MemReader:
    """An object held in memory."""

    def __init__(self, body: bytes, meta: dict[str, str]) -> None:
        self._body = body
        self.metadata = meta
        self.data_timestamp = Timestamp(meta['X-Timestamp'])
        self.content_length = len(body)

    def iter_range(self, start: int, stop: int, chunk_size: int = 65536) -> Iterator[bytes]:
        """Yield ``[start, stop)`` of the body."""
        for offset in range(start, stop, chunk_size):
            yield self._body[offset:min(stop, offset + chunk_size)]

    def close(self) -> None:
        """Nothing to release."""


class MemWriter:
    """Collects a body; put() publishes it."""

    def __init__(self, diskfile: MemDiskFile, ext: str) -> None:
        self._df = diskfile
        self._ext = ext
        self._chunks: list[bytes] = []
        self.bytes_written = 0

    def write(self, chunk: bytes) -> int:
        """Append to the body."""
        self._chunks.append(bytes(chunk))
        self.bytes_written += len(chunk)
        return self.bytes_written

    def put(self, meta: Mapping[str, str]) -> None:
        """Publish under ``meta['X-Timestamp']`` (with the object's name, see
        layout.file_metadata) and drop what it supersedes."""
        stored = layout.file_metadata(meta, self._df.name.path)
        name = Timestamp(stored['X-Timestamp']).internal + self._ext
        versions = self._df.versions
        versions.files[name] = (b''.join(self._chunks), stored)
        state = layout.read_state(list(versions.files))
        for old in state.obsolete:
            versions.files.pop(old, None)


class MemDiskFile:
    """One object's versions in memory."""

    def __init__(self, versions: _Versions, name: ObjectName) -> None:
        self.versions = versions
        self.name = name

    def newest_timestamp(self) -> Timestamp | None:
        """Timestamp of the newest data or tombstone."""
        return layout.read_state(list(self.versions.files)).timestamp

    def open(self, now: float) -> MemReader:
        """Open the newest data (see DiskFile.open)."""
        state = layout.read_state(list(self.versions.files))
        body, meta = self.versions.files[layout.live_data(state)]
        if state.meta:
            meta = merge_post(meta, self.versions.files[state.meta][1])
        layout.check_delete_at(meta, now)
        return MemReader(body, dict(meta))

    @contextmanager
    def writer(self, size: int | None = None, ext: str = layout.DATA) -> Iterator[MemWriter]:
        """A writer; nothing is kept unless put() is called."""
        yield MemWriter(self, ext)

    def write_metadata(self, meta: Mapping[str, str]) -> None:
        """Store a .meta."""
        layout.live_data(layout.read_state(list(self.versions.files)))
        with self.writer(ext=layout.META) as writer:
            writer.put(meta)

    def delete(self, timestamp: Timestamp) -> None:
        """Store a tombstone."""
        with self.writer(ext=layout.TOMBSTONE) as writer:
            writer.put({'X-Timestamp': timestamp.internal})

    def quarantine(self) -> None:
        """Forget every version (a memory store has nowhere to move them)."""
        self.versions.files.clear()


class MemObjectStore:
    """Objects of named devices, in memory."""

    def __init__(self, devices: tuple[str, ...] = ('sda',), *,
                 clock: Callable[[], float] = time.time) -> None:
        self.devices = set(devices)
        self.clock = clock
        self._objects: dict[tuple[str, int, str], _Versions] = {}

    def diskfile(self, name: ObjectName) -> MemDiskFile:
        """See ObjectStore.diskfile."""
        if name.device not in self.devices:
            raise DeviceUnavailableError(f'no device {name.device!r}')
        key = (name.device, name.partition, name.path)
        return MemDiskFile(self._objects.setdefault(key, _Versions()), name)

    def _partition(self, device: str, partition: int) -> Iterator[tuple[str, list[str]]]:
        """(name hash, file names) of a partition's objects, by name hash."""
        if device not in self.devices:
            raise DeviceUnavailableError(f'no device {device!r}')
        found = [(hashlib.md5(path.encode('utf-8'), usedforsecurity=False).hexdigest(), sorted(v.files))
                 for (dev, part, path), v in self._objects.items()
                 if dev == device and part == partition and v.files]
        return iter(sorted(found))

    def suffix_hashes(self, device: str, partition: int, recalculate: list[str]) -> dict[str, str]:
        """md5 of each suffix's object names and file names."""
        by_suffix: dict[str, hashlib._Hash] = {}
        for name_hash, files in self._partition(device, partition):
            md5 = by_suffix.setdefault(layout.suffix_of(name_hash), hashlib.md5(usedforsecurity=False))
            md5.update(name_hash.encode() + ''.join(files).encode())
        return {suffix: md5.hexdigest() for suffix, md5 in by_suffix.items()}

    def suffix_files(self, device: str, partition: int, suffixes: list[str]) -> dict[str, list[str]]:
        """See ObjectStore.suffix_files."""
        return {h: files for h, files in self._partition(device, partition)
                if layout.suffix_of(h) in suffixes}

"""The object storage contract. ``FsObjectStore`` (fs_diskfile) keeps objects
in files with xattrs; ``MemObjectStore`` (mem_diskfile) in memory, for tests.
Both pass test/unit/obj/test_diskfile_contract.py. No HTTP here."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from swiftlike.common.timestamp import Timestamp


@dataclass(frozen=True, slots=True)
class ObjectName:
    """Where an object lives: device, partition and its account/container/object name."""

    device: str
    partition: int
    account: str
    container: str
    obj: str

    @property
    def path(self) -> str:
        """``/account/container/object``, the ``name`` stored in metadata."""
        return f'/{self.account}/{self.container}/{self.obj}'


class ObjectReader(Protocol):
    """An open object: its metadata, and its body by byte ranges."""

    metadata: dict[str, str]    #: data metadata with any newer .meta applied
    data_timestamp: Timestamp   #: the X-Timestamp of the data
    content_length: int

    def iter_range(self, start: int, stop: int, chunk_size: int = 65536) -> Iterator[bytes]:
        """Yield the body's bytes ``[start, stop)``."""
        ...

    def close(self) -> None:
        """Release the file."""
        ...


class ObjectWriter(Protocol):
    """A body being written; nothing is visible until :meth:`put`."""

    def write(self, chunk: bytes) -> int:
        """Append to the body; returns the bytes written so far."""
        ...

    def put(self, metadata: Mapping[str, str]) -> None:
        """Make the object durable and visible under ``metadata['X-Timestamp']``."""
        ...


class DiskFile(Protocol):
    """One object name on one device."""

    def open(self, now: float) -> ObjectReader:
        """Open the newest version.

        :raises DiskFileNotExistError: (or its Deleted/Expired subclasses)
        :raises DeviceUnavailableError: the device cannot be read
        """
        ...

    def newest_timestamp(self) -> Timestamp | None:
        """Timestamp of the newest data or tombstone, if any."""
        ...

    def writer(self, size: int | None = None) -> AbstractContextManager[ObjectWriter]:
        """A writer whose leftovers are removed if the block exits without put().

        :raises DeviceUnavailableError: (or DiskFileNoSpaceError)
        """
        ...

    def write_metadata(self, metadata: Mapping[str, str]) -> None:
        """Store a .meta (POST) at ``metadata['X-Timestamp']``.

        :raises DiskFileNotExistError: there is no data to annotate
        """
        ...

    def delete(self, timestamp: Timestamp) -> None:
        """Write a tombstone at ``timestamp``."""
        ...

    def quarantine(self) -> None:
        """Move the object's files aside (found corrupt), so replication restores a good copy."""
        ...


class ObjectStore(Protocol):
    """All objects of a node's devices."""

    def diskfile(self, name: ObjectName) -> DiskFile:
        """The object at ``name``.

        :raises DeviceUnavailableError: the device is missing or not mounted
        """
        ...

    def suffix_hashes(self, device: str, partition: int, recalculate: list[str]) -> dict[str, str]:
        """Hashes of a partition's suffixes (for replication), recalculating
        the given suffixes and any invalidated by writes."""
        ...

    def suffix_files(self, device: str, partition: int, suffixes: list[str]) -> dict[str, list[str]]:
        """The file names of each object (by name hash) in ``suffixes``
        of a partition, after removing obsolete files."""
        ...

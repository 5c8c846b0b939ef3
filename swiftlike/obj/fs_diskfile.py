"""Objects in files: the body in ``<timestamp>.data``, metadata in an xattr
(or a trailer; see swiftlike.obj.metadata). A write goes to the device's
``tmp/``, is fsync'd, renamed into its hash directory, and the directory
fsync'd: a crash leaves either the whole new file or nothing visible."""

from __future__ import annotations

import errno
import os
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, TypeVar

from swiftlike.common import concurrency
from swiftlike.common.exceptions import (
    DeviceUnavailableError,
    DiskFileNoSpaceError,
    DiskFileNotExistError,
)
from swiftlike.common.quarantine import move_aside
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj import hashes, layout, metadata
from swiftlike.obj.diskfile import ObjectName

T = TypeVar('T')
#: Attempts to open an object whose files are replaced while it is opened.
OPEN_TRIES: Final = 3


class _VanishedError(DiskFileNotExistError):
    """A file listed in the hash dir was gone when opened (a newer one replaced it)."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _call(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)


def _makedirs_durably(path: Path, stop: Path) -> None:
    """mkdir -p, fsyncing the parent of every directory created (up to ``stop``)."""
    missing = []
    while not path.exists() and path != stop:
        missing.append(path)
        path = path.parent
    for directory in reversed(missing):
        try:
            directory.mkdir()
        except FileExistsError:
            continue
        _fsync_dir(directory.parent)


def _device_error(err: OSError, what: str) -> DeviceUnavailableError:
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFileNoSpaceError(f'{what}: {err}')
    return DeviceUnavailableError(f'{what}: {err}')


class FsReader:
    """An open .data file."""

    def __init__(self, fd: int, meta: dict[str, str], body_length: int) -> None:
        self._fd = fd
        self.metadata = meta
        self.data_timestamp = Timestamp(meta['X-Timestamp'])
        self.content_length = body_length

    def iter_range(self, start: int, stop: int, chunk_size: int = 65536) -> Iterator[bytes]:
        """Yield ``[start, stop)`` of the body."""
        position = start
        while position < stop:
            chunk = os.pread(self._fd, min(chunk_size, stop - position), position)
            if not chunk:
                raise OSError(errno.EIO, 'object file shorter than its metadata says')
            position += len(chunk)
            yield chunk

    def close(self) -> None:
        """Close the file (idempotent)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


class FsWriter:
    """A temp file in the device's tmp dir, renamed into place by put()."""

    def __init__(self, diskfile: FsDiskFile, fd: int, tmp_path: Path, ext: str) -> None:
        self._df = diskfile
        self._fd = fd
        self._tmp = tmp_path
        self._ext = ext
        self.bytes_written = 0
        self.done = False
        self._synced = False

    def write(self, chunk: bytes) -> int:
        """Append ``chunk`` to the body."""
        try:
            view = memoryview(chunk)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
        except OSError as err:
            raise _device_error(err, 'write failed') from err
        self.bytes_written += len(chunk)
        return self.bytes_written

    def put(self, meta: Mapping[str, str]) -> None:
        """Attach metadata (with the object's name, see layout.file_metadata),
        fsync, rename into the hash dir, fsync the dir (in a thread, see
        concurrency.offload), then note the suffix changed.

        :raises LockTimeoutError: the partition's lock was held too long; the
            file is in place but its suffix not yet marked for replication
        """
        stored = layout.file_metadata(meta, self._df.name.path)
        timestamp = Timestamp(stored['X-Timestamp'])
        metadata.write(self._fd, stored, self.bytes_written)
        target = self._df.hash_dir / (timestamp.internal + self._ext)
        part_dir = self._df.hash_dir.parent.parent
        run = concurrency.offload if self._df.store.fsync else _call   # no fsync: nothing to wait for
        try:
            if not run(self._durable_rename, target, False):
                with hashes.partition_lock(part_dir, self._df.store.lock_timeout):
                    run(self._durable_rename, target, True)
        except OSError as err:
            raise _device_error(err, 'commit failed') from err
        self.done = True
        self._df.cleanup()
        hashes.invalidate(part_dir, self._df.hash_dir.parent.name, self._df.store.lock_timeout)

    def _durable_rename(self, target: Path, locked: bool) -> bool:
        """fsync, rename to ``target`` and fsync its dir: blocking calls, run in
        a thread. False if a dir on the way was removed meanwhile (an empty dir
        removed by a rehash or a handoff removal): then the caller tries again
        holding the partition's lock, under which alone they remove dirs."""
        if self._df.store.fsync and not self._synced:
            os.fsync(self._fd)
            self._synced = True
        try:
            _makedirs_durably(self._df.hash_dir, self._df.store.devices / self._df.name.device)
            os.rename(self._tmp, target)
        except FileNotFoundError:
            if locked or not self._tmp.exists():
                raise
            return False
        if self._df.store.fsync:
            _fsync_dir(self._df.hash_dir)
        return True

    def close(self) -> None:
        os.close(self._fd)
        if not self.done:
            self._tmp.unlink(missing_ok=True)


class FsDiskFile:
    """One object's hash directory on one device."""

    def __init__(self, store: FsObjectStore, name: ObjectName, hash_dir: Path) -> None:
        self.store = store
        self.name = name
        self.hash_dir = hash_dir

    def _state(self) -> layout.HashDirState:
        try:
            return layout.read_state(os.listdir(self.hash_dir))
        except FileNotFoundError:
            return layout.HashDirState()
        except OSError as err:
            raise _device_error(err, 'cannot list object') from err

    def newest_timestamp(self) -> Timestamp | None:
        """Timestamp of the newest data or tombstone."""
        return self._state().timestamp

    def open(self, now: float) -> FsReader:
        """Open the newest data, with any newer .meta applied (see DiskFile.open).
        A file replaced between listing and opening is looked up again."""
        for _ in range(OPEN_TRIES - 1):
            try:
                return self._open_state(self._state(), now)
            except _VanishedError:
                continue
        return self._open_state(self._state(), now)

    def _open_state(self, state: layout.HashDirState, now: float) -> FsReader:
        fd, meta, body_length = self._open_file(layout.live_data(state))
        try:                               # whatever fails from here on, the fd is closed
            if state.meta:
                meta = merge_post(meta, self._read_meta(state.meta))
            if str(body_length) != meta.get('Content-Length', str(body_length)):
                self.quarantine()
                raise DiskFileNotExistError()
            layout.check_delete_at(meta, now)
            return FsReader(fd, meta, body_length)
        except BaseException:
            os.close(fd)
            raise

    def _read_meta(self, file_name: str) -> dict[str, str]:
        fd, meta, _ = self._open_file(file_name)
        os.close(fd)
        return meta

    def _open_file(self, file_name: str) -> tuple[int, dict[str, str], int]:
        """(fd, metadata, body length) of one file; the fd is closed if anything fails."""
        try:
            fd = os.open(self.hash_dir / file_name, os.O_RDONLY)
        except FileNotFoundError:
            raise _VanishedError() from None
        except OSError as err:
            raise _device_error(err, 'cannot open object') from err
        try:
            meta, body_length = metadata.read(fd)
        except metadata.MetadataError:
            os.close(fd)
            self.quarantine()
            raise DiskFileNotExistError() from None
        except OSError as err:
            os.close(fd)
            raise _device_error(err, 'cannot read metadata') from err
        except BaseException:
            os.close(fd)
            raise
        return fd, meta, body_length

    @contextmanager
    def writer(self, size: int | None = None, ext: str = layout.DATA) -> Iterator[FsWriter]:
        """A writer for a new .data (or .ts / .meta) file."""
        tmp_dir = self.store.devices / self.name.device / 'tmp'
        try:
            tmp_dir.mkdir(exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=tmp_dir, prefix='.tmp-')
        except OSError as err:
            raise _device_error(err, 'cannot create object') from err
        writer = FsWriter(self, fd, Path(tmp), ext)
        try:
            if size:
                try:
                    os.posix_fallocate(fd, 0, size)
                except OSError as err:
                    raise _device_error(err, 'cannot create object') from err
            yield writer
        finally:
            writer.close()

    def write_metadata(self, meta: Mapping[str, str]) -> None:
        """Write a .meta (POST)."""
        layout.live_data(self._state())
        with self.writer(ext=layout.META) as writer:
            writer.put(meta)

    def delete(self, timestamp: Timestamp) -> None:
        """Write a tombstone."""
        with self.writer(ext=layout.TOMBSTONE) as writer:
            writer.put({'X-Timestamp': timestamp.internal})

    def cleanup(self) -> list[str]:
        """Remove obsolete files (and a tombstone past reclaim_age); return what is kept."""
        return clean_hash_dir(self.hash_dir, self.store.reclaim_age, self.store.clock())

    def quarantine(self) -> None:
        """Move the hash directory aside so replication restores a good copy."""
        quarantine(self.store.devices / self.name.device, self.hash_dir)


def quarantine(device_dir: Path, hash_dir: Path) -> None:
    """Move ``hash_dir`` to ``<device>/quarantined/objects/`` and mark its suffix
    changed, so the replicator restores a good copy from another replica."""
    move_aside(device_dir, hash_dir, 'objects')
    hashes.invalidate(hash_dir.parent.parent, hash_dir.parent.name)


def merge_post(data_meta: dict[str, str], post_meta: dict[str, str]) -> dict[str, str]:
    """A .meta replaces the user metadata, the headers a POST sets
    (layout.POSTED: X-Delete-At, X-Object-Manifest, Content-Disposition, ...)
    and X-Timestamp of the data's metadata, and its Content-Type if it has
    one; the data's own description (name, size, etag, sysmeta) stays."""
    keep = {k: v for k, v in data_meta.items()
            if not k.lower().startswith('x-object-meta-') and k not in layout.POSTED}
    keep.update(post_meta)
    keep['X-Data-Timestamp'] = data_meta['X-Timestamp']
    return keep


def clean_hash_dir(hash_dir: Path, reclaim_age: float, now: float, *, remove_empty: bool = True) -> list[str]:
    """Remove a hash dir's obsolete files; drop it if only an old tombstone
    remains, or leave it empty for the caller to remove (``remove_empty=False``:
    a rehash removes empty dirs under the partition's lock, see hashes)."""
    try:
        names = os.listdir(hash_dir)
    except (FileNotFoundError, NotADirectoryError):      # gone, or a stray file where a dir belongs
        return []
    state = layout.read_state(names)
    for name in state.obsolete:
        (hash_dir / name).unlink(missing_ok=True)
    kept = [n for n in (state.data, state.tombstone, state.meta) if n]
    if state.tombstone and state.timestamp and now - state.timestamp.seconds > reclaim_age:
        (hash_dir / state.tombstone).unlink(missing_ok=True)
        kept = []
    if not kept and remove_empty:
        try:
            hash_dir.rmdir()
        except OSError:
            pass
    return kept


class FsObjectStore:
    """The objects under ``devices``: one directory per device."""

    def __init__(self, devices: Path, *, mount_check: bool, hash_prefix: bytes, hash_suffix: bytes,
                 reclaim_age: float = 7 * 86400, fsync: bool = True,
                 clock: Callable[[], float] = time.time, lock_timeout: float = hashes.LOCK_TIMEOUT) -> None:
        self.devices = devices
        self.mount_check = mount_check
        self.hash_prefix = hash_prefix
        self.hash_suffix = hash_suffix
        self.reclaim_age = reclaim_age
        self.fsync = fsync
        self.clock = clock
        self.lock_timeout = lock_timeout

    def check_device(self, device: str) -> Path:
        """The device's directory.

        :raises DeviceUnavailableError: if it is missing, or not a mount point with mount_check
        """
        path = self.devices / device
        if '/' in device or device in ('', '.', '..') or not path.is_dir():
            raise DeviceUnavailableError(f'no device {device!r}')
        if self.mount_check and not os.path.ismount(path):
            raise DeviceUnavailableError(f'device {device!r} is not mounted')
        return path

    def diskfile(self, name: ObjectName) -> FsDiskFile:
        """The object at ``name`` (see ObjectStore.diskfile)."""
        device_dir = self.check_device(name.device)
        name_hash = layout.object_hash(name.account, name.container, name.obj,
                                       prefix=self.hash_prefix, suffix=self.hash_suffix)
        hash_dir = (device_dir / 'objects' / str(name.partition) / layout.suffix_of(name_hash)
                    / name_hash)
        return FsDiskFile(self, name, hash_dir)

    def suffix_hashes(self, device: str, partition: int, recalculate: list[str]) -> dict[str, str]:
        """See ObjectStore.suffix_hashes."""
        part_dir = self.check_device(device) / 'objects' / str(partition)
        now = self.clock()
        return hashes.get_hashes(part_dir, recalculate,
                                 lambda d: clean_hash_dir(d, self.reclaim_age, now, remove_empty=False),
                                 self.lock_timeout)

    def suffix_files(self, device: str, partition: int, suffixes: list[str]) -> dict[str, list[str]]:
        """See ObjectStore.suffix_files (listed in a thread, see concurrency.offload)."""
        part_dir = self.check_device(device) / 'objects' / str(partition)
        return concurrency.offload(self._suffix_files, part_dir, suffixes, self.clock())

    def _suffix_files(self, part_dir: Path, suffixes: list[str], now: float) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for suffix in suffixes:
            try:
                names = os.listdir(part_dir / suffix)
            except FileNotFoundError:
                continue
            for name_hash in names:
                kept = clean_hash_dir(part_dir / suffix / name_hash, self.reclaim_age, now,
                                      remove_empty=False)
                if kept:
                    found[name_hash] = sorted(kept)
        return found

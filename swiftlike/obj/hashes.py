"""Per-partition suffix hashes for replication, kept in ``hashes.json``
(JSON, never pickle). Writes append the suffix they touched to
``hashes.invalid``; a read recomputes those suffixes. Both files are
changed only under the partition's lock."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Final

HASHES: Final = 'hashes.json'
INVALID: Final = 'hashes.invalid'
LOCK: Final = '.lock'

#: Lists a hash directory after cleaning it up; returns the file names kept.
CleanHashDir = Callable[[Path], list[str]]


@contextmanager
def partition_lock(part_dir: Path) -> Iterator[None]:
    """Hold the partition's lock (an flock on ``<part>/.lock``)."""
    part_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(part_dir / LOCK, os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def invalidate(part_dir: Path, suffix: str) -> None:
    """Note that ``suffix`` changed."""
    with partition_lock(part_dir):
        with open(part_dir / INVALID, 'a', encoding='ascii') as fh:
            fh.write(suffix + '\n')


def suffix_hash(suffix_dir: Path, clean: CleanHashDir) -> str | None:
    """md5 over the suffix's hash directories and their files, or None if empty."""
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
    if not found:
        try:
            suffix_dir.rmdir()
        except OSError:
            pass
        return None
    return md5.hexdigest()


def _load(path: Path) -> dict[str, str | None]:
    try:
        data = json.loads(path.read_text())
        return {str(k): (str(v) if v else None) for k, v in data.items()}
    except (FileNotFoundError, ValueError, AttributeError):
        return {}


def get_hashes(part_dir: Path, recalculate: list[str], clean: CleanHashDir) -> dict[str, str]:
    """The partition's suffix hashes, recomputing invalidated and requested ones."""
    with partition_lock(part_dir):
        stored = _load(part_dir / HASHES)
        hashes = dict(stored)
        try:
            stale = set((part_dir / INVALID).read_text().split())
        except FileNotFoundError:
            stale = set()
        with os.scandir(part_dir) as entries:
            on_disk = {e.name for e in entries if len(e.name) == 3 and e.is_dir()}
        for suffix in on_disk - set(hashes):
            hashes[suffix] = None
        for suffix in stale | set(recalculate):
            hashes[suffix] = None
        for suffix, value in list(hashes.items()):
            if value is None:
                hashes[suffix] = suffix_hash(part_dir / suffix, clean)
        result = {k: v for k, v in hashes.items() if v}
        if result != stored or stale:
            tmp = part_dir / (HASHES + '.tmp')
            tmp.write_text(json.dumps(result, sort_keys=True))
            os.replace(tmp, part_dir / HASHES)
            (part_dir / INVALID).unlink(missing_ok=True)
    return result

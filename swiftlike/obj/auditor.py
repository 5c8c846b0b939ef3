"""The object-auditor: re-reads every object on this node's devices at
``files_per_second`` and ``bytes_per_second``, checks its size and md5
against its metadata, and quarantines a bad one (the replicator then
restores a good copy). The zero-byte-files flavour (``object-auditor-zbf``)
is a fast pass that reads no bodies: it only catches data files that lost
their bytes (empty on disk while their metadata says otherwise) and
metadata that cannot be read."""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from swiftlike.common import daemon
from swiftlike.common.throttle import Throttle
from swiftlike.obj import layout, metadata
from swiftlike.obj.fs_diskfile import quarantine

logger = logging.getLogger(__name__)
CHUNK = 65536


@dataclass(frozen=True)
class ObjectAuditorConf(daemon.DaemonConf):
    """Options of [object-auditor] (0 = no limit)."""

    files_per_second: float = 20.0
    bytes_per_second: float = 10_000_000.0
    zero_byte_files_per_second: float = 50.0


@dataclass
class AuditStats(daemon.PassStats):
    """What one pass did."""

    files: int = 0
    bytes_read: int = 0
    quarantined: int = 0


class Corrupt(Exception):
    """An object file that does not match its metadata."""


class ObjectAuditor(daemon.Daemon):
    """Reads every object body and checks it."""

    section = 'object-auditor'
    name = 'object-auditor'
    zero_byte_only = False
    conf_class = ObjectAuditorConf

    def __init__(self, conf: ObjectAuditorConf, *, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        super().__init__(conf, clock=clock)
        self.conf: ObjectAuditorConf = conf
        rate = conf.zero_byte_files_per_second if self.zero_byte_only else conf.files_per_second
        self.files_throttle = Throttle(rate, sleep=sleep)
        self.bytes_throttle = Throttle(0 if self.zero_byte_only else conf.bytes_per_second, sleep=sleep)

    def run_once(self, devices: Sequence[str]) -> AuditStats:
        stats = AuditStats()
        for device in devices:
            for _, hash_dir in daemon.hash_dirs(self.conf.devices / device / 'objects'):
                self.files_throttle()
                with daemon.isolated(stats, hash_dir, logger):      # one bad item ends only itself
                    try:
                        self.audit(hash_dir, stats)
                    except Corrupt as err:
                        logger.error('quarantining %s: %s', hash_dir, err)
                        quarantine(self.conf.devices / device, hash_dir)
                        stats.quarantined += 1
        return stats

    def audit(self, hash_dir: Path, stats: AuditStats) -> None:
        """Check the object's current data file.

        :raises Corrupt: if it does not match its metadata
        """
        try:
            state = layout.read_state(os.listdir(hash_dir))
        except FileNotFoundError:
            return
        if not state.data:
            return
        try:
            fd = os.open(hash_dir / state.data, os.O_RDONLY)
        except FileNotFoundError:
            return                          # replaced meanwhile
        try:
            stats.files += 1
            self._check(fd, stats)
        finally:
            os.close(fd)

    def _check(self, fd: int, stats: AuditStats) -> None:
        try:
            meta, body_length = metadata.read(fd)
        except metadata.MetadataError as err:
            raise Corrupt(str(err)) from None
        if str(body_length) != meta.get('Content-Length'):
            raise Corrupt(f'{body_length} bytes on disk, metadata says {meta.get("Content-Length")}')
        if self.zero_byte_only:
            return
        md5 = hashlib.md5(usedforsecurity=False)
        position = 0
        while position < body_length:
            chunk = os.pread(fd, min(CHUNK, body_length - position), position)
            if not chunk:
                raise Corrupt('file shorter than its metadata says')
            self.bytes_throttle(len(chunk))
            md5.update(chunk)
            position += len(chunk)
        stats.bytes_read += position
        if md5.hexdigest() != meta.get('ETag'):
            raise Corrupt(f'md5 {md5.hexdigest()} but ETag {meta.get("ETag")}')


class ZeroByteAuditor(ObjectAuditor):
    """The fast pass: reads metadata and sizes only."""

    name = 'object-auditor-zbf'
    zero_byte_only = True


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-object-auditor CONF [--once]``."""
    return daemon.main(ObjectAuditor, argv)


def main_zbf(argv: list[str] | None = None) -> int:
    """``swiftlike-object-auditor-zbf CONF [--once]``: the zero-byte-files pass."""
    return daemon.main(ZeroByteAuditor, argv)


if __name__ == '__main__':
    sys.exit(main())

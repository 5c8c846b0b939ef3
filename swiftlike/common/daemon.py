"""Background daemons (replicators, updaters, auditors, expirer, reaper).

A daemon is a small class: ``run_once(devices)`` makes one pass over this
node's devices and returns a stats dataclass. :class:`DaemonRunner` owns
everything else: the loop and its interval, forked workers (each with its
own share of the devices), signals, and the recon record of every pass.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from configparser import ConfigParser
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar

from rings import Device, Ring
from swiftlike.common import recon
from swiftlike.common.cluster_client import ClusterClient
from swiftlike.common.config import parse_conf, read_ini
from swiftlike.common.exceptions import ConfigError
from swiftlike.common.numbers import is_int, parse_int
from swiftlike.common.swift_conf import SwiftConf

logger = logging.getLogger(__name__)
C = TypeVar('C', bound='DaemonConf')


@dataclass(frozen=True)
class DaemonConf:
    """Options every daemon has ([DEFAULT] of the node's config + its section)."""

    devices: Path = Path('/srv/node')
    mount_check: bool = True
    swift_dir: Path = Path('/etc/swift')
    bind_ip: str = '0.0.0.0'
    bind_port: int = 6200
    log_level: str = 'INFO'
    recon_cache_path: Path = Path('/var/cache/swiftlike')
    interval: float = 30.0
    workers: int = 1
    conn_timeout: float = 0.5
    node_timeout: float = 10.0


@dataclass
class PassStats:
    """Counts of one pass; daemons subclass it with their own (ints only).

    ``first_error`` is not a count: it is where the pass's first error
    happened and what it was (``{'path': ..., 'error': ...}``), for the
    operator (recon and ``bin/cluster once`` show it)."""

    errors: int = 0
    first_error: dict[str, str] | None = field(default=None, compare=False)

    def error(self, where: object, err: BaseException | str) -> None:
        """Count an error of the item at ``where`` (a path), keeping the first."""
        self.errors += 1
        if self.first_error is None:
            self.first_error = {'path': str(where), 'error': err if isinstance(err, str) else repr(err)}

    def counts(self) -> dict[str, int]:
        """Every count by name (all fields but ``first_error``)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != 'first_error'}

    def add(self, other: PassStats) -> None:
        """Sum ``other`` (of the same class) into this one; its first error
        counts if this one has none."""
        for name, value in other.counts().items():
            setattr(self, name, getattr(self, name) + value)
        self.first_error = self.first_error or other.first_error


@contextmanager
def isolated(stats: PassStats, where: object, log: logging.Logger,
             keep: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Run one item of a pass (a file, partition, database or device) so that
    its failure ends only that item: whatever it raises (but ``keep``, which
    the caller handles for a larger unit) is logged with ``where`` and its
    traceback, and counted in ``stats``; the pass goes on with the next item.

    The catch-all is on purpose (C8's "per-node call" rule, applied per
    item): the errors a daemon expects are handled where they happen; this
    is the net for the ones it does not, such as a file written by an older
    version, which must not stop replication of everything else.
    """
    try:
        yield
    except keep:
        raise
    except Exception as err:
        log.exception('%s: %r', where, err)
        stats.error(where, err)


class Daemon:
    """Base of every daemon. Subclasses set ``section`` and ``conf_class``
    and implement :meth:`run_once`."""

    section: ClassVar[str] = ''
    #: the daemon's name, for its console script and recon; its section's by default
    name: ClassVar[str] = ''
    conf_class: ClassVar[type[DaemonConf]] = DaemonConf

    def __init__(self, conf: DaemonConf, *, clock: Callable[[], float] = time.time) -> None:
        self.conf = conf
        self.clock = clock
        self.swift_conf = SwiftConf.load(conf.swift_dir)
        self._rings: dict[str, tuple[float, Ring]] = {}

    @classmethod
    def daemon_name(cls) -> str:
        return cls.name or cls.section

    def ring(self, kind: str) -> Ring:
        """``<swift_dir>/<kind>.ring.gz``, reloaded when the file changes."""
        path = self.conf.swift_dir / f'{kind}.ring.gz'
        mtime = path.stat().st_mtime
        held = self._rings.get(kind)
        if held is None or held[0] != mtime:
            ring = Ring.load(path, hash_prefix=self.swift_conf.hash_prefix,
                             hash_suffix=self.swift_conf.hash_suffix)
            held = self._rings[kind] = (mtime, ring)
        return held[1]

    def cluster_client(self) -> ClusterClient:
        """Direct requests through this node's rings (current ones: reloaded when they change)."""
        rings = {kind: self.ring(kind) for kind in ('account', 'container', 'object')}
        return ClusterClient(rings, conn_timeout=self.conf.conn_timeout, node_timeout=self.conf.node_timeout)

    def devices(self) -> list[str]:
        """This node's usable devices (mounted ones only, with mount_check)."""
        try:
            names = sorted(os.listdir(self.conf.devices))
        except FileNotFoundError:
            return []
        return [n for n in names if (self.conf.devices / n).is_dir()
                and (not self.conf.mount_check or os.path.ismount(self.conf.devices / n))]

    def is_local(self, dev: Device, device: str) -> bool:
        """Whether ring device ``dev`` is ``device`` of this node (same port,
        and the same ip unless the server binds every address)."""
        return (dev.device == device and dev.port == self.conf.bind_port
                and (self.conf.bind_ip in ('0.0.0.0', '::') or dev.ip == self.conf.bind_ip))

    def run_once(self, devices: Sequence[str]) -> PassStats:
        """One pass over ``devices``."""
        raise NotImplementedError


def listdir(path: Path) -> list[str]:
    """Names in directory ``path``; none if it is missing (or not a directory)."""
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return []


def hash_dirs(top: Path) -> Iterator[tuple[int, Path]]:
    """(partition, directory) of every ``<top>/<part>/<suffix>/<hash>``: the
    layout objects (``objects/``) and databases (``containers/``, ``accounts/``) share."""
    for part in partitions(top):
        for suffix in sorted(listdir(top / str(part))):
            if len(suffix) == 3:
                for name_hash in sorted(listdir(top / str(part) / suffix)):
                    yield part, top / str(part) / suffix / name_hash


def partitions(top: Path) -> list[int]:
    """The partitions of ``top`` (``objects/``, ``containers/``...): its
    subdirectories named by a whole number; anything else there is skipped."""
    return sorted(parse_int(name) for name in listdir(top) if is_int(name))


def make_argparser(name: str, section: str) -> argparse.ArgumentParser:
    """``swiftlike-<name> CONF [--once] [--devices d1,d2]``."""
    parser = argparse.ArgumentParser(prog=f'swiftlike-{name}')
    parser.add_argument('conf', type=Path, help=f'the node config with a [{section}] section')
    parser.add_argument('--once', action='store_true', help='make one pass and exit')
    parser.add_argument('--devices', default='', help='only these devices (comma-separated)')
    return parser


def load_conf(cls: type[C], path: Path, section: str) -> C:
    """[DEFAULT] + [section] of ``path`` as ``cls``; unknown keys of the section are warned about.

    :raises ConfigError: for a missing file or a bad value
    """
    merged = read_ini(path)
    values = dict(merged.items(section)) if merged.has_section(section) else dict(merged.defaults())
    own = ConfigParser(interpolation=None, default_section='\x00')   # [DEFAULT] as a plain section
    own.read(path)
    local = list(own[section]) if own.has_section(section) else []
    return parse_conf(cls, values, section=section, local=local)


class DaemonRunner:
    """Runs a daemon once or forever, in ``workers`` forked processes."""

    def __init__(self, make: Callable[[], Daemon], conf: DaemonConf,
                 stop: threading.Event | None = None) -> None:
        self.make = make
        self.conf = conf
        self.stop = stop or threading.Event()

    def one_pass(self, daemon: Daemon, devices: Sequence[str], worker: str) -> PassStats:
        """Run one pass and record it for recon."""
        started, cpu = time.time(), time.process_time()
        try:
            stats = daemon.run_once(devices)
        except Exception as err:
            logger.exception('%s pass failed', daemon.daemon_name())
            stats = PassStats()
            stats.error(f'{daemon.daemon_name()} pass', err)
        record = {'last_pass': time.time(), 'duration': round(time.time() - started, 4),
                  'cpu': round(time.process_time() - cpu, 4), 'devices': list(devices),
                  'stats': stats.counts(), 'first_error': stats.first_error}
        recon.record(self.conf.recon_cache_path, daemon.daemon_name(), worker, record)
        logger.info('%s pass: %s', daemon.daemon_name(), record)
        return stats

    def run_forever(self, devices: Sequence[str] | None, worker: str) -> None:
        daemon = self.make()
        while not self.stop.is_set():
            started = time.monotonic()
            self.one_pass(daemon, daemon.devices() if devices is None else devices, worker)
            self.stop.wait(max(0.0, self.conf.interval - (time.monotonic() - started)))

    def run(self, once: bool, devices: Sequence[str] | None = None) -> int:
        """One pass in this process (``once``), or the loop: in this
        process for one worker, else in forked workers, respawned if they die."""
        signal.signal(signal.SIGTERM, lambda *a: self.stop.set())
        signal.signal(signal.SIGINT, lambda *a: self.stop.set())
        if once:
            daemon = self.make()
            stats = self.one_pass(daemon, daemon.devices() if devices is None else devices, 'once')
            return 1 if stats.errors else 0
        if self.conf.workers <= 1:
            self.run_forever(devices, 'worker-0')
            return 0
        return self._supervise(devices or self.make().devices())

    def _spawn(self, devices: Sequence[str], index: int) -> int:
        pid = os.fork()
        if pid == 0:
            code = 0
            try:
                self.run_forever(devices[index::self.conf.workers], f'worker-{index}')
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        return pid

    def _supervise(self, devices: Sequence[str]) -> int:
        children = {self._spawn(devices, i): i for i in range(self.conf.workers)}
        while not self.stop.is_set():
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            if pid in children:
                index = children.pop(pid)
                children[self._spawn(devices, index)] = index
            self.stop.wait(0.5)
        for pid in children:
            os.kill(pid, signal.SIGTERM)
        for pid in children:
            os.waitpid(pid, 0)
        return 0


def main(cls: type[Daemon], argv: list[str] | None = None) -> int:
    """The console script of daemon ``cls``."""
    from swiftlike.common.runner import setup_logging
    args = make_argparser(cls.daemon_name(), cls.section).parse_args(argv)
    try:
        conf = load_conf(cls.conf_class, args.conf, cls.section)
        setup_logging(conf.log_level, cls.daemon_name())
        cls(conf)          # fail fast on a bad ring or swift.conf
    except (ConfigError, OSError, ValueError) as err:
        print(f'swiftlike-{cls.daemon_name()}: {args.conf}: {err}', file=sys.stderr)
        return 2
    devices = [d for d in args.devices.split(',') if d] or None
    return DaemonRunner(lambda: cls(conf), conf).run(args.once, devices)

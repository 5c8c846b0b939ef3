"""Serving a paste.deploy WSGI app with eventlet: the only place that
monkey-patches. One listening socket, N forked worker processes (respawned
if they die), SIGHUP for a graceful reload (new workers, old ones finish
their requests), SIGTERM for a clean stop. Each worker accepts and serves
with swiftlike.common.http_server (connection cap, header timeout, strict
HTTP parsing), configured by ``[DEFAULT]`` (swiftlike.common.server_conf)."""

from __future__ import annotations

import argparse
import http.client
import logging
import os
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from swiftlike.common.config import section_conf
from swiftlike.common.exceptions import ConfigError
from swiftlike.common.http_parse import MAX_HEADERS
from swiftlike.common.server_conf import ServerConf, connection_cap, raise_nofile_limit

logger = logging.getLogger(__name__)


class _Stop(Exception):
    """Thrown into a worker's main green thread to stop accepting."""
#: Seconds a worker may take to finish its requests after SIGHUP/SIGTERM.
GRACE = 30.0


def setup_logging(level: str, name: str) -> None:
    """Log to stderr, one line per record, with the transaction id when known."""

    class _TxnFilter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            record.txn_id = getattr(record, 'txn_id', '-')
            return True

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_TxnFilter())
    handler.setFormatter(logging.Formatter(
        f'%(asctime)s {name}[%(process)d] %(levelname)s %(message)s (txn: %(txn_id)s)'))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())


def _load(conf_path: Path) -> Any:
    from paste.deploy import loadapp
    return loadapp(f'config:{conf_path}')


def _serve(sock: Any, conf_path: Path, conf: ServerConf) -> None:
    """A worker: load the app, serve until told to stop, finish in-flight requests."""
    import eventlet
    import greenlet

    from swiftlike.common.http_server import WsgiServer

    # A signal handler runs inside the hub (or a request's green thread),
    # where raising does not reach the accept loop and a timer it schedules
    # waits for the hub's next wake-up. So it writes to a pipe; a green
    # thread waiting on the pipe throws into the main green thread.
    main = greenlet.getcurrent()
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    raw_write = eventlet.patcher.original('os').write

    def stop(signum: int, frame: Any) -> None:
        raw_write(wake_w, b'x')

    def watch() -> None:
        eventlet.hubs.trampoline(wake_r, read=True)
        main.throw(_Stop())

    eventlet.spawn_n(watch)

    signal.signal(signal.SIGHUP, stop)
    signal.signal(signal.SIGTERM, stop)
    cap = connection_cap(conf.max_connections, raise_nofile_limit(2 * conf.max_connections))
    if cap < conf.max_connections:
        logger.warning('max_connections %d lowered to %d, half the open-files limit',
                       conf.max_connections, cap)
    server = WsgiServer(sock, _load(conf_path), conf, cap=cap)
    try:
        server.serve_forever()
    except (_Stop, KeyboardInterrupt):
        pass
    server.stop(GRACE)


class _Arbiter:
    """Keeps ``workers`` children serving ``sock``."""

    def __init__(self, sock: Any, conf_path: Path, conf: ServerConf) -> None:
        self.sock = sock
        self.conf_path = conf_path
        self.workers = conf.workers
        self.conf = conf
        self.children: set[int] = set()
        self.stopping = False
        self.reload = False

    def spawn(self) -> None:
        pid = os.fork()
        if pid == 0:
            try:
                _serve(self.sock, self.conf_path, self.conf)
            finally:
                os._exit(0)
        self.children.add(pid)

    def run(self) -> int:
        signal.signal(signal.SIGTERM, lambda *a: setattr(self, 'stopping', True))
        signal.signal(signal.SIGINT, lambda *a: setattr(self, 'stopping', True))
        signal.signal(signal.SIGHUP, lambda *a: setattr(self, 'reload', True))
        while not self.stopping:
            if self.reload:
                self.reload = False
                old, self.children = self.children, set()
                for pid in old:
                    os.kill(pid, signal.SIGHUP)     # they finish their requests and exit
            while len(self.children) < self.workers and not self.stopping:
                self.spawn()
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                pid = 0
            self.children.discard(pid)
            if not pid:
                time.sleep(0.2)
        for pid in self.children:
            os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + GRACE + 1
        while self.children and time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid:
                self.children.discard(pid)
            else:
                time.sleep(0.05)
        for pid in self.children:                 # past the grace period
            os.kill(pid, signal.SIGKILL)
        return 0


def check_pipeline(app: Any, required: tuple[type, ...]) -> None:
    """Fail fast unless the first filter is ``required[0]`` and every other
    required filter is somewhere in the pipeline.

    :raises ConfigError: naming what is missing
    """
    chain = []
    while app is not None:
        chain.append(type(app))
        app = getattr(app, 'app', None)
    if required and chain[0] is not required[0]:
        raise ConfigError(f'the pipeline must start with {required[0].__name__}')
    missing = [r.__name__ for r in required if r not in chain]
    if missing:
        raise ConfigError(f'the pipeline lacks required filters: {", ".join(missing)}')


def run_wsgi(name: str, argv: list[str] | None = None, required: tuple[type, ...] = ()) -> int:
    """``swiftlike-<name> CONF``: serve the ``[pipeline:main]`` of CONF."""
    parser = argparse.ArgumentParser(prog=f'swiftlike-{name}')
    parser.add_argument('conf', type=Path, help='paste.deploy ini file')
    args = parser.parse_args(argv)
    conf_path = args.conf.resolve()
    try:
        conf = ServerConf.from_defaults(section_conf(conf_path, 'DEFAULT'))
        setup_logging(conf.log_level, name)
        check_pipeline(_load(conf_path), required)   # fail fast, before forking, on a bad config
    except Exception as err:   # any config error ends the command with a message
        print(f'swiftlike-{name}: {conf_path}: {err}', file=sys.stderr)
        return 2
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        import eventlet
    eventlet.monkey_patch()
    # backend answers carry up to MAX_HEADERS headers; http.client refuses more than 100
    http.client._MAXHEADERS = max(http.client._MAXHEADERS, MAX_HEADERS)  # type: ignore[attr-defined]
    sock = eventlet.listen((conf.bind_ip, conf.bind_port), backlog=4096)
    logger.info('%s listening on %s:%s with %d workers', name, conf.bind_ip, conf.bind_port, conf.workers)
    if conf.workers == 0:
        _serve(sock, conf_path, conf)
        return 0
    return _Arbiter(sock, conf_path, conf).run()

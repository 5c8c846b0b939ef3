"""The local development cluster behind ``bin/cluster``: rings for 4
devices and 3 replicas, one object, container and account server per
device (so one node can fail alone), and a proxy with tempauth, all on
127.0.0.1 under one data directory.

``start`` (in the background), ``run`` (in the foreground until Ctrl-C),
``stop``, ``status``; ``start`` also starts every node's daemons (unless
``--no-daemons``), and ``once DAEMON`` runs one pass of a daemon on every
node and waits for it, printing per node its counts and its first error.
A developer tool: it writes configs from etc/*-sample and starts
processes; the servers themselves know nothing of it.
"""

from __future__ import annotations

import argparse
import getpass
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Final

from rings import RingBuilder
from swiftlike.common import recon
from swiftlike.daemons import DAEMONS

TOP: Final = Path(__file__).resolve().parents[1]
DEVICES: Final = 4
KINDS: Final = ('object', 'container', 'account')
PORT_OFFSET: Final = {'object': 0, 'container': 1, 'account': 2}
USERS: Final = (('test:tester', 'testing', '.admin'), ('test:tester2', 'testing2', '.admin'),
                ('test2:tester2', 'testing2', '.admin'), ('test:tester3', 'testing3', ''),
                ('admin:admin', 'admin', '.admin .reseller_admin'))


def storage_port(kind: str, n: int, base: int = 6200) -> int:
    """Ports <base> + 10n + 0|1|2: object, container, account server of device n
    (6210, 6211, 6212 for device 1 by default)."""
    return base + 10 * n + PORT_OFFSET[kind]


def pass_report(daemon: str, n: int, code: int, record: dict[str, Any]) -> list[str]:
    """What ``once`` prints for node ``n``: its exit, time and counts, and
    where its first error was and what it was (its log has them all).

    >>> pass_report('object-replicator', 2, 1, {'duration': 0.5, 'cpu': 0.25,
    ...     'stats': {'errors': 1, 'files_pushed': 7},
    ...     'first_error': {'path': '/srv/2/d2/objects/9', 'error': "KeyError('name')"}})
    ... # doctest: +NORMALIZE_WHITESPACE
    ['object-replicator node 2: exit 1 in 0.50 s (cpu 0.25 s) errors=1 files_pushed=7',
     "    first error: /srv/2/d2/objects/9: KeyError('name')"]
    """
    counts = ' '.join(f'{k}={v}' for k, v in record.get('stats', {}).items())
    lines = [f'{daemon} node {n}: {"ok" if code == 0 else f"exit {code}"} in '
             f'{record.get("duration", 0):.2f} s (cpu {record.get("cpu", 0):.2f} s) {counts}']
    first = record.get('first_error')
    if isinstance(first, dict):
        lines.append(f'    first error: {first.get("path")}: {first.get("error")}')
    elif code and not record:
        lines.append('    no pass recorded (see its log in the logs directory)')
    return lines


class DevCluster:
    """One cluster under ``data``."""

    def __init__(self, data: Path, proxy_port: int, base_port: int = 6200, *,
                 with_daemons: bool = True, proxy_settings: dict[str, str] | None = None) -> None:
        self.data = data.resolve()
        self.proxy_settings = proxy_settings or {}
        self.with_daemons = with_daemons
        self.proxy_port = proxy_port
        self.base_port = base_port
        self.swift_dir = self.data / 'swift'
        self.etc = self.data / 'etc'
        self.logs = self.data / 'logs'
        self.run_dir = self.data / 'run'

    # -- setup -------------------------------------------------------------------

    def build(self) -> None:
        """Write swift.conf, rings and configs (once; later starts reuse them)."""
        for directory in (self.swift_dir, self.etc, self.logs, self.run_dir):
            directory.mkdir(parents=True, exist_ok=True)
        conf = self.swift_dir / 'swift.conf'
        if not conf.exists():
            conf.write_text(f'[swift-hash]\nswift_hash_path_prefix =\n'
                            f'swift_hash_path_suffix = {secrets.token_hex(16)}\n')
        for n in range(1, DEVICES + 1):
            (self.data / 'srv' / str(n) / f'd{n}').mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            if not (self.swift_dir / f'{kind}.ring.gz').exists():
                self._ring(kind)
            for n in range(1, DEVICES + 1):
                self._storage_conf(kind, n)
        self._proxy_conf()

    def _ring(self, kind: str) -> None:
        builder = RingBuilder(10, 3, 1)
        for n in range(1, DEVICES + 1):
            port = storage_port(kind, n, self.base_port)
            builder.add_dev({'region': 1, 'zone': n, 'ip': '127.0.0.1', 'port': port, 'device': f'd{n}',
                             'weight': 100})
        builder.rebalance(seed=1)
        builder.save(self.swift_dir / f'{kind}.builder')
        builder.get_ring().save(self.swift_dir / f'{kind}.ring.gz')

    def _storage_conf(self, kind: str, n: int) -> None:
        text = (TOP / 'etc' / f'{kind}-server.conf-sample').read_text()
        text = (text.replace('/srv/node', str(self.data / 'srv' / str(n)))
                .replace('/etc/swift', str(self.swift_dir))
                .replace('mount_check = true', 'mount_check = false')
                .replace('bind_ip = 0.0.0.0', 'bind_ip = 127.0.0.1'))
        port = storage_port(kind, n, self.base_port)
        local = {'bind_port': str(port), 'recon_cache_path': str(self.recon_dir(n)),
                 # every node's expirer takes its share of the queue
                 'processes': str(DEVICES), 'process': str(n - 1)}
        lines = []
        for line in text.splitlines():
            key = line.partition('=')[0].strip()
            lines.append(f'{key} = {local[key]}' if key in local and '=' in line else line)
        (self.etc / f'{kind}-{n}.conf').write_text('\n'.join(lines) + '\n')

    def recon_dir(self, n: int) -> Path:
        """Where node ``n``'s daemons record their passes."""
        return self.data / 'recon' / str(n)

    @property
    def memcached_port(self) -> int:
        return self.base_port + 91

    def _proxy_conf(self) -> None:
        text = (TOP / 'etc' / 'proxy-server.conf-sample').read_text()
        if shutil.which('memcached'):
            text = text.replace('memcache_servers =', f'memcache_servers = 127.0.0.1:{self.memcached_port}')
        changes = (('/etc/swift', str(self.swift_dir)), ('bind_ip = 0.0.0.0', 'bind_ip = 127.0.0.1'),
                   ('bind_port = 8080', f'bind_port = {self.proxy_port}'), ('workers = 1', 'workers = 2'),
                   ('storage_domain =\n', 'storage_domain = localhost\n'))  # s3api: http://<bucket>.localhost:8080/
        for old, new in changes:
            text = text.replace(old, new)
        lines = [f'{line.partition("=")[0].strip()} = {self.proxy_settings[line.partition("=")[0].strip()]}'
                 if '=' in line and line.partition('=')[0].strip() in self.proxy_settings else line
                 for line in text.splitlines()]
        (self.etc / 'proxy.conf').write_text('\n'.join(lines) + '\n')

    # -- processes -------------------------------------------------------------

    def servers(self) -> list[tuple[str, Path, int]]:
        """(name, config, port) of every server: memcached if installed, storage, proxy."""
        out = [('memcached', Path(), self.memcached_port)] if shutil.which('memcached') else []
        out += [(f'{kind}-{n}', self.etc / f'{kind}-{n}.conf', storage_port(kind, n, self.base_port))
                for kind in ('account', 'container', 'object') for n in range(1, DEVICES + 1)]
        return [*out, ('proxy', self.etc / 'proxy.conf', self.proxy_port)]

    def daemon_groups(self) -> list[tuple[str, Path, list[str]]]:
        """(name, config, daemons) of the process running each node's daemons of one kind."""
        return [(f'daemons-{kind}-{n}', self.etc / f'{kind}-{n}.conf',
                 [name for name, (k, _) in DAEMONS.items() if k == kind])
                for kind in KINDS for n in range(1, DEVICES + 1)]

    def pid(self, name: str) -> int | None:
        """The server's pid while it runs (a child of ours that exited is reaped)."""
        try:
            pid = int((self.run_dir / f'{name}.pid').read_text())
        except (OSError, ValueError):
            return None
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return None
        except ChildProcessError:
            pass
        try:
            os.kill(pid, 0)
        except OSError:
            return None
        return pid

    def start_server(self, name: str, conf: Path, port: int, daemons: list[str] | None = None) -> None:
        if self.pid(name):
            return
        kind = 'proxy' if name == 'proxy' else name.split('-')[0]
        command = [str(Path(sys.executable).parent / f'swiftlike-{kind}-server'), str(conf)]
        if daemons:
            command = [str(Path(sys.executable).parent / 'swiftlike-daemons'), str(conf), *daemons]
        if name == 'memcached':
            command = [shutil.which('memcached') or 'memcached', '-l', '127.0.0.1', '-p', str(port),
                       '-U', '0', '-m', '64', '-u', 'root' if os.geteuid() == 0 else getpass.getuser()]
        with open(self.logs / f'{name}.log', 'ab') as log:
            proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        (self.run_dir / f'{name}.pid').write_text(str(proc.pid))

    def healthy(self, port: int) -> bool:
        if port == self.memcached_port:
            try:
                socket.create_connection(('127.0.0.1', port), timeout=2).close()
                return True
            except OSError:
                return False
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/healthcheck', timeout=2) as resp:
                return bool(resp.status == 200)
        except (OSError, http.client.HTTPException):
            return False

    def start(self) -> int:
        self.build()
        for name, conf, port in self.servers():
            self.start_server(name, conf, port)
        deadline = time.monotonic() + 60
        pending = self.servers()
        while pending and time.monotonic() < deadline:
            pending = [s for s in pending if not self.healthy(s[2])]
            dead = [s[0] for s in pending if not self.pid(s[0])]
            if dead:
                print(f'cluster: {", ".join(dead)} failed to start; see {self.logs}', file=sys.stderr)
                return 1
            time.sleep(0.2)
        if pending:
            print(f'cluster: {", ".join(s[0] for s in pending)} did not answer; see {self.logs}',
                  file=sys.stderr)
            return 1
        if self.with_daemons:
            for name, conf, daemons in self.daemon_groups():
                self.start_server(name, conf, 0, daemons)
        self.print_usage()
        return 0

    def once(self, daemon: str) -> int:
        """One pass of ``daemon`` on every node, side by side; a line per node."""
        if daemon not in DAEMONS:
            print(f'cluster: unknown daemon {daemon!r}; one of: {", ".join(DAEMONS)}', file=sys.stderr)
            return 2
        kind = DAEMONS[daemon][0]
        if not (self.etc / f'{kind}-1.conf').exists():
            print(f'cluster: no cluster in {self.data} (start it first)', file=sys.stderr)
            return 1
        script = str(Path(sys.executable).parent / f'swiftlike-{daemon}')
        procs = []
        for n in range(1, DEVICES + 1):
            with open(self.logs / f'{daemon}-{n}.log', 'ab') as log:
                procs.append(subprocess.Popen([script, str(self.etc / f'{kind}-{n}.conf'), '--once'],
                                              stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
        codes = [p.wait() for p in procs]
        for n, code in enumerate(codes, 1):
            record = recon.read(self.recon_dir(n), daemon).get('once', {})
            print('\n'.join(pass_report(daemon, n, code, record)))
        return 0 if not any(codes) else 1

    def processes(self) -> list[str]:
        """Names of every process of the cluster."""
        return [s[0] for s in self.servers()] + [g[0] for g in self.daemon_groups()]

    def stop(self) -> int:
        for name in reversed(self.processes()):
            pid = self.pid(name)
            if pid:
                os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(self.pid(name) for name in self.processes()):
            time.sleep(0.1)
        for name in self.processes():
            pid = self.pid(name)
            if pid:
                os.killpg(pid, signal.SIGKILL)
            (self.run_dir / f'{name}.pid').unlink(missing_ok=True)
        print('cluster stopped')
        return 0

    def status(self) -> int:
        up = 0
        for name, _, port in self.servers():
            pid = self.pid(name)
            state = 'up' if pid and self.healthy(port) else ('starting' if pid else 'down')
            up += state == 'up'
            print(f'{name:<12} port {port:<6} {state}{f"  pid {pid}" if pid else ""}')
        for name, _, daemons in self.daemon_groups() if self.with_daemons else []:
            pid = self.pid(name)
            up += bool(pid)
            print(f'{name:<20} {"up" if pid else "down"}{f"  pid {pid}" if pid else ""}  {" ".join(daemons)}')
        expected = len(self.servers()) + (len(self.daemon_groups()) if self.with_daemons else 0)
        return 0 if up == expected else 1

    def run(self) -> int:
        code = self.start()
        if code:
            return code
        print('Running in the foreground; Ctrl-C stops the cluster.')
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        return self.stop()

    def print_usage(self) -> None:
        auth = f'http://127.0.0.1:{self.proxy_port}/auth/v1.0'
        users = '\n'.join(f'    {u:<14} key {k:<9} {g}' for u, k, g in USERS)
        proxy = f'http://127.0.0.1:{self.proxy_port}'
        print(f'''Cluster up: proxy {proxy}, 4 devices, 3 replicas (data in {self.data})
Auth URL: {auth}
Users (tempauth):
{users}
Try:
    .venv/bin/swift -A {auth} -U test:tester -K testing stat
    .venv/bin/swift -A {auth} -U test:tester -K testing upload photos README.md
    curl -i -H 'X-Auth-User: test:tester' -H 'X-Auth-Key: testing' {auth}
S3 (access key test:tester, secret testing; path style, or virtual host <bucket>.localhost):
    AWS_ACCESS_KEY_ID=test:tester AWS_SECRET_ACCESS_KEY=testing aws --endpoint-url {proxy} s3 ls
Stop with: bin/cluster stop{self.options()}''')

    def options(self) -> str:
        """The command-line options that name this cluster, where not the defaults."""
        return ''.join((f' --data {self.data}' if self.data != (TOP / 'data').resolve() else '',
                        f' --port {self.proxy_port}' if self.proxy_port != 8080 else '',
                        f' --base-port {self.base_port}' if self.base_port != 6200 else ''))


def main(argv: list[str] | None = None) -> int:
    """``bin/cluster {start,stop,status,run} [--data DIR] [--port 8080]``,
    ``bin/cluster once DAEMON [--data DIR]``."""
    parser = argparse.ArgumentParser(prog='bin/cluster', description=__doc__.splitlines()[0])
    parser.add_argument('command', choices=('start', 'stop', 'status', 'run', 'once'))
    parser.add_argument('daemon', nargs='?', help=f'for once: one of {", ".join(DAEMONS)}')
    parser.add_argument('--no-daemons', action='store_true',
                        help='start only the servers (run daemon passes with `once`)')
    parser.add_argument('--data', type=Path, default=TOP / 'data', help='data directory (default: ./data)')
    parser.add_argument('--port', type=int, default=8080, help='proxy port (default 8080)')
    parser.add_argument('--base-port', type=int, default=6200,
                        help='storage servers listen on base + 10 x device + 0/1/2 (default 6200)')
    args = parser.parse_args(argv)
    cluster = DevCluster(args.data, args.port, args.base_port, with_daemons=not args.no_daemons)
    if (args.command == 'once') != bool(args.daemon):
        parser.error('a daemon name goes with `once`, and only with it')
    try:
        if args.command == 'once':
            return cluster.once(args.daemon)
        return int(getattr(cluster, args.command)())
    except BrokenPipeError:          # e.g. `bin/cluster status | head`
        return 0


if __name__ == '__main__':
    sys.exit(main())

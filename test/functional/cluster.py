"""Real storage servers as processes on 127.0.0.1, for functional tests:
object, container and account servers started from configs written like
etc/*.conf-sample, on free ports, with a temp devices dir."""

from __future__ import annotations

import http.client
import os
import random
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

TOP = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KINDS = ('object', 'container', 'account')


def free_port() -> int:
    """A free port below the kernel's ephemeral range: a port in that range
    can be taken as the source port of our own connection to it while its
    server starts, and the connection then talks to itself."""
    while True:
        port = random.randrange(10000, 32000)
        with socket.socket() as sock:
            try:
                sock.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port


@dataclass
class Server:
    kind: str
    conf: Path
    port: int
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.log, 'ab') as log:
            self.proc = subprocess.Popen([str(BIN / f'swiftlike-{self.kind}-server'), str(self.conf)],
                                         stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _, _ = request('127.0.0.1', self.port, 'GET', '/healthcheck')
                if status == 200:
                    return
            except (OSError, http.client.HTTPException):
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f'{self.kind} server exited: {self.log.read_text()[-2000:]}')
            time.sleep(0.1)
        raise RuntimeError(f'{self.kind} server did not start: {self.log.read_text()[-2000:]}')

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the server's whole process group (parent and workers);
        whatever is still there after 30 seconds gets SIGKILL."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self.proc = None


@dataclass
class StorageNode:
    """One node: a devices dir, swift.conf, and the three servers."""

    root: Path
    devices: tuple[str, ...] = ('sda', 'sdb')
    workers: int = 1
    servers: dict[str, Server] = field(default_factory=dict)

    def setup(self) -> StorageNode:
        (self.root / 'swift').mkdir(parents=True, exist_ok=True)
        (self.root / 'swift' / 'swift.conf').write_text(
            '[swift-hash]\nswift_hash_path_prefix = pre\nswift_hash_path_suffix = suf\n')
        for device in self.devices:
            (self.root / 'node' / device).mkdir(parents=True, exist_ok=True)
        for kind in KINDS:
            port = free_port()
            conf = (TOP / 'etc' / f'{kind}-server.conf-sample').read_text()
            conf = (conf.replace('/srv/node', str(self.root / 'node'))
                    .replace('/etc/swift', str(self.root / 'swift'))
                    .replace('mount_check = true', 'mount_check = false')
                    .replace('bind_ip = 0.0.0.0', 'bind_ip = 127.0.0.1')
                    .replace('workers = 1', f'workers = {self.workers}'))
            conf = '\n'.join(f'bind_port = {port}' if line.startswith('bind_port') else line
                             for line in conf.splitlines())
            path = self.root / f'{kind}-server.conf'
            path.write_text(conf + '\n')
            self.servers[kind] = Server(kind, path, port, self.root / f'{kind}.log')
        return self

    def start(self) -> StorageNode:
        for server in self.servers.values():
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.kill(signal.SIGTERM)

    def port(self, kind: str) -> int:
        return self.servers[kind].port


def request(host: str, port: int, method: str, path: str, headers: dict[str, str] | None = None,
            body: bytes | None = None, *, raw_path: bool = False, timeout: float = 30
            ) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request; ``path`` is quoted unless ``raw_path``."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        chunked = (headers or {}).get('Transfer-Encoding') == 'chunked'
        conn.request(method, path if raw_path else quote(path), body=body, headers=headers or {},
                     encode_chunked=chunked)
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()

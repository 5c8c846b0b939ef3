"""Scripted storage nodes for proxy controller tests: small HTTP servers on
loopback (a thread each) that answer object PUT and GET as told, and record
what they were sent. Each test runs in milliseconds, with the proxy's real
sockets, 100-continue and streaming, but no storage server behind them."""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from rings import Device
from swiftlike.common.constraints import Constraints
from swiftlike.proxy.backend import Backend, ErrorLimiter
from swiftlike.proxy.conf import ProxyServerConf
from swiftlike.proxy.controllers.base import ProxyState
from test.unit.fakes import FakeRing, FakeRingWatcher


@dataclass
class Script:
    """How one node behaves."""

    refuse: int = 0                 #: answer this status to a PUT's Expect, before its body
    drop_after: int | None = None   #: a GET's body stops after this many bytes (the connection closes)
    received: list[bytes] = field(default_factory=list)   #: PUT bodies it read
    gets: list[str] = field(default_factory=list)         #: Range headers of GETs (or '')


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server: _NodeServer

    def log_message(self, *args: object) -> None:
        pass

    def handle_expect_100(self) -> bool:
        if self.server.script.refuse:
            self.send_response(self.server.script.refuse)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return False
        return super().handle_expect_100()

    def do_PUT(self) -> None:
        if self.headers.get('Transfer-Encoding') == 'chunked':
            body = b''
            while (size := int(self.rfile.readline().strip(), 16)):
                body += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
        else:
            body = self.rfile.read(int(self.headers['Content-Length']))
        self.server.script.received.append(body)
        self.server.store[self.path] = (body, self.headers['X-Timestamp'])
        self.send_response(201)
        self.send_header('Etag', hashlib.md5(body).hexdigest())
        self.send_header('Content-Length', '0')
        self.end_headers()

    def do_GET(self) -> None:
        self.server.script.gets.append(self.headers.get('Range', ''))
        if self.path not in self.server.store:
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        body, timestamp = self.server.store[self.path]
        match = re.fullmatch(r'bytes=(\d+)-(\d+)', self.headers.get('Range', ''))
        start, stop = (int(match[1]), int(match[2]) + 1) if match else (0, len(body))
        self.send_response(206 if match else 200)
        if match:
            self.send_header('Content-Range', f'bytes {start}-{stop - 1}/{len(body)}')
        self.send_header('Content-Length', str(stop - start))
        self.send_header('X-Backend-Timestamp', timestamp)
        self.end_headers()
        limit = self.server.script.drop_after
        self.wfile.write(body[start:stop] if limit is None else body[start:start + limit])
        if limit is not None:
            self.close_connection = True


class _NodeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, script: Script, store: dict[str, tuple[bytes, str]]) -> None:
        super().__init__(('127.0.0.1', 0), _Handler)
        self.script = script
        self.store = store


class Nodes:
    """``count`` scripted nodes (the first ``replicas`` the primaries), and a
    ProxyState whose object ring is them; ``scripts[i]`` tells node i."""

    def __init__(self, count: int = 4, replicas: int = 3) -> None:
        self.scripts = [Script() for _ in range(count)]
        self.stores: list[dict[str, tuple[bytes, str]]] = [{} for _ in range(count)]
        self.servers = [_NodeServer(s, st) for s, st in zip(self.scripts, self.stores, strict=True)]
        for server in self.servers:
            threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.01}, daemon=True).start()
        self.devices = [Device(n, 1, n + 1, '127.0.0.1', s.server_address[1], f'd{n}', 1.0)
                        for n, s in enumerate(self.servers)]
        ring = FakeRingWatcher(FakeRing(self.devices, replicas))
        self.state = ProxyState(conf=ProxyServerConf(), limits=Constraints(), account_ring=ring,
                                container_ring=ring, object_ring=ring,
                                backend=Backend(conn_timeout=1.0, node_timeout=2.0,
                                                limiter=ErrorLimiter()))

    def close(self) -> None:
        for server in self.servers:
            server.shutdown()
            server.server_close()


def client_request(method: str, headers: dict[str, str] | None = None) -> SimpleNamespace:
    """The little of a webob Request the controllers read for backend headers."""
    from webob import Request
    return Request.blank('/v1/a/c/o', method=method, headers=headers or {})

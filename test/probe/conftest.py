"""Probe tests: a whole dev cluster (real servers, real daemon processes run
with ``bin/cluster once``), broken on purpose, then healed by the daemons."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import signal
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest

from rings import Ring
from swiftlike.common import recon
from swiftlike.common.db_http import db_path
from swiftlike.common.swift_conf import SwiftConf
from swiftlike.obj import layout
from test.functional.devcluster_fixture import start_cluster


class Probe:
    """A running dev cluster and ways to look inside it."""

    def __init__(self, cluster) -> None:
        self.cluster = cluster
        swift_conf = SwiftConf.load(cluster.swift_dir)
        self.hash_prefix, self.hash_suffix = swift_conf.hash_prefix, swift_conf.hash_suffix
        self.rings = {k: Ring.load(cluster.swift_dir / f'{k}.ring.gz', hash_prefix=self.hash_prefix,
                                   hash_suffix=self.hash_suffix) for k in ('account', 'container', 'object')}
        self.token, self.storage = self._auth()

    def _auth(self) -> tuple[str, str]:
        creds = {'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'}
        status, headers, _ = self.proxy('GET', '/auth/v1.0', creds, auth=False)
        assert status == 200
        return headers['x-auth-token'], headers['x-storage-url'].split(':', 2)[2].partition('/')[2]

    def proxy(self, method: str, path: str, headers=None, body=b'', auth=True):
        """One request to the proxy; (status, lower-case headers, body)."""
        headers = dict(headers or {})
        if auth:
            headers['X-Auth-Token'] = self.token
        return request('127.0.0.1', self.cluster.proxy_port, method, path, headers, body)

    def obj_path(self, container: str, obj: str = '') -> str:
        return f'/{self.storage}/{container}' + (f'/{obj}' if obj else '')

    def put_many(self, container: str, bodies: dict[str, bytes], headers=None) -> None:
        """PUT every body (16 at a time); each must get 201."""
        def put(item):
            status, _, data = self.proxy('PUT', self.obj_path(container, item[0]), headers, item[1])
            assert status == 201, (item[0], status, data)
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(put, bodies.items()))

    def account(self) -> str:
        return self.storage.rpartition('/')[2]

    def nodes(self, kind: str, *names: str):
        return self.rings[kind].get_nodes(*names)

    def direct(self, node, method: str, path: str, headers=None, query: str = ''):
        """A request straight to a storage server's device."""
        target = quote(f'/{node.device}{path}') + (f'?{query}' if query else '')
        return request(node.ip, node.port, method, target, headers, b'', quoted=True)

    def listing(self, node, part: int, container: str) -> list[str]:
        path = f'/{part}/{self.account()}/{container}'
        status, _, body = self.direct(node, 'GET', path, query='format=json')
        assert status in (200, 204), status
        return [row['name'] for row in json.loads(body or b'[]')]

    def device_dir(self, device: str) -> Path:
        return self.cluster.data / 'srv' / device[1:] / device

    def object_files(self, device: str, container: str, obj: str) -> list[str]:
        """The file names in ``obj``'s hash directory on ``device`` (none if it has none)."""
        part = self.rings['object'].get_part(self.account(), container, obj)
        name_hash = layout.object_hash(self.account(), container, obj, prefix=self.hash_prefix,
                                       suffix=self.hash_suffix)
        hash_dir = (self.device_dir(device) / 'objects' / str(part) / layout.suffix_of(name_hash)
                    / name_hash)
        return sorted(os.listdir(hash_dir)) if hash_dir.is_dir() else []

    def db_file(self, device: str, container: str | None = None) -> Path:
        """Where the account's (or ``container``'s) database lives on ``device``."""
        kind = 'account' if container is None else 'container'
        part = self.rings[kind].get_part(self.account(), container)
        return db_path(self.cluster.data / 'srv' / device[1:], device, part, self.account(), container,
                       prefix=self.hash_prefix, suffix=self.hash_suffix, mount_check=False)

    def once(self, daemon: str) -> dict[str, int]:
        """One pass of ``daemon`` on every node; its counts summed over the nodes."""
        assert self.cluster.once(daemon) == 0, daemon
        totals: dict[str, int] = {}
        for n in range(1, 5):
            for key, value in recon.read(self.cluster.recon_dir(n), daemon)['once']['stats'].items():
                totals[key] = totals.get(key, 0) + value
        return totals

    def stop(self, name: str) -> None:
        pid = self.cluster.pid(name)
        assert pid, name
        os.killpg(pid, signal.SIGKILL)
        while self.cluster.pid(name):
            pass

    def start(self, name: str) -> None:
        for server, conf, port in self.cluster.servers():
            if server == name:
                self.cluster.start_server(server, conf, port)
                while not self.cluster.healthy(port):
                    pass
                return
        raise KeyError(name)


def request(host, port, method, path, headers=None, body=b'', quoted=False):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    try:
        conn.request(method, path if quoted else quote(path), body=body or None, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


@pytest.fixture
def probe(tmp_path):
    """A fresh cluster per test (its daemons do not run: tests run passes with once)."""
    cluster = start_cluster(tmp_path / 'cluster', daemons=False)
    try:
        yield Probe(cluster)
    finally:
        cluster.stop()

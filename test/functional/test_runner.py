"""The server process model: forked workers, graceful reload on SIGHUP
(new workers; the server answers throughout), clean stop on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from .cluster import StorageNode, request


def worker_pids(parent: int) -> set[int]:
    out = subprocess.run(['ps', '-o', 'pid=', '--ppid', str(parent)], capture_output=True, text=True)
    return {int(p) for p in out.stdout.split()}


def wait_for(predicate, seconds: float = 20.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_workers_reload_and_stop(tmp_path):
    node = StorageNode(tmp_path, devices=('sda',), workers=3).setup()
    server = node.servers['account']
    server.start()
    try:
        _reload_and_stop(server)
    finally:
        server.kill()


def _reload_and_stop(server):
    assert server.proc is not None
    parent = server.proc.pid
    assert wait_for(lambda: len(worker_pids(parent)) == 3)
    before = worker_pids(parent)
    os.kill(parent, signal.SIGHUP)
    assert wait_for(lambda: len(worker_pids(parent)) == 3 and not worker_pids(parent) & before)
    assert request('127.0.0.1', server.port, 'GET', '/healthcheck')[0] == 200
    victim = next(iter(worker_pids(parent)))
    os.kill(victim, signal.SIGKILL)                 # a dead worker is replaced
    assert wait_for(lambda: len(worker_pids(parent)) == 3 and victim not in worker_pids(parent))
    os.kill(parent, signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0
    assert worker_pids(parent) == set()


def test_bad_config_fails_fast_with_a_message(tmp_path):
    node = StorageNode(tmp_path, devices=('sda',)).setup()
    conf = node.servers['object'].conf
    conf.write_text(conf.read_text().replace('fsync = true', 'fsync = maybe'))
    from .cluster import BIN
    done = subprocess.run([str(BIN / 'swiftlike-object-server'), str(conf)], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2 and 'fsync' in done.stderr and 'Traceback' not in done.stderr


def test_stop_closes_idle_connections_and_finishes_requests(tmp_path):
    node = StorageNode(tmp_path, devices=('sda',)).setup()
    server = node.servers['object']
    server.start()
    try:
        _stop_with_connections_open(server)
    finally:
        server.kill()


def _stop_with_connections_open(server):
    import socket
    idle = socket.create_connection(('127.0.0.1', server.port), timeout=10)
    busy = socket.create_connection(('127.0.0.1', server.port), timeout=10)
    busy.sendall(b'PUT /sda/1/a/c/o HTTP/1.1\r\nHost: a\r\nX-Timestamp: 1700000000.00000\r\n'
                 b'Content-Type: text/plain\r\nContent-Length: 10\r\nExpect: 100-continue\r\n\r\n')
    assert busy.recv(100).startswith(b'HTTP/1.1 100 Continue')
    busy.sendall(b'hello')                         # the request is in the app, reading its body
    os.kill(server.proc.pid, signal.SIGTERM)
    assert idle.recv(1) == b''                     # an idle connection is closed at once
    busy.sendall(b'world')
    answer = b''
    while data := busy.recv(65536):
        answer += data
    assert answer.startswith(b'HTTP/1.1 201 ') and b'Connection: close' in answer
    assert server.proc.wait(timeout=30) == 0
    idle.close()
    busy.close()

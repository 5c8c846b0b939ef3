"""The backend HTTP client keeps connections alive, and gives a connection
back to its pool only when it is certain to be clean and open."""

from __future__ import annotations

import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from swiftlike.common import http_client
from swiftlike.common.http_client import Client, ConnectError, Pool


class _Handler(BaseHTTPRequestHandler):
    """Answers every request with a 4-byte body; ``server.close_after`` makes it
    hang up (without saying so) after each answer; PUT with Expect gets 100,
    unless ``server.refuse`` (then 507 at once)."""

    protocol_version = 'HTTP/1.1'

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def handle_expect_100(self) -> bool:
        if self.server.refuse:
            self.send_response(507)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return False
        return super().handle_expect_100()

    def _any(self) -> None:
        self.server.seen.append(self.command)
        body = self.rfile.read(int(self.headers.get('Content-Length') or 0))
        self.server.bodies.append(body)
        self.send_response(201 if self.command == 'PUT' else 200)
        self.send_header('Content-Length', '4')
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(b'done')
        if self.server.close_after:
            self.close_connection = True

    do_GET = do_HEAD = do_POST = do_PUT = _any

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    httpd.connections, httpd.seen, httpd.bodies = 0, [], []
    httpd.close_after = httpd.refuse = False
    thread = threading.Thread(target=httpd.serve_forever, kwargs={'poll_interval': 0.01}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _client(pool: Pool) -> Client:
    return Client(conn_timeout=2, node_timeout=5, pool=pool)


def _port(server) -> int:
    return server.server_address[1]


def test_requests_one_after_another_share_one_connection(server):
    pool = Pool()
    client = _client(pool)
    for method in ('GET', 'HEAD', 'PUT', 'POST', 'GET'):
        answer = client.request('127.0.0.1', _port(server), method, '/sda/1/a', body=b'body')
        assert answer.status in (200, 201)
    assert server.connections == 1
    assert server.seen == ['GET', 'HEAD', 'PUT', 'POST', 'GET']
    assert pool.idle('127.0.0.1', _port(server)) == 1


def test_a_connection_the_peer_closed_while_idle_is_not_used(server):
    pool = Pool()
    client = _client(pool)
    server.close_after = True
    assert client.request('127.0.0.1', _port(server), 'GET', '/x').status == 200
    # the answer did not say "Connection: close", so the connection went back to the pool;
    # the peer has hung up since: a POST (never resent) must still get through
    time.sleep(0.2)
    assert client.request('127.0.0.1', _port(server), 'POST', '/x', body=b'p').status == 200
    assert server.seen == ['GET', 'POST']
    assert server.connections == 2


def test_an_answer_left_unread_closes_its_connection(server):
    pool = Pool()
    client = _client(pool)
    ex = client.ask('127.0.0.1', _port(server), 'GET', '/x', {})
    assert ex.resp is not None and ex.resp.status == 200
    ex.finish()                                                 # 4 body bytes never read
    assert pool.idle('127.0.0.1', _port(server)) == 0
    ex = client.ask('127.0.0.1', _port(server), 'GET', '/x', {})
    assert ex.read() == b'done'
    ex.finish()
    assert pool.idle('127.0.0.1', _port(server)) == 1
    assert server.connections == 2


def test_expect_continue_then_body_then_answer(server):
    pool = Pool()
    client = _client(pool)
    ex = client.ask('127.0.0.1', _port(server), 'PUT', '/x', {'Content-Length': '3'}, expect=True)
    assert ex.continued
    ex.send(b'abc')
    assert ex.response().status == 201 and ex.read() == b'done'
    ex.finish()
    assert server.bodies == [b'abc']
    assert pool.idle('127.0.0.1', _port(server)) == 1


def test_a_body_refused_before_it_was_sent_leaves_no_connection_behind(server):
    pool = Pool()
    server.refuse = True
    ex = _client(pool).ask('127.0.0.1', _port(server), 'PUT', '/x', {'Content-Length': '3'}, expect=True)
    assert not ex.continued and ex.response().status == 507
    ex.finish(body_sent=False)
    assert pool.idle('127.0.0.1', _port(server)) == 0


def test_idle_connections_expire(server):
    pool = Pool(max_idle=0.0)
    client = _client(pool)
    client.request('127.0.0.1', _port(server), 'GET', '/x')
    client.request('127.0.0.1', _port(server), 'GET', '/x')
    assert server.connections == 2


def test_a_forked_child_does_not_use_its_parents_connections(server, monkeypatch):
    pool = Pool()
    client = _client(pool)
    client.request('127.0.0.1', _port(server), 'GET', '/x')
    monkeypatch.setattr(http_client.os, 'getpid', lambda: -1)
    client.request('127.0.0.1', _port(server), 'GET', '/x')
    assert server.connections == 2


@pytest.mark.parametrize('name, value', [('X-Ok', 'a\r\nX-Injected: 1'), ('X-Ok', 'a\nb'), ('X-Ok', 'a\x00'),
                                         ('X Bad', 'v'), ('X-Bad:', 'v'), ('', 'v'), ('X-Ok', 'é€')])
def test_headers_that_would_break_the_framing_are_not_sent(server, name, value):
    with pytest.raises(ValueError):
        _client(Pool()).request('127.0.0.1', _port(server), 'GET', '/x', headers={name: value})
    assert server.seen == []


def test_no_listener_is_a_connect_error():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]                 # bound, never listening: refused
        with pytest.raises(ConnectError):
            _client(Pool()).request('127.0.0.1', port, 'GET', '/x')

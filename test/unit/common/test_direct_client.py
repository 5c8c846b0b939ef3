"""direct_request re-sends a request whose answer was lost only when that
is safe: always if it was never sent whole, for idempotent verbs otherwise."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from swiftlike.common.direct_client import direct_request
from swiftlike.common.http_client import Pool


class _Handler(BaseHTTPRequestHandler):
    """Answers 200, except the server's ``drop``-th request, which it reads and hangs up on."""

    protocol_version = 'HTTP/1.1'

    def _any(self) -> None:
        self.server.seen.append(self.command)
        self.rfile.read(int(self.headers.get('Content-Length') or 0))
        if len(self.server.seen) == self.server.drop:
            self.close_connection = True
            return
        self.send_response(200)
        self.send_header('Content-Length', '2')
        self.end_headers()
        self.wfile.write(b'ok')

    do_GET = do_POST = do_PUT = do_REPLICATE = _any

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(('127.0.0.1', 0), _Handler)
    httpd.seen, httpd.drop = [], 2
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def send(server, method: str, pool: Pool):
    return direct_request('127.0.0.1', server.server_address[1], method, '/x', pool=pool,
                          headers={'Content-Length': '1'}, body=b'x', node_timeout=5)


@pytest.mark.parametrize('method', ['POST', 'REPLICATE'])
def test_a_lost_answer_to_a_non_idempotent_request_is_not_resent(server, method):
    pool = Pool()
    assert send(server, 'GET', pool).status == 200          # leaves a kept-alive connection in the pool
    with pytest.raises(OSError):
        send(server, method, pool)
    assert server.seen == ['GET', method]


@pytest.mark.parametrize('method', ['GET', 'PUT'])
def test_a_lost_answer_to_an_idempotent_request_is_resent_once(server, method):
    pool = Pool()
    assert send(server, 'GET', pool).status == 200
    assert send(server, method, pool).status == 200
    assert server.seen == ['GET', method, method]

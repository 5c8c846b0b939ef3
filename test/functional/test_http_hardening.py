"""The server layer under hostile HTTP (swiftlike.common.http_parse,
http_protocol, http_server), through raw sockets on loopback: malformed
framing gets 400 and a closed connection, raw UTF-8 in the request line
works, a head not finished within header_timeout is dropped, and a server
holding thousands of idle or half-sent connections still answers at once."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from urllib.parse import quote

import pytest

from .cluster import StorageNode, request

HEADER_TIMEOUT = 1.0
KEEPALIVE = 2.0
CAP = 4
HELD = 2100
PUT_HEAD = (b'PUT /sda/1/a/c/o HTTP/1.1\r\nHost: a\r\nX-Timestamp: 1700000000.00000\r\n'
            b'Content-Type: text/plain\r\n')


def _configure(server, **settings: object) -> None:
    text = server.conf.read_text()
    for key, value in settings.items():
        old = next(line for line in text.splitlines() if line.startswith(f'{key} ='))
        text = text.replace(old, f'{key} = {value}')
    server.conf.write_text(text)


@pytest.fixture(scope='module')
def servers(tmp_path_factory):
    """strict: an object server with a 1 s header timeout; held: an account
    server with the default limits; capped: an object server with max_connections 4."""
    node = StorageNode(tmp_path_factory.mktemp('hardening'), devices=('sda',)).setup()
    capped_node = StorageNode(tmp_path_factory.mktemp('capped'), devices=('sda',)).setup()
    _configure(node.servers['object'], header_timeout=HEADER_TIMEOUT, keepalive_timeout=KEEPALIVE)
    _configure(capped_node.servers['object'], max_connections=CAP)
    chosen = {'strict': node.servers['object'], 'held': node.servers['account'],
              'capped': capped_node.servers['object']}
    try:
        with ThreadPoolExecutor(len(chosen)) as pool:
            list(pool.map(lambda server: server.start(), chosen.values()))
        yield {name: server.port for name, server in chosen.items()}
    finally:
        for server in chosen.values():
            server.kill()
    for server in chosen.values():
        assert 'Traceback' not in server.log.read_text()


def connect(port: int, timeout: float = 5.0) -> socket.socket:
    return socket.create_connection(('127.0.0.1', port), timeout=timeout)


def read_all(sock: socket.socket) -> tuple[bytes, bool]:
    """What the server sends until it closes (True) or the socket times out (False)."""
    out = b''
    try:
        while data := sock.recv(65536):
            out += data
    except TimeoutError:
        return out, False
    except ConnectionResetError:
        pass
    return out, True


def exchange(port: int, data: bytes, *, end: bool = False, timeout: float = 5.0) -> tuple[bytes, bool]:
    """Send ``data`` (then half-close if ``end``); what comes back, and whether the server closed."""
    with connect(port, timeout) as sock:
        sock.sendall(data)
        if end:
            sock.shutdown(socket.SHUT_WR)
        return read_all(sock)


def healthcheck_seconds(port: int) -> float:
    """How long a /healthcheck on a new connection takes (it must succeed within 10 s)."""
    started = time.monotonic()
    status, _, body = request('127.0.0.1', port, 'GET', '/healthcheck', timeout=10)
    assert (status, body) == (200, b'OK')
    return time.monotonic() - started


HEALTHCHECK = b'GET /healthcheck HTTP/1.1\r\nHost: a\r\n\r\n'
BAD_HEADS = {
    'two content-lengths': b'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n',
    'same content-length twice': b'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n',
    'content-length +5': b'PUT /healthcheck HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n',
    'content-length 5,5': b'PUT /healthcheck HTTP/1.1\r\nHost: a\r\nContent-Length: 5,5\r\n',
    'content-length -1': b'PUT /healthcheck HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n',
    'content-length superscript': 'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: ²\r\n'.encode(),
    'content-length 0x5': b'PUT /healthcheck HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n',
    'content-length 5 5': b'PUT /healthcheck HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n',
    'content-length huge': b'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n',
    'length and chunked': (b'PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n'
                           b'Transfer-Encoding: chunked\r\n'),
    'transfer-encoding gzip': b'PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n',
    'transfer-encoding identity': b'PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n',
    'two transfer-encodings': (b'PUT /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n'
                               b'Transfer-Encoding: chunked\r\n'),
    'chunked on HTTP/1.0': b'PUT /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n',
    'line without colon': b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-Foo bar\r\n',
    'space before colon': b'PUT /healthcheck HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n',
    'tab before colon': b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-Foo\t: bar\r\n',
    'NUL in name': b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-F\x00oo: bar\r\n',
    'NUL in value': b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-Foo: b\x00ar\r\n',
    'CR in value': b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-Foo: b\rar\r\n',
    'escape in value': b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-Foo: b\x1bar\r\n',
    'obs-fold': b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-Foo: bar\r\n baz\r\n',
    'obs-fold tab': b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-Foo: bar\r\n\tbaz\r\n',
    'two hosts': b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nHost: b\r\n',
    'HTTP/0.9 request line': b'GET /healthcheck\r\n',
    'tab in request line': b'GET\t/healthcheck HTTP/1.1\r\nHost: a\r\n',
    'two spaces in request line': b'GET  /healthcheck HTTP/1.1\r\nHost: a\r\n',
    'NUL in target': b'GET /health\x00check HTTP/1.1\r\nHost: a\r\n',
    'bad version': b'GET /healthcheck HTTX/1.1\r\nHost: a\r\n',
}


@pytest.mark.parametrize('head', BAD_HEADS.values(), ids=list(BAD_HEADS))
def test_malformed_head_is_refused_and_closed(servers, head):
    answer, closed = exchange(servers['strict'], head + b'\r\nhello' + HEALTHCHECK)
    layered = head in (BAD_HEADS['transfer-encoding gzip'], BAD_HEADS['two transfer-encodings'])
    assert answer.startswith(b'HTTP/1.1 501 ' if layered else b'HTTP/1.1 400 '), answer   # 501 as Swift's
    assert closed and answer.count(b'HTTP/1.1 ') == 1     # the smuggled request is never answered


BAD_CHUNKS = {
    'letters': b'zz\r\nhello\r\n0\r\n\r\n',
    'superscript': '²\r\nhello\r\n0\r\n\r\n'.encode(),
    'negative': b'-5\r\nhello\r\n0\r\n\r\n',
    'plus': b'+5\r\nhello\r\n0\r\n\r\n',
    'leading space': b' 5\r\nhello\r\n0\r\n\r\n',
    'huge': b'fffffffffffffffffffffff\r\nhello\r\n0\r\n\r\n',
    'longer than its size': b'3\r\nhello\r\n0\r\n\r\n',
    'no last chunk': b'5\r\nhello\r\n',
    'ends inside a chunk': b'a\r\nhello',
    'ends inside trailers': b'5\r\nhello\r\n0\r\nX-Trailer: 1\r\n',
}


@pytest.mark.parametrize('body', BAD_CHUNKS.values(), ids=list(BAD_CHUNKS))
def test_malformed_chunked_body_is_refused_by_a_storage_server(servers, body):
    answer, closed = exchange(servers['strict'], PUT_HEAD + b'Transfer-Encoding: chunked\r\n\r\n' + body,
                              end=True)
    assert answer.startswith(b'HTTP/1.1 400 '), answer
    assert closed


def test_good_chunked_body_and_keepalive_still_work(servers):
    with connect(servers['strict']) as sock:
        sock.sendall(PUT_HEAD.replace(b'/o ', b'/good ') + b'Transfer-Encoding: chunked\r\n\r\n'
                     + b'5;ext=1\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n' + HEALTHCHECK
                     + b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
        answer, closed = read_all(sock)
    assert answer.startswith(b'HTTP/1.1 201 ') and answer.count(b'HTTP/1.1 200 OK') == 2 and closed


def test_a_small_unread_body_is_skipped_and_a_slow_one_closes_the_connection(servers):
    with connect(servers['strict']) as sock:
        sock.sendall(b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello'
                     + b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nContent-Length: 1000\r\n\r\npartial')
        started = time.monotonic()
        answer, closed = read_all(sock)
    assert answer.count(b'HTTP/1.1 200 OK') == 2 and closed      # not held open for the rest
    assert time.monotonic() - started < HEADER_TIMEOUT + 1.5


def test_unfinished_head_is_dropped_after_header_timeout(servers):
    with connect(servers['strict']) as sock:
        started = time.monotonic()
        sock.sendall(b'GET /healthcheck HTTP/1.1\r\nHost: a\r\n')
        answer, closed = read_all(sock)
    assert closed and answer.startswith(b'HTTP/1.1 408 ')
    assert HEADER_TIMEOUT - 0.1 < time.monotonic() - started < HEADER_TIMEOUT + 1.5


def test_head_sent_a_byte_at_a_time_is_dropped_after_header_timeout(servers):
    with connect(servers['strict']) as sock:
        started = time.monotonic()
        for byte in b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-Slow: a-long-value':
            if select.select([sock], [], [], 0)[0]:
                break                                     # answered (and closed)
            try:
                sock.send(bytes([byte]))
            except OSError:
                break
            time.sleep(0.1)
        answer, closed = read_all(sock)
    assert closed and answer.startswith(b'HTTP/1.1 408 ')
    assert time.monotonic() - started < HEADER_TIMEOUT + 1.5


def test_idle_connection_outlives_header_timeout(servers):
    with connect(servers['strict']) as sock:
        sock.settimeout(HEADER_TIMEOUT + 0.5)
        with pytest.raises(TimeoutError):
            sock.recv(1)                                  # still open, nothing sent
        sock.sendall(b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n')
        sock.settimeout(5)
        answer, closed = read_all(sock)
    assert answer.startswith(b'HTTP/1.1 200 OK') and closed


def test_a_client_that_stops_reading_its_answer_is_dropped(servers):
    size = 16 << 20                                    # more than both socket buffers hold
    assert request('127.0.0.1', servers['strict'], 'PUT', '/sda/1/a/c/big', {
        'X-Timestamp': '1700000000.00000', 'Content-Type': 'a/b'}, b'x' * size)[0] == 201
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(('127.0.0.1', servers['strict']))
        sock.sendall(b'GET /sda/1/a/c/big HTTP/1.1\r\nHost: a\r\n\r\n')
        time.sleep(KEEPALIVE + 1)                      # the server's writes stall, then time out
        sock.settimeout(5)
        answer, closed = read_all(sock)
    assert answer.startswith(b'HTTP/1.1 200 ') and len(answer) < size and closed


@contextmanager
def held_connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections, half idle and half with an unfinished head."""
    with ExitStack() as stack:
        socks = []
        for n in range(count):
            sock = stack.enter_context(connect(port))
            if n % 2:
                sock.sendall(b'GET /healthcheck HTTP/1.1\r\nHost: a\r\nX-Slow: ')
            socks.append(sock)
        yield socks


def test_thousands_of_idle_and_half_sent_connections_do_not_block_a_server(servers):
    with held_connections(servers['held'], HELD):
        healthcheck_seconds(servers['held'])                # answered once all before it are accepted
        assert max(healthcheck_seconds(servers['held']) for _ in range(5)) < 1.0


def test_at_the_cap_the_longest_waiting_connection_makes_room(servers):
    port = servers['capped']
    with held_connections(port, CAP) as socks:
        assert healthcheck_seconds(port) < 1.0
        socks[0].settimeout(2)
        assert socks[0].recv(1) == b''                    # the oldest was closed for it


def test_at_the_cap_with_every_connection_busy_a_new_one_gets_503(servers):
    port = servers['capped']
    with ExitStack() as stack:
        busy = [stack.enter_context(connect(port)) for _ in range(CAP)]
        for n, sock in enumerate(busy):
            sock.sendall(PUT_HEAD.replace(b'/o ', b'/o%d ' % n) +
                         b'Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n')
            assert sock.recv(100).startswith(b'HTTP/1.1 100 Continue')
            sock.sendall(b'1\r\nx\r\n')
        answer, closed = exchange(port, b'')           # answered at once, before any request
        assert answer.startswith(b'HTTP/1.1 503 ') and closed
        busy[0].sendall(b'0\r\n\r\n')
        assert busy[0].recv(100).startswith(b'HTTP/1.1 201 ')
        assert healthcheck_seconds(port) < 1.0             # busy[0] is idle now, so it makes room


# -- through the proxy of a dev cluster ---------------------------------------

@pytest.fixture(scope='module')
def account(cluster):
    """(proxy port, storage path, token) of test:tester."""
    status, headers, _ = request('127.0.0.1', cluster.proxy_port, 'GET', '/auth/v1.0',
                                 {'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'})
    assert status // 100 == 2
    path = headers['x-storage-url'].split(str(cluster.proxy_port), 1)[1]
    port, token = cluster.proxy_port, headers['x-auth-token']
    assert request('127.0.0.1', port, 'PUT', f'{path}/hardening', {'X-Auth-Token': token})[0] // 100 == 2
    return port, path, token


NAME = 'Åà ☃\u00a0é'            # UTF-8 holds bytes 0x85 and 0xa0, which str.split() splits on


def test_utf8_request_line_through_the_proxy(account):
    port, path, token = account
    target = f'{path}/hardening/{NAME}'.replace(' ', '%20').encode()
    auth = f'Host: a\r\nX-Auth-Token: {token}\r\n'.encode()
    answer, _ = exchange(port, b'PUT ' + target + b' HTTP/1.1\r\n' + auth +
                         b'Content-Length: 5\r\nConnection: close\r\n\r\nhello')
    assert answer.startswith(b'HTTP/1.1 201 '), answer
    answer, _ = exchange(port, b'GET ' + target + b' HTTP/1.1\r\n' + auth + b'Connection: close\r\n\r\n')
    assert answer.startswith(b'HTTP/1.1 200 ') and answer.endswith(b'\r\n\r\nhello'), answer
    status, _, body = request('127.0.0.1', port, 'GET', f'{path}/hardening/{quote(NAME)}',
                              {'X-Auth-Token': token}, raw_path=True)
    assert (status, body) == (200, b'hello')


@pytest.mark.parametrize('body', [BAD_CHUNKS['letters'], BAD_CHUNKS['huge'], BAD_CHUNKS['no last chunk']],
                         ids=['letters', 'huge', 'no last chunk'])
def test_malformed_chunked_body_is_refused_by_the_proxy(account, body):
    port, path, token = account
    head = (f'PUT {path}/hardening/chunky HTTP/1.1\r\nHost: a\r\nX-Auth-Token: {token}\r\n'
            'Transfer-Encoding: chunked\r\n\r\n').encode()
    answer, closed = exchange(port, head + body, end=True)
    assert answer.startswith(b'HTTP/1.1 400 ') and closed, answer


def test_proxy_stays_healthy_with_thousands_of_connections_held(account):
    port, path, token = account
    assert request('127.0.0.1', port, 'PUT', f'{path}/hardening/small', {'X-Auth-Token': token},
                   b'data')[0] == 201
    with held_connections(port, HELD):
        healthcheck_seconds(port)                           # answered once all before it are accepted
        assert healthcheck_seconds(port) < 1.0
        started = time.monotonic()
        status, _, body = request('127.0.0.1', port, 'GET', f'{path}/hardening/small',
                                  {'X-Auth-Token': token}, timeout=10)
        assert (status, body) == (200, b'data') and time.monotonic() - started < 2.0


def test_malformed_chunked_body_to_s3_gets_an_s3_error(cluster, account):
    """s3api refuses HTTP-chunked bodies (411, as S3 does) without reading
    them; the bad body left unread then just closes the connection."""
    import boto3
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.config import Config
    from botocore.credentials import Credentials

    endpoint = f'http://127.0.0.1:{cluster.proxy_port}'
    boto3.client('s3', endpoint_url=endpoint, aws_access_key_id='test:tester',
                 aws_secret_access_key='testing', region_name='us-east-1',
                 config=Config(s3={'addressing_style': 'path'})).create_bucket(Bucket='framing')
    signed = AWSRequest(method='PUT', url=f'{endpoint}/framing/o', headers={
        'X-Amz-Content-SHA256': 'UNSIGNED-PAYLOAD', 'Transfer-Encoding': 'chunked'})
    SigV4Auth(Credentials('test:tester', 'testing'), 's3', 'us-east-1').add_auth(signed)
    head = ''.join(f'{k}: {v}\r\n' for k, v in signed.headers.items())
    answer, closed = exchange(cluster.proxy_port, f'PUT /framing/o HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n'
                              .encode() + BAD_CHUNKS['letters'], end=True)
    assert answer.startswith(b'HTTP/1.1 411 ') and b'<Error>' in answer and closed, answer

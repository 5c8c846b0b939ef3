"""The HTTP/1.1 connection handler every server runs: eventlet's
``HttpProtocol`` with a strict request-head parser (swiftlike.common.http_parse),
a header-read timeout, a strict chunked-body reader, and the connection
phases (idle, head, active; swiftlike.common.connections) by which
swiftlike.common.http_server caps connections and stops gracefully. It
serves one connection; accepting, capping and stopping are not its job.
"""

from __future__ import annotations

import errno
import http.client
import socket
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

with warnings.catch_warnings():
    warnings.simplefilter('ignore')      # eventlet announces its maintenance mode on import
    import eventlet
    import eventlet.wsgi

from swiftlike.common.connections import ACTIVE, HEAD, IDLE, Connection
from swiftlike.common.http_parse import (
    ChunkFramingError,
    HeadError,
    IncompleteHeadError,
    RequestHead,
    parse_chunk_size,
    read_head,
)

#: A connection closed after an error reads (and drops) what the client still sends
#: for this long, so that the client sees the error and not a reset.
LINGER_SECONDS: Final = 1.0
_LINGER_BYTES: Final = 65536
_READ_SIZE: Final = 65536
_MAX_TRAILERS: Final = 100
#: Most bytes of a body the app left unread that are skipped to keep the connection.
_MAX_DISCARD: Final = 1 << 20
#: Longest chunk-size line (size and extensions).
_MAX_CHUNK_LINE: Final = 4096
_REASONS: Final = {400: 'Bad Request', 408: 'Request Timeout', 414: 'URI Too Long',
                   431: 'Request Header Fields Too Large', 501: 'Not Implemented', 503: 'Service Unavailable',
                   505: 'HTTP Version Not Supported'}
_GONE: Final = {errno.EPIPE, errno.ECONNRESET, errno.ESHUTDOWN, errno.EBADF, errno.ENOTCONN}


class HeaderTimeoutError(Exception):
    """A request's head was not complete ``header_timeout`` after its first byte."""


def error_response(status: int, reason: str) -> bytes:
    """A complete plain-text response that closes the connection.

    >>> error_response(400, 'bad')[:28]
    b'HTTP/1.1 400 Bad Request\\r\\nCo'
    """
    body = f'{reason}\n'.encode('latin-1', 'replace')
    return (f'HTTP/1.1 {status} {_REASONS.get(status, "Error")}\r\nContent-Type: text/plain\r\n'
            f'Content-Length: {len(body)}\r\nConnection: close\r\n\r\n').encode() + body


class StrictInput(eventlet.wsgi.Input):  # type: ignore[misc]
    """``wsgi.input`` whose chunked reads refuse bad framing with
    :class:`ChunkFramingError` (eventlet raises ValueError for some, reads a
    negative size as a size, and tries to allocate a huge one at once).
    ``failure`` keeps the first such error for the protocol. What the app
    left unread is skipped (to reuse the connection) only if it is small and
    arrives within ``discard_timeout``; otherwise the connection closes.
    """

    failure: ChunkFramingError | None = None
    discard_timeout = 10.0

    def discard(self, buffer_size: int = 16 << 10) -> None:
        """Read and drop the rest of the body (eventlet does, before it reads
        the next request on the connection).

        :raises OSError: past ``_MAX_DISCARD`` bytes or ``discard_timeout``
            seconds (eventlet then closes the connection)
        """
        dropped = 0
        try:
            with eventlet.Timeout(self.discard_timeout, OSError('the rest of the body is too slow')):
                while data := self.read(buffer_size):
                    dropped += len(data)
                    if dropped > _MAX_DISCARD:
                        raise OSError('the rest of the body is too large to skip')
        except ChunkFramingError:
            raise OSError('the rest of the body is malformed') from None

    def _chunked_read(self, rfile: Any, length: int | None = None, use_readline: bool = False) -> bytes:
        if self.should_send_hundred_continue:
            self.send_hundred_continue_response()
            self.is_hundred_continue_response_sent = True
        if length is not None and length < 0:
            length = None
        try:
            return self._read_chunks(rfile, length, use_readline)
        except ChunkFramingError as err:
            self.failure = self.failure or err
            self.chunk_length = 0
            raise

    def _read_chunks(self, rfile: Any, length: int | None, use_readline: bool) -> bytes:
        """Up to ``length`` body bytes (all if None); chunk_length -1 means
        a size line is next, 0 that the last chunk was read."""
        reader = rfile.readline if use_readline else rfile.read
        out: list[bytes] = []
        while self.chunk_length != 0 and (length is None or length > 0):
            if self.chunk_length < 0:
                self.chunk_length, self.position = parse_chunk_size(rfile.readline(_MAX_CHUNK_LINE)), 0
                if self.chunk_length == 0:
                    _read_trailers(rfile)
                continue
            want = min(self.chunk_length - self.position, _READ_SIZE, length or _READ_SIZE)
            data = reader(want)
            if not data:
                raise ChunkFramingError('the chunked body ends inside a chunk')
            out.append(data)
            self.position += len(data)
            length = None if length is None else length - len(data)
            if self.position == self.chunk_length:
                if rfile.readline(3) not in (b'\r\n', b'\n'):
                    raise ChunkFramingError('chunk data longer than its size')
                self.chunk_length = -1
            if use_readline and data.endswith(b'\n'):
                break
        return b''.join(out)


def _read_trailers(rfile: Any) -> None:
    for _ in range(_MAX_TRAILERS):
        line = rfile.readline(8193)
        if not line.endswith(b'\n'):
            raise ChunkFramingError('the chunked body ends inside its trailers')
        if line in (b'\r\n', b'\n'):
            return
    raise ChunkFramingError('too many trailer lines')


class StrictHttpProtocol(eventlet.wsgi.HttpProtocol):  # type: ignore[misc]
    """Serves one :class:`Connection` for ``server`` (an
    swiftlike.common.http_server.WsgiServer: ``keepalive``, ``header_timeout``,
    ``slots``, ``stopping``)."""

    linger = False
    request_input: StrictInput | None = None

    def __init__(self, conn: Connection, server: Any) -> None:
        self.conn = conn
        super().__init__([conn.address, conn.sock, eventlet.wsgi.STATE_IDLE], server)

    def handle(self) -> None:
        self.close_connection = True
        # no single read or write may wait longer: an idle connection, or a
        # client that stops reading its answer (or sending its body), is closed
        self.connection.settimeout(self.server.keepalive)
        while True:
            self.conn.enter(IDLE)
            self.handle_one_request()
            if self.close_connection or self.server.stopping:
                break

    def handle_one_request(self) -> None:
        self.close_connection = True
        self.raw_requestline = b''
        if not self._await_request():
            return
        self.conn.enter(HEAD)
        head = self._read_head()
        if head is None:
            return
        self._take_head(head)
        self.conn.enter(ACTIVE)
        self.environ = self.get_environ()
        self.application = self._guarded_app
        with self.server.slots:
            try:
                self.handle_one_response()
            except OSError as err:
                if err.errno not in _GONE:
                    raise
                self.close_connection = True

    def _await_request(self) -> bool:
        """Wait (``keepalive`` seconds at most) for a request's first byte."""
        try:
            return bool(self.rfile.peek(1))
        except OSError:                    # socket.timeout included
            return False

    def _read_head(self) -> RequestHead | None:
        """The head, read within ``header_timeout``; None once refused or dropped."""
        try:
            with eventlet.Timeout(self.server.header_timeout, HeaderTimeoutError()):
                return read_head(self.rfile.readline)
        except HeadError as err:
            self._refuse(err.status, err.reason)
        except HeaderTimeoutError:
            self._refuse(408, 'request headers not received in time')
        except (IncompleteHeadError, OSError):
            pass
        return None

    def _take_head(self, head: RequestHead) -> None:
        """Set what eventlet's handler reads: command, path, version, headers, close_connection."""
        self.command, self.path, self.request_version = head.method, head.target, head.version
        self.requestline = f'{head.method} {head.target} {head.version}'
        self.headers = http.client.HTTPMessage()
        for name, value in head.headers:
            self.headers[name] = value
        tokens = {t.strip().lower() for t in head.get('Connection').split(',')}
        if 'close' in tokens or self.server.stopping:
            self.close_connection = True
        else:
            self.close_connection = head.version == 'HTTP/1.0' and 'keep-alive' not in tokens

    def _refuse(self, status: int, reason: str) -> None:
        self.close_connection = True
        self.linger = True
        try:
            self.wfile.write(error_response(status, reason))
            self.wfile.flush()
        except OSError:
            self.linger = False

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        loose = environ['eventlet.input']
        self.request_input = StrictInput(
            self.rfile, loose.content_length, self.connection, wfile=loose.wfile,
            wfile_line=loose.wfile_line, chunked_input=loose.chunked_input)
        self.request_input.discard_timeout = self.server.header_timeout
        environ['wsgi.input'] = environ['eventlet.input'] = self.request_input
        if self.headers.get('content-type') is None:
            environ.pop('CONTENT_TYPE', None)    # eventlet invents text/plain; apps guess their own
        return environ

    def _guarded_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """The app, unless it read a malformed chunked body: then the
        connection closes after the answer, and the answer is a 400 unless
        the app chose a client error itself (s3api answers S3 XML)."""
        status: list[str] = []

        def noting_status(*args: Any) -> Any:
            status[:] = [args[0]]
            if self.server.stopping:          # stopped while in the app: say so
                self.close_connection = True
            return start_response(*args)

        try:
            body = self.server.app(environ, noting_status)
        except Exception:
            if not self._bad_body():
                raise
            body = []
        failure = self._bad_body()
        if failure is None:
            return _one_pass(body)
        self.close_connection = True
        self.linger = True
        if status and '400' <= status[0][:3] < '499':
            return _one_pass(body)
        close = getattr(body, 'close', None)
        if close:
            close()
        text = f'{failure}\n'.encode()
        start_response('400 Bad Request', [('Content-Type', 'text/plain'),
                                           ('Content-Length', str(len(text)))])
        return [text]

    def _bad_body(self) -> ChunkFramingError | None:
        return self.request_input.failure if self.request_input else None

    def finish(self) -> None:
        try:
            self.wfile.flush()
        except OSError:
            self.linger = False
        if self.linger:
            _linger(self.connection)
        super().finish()


def _one_pass(body: Iterable[bytes]) -> Iterator[bytes]:
    """``body`` without ``__len__``: eventlet sums the lengths of a body
    that has one (iterating it) when the app's Content-Length header is not
    spelt 'Content-Length', which empties a one-pass body."""
    try:
        yield from body
    finally:
        close = getattr(body, 'close', None)
        if close:
            close()


def _linger(sock: Any) -> None:
    """Half-close, then read and drop what the client still sends (bounded),
    so its unread request does not turn our answer into a reset."""
    try:
        sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        dropped = 0
        while dropped < _LINGER_BYTES:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            sock.settimeout(left)
            data = sock.recv(16384)
            if not data:
                return
            dropped += len(data)
    except OSError:
        return

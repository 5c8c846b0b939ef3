"""The one HTTP client servers use to talk to each other: the proxy to the
storage nodes, the daemons and replication between nodes, the direct client.

- Connections are kept alive in a pool of the process (:data:`POOL`), by
  (host, port). A connection carries one request at a time and goes back to
  the pool only when its answer was read to the end, the request's body was
  sent whole and the node did not say it would close. An idle connection is
  dropped after :attr:`Pool.max_idle` seconds (well inside the servers'
  ``keepalive_timeout``) or once its peer has closed it.
- Timeouts: ``conn_timeout`` to connect; ``node_timeout`` for every read and
  write after that.
- ``Expect: 100-continue``: :meth:`Exchange.expect_continue` stops at the
  interim answer, so a node can refuse a body before it is sent.
- A request is sent again (once, on a new connection) only where that is
  safe: when a kept-alive connection turned out to be closed before the
  request got through, whatever its method; when it was sent but the node
  hung up without a byte of answer, only for an idempotent method
  (:data:`IDEMPOTENT`) with a body that can be sent again. Never after a
  timeout: the node may still be acting on it.
"""

from __future__ import annotations

import http.client
import os
import socket
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Final, TypeGuard

from swiftlike.common.concurrency import Timeout, timeout

#: Methods whose repetition changes nothing.
IDEMPOTENT: Final = frozenset({'GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'})
#: Errors of a connection whose peer was gone before it answered.
_HUNG_UP: Final = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


class ConnectError(OSError):
    """No connection to the node could be made (it refused, or not in time)."""


class NotSent(OSError):
    """The request could not be sent whole; the node cannot have acted on it."""


@dataclass(frozen=True, slots=True)
class Answer:
    """Status, headers (title-cased names) and body of a whole answer."""

    status: int
    headers: dict[str, str]
    body: bytes


class Response(http.client.HTTPResponse):
    """An answer that can stop at an interim ``100 Continue``.

    http.client skips 1xx answers inside ``begin()``, so the status line is
    read here first (through ``_read_status``, which every CPython since 3.0
    has) and handed back to ``begin()`` when it is a final one."""

    _pending: tuple[str, int, str] | None = None

    def _read_status(self) -> Any:
        if self._pending is not None:
            line, self._pending = self._pending, None
            return line
        return super()._read_status()  # type: ignore[misc]

    def expect_continue(self) -> bool:
        """True on ``100 Continue``; else the final answer is parsed (``status``, headers) and False."""
        line = self._read_status()
        if line[1] == http.client.CONTINUE:
            http.client.parse_headers(self.fp)            # an interim answer's headers mean nothing here
            return True
        self._pending = line
        self.begin()
        return False

    def header_map(self) -> dict[str, str]:
        return {k.title(): v for k, v in self.getheaders()}


def _dropped(sock: socket.socket) -> bool:
    """Whether an idle connection's peer closed it (or sent what no request asked for)."""
    raw = getattr(sock, 'fd', sock)           # an eventlet green socket's real one
    was = raw.gettimeout()
    raw.settimeout(0)                         # (with a timeout set, recv would wait for one)
    try:
        raw.recv(1, socket.MSG_PEEK)
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:
        return True
    finally:
        raw.settimeout(was)
    return True


@dataclass
class Pool:
    """Idle kept-alive connections of one process, by (host, port)."""

    per_host: int = 32
    max_idle: float = 20.0
    _idle: dict[tuple[str, int], list[tuple[float, socket.socket]]] = field(default_factory=dict)
    _pid: int = field(default_factory=os.getpid)

    def take(self, host: str, port: int) -> socket.socket | None:
        """An idle connection to (host, port) that is still open, or None."""
        if self._pid != os.getpid():             # forked: the parent's connections are not ours
            self._idle, self._pid = {}, os.getpid()
        idle = self._idle.get((host, port))
        now = time.monotonic()
        while idle:
            since, sock = idle.pop()
            if now - since < self.max_idle and not _dropped(sock):
                return sock
            sock.close()
        return None

    def give(self, host: str, port: int, sock: socket.socket) -> None:
        idle = self._idle.setdefault((host, port), [])
        if len(idle) < self.per_host and self._pid == os.getpid():
            idle.append((time.monotonic(), sock))
        else:
            sock.close()

    def idle(self, host: str, port: int) -> int:
        """How many idle connections to (host, port) are kept."""
        return len(self._idle.get((host, port), []))

    def clear(self) -> None:
        for idle in self._idle.values():
            for _, sock in idle:
                sock.close()
        self._idle.clear()


#: The pool of this process.
POOL: Final = Pool()


def _head(method: str, target: str, host: str, port: int, headers: Mapping[str, str]) -> bytes:
    """The request line and headers, as bytes (header values are latin-1 text, as in WSGI).

    :raises ValueError: for a name or value that would break the request's framing
    """
    lines = [f'{method} {target} HTTP/1.1', f'Host: {host}:{port}']
    for name, value in headers.items():
        value = str(value)
        if not name or any(c in name for c in ' \t\r\n:\x00') or any(c in value for c in '\r\n\x00'):
            raise ValueError(f'header {name!r} cannot be sent')
        lines.append(f'{name}: {value}')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')


class Exchange:
    """One request on one connection: its head is sent when it is made
    (:meth:`Client.open`); then the caller sends the body, reads the answer,
    and :meth:`finish` gives the connection back or closes it."""

    def __init__(self, client: Client, host: str, port: int, sock: socket.socket, *,
                 method: str, reused: bool) -> None:
        self.client = client
        self.host, self.port = host, port
        self.sock: socket.socket | None = sock
        self.method = method
        self.reused = reused
        self.resp: Response | None = None
        #: After :meth:`Client.ask` with ``expect``: whether the node asked for the body.
        self.continued = False

    def send(self, data: bytes) -> None:
        """Send body bytes (already framed, if chunked).

        :raises OSError: or Timeout
        """
        assert self.sock is not None
        with timeout(self.client.node_timeout):
            self.sock.sendall(data)

    def _response(self) -> Response:
        if self.resp is None:
            assert self.sock is not None
            self.resp = Response(self.sock, method=self.method)
        return self.resp

    def expect_continue(self) -> bool:
        """After a head with ``Expect: 100-continue``: True when the node
        wants the body; else its final answer is in :meth:`response`.

        :raises OSError: or Timeout, or http.client.HTTPException
        """
        with timeout(self.client.node_timeout):
            return self._response().expect_continue()

    def response(self) -> Response:
        """The final answer's status and headers (its body is read from it).

        :raises OSError: or Timeout, or http.client.HTTPException
        """
        resp = self._response()
        if resp.headers is None:
            with timeout(self.client.node_timeout):
                resp.begin()
        return resp

    def read(self, amount: int | None = None) -> bytes:
        """Body bytes of the answer (all that is left if ``amount`` is None)."""
        resp = self.response()
        with timeout(self.client.node_timeout):
            return resp.read(amount)

    def finish(self, *, body_sent: bool = True) -> None:
        """Done with this request: the connection goes back to the pool when
        ``body_sent`` (the request's whole body went out), the answer was
        read to its end and the node keeps the connection open; else it is closed."""
        if self.sock is None:
            return
        resp = self.resp
        if body_sent and resp is not None and resp.isclosed() and not resp.will_close:
            self.client.pool.give(self.host, self.port, self.sock)
            self.sock = None
        else:
            self.close()

    def close(self) -> None:
        if self.resp is not None:
            self.resp.close()
        if self.sock is not None:
            self.sock.close()
            self.sock = None


@dataclass
class Client:
    """Requests to other servers with these timeouts, on :data:`POOL`'s connections."""

    conn_timeout: float = 0.5
    node_timeout: float = 10.0
    pool: Pool = field(default_factory=lambda: POOL)

    def connect(self, host: str, port: int) -> socket.socket:
        """A new connection.

        :raises ConnectError: if it cannot be made within ``conn_timeout``
        """
        try:
            with timeout(self.conn_timeout):
                sock = socket.create_connection((host, port))
        except (OSError, Timeout) as err:
            raise ConnectError(f'{host}:{port}: {err!r}') from err
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.node_timeout)
        return sock

    def open(self, host: str, port: int, method: str, target: str,
             headers: Mapping[str, str], *, fresh: bool = False) -> Exchange:
        """Send a request's head (``target`` is the path and query, quoted),
        on an idle connection of the pool unless ``fresh`` (a stale one is
        replaced by a new connection).

        :raises ConnectError: if no new connection could be made
        :raises NotSent: if the head could not be sent on a new connection
        :raises ValueError: for headers that cannot be sent
        """
        head = _head(method, target, host, port, headers)
        sock = None if fresh else self.pool.take(host, port)
        if sock is not None:
            try:
                with timeout(self.node_timeout):
                    sock.sendall(head)
                return Exchange(self, host, port, sock, method=method, reused=True)
            except OSError:
                sock.close()                       # closed while idle: a new connection instead
        sock = self.connect(host, port)
        try:
            with timeout(self.node_timeout):
                sock.sendall(head)
        except BaseException as err:
            sock.close()
            if isinstance(err, OSError):
                raise NotSent(f'{method} to {host}:{port}: {err!r}') from err
            raise
        return Exchange(self, host, port, sock, method=method, reused=False)

    def ask(self, host: str, port: int, method: str, target: str, headers: Mapping[str, str], *,
            expect: bool = False) -> Exchange:
        """Send a request without a body, or only the head of one with
        ``expect`` (``Expect: 100-continue`` is added), and read the answer's
        head: :attr:`Exchange.resp` is a final answer, or with ``expect`` the
        interim one when :attr:`Exchange.continued`. Sent again on a new
        connection when a kept-alive one hung up without a byte of answer
        (for an idempotent method, or before a body was sent).

        :raises ConnectError: or NotSent, OSError, Timeout, http.client.HTTPException
        """
        hdrs = {**headers, 'Expect': '100-continue'} if expect else headers
        for fresh in (False, True):
            ex = self.open(host, port, method, target, hdrs, fresh=fresh)
            try:
                if expect:
                    ex.continued = ex.expect_continue()
                else:
                    ex.response()
                return ex
            except _HUNG_UP:
                ex.close()
                if fresh or not ex.reused or not (expect or method in IDEMPOTENT):
                    raise
            except BaseException:
                ex.close()
                raise
        raise AssertionError('unreachable')

    def request(self, host: str, port: int, method: str, target: str, *,
                headers: Mapping[str, str] | None = None,
                body: bytes | BinaryIO | Iterable[bytes] = b'') -> Answer:
        """A whole request and its whole answer. ``body`` is bytes, a file
        (streamed from its current position; give Content-Length) or an
        iterable of chunks (give Content-Length or Transfer-Encoding).
        Content-Length is added for a bytes body.

        :raises ConnectError: or NotSent, OSError, Timeout, http.client.HTTPException
        """
        hdrs = dict(headers or {})
        if isinstance(body, bytes) and (body or method in ('PUT', 'POST')):
            hdrs.setdefault('Content-Length', str(len(body)))
        start = body.tell() if _is_file(body) else 0   # (a file is sent again from here)
        ex = self.open(host, port, method, target, hdrs)
        try:
            return self._exchange(ex, body)
        except _HUNG_UP:
            ex.close()
            again = ex.reused and (isinstance(body, bytes) or _is_file(body)) and method in IDEMPOTENT
            if not again:
                raise
        if _is_file(body):
            body.seek(start)
        ex = self.open(host, port, method, target, hdrs, fresh=True)
        try:
            return self._exchange(ex, body)
        except BaseException:
            ex.close()
            raise

    def _exchange(self, ex: Exchange, body: bytes | BinaryIO | Iterable[bytes]) -> Answer:
        sent = True
        try:
            for chunk in _chunks(body):
                ex.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            sent = False      # the node answered early (e.g. 409, it has the file) and hung up: read that
        resp = ex.response()
        data = ex.read()
        answer = Answer(resp.status, resp.header_map(), data)
        ex.finish(body_sent=sent)
        return answer


def _is_file(body: object) -> TypeGuard[BinaryIO]:
    return hasattr(body, 'read') and hasattr(body, 'seek')


def _chunks(body: bytes | BinaryIO | Iterable[bytes]) -> Iterable[bytes]:
    if isinstance(body, bytes):
        if body:
            yield body
    elif _is_file(body):
        while chunk := body.read(65536):
            yield chunk
    else:
        try:
            yield from body
        finally:
            getattr(body, 'close', lambda: None)()

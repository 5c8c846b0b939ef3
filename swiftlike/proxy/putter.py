"""One object PUT to one storage node, in three steps: open it with
``Expect: 100-continue`` and learn whether the node takes the body (or its
final answer, e.g. 507, 409 or 412, before any of the body was sent); feed it
the body from a green thread of its own; read its final answer."""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from rings import Device
from swiftlike.common.concurrency import Feeder, Timeout, timeout
from swiftlike.proxy.backend import Backend, BackendResult


class ExpectResponse(http.client.HTTPResponse):
    """An HTTPResponse that can stop at an interim ``100 Continue``.

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


@dataclass
class Putter:
    """A PUT to ``node`` that has been told to send its body."""

    node: Device
    conn: http.client.HTTPConnection
    resp: ExpectResponse
    primary: bool
    index: int
    chunked: bool
    feeder: Feeder | None = field(default=None)

    def start(self, node_timeout: float) -> None:
        """Start the green thread that sends what :meth:`send` queues."""
        def send(chunk: bytes) -> None:
            with timeout(node_timeout):
                self.conn.send(chunk)
        self.feeder = Feeder(send)

    def send(self, chunk: bytes) -> bool:
        """Queue a chunk of the body; False once sending to this node failed."""
        assert self.feeder is not None
        return self.feeder.put(b'%x\r\n%s\r\n' % (len(chunk), chunk) if self.chunked else chunk)

    def finish(self, node_timeout: float) -> BackendResult:
        """End the body and read the node's answer (503, ``failure`` 'io', if it is lost)."""
        assert self.feeder is not None
        if self.chunked:
            self.feeder.put(b'0\r\n\r\n')
        try:
            if self.feeder.finish(node_timeout) is not None:
                return self.lost()
            with timeout(node_timeout):
                self.resp.begin()
                data = self.resp.read()
        except (OSError, Timeout, http.client.HTTPException):
            return self.lost()
        finally:
            self.conn.close()
        return BackendResult(self.resp.status, {k.title(): v for k, v in self.resp.getheaders()}, data,
                             self.node)

    def lost(self) -> BackendResult:
        self.close()
        return BackendResult(503, {}, b'', self.node, 'io')

    def close(self) -> None:
        if self.feeder is not None:
            self.feeder.abort()
        self.conn.close()


def open_put(backend: Backend, node: Device, path: str, headers: Mapping[str, str], *,
             primary: bool, index: int) -> Putter | BackendResult:
    """Send the request line and headers of a PUT with ``Expect: 100-continue``:
    a :class:`Putter` once the node answers 100, else the node's final answer
    (a 503 with ``failure`` when it could not be reached or did not answer)."""
    try:
        conn = backend.connect(node, 'PUT', path, {**headers, 'Expect': '100-continue'})
    except (OSError, Timeout, http.client.HTTPException):
        return BackendResult(503, {}, b'', node, 'connect')
    resp = ExpectResponse(conn.sock, method='PUT')
    try:
        with timeout(backend.node_timeout):
            if resp.expect_continue():
                chunked = headers.get('Transfer-Encoding', '').lower() == 'chunked'
                return Putter(node, conn, resp, primary, index, chunked)
            data = resp.read()
    except (OSError, Timeout, http.client.HTTPException):
        conn.close()
        return BackendResult(503, {}, b'', node, 'io')
    conn.close()
    return BackendResult(resp.status, {k.title(): v for k, v in resp.getheaders()}, data, node)

"""One object PUT to one storage node, in three steps: open it with
``Expect: 100-continue`` and learn whether the node takes the body (or its
final answer, e.g. 507, 409 or 412, before any of the body was sent); feed it
the body from a green thread of its own; read its final answer."""

from __future__ import annotations

import http.client
from collections.abc import Mapping
from dataclasses import dataclass, field

from rings import Device
from swiftlike.common.concurrency import Feeder, Timeout
from swiftlike.common.http_client import ConnectError, Exchange
from swiftlike.proxy.backend import Backend, BackendResult


@dataclass
class Putter:
    """A PUT to ``node`` that has been told to send its body."""

    node: Device
    ex: Exchange
    primary: bool
    index: int
    chunked: bool
    feeder: Feeder | None = field(default=None)

    def start(self) -> None:
        """Start the green thread that sends what :meth:`send` queues."""
        self.feeder = Feeder(self.ex.send)

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
            resp = self.ex.response()
            data = self.ex.read()
        except (OSError, Timeout, http.client.HTTPException):
            return self.lost()
        self.ex.finish()
        return BackendResult(resp.status, resp.header_map(), data, self.node)

    def lost(self) -> BackendResult:
        self.close()
        return BackendResult(503, {}, b'', self.node, 'io')

    def close(self) -> None:
        if self.feeder is not None:
            self.feeder.abort()
        self.ex.close()


def open_put(backend: Backend, node: Device, path: str, headers: Mapping[str, str], *,
             primary: bool, index: int) -> Putter | BackendResult:
    """Send the request line and headers of a PUT with ``Expect: 100-continue``:
    a :class:`Putter` once the node answers 100, else the node's final answer
    (a 503 with ``failure`` when it could not be reached or did not answer)."""
    try:
        ex = backend.ask(node, 'PUT', path, headers, expect=True)
    except ConnectError:
        return BackendResult(503, {}, b'', node, 'connect')
    except (OSError, Timeout, http.client.HTTPException):
        return BackendResult(503, {}, b'', node, 'io')
    if ex.continued:
        return Putter(node, ex, primary, index, headers.get('Transfer-Encoding', '').lower() == 'chunked')
    try:
        resp, data = ex.response(), ex.read()
    except (OSError, Timeout, http.client.HTTPException):
        ex.close()
        return BackendResult(503, {}, b'', node, 'io')
    ex.finish(body_sent=False)
    return BackendResult(resp.status, resp.header_map(), data, node)

"""Fakes for the object server's unit tests (STYLE.md C13): a node built
through ``app_factory`` in a tmp dir, a settable clock, request bodies that
record or refuse reads, and a sender that delivers container updates to an
in-process container server."""

from __future__ import annotations

import io
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from webob import Request, Response

from swiftlike.obj.async_pending import PendingUpdate
from swiftlike.obj.server import ObjectServer, app_factory


class FakeClock:
    """``time.time`` stand-in: returns ``now``, which tests move by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class UnreadInput(io.BytesIO):
    """A request body that counts how many bytes the app read of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


class HangUpInput(io.BytesIO):
    """A body whose sender hangs up (``OSError``, as eventlet raises) after ``data``."""

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if not chunk:
            raise ConnectionResetError('peer hung up')
        return chunk


def dead_port() -> int:
    """A loopback port nobody listens on (bound, then closed: connecting is refused)."""
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


@dataclass
class Answer:
    """What the updater reads of a sent request: its status."""

    status: int


class InProcessSender:
    """Stands in for direct_request: delivers each update to ``app`` (a
    container server) in-process and records ``(method, path)``."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.sent: list[tuple[str, str]] = []

    def __call__(self, host: str, port: int, method: str, path: str, *,
                 headers: Mapping[str, str], **_: object) -> Answer:
        self.sent.append((method, path))
        req = Request.blank(quote(path), method=method, headers=dict(headers))
        return Answer(req.get_response(self.app).status_int)


class ObjectNode:
    """One object server (built by ``app_factory``) over ``<root>/node/sda``,
    whose clock reads ``now`` until a test moves it."""

    def __init__(self, root: Path, now: float, **conf: str) -> None:
        self.root = root
        swift_dir = root / 'swift'
        swift_dir.mkdir(exist_ok=True)
        (swift_dir / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = t\n')
        self.device = root / 'node' / 'sda'
        self.device.mkdir(parents=True, exist_ok=True)
        settings = {'devices': str(root / 'node'), 'swift_dir': str(swift_dir), 'mount_check': 'false',
                    'fsync': 'false', 'conn_timeout': '0.2', 'node_timeout': '0.2',
                    'container_update_timeout': '1', **conf}
        self.app: ObjectServer = app_factory({}, **settings)
        self.clock = FakeClock(now)
        self.app.clock = self.clock              # (what reads and writes check expiry against)
        self.app.store.clock = self.clock        # type: ignore[attr-defined]  # (reclaim age)

    def call(self, method: str, path: str = '/sda/1/a/c/o', body: bytes | None = None,
             environ: Mapping[str, Any] | None = None, **headers: str) -> Response:
        """One request; ``headers`` as keywords, ``_`` standing for ``-``."""
        req = Request.blank(path, method=method, environ=dict(environ or {}),
                            headers={k.replace('_', '-'): v for k, v in headers.items()})
        if body is not None:
            req.body = body
        return req.get_response(self.app)

    def put(self, body: bytes, timestamp: str, path: str = '/sda/1/a/c/o', **headers: str) -> Response:
        """PUT ``body`` with a Content-Type."""
        return self.call('PUT', path, body, X_Timestamp=timestamp, Content_Type='text/plain', **headers)

    def files(self, ext: str = '') -> list[Path]:
        """Object files under ``objects/`` (not quarantined ones) ending in ``ext``."""
        return sorted(p for p in (self.device / 'objects').rglob(f'*{ext}') if p.is_file()
                      and not p.name.startswith('.') and p.suffix in ('.data', '.ts', '.meta'))

    def quarantined(self) -> list[Path]:
        """Hash directories moved aside to ``quarantined/objects``."""
        where = self.device / 'quarantined' / 'objects'
        return sorted(where.iterdir()) if where.is_dir() else []

    def async_pendings(self) -> list[PendingUpdate]:
        """The container updates kept for the object-updater."""
        where = self.device / 'async_pending'
        found = sorted(p for p in where.rglob('*') if p.is_file()) if where.is_dir() else []
        return [PendingUpdate.from_json(p.read_bytes()) for p in found]

    def tmp_files(self) -> list[Path]:
        """What a write left in the device's tmp dir."""
        where = self.device / 'tmp'
        return sorted(where.iterdir()) if where.is_dir() else []


def read_until_error(resp: Response) -> tuple[bytes, BaseException | None]:
    """The body a client would get: chunks up to the first error, and that error."""
    got = []
    iterator = iter(resp.app_iter)
    try:
        for chunk in iterator:
            got.append(chunk)
    except Exception as err:          # the body is cut short here
        return b''.join(got), err
    finally:
        close = getattr(resp.app_iter, 'close', None)
        if close is not None:
            close()
    return b''.join(got), None

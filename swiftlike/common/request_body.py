"""Reading request bodies from clients that may stall, hang up or send a
broken chunked body, and parsing JSON bodies of internal verbs: each such
fault is a 4xx for that request (408, 499, 400, 413), never an uncaught
error. Only reading from ``wsgi.input`` is guarded here; errors writing
what was read (a full disk) stay the caller's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any, Final

from webob import Request, exc

from swiftlike.common.concurrency import Timeout, timeout
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.http import HTTPClientDisconnect

CHUNK: Final = 65536


def read_chunk(stream: IO[bytes], size: int, seconds: float) -> bytes:
    """Up to ``size`` bytes of the body (b'' at its end).

    :raises HTTPRequestTimeout: if the client sends nothing for ``seconds``
    :raises HTTPBadRequest: for a malformed chunked body (eventlet's
        ChunkReadError is a ValueError)
    :raises HTTPClientDisconnect: (499) if the client hung up
    """
    try:
        with timeout(seconds):
            return stream.read(size)
    except Timeout:
        raise exc.HTTPRequestTimeout(body='Timeout reading the request body\n') from None
    except ValueError as err:
        raise exc.HTTPBadRequest(body=f'Malformed request body: {err}\n') from None
    except OSError:
        raise HTTPClientDisconnect(body='Client disconnected while sending the body\n') from None


class GuardedInput:
    """``wsgi.input`` for code that reads it itself (db_sync): each read is
    :func:`read_chunk`, so a stall, a hang-up or a broken chunk is a 4xx."""

    def __init__(self, stream: IO[bytes], seconds: float) -> None:
        self.stream = stream
        self.seconds = seconds

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (see :func:`read_chunk`)."""
        return read_chunk(self.stream, size, self.seconds)


def _chunked(req: Request) -> bool:
    return 'chunked' in req.headers.get('Transfer-Encoding', '').lower()


def stream_body(req: Request, write: Callable[[bytes], object], remaining: int | None, *,
                limit: int, seconds: float) -> int:
    """Pass ``remaining`` bytes of the body (all of it if None) to ``write``.

    :returns: the number of bytes read
    :raises HTTPRequestEntityTooLarge: past ``limit`` bytes
    :raises HTTPClientDisconnect: if the body ends before ``remaining`` bytes
    """
    stream = req.environ['wsgi.input']
    size = 0
    while remaining is None or remaining > 0:
        chunk = read_chunk(stream, CHUNK if remaining is None else min(CHUNK, remaining), seconds)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise exc.HTTPRequestEntityTooLarge(body='Request body too large\n')
        if remaining is not None:
            remaining -= len(chunk)
        write(chunk)
    if remaining:
        raise HTTPClientDisconnect(body='Body shorter than Content-Length\n')
    return size


def read_body(req: Request, *, limit: int, seconds: float) -> bytes:
    """The whole body (at most ``limit`` bytes); b'' if there is none.

    :raises HTTPRequestEntityTooLarge: if it is longer than ``limit``
    """
    if req.content_length is None and not _chunked(req):
        return b''
    if (req.content_length or 0) > limit:
        raise exc.HTTPRequestEntityTooLarge(body='Request body too large\n')
    parts: list[bytes] = []
    stream_body(req, parts.append, req.content_length, limit=limit, seconds=seconds)
    return b''.join(parts)


def read_body_part(req: Request, length: int, *, seconds: float) -> bytes:
    """The next ``length`` bytes of the body (the caller checked that the
    body is at least that long).

    :raises HTTPClientDisconnect: if it ends sooner
    """
    parts: list[bytes] = []
    stream_body(req, parts.append, length, limit=length, seconds=seconds)
    return b''.join(parts)


def parse_json(raw: bytes, what: str = 'body') -> Any:
    """``raw`` (strict UTF-8) as JSON.

    >>> parse_json(b'{"op": "sync"}')
    {'op': 'sync'}

    :raises ConstraintError: 400 if it is not UTF-8 JSON, or nested too deep
    """
    try:
        return json.loads(raw.decode('utf-8'))
    except (ValueError, RecursionError) as err:
        raise ConstraintError(f'{what} is not JSON: {str(err)[:80]}') from None


def is_text(value: object, *, nul: bool = True) -> bool:
    """Whether ``value`` is a str that can be stored (encodable as UTF-8,
    so no lone surrogates from JSON ``\\ud800``; without NUL unless ``nul``).

    >>> is_text('caf\\u00e9'), is_text('\\ud800'), is_text(5), is_text('a\\x00', nul=False)
    (True, False, False, False)
    """
    if not isinstance(value, str) or (not nul and '\x00' in value):
        return False
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        return False
    return True

"""Requests a middleware makes through the rest of the pipeline on behalf
of a client's request: the same user (the auth filter's authorize callback
and the transaction id go along), another method, path, headers and body."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Final
from urllib.parse import quote

from webob import Request, Response

from swiftlike.common import env_keys
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.request import split_path, wsgi_path_to_str
from swiftlike.common.wsgi import WsgiApp

#: Environ keys that describe the client's request itself, never copied to a sub-request.
_OWN: Final = frozenset({'REQUEST_METHOD', 'PATH_INFO', 'RAW_PATH_INFO', 'SCRIPT_NAME', 'QUERY_STRING',
                         'CONTENT_LENGTH', 'CONTENT_TYPE', 'REQUEST_URI', 'wsgi.input', env_keys.ACL})


def environ_for(environ: dict[str, Any], method: str, path: str, *, query: str = '',
                headers: dict[str, str] | None = None, body: Any = None,
                length: int | None = None) -> dict[str, Any]:
    """A sub-request's environ (``path`` as text, e.g. ``/v1/AUTH_a/c/o``)."""
    env = {k: v for k, v in environ.items()
           if k not in _OWN and not k.startswith(('HTTP_', 'webob.', 'eventlet.'))}
    env.update({'REQUEST_METHOD': method, 'SCRIPT_NAME': '', 'QUERY_STRING': query,
                'PATH_INFO': path.encode('utf-8').decode('latin-1'),
                'HTTP_HOST': environ.get('HTTP_HOST', 'localhost'),
                'wsgi.input': body if body is not None else IterReader(())})
    if length is not None:
        env['CONTENT_LENGTH'] = str(length)
    for name, value in (headers or {}).items():
        if name.lower() == 'content-type':
            env['CONTENT_TYPE'] = value
        elif name.lower() == 'content-length':
            env['CONTENT_LENGTH'] = value
        else:
            env['HTTP_' + name.upper().replace('-', '_')] = value
    return env


def _allow(req: Request) -> None:
    """The authorize callback of a look-up HEAD."""
    return None


def lookup_head(app: WsgiApp, environ: dict[str, Any], path: str) -> Response:
    """A filter's HEAD of an account or container (``path`` as text) through
    ``app``, for metadata the filter acts on: no client identity, no auth
    check stops it, and staticweb never answers it as a web site. Its body
    is given up; only status and headers are left."""
    env = environ_for(environ, 'HEAD', path)
    for name in (env_keys.REMOTE_GROUPS, 'REMOTE_USER'):
        env.pop(name, None)
    env[env_keys.AUTHORIZE] = _allow
    env[env_keys.AUTHORIZE_OVERRIDE] = True
    env[env_keys.META_LOOKUP] = True
    resp = Request(env).get_response(app)
    close(resp)
    return resp


def call(app: WsgiApp, environ: dict[str, Any], method: str, path: str, **kwargs: Any) -> Response:
    """The answer of ``app`` to a sub-request (its body not read yet)."""
    return Request(environ_for(environ, method, path, **kwargs)).get_response(app)


def close(resp: Response) -> None:
    """Give up a response's body."""
    closer = getattr(resp.app_iter, 'close', None)
    if closer is not None:
        closer()


def object_path(account: str, container: str, obj: str) -> str:
    """``/v1/<account>/<container>/<object>``."""
    return f'/v1/{account}/{container}/{obj}'


def quoted(path: str) -> str:
    """A path as a header value (``X-Copy-From`` and the like)."""
    return quote(path, safe='/')


class IterReader:
    """A file-like ``read`` over an iterable of byte chunks (a body to send on)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: Iterator[bytes] = iter(chunks)
        self._buffer = b''
        self._source = chunks

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b''
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def close(self) -> None:
        closer = getattr(self._source, 'close', None)
        if closer is not None:
            closer()


def v1_names(req: Request) -> tuple[str, ...] | None:
    """``(account[, container[, object]])`` of a ``/v1`` path, else None."""
    try:
        version, *rest = split_path(path_of(req), 2, 4, rest_with_last=True)
    except (ConstraintError, UnicodeDecodeError):
        return None
    names = tuple(p for p in rest if p)
    return names if version in ('v1', 'v1.0') and names else None


def path_of(req: Request) -> str:
    """The request's path as text."""
    return wsgi_path_to_str(req.environ.get('PATH_INFO', ''))


def object_of(req: Request) -> tuple[str, str, str] | None:
    """``(account, container, object)`` of an object request, or None for
    anything else (malformed paths are left for the proxy to refuse)."""
    try:
        version, account, container, obj = split_path(path_of(req), 1, 4, rest_with_last=True)
    except (ConstraintError, UnicodeDecodeError):
        return None
    if version not in ('v1', 'v1.0') or not account or not container or not obj:
        return None
    return account, container, obj

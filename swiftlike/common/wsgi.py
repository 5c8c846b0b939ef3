"""The WSGI kit shared by every service: the Middleware base, and the base
of storage servers, which owns dispatch once (servers only add verbs)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from webob import Request, Response, exc

from swiftlike.common import env_keys
from swiftlike.common.config import parse_conf
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.timestamp import Timestamp

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
Handler = Callable[[Any, Request], Response]
H = TypeVar('H', bound=Handler)
M = TypeVar('M', bound='Middleware')

logger = logging.getLogger(__name__)


def public(handler: H) -> H:
    """Mark an upper-case method as an HTTP verb the server answers."""
    handler.publicly_accessible = True  # type: ignore[attr-defined]
    return handler


def plain(resp: Response) -> Response:
    """A webob HTTP exception without a body of its own gets a short text
    body (for errors) or none, instead of webob's HTML page."""
    if not isinstance(resp, exc.WSGIHTTPException):
        return resp
    if resp.has_body:
        if resp.content_type == 'text/html':
            resp.content_type = 'text/plain'
        return resp
    headers = [(k, v) for k, v in resp.headerlist if k.lower() not in ('content-type', 'content-length')]
    body = b'' if resp.status_int < 400 else (resp.status + '\n').encode('ascii')
    out = Response(status=resp.status, headerlist=headers, body=body)
    if body:
        out.content_type = 'text/plain'
    return out


def http_error(err: ConstraintError) -> exc.HTTPException:
    """The webob error for a constraint failure, with its message."""
    cls = exc.status_map.get(err.status, exc.HTTPBadRequest)
    return cls(body=str(err) + '\n', content_type='text/plain')


def request_timestamp(req: Request) -> Timestamp:
    """The X-Timestamp a write must carry.

    :raises HTTPBadRequest: if it is missing or malformed
    """
    try:
        return Timestamp(req.headers['X-Timestamp'])
    except KeyError:
        raise exc.HTTPBadRequest(body='Missing X-Timestamp header\n') from None
    except ValueError as err:
        raise exc.HTTPBadRequest(body=f'Invalid X-Timestamp: {err}\n') from None


class Middleware:
    """Base of every filter: ``process_request`` may answer (return a
    Response) or fall through (return None) to the wrapped app."""

    conf_class: ClassVar[type | None] = None

    def __init__(self, app: WsgiApp, conf: Any = None) -> None:
        self.app = app
        self.conf = conf

    @classmethod
    def factory(cls: type[M], global_conf: dict[str, str], **local_conf: str) -> Callable[[WsgiApp], M]:
        """paste.deploy filter_factory."""
        conf = parse_conf(cls.conf_class, {**global_conf, **local_conf}, section=cls.__name__,
                          local=local_conf) if cls.conf_class else None
        return lambda app: cls(app, conf)

    def process_request(self, req: Request) -> Response | None:
        """Answer ``req``, or return None to pass it on."""
        return None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        req = Request(environ)
        try:
            resp = self.process_request(req)
        except exc.HTTPException as err:
            resp = err
        if resp is None:
            return self.app(environ, start_response)
        return resp(environ, start_response)  # type: ignore[no-any-return]


class BaseStorageServer:
    """A storage server: dispatches to ``@public`` upper-case verb methods,
    turns constraint errors into 4xx, logs one line per request. Uncaught
    errors go up to ``catch_errors``."""

    server_type: ClassVar[str] = 'storage-server'

    def __init__(self) -> None:
        self._verbs = {name: getattr(self, name) for name in dir(type(self))
                       if name.isupper() and getattr(getattr(self, name), 'publicly_accessible', False)}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.monotonic()
        req = Request(environ)
        handler = self._verbs.get(req.method)
        try:
            if handler is None:
                resp = exc.HTTPMethodNotAllowed(headers={'Allow': ', '.join(sorted(self._verbs))})
            else:
                resp = handler(req)
        except ConstraintError as err:
            resp = http_error(err)
        except exc.HTTPException as err:
            resp = err
        resp = plain(resp)
        trans_id = environ.get(env_keys.TXN_ID) or req.headers.get('X-Trans-Id', '-')
        resp.headers['X-Trans-Id'] = trans_id
        query = environ.get('QUERY_STRING')
        path = environ.get('PATH_INFO', '') + (f'?{query}' if query else '')
        logger.info('%s %s %s %s %.4f', self.server_type, req.method, path,
                    resp.status_int, time.monotonic() - started,
                    extra={'txn_id': trans_id, 'client_ip': req.remote_addr})
        return resp(environ, start_response)  # type: ignore[no-any-return]

"""Cross-origin resource sharing for the Swift API, as Swift's proxy has it:
a container's ``X-Container-Meta-Access-Control-Allow-Origin`` (origins,
space-separated, or ``*``), ``-Max-Age`` and ``-Expose-Headers`` decide.

- ``OPTIONS`` (a browser's preflight) is answered here, before any auth:
  200 with ``Access-Control-Allow-Origin``/``-Methods``/``-Headers``
  (``-Max-Age``) when the origin is allowed and the method is one the path
  takes, else 401. Without an ``Origin`` it is 200 with ``Allow``.
- Any other request with an ``Origin`` gets ``Access-Control-Allow-Origin``
  and ``Access-Control-Expose-Headers`` (the usual headers, the answer's
  user metadata, the container's and the operator's list) on its answer;
  with ``strict_cors_mode`` (the default) only when the origin is allowed.
- ``cors_allow_origin`` and ``cors_expose_headers`` add origins and headers
  for every container; ``GET /info`` shows ``strict_cors_mode`` in its
  ``swift`` section, where Swift's clients read it.

A filter rather than proxy code so that preflights (which carry no token)
never reach the auth filter: it sits after s3api (whose S3 requests it
leaves alone) and before tempurl, formpost and tempauth. Never changes a
status other than its own OPTIONS answers, never stores anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

from webob import Request, Response

from swiftlike.common import container_meta, header_hook, info, subrequest
from swiftlike.common.numbers import is_int
from swiftlike.common.wsgi import Middleware

#: Headers a browser may always read from an answer (Swift's list).
EXPOSED: Final = ('cache-control', 'content-language', 'content-type', 'expires', 'last-modified',
                  'pragma', 'etag', 'x-timestamp', 'x-trans-id', 'x-openstack-request-id')
_TOKEN: Final = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}")
_METHODS: Final = {3: ('COPY', 'DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'),
                   2: ('DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT'),
                   1: ('GET', 'HEAD', 'OPTIONS', 'POST')}


@dataclass(frozen=True)
class CorsConf:
    """``[filter:cors]``."""

    #: Only answers to allowed origins carry CORS headers (else every Origin is echoed).
    strict_cors_mode: bool = True
    #: Origins (comma-separated) allowed for every container.
    cors_allow_origin: str = ''
    #: Headers (comma-separated) every answer to a cross-origin request exposes.
    cors_expose_headers: str = ''


def _tokens(text: str, sep: str | None = None) -> list[str]:
    return [t.strip() for t in text.split(sep) if t.strip()]


class Cors(Middleware):
    """The cors filter."""

    conf_class = CorsConf

    def __init__(self, app: object, conf: CorsConf | None = None) -> None:
        super().__init__(app, conf or CorsConf())  # type: ignore[arg-type]
        self.strict: bool = self.conf.strict_cors_mode
        self.origins = set(_tokens(self.conf.cors_allow_origin, ','))
        self.expose = {h.lower() for h in _tokens(self.conf.cors_expose_headers, ',') if _TOKEN.fullmatch(h)}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        req = Request(environ)
        origin = req.headers.get('Origin')
        parts = None if info.is_info(environ) or not origin else subrequest.v1_names(req)
        s3 = req.headers.get('Authorization', '').startswith('AWS')
        container_write = parts is not None and len(parts) == 2 and req.method in ('PUT', 'POST', 'DELETE')
        if parts is None or req.method == 'OPTIONS' or s3 or container_write:
            return super().__call__(environ, start_response)
        original = dict(environ)          # as the client sent it (filters below may change it)

        def decorated(status: str, headers: header_hook.Headers) -> header_hook.Headers:
            return self._decorated(headers, str(origin), self._settings(Request(original), parts))
        return header_hook.call_with(self.app, environ, start_response, decorated)

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            return self._info(req)
        parts = subrequest.v1_names(req)
        if parts is None or req.headers.get('Authorization', '').startswith('AWS'):
            return None
        if req.method == 'OPTIONS':
            return self._preflight(req, parts)
        origin = req.headers.get('Origin')
        if len(parts) == 2 and req.method in ('PUT', 'POST', 'DELETE'):
            resp = req.get_response(self.app)
            container_meta.forget(req.environ, *parts)
        elif origin:
            resp = req.get_response(self.app)
        else:
            return None
        if origin:
            resp.headerlist = self._decorated(list(resp.headerlist), origin, self._settings(req, parts))
        return resp

    def _settings(self, req: Request, parts: tuple[str, ...]) -> dict[str, str]:
        """The container's CORS metadata (``allow-origin``, ``max-age``, ``expose-headers``)."""
        if len(parts) < 2:
            return {}
        meta = container_meta.read(self.app, req.environ, parts[0], parts[1])
        return {k[len('access-control-'):]: v for k, v in meta.items() if k.startswith('access-control-')}

    def _allowed(self, settings: dict[str, str], origin: str) -> bool:
        allowed = self.origins | set(_tokens(settings.get('allow-origin', '')))
        return origin in allowed or '*' in allowed

    def _preflight(self, req: Request, parts: tuple[str, ...]) -> Response:
        methods = _METHODS[len(parts)]
        resp = Response(status=200, headers={'Allow': ', '.join(methods)}, body=b'')
        origin = req.headers.get('Origin')
        if not origin:
            return resp
        settings = self._settings(req, parts)
        wanted_method = req.headers.get('Access-Control-Request-Method')
        if wanted_method not in methods or not self._allowed(settings, origin):
            resp.status = 401
            return resp
        resp.headers['Access-Control-Allow-Origin'] = \
            '*' if settings.get('allow-origin', '').strip() == '*' else origin
        resp.headers['Access-Control-Allow-Methods'] = ', '.join(methods)
        max_age = settings.get('max-age', '').strip()
        if is_int(max_age, maximum=2 ** 31 - 1):
            resp.headers['Access-Control-Max-Age'] = max_age
        wanted = [h for h in _tokens(req.headers.get('Access-Control-Request-Headers', ''), ',')
                  if _TOKEN.fullmatch(h)]
        if wanted:
            resp.headers['Access-Control-Allow-Headers'] = ', '.join(wanted)
        return resp

    def _decorated(self, headers: header_hook.Headers, origin: str,
                   settings: dict[str, str]) -> header_hook.Headers:
        """An actual (not preflight) request's answer headers, with CORS headers added."""
        if self.strict and not self._allowed(settings, origin):
            return headers
        if header_hook.get(headers, 'Access-Control-Expose-Headers') is None:
            exposed = set(EXPOSED) | self.expose
            exposed |= {k.lower() for k, _ in headers
                        if k.lower().startswith(('x-container-meta-', 'x-object-meta-'))}
            exposed |= {h.lower() for h in _tokens(settings.get('expose-headers', '')) if _TOKEN.fullmatch(h)}
            headers.append(('Access-Control-Expose-Headers', ', '.join(sorted(exposed))))
        if header_hook.get(headers, 'Access-Control-Allow-Origin') is None:
            headers.append(('Access-Control-Allow-Origin',
                            '*' if settings.get('allow-origin', '').strip() == '*' else origin))
        return headers

    def _info(self, req: Request) -> Response:
        """/info, with ``strict_cors_mode`` in its ``swift`` section (the proxy app writes that section)."""
        resp = req.get_response(self.app)
        if resp.status_int != 200 or req.method != 'GET':
            return resp
        try:
            body = json.loads(resp.body)
            body['swift']['strict_cors_mode'] = self.strict
        except (ValueError, KeyError, TypeError):
            return resp
        resp.body = json.dumps(body).encode()
        return resp


filter_factory = Cors.factory

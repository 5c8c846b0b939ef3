"""The proxy server: routes ``/v1/<account>[/<container>[/<object>]]`` to
the account, container and object controllers, and answers ``/info``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from webob import Request, Response, exc

from swiftlike.common import env_keys, info
from swiftlike.common.concurrency import Timeout
from swiftlike.common.config import parse_conf
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.policy import DEFAULT_POLICY
from swiftlike.common.request import split_path, wsgi_path_to_str
from swiftlike.common.ring_watcher import RingWatcher
from swiftlike.common.swift_conf import SwiftConf
from swiftlike.common.wsgi import http_error, plain
from swiftlike.proxy.backend import Backend, ErrorLimiter
from swiftlike.proxy.conf import ProxyServerConf
from swiftlike.proxy.controllers import account, container, obj
from swiftlike.proxy.controllers.base import ProxyState, VPath

VERSION = '0.1.0'


class ProxyServer:
    """The proxy WSGI app (below the middleware pipeline)."""

    def __init__(self, state: ProxyState) -> None:
        self.state = state

    def info(self, req: Request) -> Response:
        """``GET /info``: what this cluster offers, as python-swiftclient reads it:
        the core limits, and a section for each filter of the pipeline that added one."""
        limits = self.state.limits.as_dict()
        policies = [{'name': DEFAULT_POLICY, 'default': True}]
        body = {'swift': {'version': VERSION, **limits, 'policies': policies,
                          'allow_account_management': False, 'account_autocreate':
                          self.state.conf.account_autocreate},
                **info.sections(req.environ)}
        return Response(body=json.dumps(body).encode(), content_type='application/json')

    def route(self, req: Request) -> Response:
        path = wsgi_path_to_str(req.environ.get('PATH_INFO', ''))
        if path == '/info' and req.method in ('GET', 'HEAD'):
            return self.info(req)
        if '\x00' in path:
            return exc.HTTPPreconditionFailed(body='Invalid UTF8 or contains NULL')
        try:
            version, acct, cont, name = split_path(path, 1, 4, rest_with_last=True)
        except ConstraintError:         # an empty name: nothing can live there (as Swift)
            return exc.HTTPNotFound(body='Invalid path: expected /v1/<account>[/<container>[/<object>]]')
        if not acct:
            return exc.HTTPPreconditionFailed(body='Bad URL')
        if version not in ('v1', 'v1.0'):
            return exc.HTTPBadRequest(body=f'Invalid API version {version!r}')
        vpath = VPath(acct, cont, name)
        if name is not None:
            return obj.handle(self.state, req, vpath)
        if cont is not None:
            return container.handle(self.state, req, vpath)
        return account.handle(self.state, req, vpath)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        req = Request(environ)
        try:
            resp = self.route(req)
        except ConstraintError as err:
            resp = http_error(err)
            resp.body = resp.body.rstrip(b'\n')        # Swift's clients compare the message exactly
        except exc.HTTPException as err:
            resp = err
        except Timeout:
            resp = exc.HTTPRequestTimeout(body='client took too long to send the body\n')
        resp = plain(resp)
        trans_id = environ.get(env_keys.TXN_ID)
        if trans_id:                          # the name OpenStack clients log it under
            resp.headers['X-Openstack-Request-Id'] = trans_id
        return resp(environ, start_response)  # type: ignore[no-any-return]


def app_factory(global_conf: dict[str, str], **local_conf: str) -> ProxyServer:
    """paste.deploy app_factory."""
    conf = parse_conf(ProxyServerConf, {**global_conf, **local_conf}, section='app:proxy-server',
                      local=local_conf)
    swift_conf = SwiftConf.load(conf.swift_dir)
    def ring(kind: str) -> RingWatcher:
        return RingWatcher(conf.swift_dir / f'{kind}.ring.gz', hash_prefix=swift_conf.hash_prefix,
                           hash_suffix=swift_conf.hash_suffix)

    backend = Backend(conn_timeout=conf.conn_timeout, node_timeout=conf.node_timeout,
                      limiter=ErrorLimiter(conf.error_suppression_limit, conf.error_suppression_interval))
    state = ProxyState(conf=conf, limits=swift_conf.constraints, account_ring=ring('account'),
                       container_ring=ring('container'), object_ring=ring('object'), backend=backend)
    return ProxyServer(state)


def main(argv: list[str] | None = None) -> int:
    """``swiftlike-proxy-server CONF``."""
    from swiftlike.common.middleware.catch_errors import CatchErrors
    from swiftlike.common.middleware.copy import Copy
    from swiftlike.common.middleware.gatekeeper import Gatekeeper
    from swiftlike.common.middleware.slo import Slo
    from swiftlike.common.runner import run_wsgi
    return run_wsgi('proxy-server', argv, required=(CatchErrors, Gatekeeper, Copy, Slo))

"""``GET /healthcheck`` answers ``OK`` (or 503 while a disable file exists)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from webob import Request, Response, exc

from swiftlike.common.wsgi import Middleware


@dataclass(frozen=True)
class HealthCheckConf:
    """Options of the healthcheck filter."""

    disable_path: str = ''


class HealthCheck(Middleware):
    """Answers /healthcheck; everything else falls through."""

    conf_class = HealthCheckConf

    def process_request(self, req: Request) -> Response | None:
        if req.environ.get('PATH_INFO') != '/healthcheck':   # raw: the path may not be UTF-8
            return None
        conf: HealthCheckConf = self.conf or HealthCheckConf()
        if conf.disable_path and Path(conf.disable_path).exists():
            raise exc.HTTPServiceUnavailable(body='DISABLED BY FILE\n', content_type='text/plain')
        return Response(body=b'OK', content_type='text/plain')


filter_factory = HealthCheck.factory

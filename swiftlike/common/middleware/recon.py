"""``GET /recon/`` lists the daemons with a record of their last pass on
this node; ``GET /recon/<daemon>`` returns that daemon's records (see
swiftlike.common.recon)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from webob import Request, Response, exc

from swiftlike.common import recon
from swiftlike.common.wsgi import Middleware

_NAME = re.compile(r'^[a-z][a-z0-9-]{0,63}$')


@dataclass(frozen=True)
class ReconConf:
    """Options of the recon filter."""

    recon_cache_path: Path = Path('/var/cache/swiftlike')


class Recon(Middleware):
    """Answers ``GET /recon/...``; everything else falls through."""

    conf_class = ReconConf

    def process_request(self, req: Request) -> Response | None:
        path = req.environ.get('PATH_INFO', '')
        if path != '/recon' and not path.startswith('/recon/'):
            return None
        if req.method not in ('GET', 'HEAD'):
            raise exc.HTTPMethodNotAllowed(body='recon is read-only\n')
        conf: ReconConf = self.conf or ReconConf()
        name = path[len('/recon/'):].strip('/')
        if not name:
            return Response(json_body=recon.daemons(conf.recon_cache_path))
        if not _NAME.match(name):
            raise exc.HTTPBadRequest(body='bad daemon name\n')
        records = recon.read(conf.recon_cache_path, name)
        if not records:
            raise exc.HTTPNotFound(body=f'no record of {name}\n')
        return Response(json_body=records)


filter_factory = Recon.factory

"""Container quotas, as Swift's: ``X-Container-Meta-Quota-Bytes`` and
``X-Container-Meta-Quota-Count`` (user metadata the container's writers
set, whole numbers) limit what object PUTs may add; one that would pass a
quota is a 413. A COPY, a copy by PUT and a form upload (formpost) are PUTs
by the time they get here, so they count the same way. A chunked upload
(its size unknown before it is read) is counted as it streams, and is a 413,
not stored, once it passes the quota.
"""

from __future__ import annotations

from typing import Final

from webob import Request, Response

from swiftlike.common import info, infocache, quota, subrequest
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.request import wsgi_path_to_str
from swiftlike.common.wsgi import Middleware

BYTES: Final = 'X-Container-Meta-Quota-Bytes'
COUNT: Final = 'X-Container-Meta-Quota-Count'


def _container_key(req: Request) -> str | None:
    """``container/<account>/<container>`` (text) for a container request, else None."""
    try:
        parts = wsgi_path_to_str(req.environ.get('PATH_INFO', '')).rstrip('/').split('/')
    except ConstraintError:
        return None
    ok = len(parts) == 4 and not parts[0] and parts[1] in ('v1', 'v1.0') and all(parts[2:])
    return f'container/{parts[2]}/{parts[3]}' if ok else None


class ContainerQuotas(Middleware):
    """Checks quota values on container writes and enforces them on object PUTs."""

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            info.add(req.environ, 'container_quotas', {})
        container_key = _container_key(req)
        if container_key is not None and req.method in ('PUT', 'POST', 'DELETE'):
            for name in (BYTES, COUNT):
                if name in req.headers:
                    quota.check_value(name, req.headers[name])
            return None
        where = subrequest.object_of(req)
        if where is None or req.method != 'PUT':
            return None
        account, container, _ = where
        if not quota.has_quota(infocache.info_of(self.app, req.environ, account, container), (BYTES, COUNT)):
            return None
        resp = quota.head(self.app, req.environ, f'/v1/{account}/{container}')
        if resp is None:
            return None
        max_bytes = quota.stored_int(resp.headers, BYTES)
        max_count = quota.stored_int(resp.headers, COUNT)
        if max_bytes is None and max_count is None:
            return None
        used = quota.stored_int(resp.headers, 'X-Container-Bytes-Used')
        count = quota.stored_int(resp.headers, 'X-Container-Object-Count')
        if quota.over(max_bytes, used, quota.upload_size(req)) or quota.over(max_count, count, 1):
            if quota.may_write(req, resp.headers.get('X-Container-Write', '')):
                return quota.too_large()
            return None
        return quota.put_within(self.app, req, None if max_bytes is None else max_bytes - (used or 0))


filter_factory = ContainerQuotas.factory

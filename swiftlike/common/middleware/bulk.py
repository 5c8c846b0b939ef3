"""Swift's bulk operations: archive extraction (``PUT ...?extract-archive=``,
see common.bulk_extract) and bulk delete (``POST``/``DELETE ...?bulk-delete``,
see common.bulk_delete). Both answer 200 with a body in the client's
``Accept`` format (common.bulk_response) whose ``Response Status`` tells how
it went. Every object and container is written or deleted by a sub-request
through the rest of the pipeline carrying the client's token, so auth, ACLs,
quotas and rate limits apply to each. Sits before ratelimit, s3api and
tempurl, as Swift's bulk sits before tempurl.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from webob import Request, Response, exc

from swiftlike.common import bulk_delete, bulk_extract, info, query, subrequest
from swiftlike.common.bulk_response import FORMATS, BulkResult, render
from swiftlike.common.constraints import DEFAULT_CONSTRAINTS, ConstraintError
from swiftlike.common.request import split_path, wsgi_path_to_str
from swiftlike.common.wsgi import Middleware

#: The client's headers every sub-request carries.
PASSED: Final = ('X-Auth-Token', 'X-Storage-Token')


@dataclass(frozen=True)
class BulkConf:
    """``[filter:bulk]``."""

    #: Containers one archive may create (a 400 past that).
    max_containers_per_extraction: int = 10000
    #: Failed entries after which an extraction stops.
    max_failed_extractions: int = 1000
    #: Names one bulk delete may list (a 413 past that).
    max_deletes_per_request: int = 10000
    #: Failed deletes after which a bulk delete stops.
    max_failed_deletes: int = 1000


def _where(req: Request) -> tuple[str, str]:
    """``(account, rest)`` of ``/v1/<account>[/<rest>]`` (text).

    :raises HTTPBadRequest: for any other path; 412 for invalid UTF-8
    """
    try:
        version, account, rest = split_path(wsgi_path_to_str(req.environ.get('PATH_INFO', '')), 2, 3, True)
    except ConstraintError as err:
        raise exc.HTTPPreconditionFailed(body=f'{err}\n') if err.status == 412 else \
            exc.HTTPBadRequest(body='Invalid path: bulk operations take /v1/<account>[/...]\n') from None
    if version not in ('v1', 'v1.0') or not account:
        raise exc.HTTPBadRequest(body='Invalid path: bulk operations take /v1/<account>[/...]\n')
    return str(account), (rest or '').strip('/')


class Bulk(Middleware):
    """The bulk filter."""

    conf_class = BulkConf

    @property
    def bconf(self) -> BulkConf:
        return self.conf or BulkConf()

    def process_request(self, req: Request) -> Response | None:
        if info.is_info(req.environ):
            conf = self.bconf
            info.add(req.environ, 'bulk_upload', {
                'max_containers_per_extraction': conf.max_containers_per_extraction,
                'max_failed_extractions': conf.max_failed_extractions})
            info.add(req.environ, 'bulk_delete', {'max_deletes_per_request': conf.max_deletes_per_request,
                                                  'max_failed_deletes': conf.max_failed_deletes})
            return None
        if req.method == 'PUT' and query.has(req, 'extract-archive'):
            return self.extract(req, query.param(req, 'extract-archive'))
        if req.method in ('POST', 'DELETE') and query.has(req, 'bulk-delete'):
            return self.delete(req)
        return None

    def _send(self, req: Request, account: str, method: str, path: str, *,
              body: bulk_extract.Body | None = None, length: int | None = None) -> Response:
        headers = {name: req.headers[name] for name in PASSED if name in req.headers}
        env: dict[str, Any] = subrequest.environ_for(req.environ, method, f'/v1/{account}/{path}',
                                                     headers=headers, body=body, length=length)
        resp = Request(env).get_response(self.app)
        subrequest.close(resp)
        return resp

    def extract(self, req: Request, kind: str) -> Response:
        """Extract the body's archive below the request's path."""
        mode = bulk_extract.MODES.get(kind)
        if mode is None:
            return exc.HTTPBadRequest(body=f'Unsupported archive format: {kind[:64]!r}\n')
        account, base = _where(req)
        conf = self.bconf
        limits = bulk_extract.Limits(conf.max_containers_per_extraction, conf.max_failed_extractions)
        job = bulk_extract.Extraction(lambda method, path, body, length: self._send(
            req, account, method, path, body=body, length=length), limits)
        return _answer(req, job.run(req.body_file, mode, base), 'extract')

    def delete(self, req: Request) -> Response:
        """Delete every name the body lists."""
        account, _ = _where(req)
        limits = bulk_delete.Limits(self.bconf.max_deletes_per_request, self.bconf.max_failed_deletes,
                                    DEFAULT_CONSTRAINTS.max_container_name_length
                                    + DEFAULT_CONSTRAINTS.max_object_name_length + 1)
        names = bulk_delete.read_names(req.body_file, limits)
        result = bulk_delete.delete_all(names, lambda method, path: self._send(req, account, method, path),
                                        limits)
        return _answer(req, result, 'delete')


def _answer(req: Request, result: BulkResult, root: str) -> Response:
    offers = req.accept.acceptable_offers(list(FORMATS))
    content_type = offers[0][0] if offers else FORMATS[0]
    return Response(status=200, body=render(result, content_type, root), content_type=content_type,
                    charset='utf-8')


filter_factory = Bulk.factory

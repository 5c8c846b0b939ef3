"""The ``s3api`` filter: requests signed with AWS Signature V4 (in an
``Authorization`` header or a presigned URL) are S3 requests. It parses one,
prepares its signature check for the auth filter after it (which holds the
secrets: access key ``account:user``, secret = the user's key), and answers
it with Swift requests through the rest of the pipeline. Everything else
passes through untouched. Errors are S3 XML, never a traceback: S3 errors
are raised as :class:`errors.S3Error`, and anything else that escapes a
controller (a bug; no client input should get there) is logged once and
answered ``InternalError`` in S3 XML, so an S3 client never sees a body it
cannot read.

Place it before the auth filter::

    pipeline = catch_errors gatekeeper healthcheck proxy_logging cache ratelimit s3api tempauth proxy-server
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from webob import Response

from swiftlike.common import env_keys, info
from swiftlike.common.wsgi import Middleware, WsgiApp
from swiftlike.s3api import errors, request
from swiftlike.s3api.controllers import (
    bucket,
    multipart,
    multipart_complete,
    multipart_list,
    obj,
    service,
)
from swiftlike.s3api.controllers.common import Controller, S3Conf

logger = logging.getLogger(__name__)

#: (method, query parameter) of an object request -> its multipart upload operation.
MULTIPART: dict[tuple[str, str], Controller] = {
    ('POST', 'uploads'): multipart.create, ('POST', 'uploadId'): multipart_complete.complete,
    ('PUT', 'uploadId'): multipart.upload_part, ('GET', 'uploadId'): multipart_list.list_parts,
    ('DELETE', 'uploadId'): multipart.abort, ('GET', 'partNumber'): multipart.get_part,
    ('HEAD', 'partNumber'): multipart.get_part}


class S3Api(Middleware):
    """S3 in front of the Swift pipeline."""

    conf_class = S3Conf

    def __init__(self, app: WsgiApp, conf: S3Conf | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__(app, conf or S3Conf())
        self.s3conf: S3Conf = self.conf
        self.clock = clock

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if info.is_info(environ):
            info.add(environ, 's3api', {
                'max_bucket_listing': self.s3conf.max_keys, 'max_parts_listing': 1000,
                'max_upload_part_num': 10000, 'max_multi_delete_objects': 1000,
                'allow_multipart_uploads': True, 'min_segment_size': self.s3conf.min_part_size,
                's3_acl': False, 'versioning': False})
        if not request.is_s3(environ):
            if self._virtual_host(environ):      # S3 by its Host, but signed by nobody
                err = errors.AccessDenied('Anonymous S3 requests are not supported; sign the request')
                answer = err.response(environ.get('PATH_INFO', ''), str(environ.get(env_keys.TXN_ID, '')))
                return answer(environ, start_response)  # type: ignore[no-any-return]
            return self.app(environ, start_response)
        request_id = str(environ.get(env_keys.TXN_ID, ''))
        resource = environ.get('PATH_INFO', '')
        try:
            s3 = request.parse(environ, storage_domain=self.s3conf.storage_domain,
                               max_skew=self.s3conf.max_skew, now=self.clock())
            resource = s3.resource
            resp = self.dispatch(s3)
        except errors.S3Error as err:
            resp = self._error(environ, err, resource, request_id)
        except Exception:       # the S3 face of catch_errors: logged here, once, with the traceback
            logger.exception('s3api: uncaught error in %s %s', environ.get('REQUEST_METHOD'),
                             environ.get('PATH_INFO'), extra={'txn_id': request_id})
            resp = self._error(environ, errors.InternalError(), resource, request_id)
        resp.headers['x-amz-request-id'] = request_id
        resp.headers['x-amz-id-2'] = request_id          # (S3's extended id; clients log both)
        return resp(environ, start_response)  # type: ignore[no-any-return]

    @staticmethod
    def _error(environ: dict[str, Any], err: errors.S3Error, resource: str, request_id: str) -> Response:
        resp = err.response(resource, request_id)
        if environ.get('REQUEST_METHOD') == 'HEAD':
            resp.body = b''
        return resp

    def _virtual_host(self, environ: dict[str, Any]) -> bool:
        domain = self.s3conf.storage_domain
        host = str(environ.get('HTTP_HOST', '')).rpartition(':')[0] or str(environ.get('HTTP_HOST', ''))
        return bool(domain) and host.endswith('.' + domain)

    def dispatch(self, s3: request.S3Request) -> Response:
        """The controller of the resource asked for."""
        if not s3.bucket:
            return service.handle(self.app, s3, self.s3conf)
        if s3.key or s3.method != 'PUT':
            bucket.check_existing_name(s3.bucket)
        if not s3.key:
            if 'uploads' in s3.query and s3.method == 'GET':
                return multipart_list.list_uploads(self.app, s3, self.s3conf)
            return bucket.handle(self.app, s3, self.s3conf)
        size = len(s3.key.encode('utf-8', 'surrogateescape'))
        if s3.method in ('PUT', 'POST') and size > self.s3conf.max_key_length:
            raise errors.KeyTooLongError(Size=str(size), MaxSizeAllowed=str(self.s3conf.max_key_length))
        for (method, param), controller in MULTIPART.items():
            if s3.method == method and param in s3.query:
                return controller(self.app, s3, self.s3conf)
        if 'uploadId' in s3.query or 'uploads' in s3.query:
            raise errors.MethodNotAllowed()
        return obj.handle(self.app, s3, self.s3conf)


filter_factory = S3Api.factory

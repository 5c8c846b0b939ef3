"""Swift requests made on behalf of an S3 request: through the rest of the
pipeline (the auth filter, then the proxy), as the S3 request's user, and
their answers turned into S3 errors where they fail."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from webob import Request
from webob.headers import ResponseHeaders

from swiftlike.common import env_keys, subrequest
from swiftlike.common.sysmeta import SYSMETA_ONLY
from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import errors
from swiftlike.s3api.request import S3Request


@dataclass
class SwiftResponse:
    """A Swift answer: status, headers, body iterator."""

    status: int
    headers: ResponseHeaders
    app_iter: Iterable[bytes]

    def body(self) -> bytes:
        """The whole body (closing the iterator)."""
        try:
            return b''.join(self.app_iter)
        finally:
            self.close()

    def close(self) -> None:
        close = getattr(self.app_iter, 'close', None)
        if close:
            close()


def call(app: WsgiApp, s3: S3Request, method: str, bucket: str = '', key: str = '', *,
         query: dict[str, str] | None = None, headers: dict[str, str] | None = None,
         body: Any = None, length: int | None = None) -> SwiftResponse:
    """One Swift request as the S3 request's user (``body``: a file-like wsgi.input)."""
    path = '/v1/' + s3.auth.access_key + ''.join('/' + p for p in (bucket, key) if p)
    environ = subrequest.environ_for(s3.environ, method, path, query=urlencode(query or {}), headers=headers,
                                     body=body, length=length)
    environ[env_keys.S3_AUTH] = s3.auth
    status, header_list, app_iter = Request(environ).call_application(app)
    headers = ResponseHeaders([(k.title(), v) for k, v in header_list])    # any case looks a name up
    return SwiftResponse(int(status.split()[0]), headers, app_iter)


def check(resp: SwiftResponse, s3: S3Request, *, not_found: type[errors.S3Error] = errors.NoSuchKey,
          conflict: type[errors.S3Error] = errors.InvalidRequest) -> SwiftResponse:
    """``resp`` if it succeeded (2xx, 304), else the S3 error it means."""
    if 200 <= resp.status < 300 or resp.status == 304:
        return resp
    resp.close()
    if resp.status == 401:
        outcome = s3.auth.outcome
        if outcome == 'bad_signature' and s3.signed is not None:
            canonical, to_sign = s3.signing_text
            raise errors.signature_mismatch(s3.auth.access_key, to_sign, s3.signed.signature, canonical)
        raise (errors.InvalidAccessKeyId() if outcome == 'unknown_key' else
               errors.SignatureDoesNotMatch() if outcome == 'bad_signature' else errors.AccessDenied())
    mapped: dict[int, type[errors.S3Error]] = {
        400: errors.InvalidArgument, 403: errors.AccessDenied, 404: not_found, 405: errors.MethodNotAllowed,
        408: errors.RequestTimeout, 409: conflict, 411: errors.MissingContentLength,
        412: errors.PreconditionFailed, 413: errors.EntityTooLarge, 416: errors.InvalidRange,
        422: errors.BadDigest, 499: errors.IncompleteBody, 503: errors.ServiceUnavailable}
    raise mapped.get(resp.status, errors.S3Error)()


def listing(app: WsgiApp, s3: S3Request, container: str, *, prefix: str = '', marker: str = '',
            limit: int = 10000, delimiter: str = '') -> list[dict[str, Any]]:
    """One page of a container's JSON listing ([] if the container does not exist)."""
    query = {'format': 'json', 'prefix': prefix, 'marker': marker, 'limit': str(limit)}
    if delimiter:
        query['delimiter'] = delimiter
    resp = call(app, s3, 'GET', container, query=query)
    if resp.status == 404:
        resp.close()
        return []
    check(resp, s3, not_found=errors.NoSuchBucket)
    entries: list[dict[str, Any]] = json.loads(resp.body() or b'[]') if resp.status == 200 else []
    return entries


def require_bucket(app: WsgiApp, s3: S3Request, bucket: str | None = None) -> SwiftResponse:
    """The bucket's HEAD (the request's bucket by default).

    :raises NoSuchBucket: if it does not exist
    """
    resp = call(app, s3, 'HEAD', s3.bucket if bucket is None else bucket)
    check(resp, s3, not_found=errors.NoSuchBucket).close()
    return resp


def bucket_missing(app: WsgiApp, s3: S3Request) -> bool:
    """Whether the request's bucket is not there (asked after a key's 404)."""
    resp = call(app, s3, 'HEAD', s3.bucket)
    resp.close()
    return resp.status == 404


def set_sysmeta(app: WsgiApp, s3: S3Request, bucket: str, key: str, values: dict[str, str]) -> None:
    """Change an object's sysmeta (a POST that keeps its user metadata and expiry)."""
    check(call(app, s3, 'POST', bucket, key, headers={**values, SYSMETA_ONLY: 'true'}), s3).close()


def stream(resp: SwiftResponse) -> Iterator[bytes]:
    """The body, closing the iterator at the end."""
    try:
        yield from resp.app_iter
    finally:
        resp.close()

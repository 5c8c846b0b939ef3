"""Object operations: PutObject, GetObject, HeadObject, DeleteObject.

A PUT's body is checked against ``x-amz-content-sha256`` (unless
UNSIGNED-PAYLOAD), ``Content-MD5`` and any ``x-amz-checksum-<algorithm>``
header while it streams to the proxy; the read that would deliver the last
bytes fails instead when one does not match, so a bad body is never stored.
The checksum is kept as object sysmeta and returned on GET and HEAD with
``x-amz-checksum-mode: ENABLED``."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from webob import Response

from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import checksums, errors, swift
from swiftlike.s3api.controllers.common import S3Conf
from swiftlike.s3api.request import HashingInput, S3Request

META = 'x-amz-meta-'
SYSMETA_CHECKSUM = 'X-Object-Sysmeta-S3-Checksum-'
#: response-* query parameters of GetObject and the headers they set.
OVERRIDES = {'response-content-type': 'Content-Type', 'response-content-language': 'Content-Language',
             'response-expires': 'Expires', 'response-cache-control': 'Cache-Control',
             'response-content-disposition': 'Content-Disposition',
             'response-content-encoding': 'Content-Encoding'}
PASSED = ('Content-Type', 'Content-Length', 'Content-Range', 'Last-Modified', 'Accept-Ranges',
          'Content-Encoding', 'Content-Disposition')
UNSUPPORTED = frozenset({'acl', 'tagging', 'uploadId', 'uploads', 'retention', 'legal-hold', 'torrent',
                         'restore', 'attributes', 'versionId', 'select'})


def handle(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """Dispatch an object request."""
    extra = sorted(k for k in s3.query if k in UNSUPPORTED)
    if extra:
        raise errors.NotImplemented_(f'{", ".join(extra)} is not implemented')
    if 'x-amz-copy-source' in s3.headers:
        raise errors.NotImplemented_('CopyObject is not implemented yet')
    handlers = {'PUT': put, 'GET': get, 'HEAD': get, 'DELETE': delete}
    if s3.method not in handlers:
        raise errors.MethodNotAllowed()
    return handlers[s3.method](app, s3, conf)


def _content_md5(s3: S3Request) -> str | None:
    raw = s3.headers.get('content-md5')
    if raw is None:
        return None
    try:
        digest = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidDigest() from None
    if len(digest) != 16:
        raise errors.InvalidDigest()
    return digest.hex()


def put(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """PutObject."""
    length = s3.headers.get('content-length')
    if length is None or not length.isdigit():
        raise errors.MissingContentLength()
    headers = {'Content-Type': s3.headers.get('content-type', 'application/octet-stream')}
    headers.update({'X-Object-Meta-' + k[len(META):]: v for k, v in s3.headers.items() if k.startswith(META)})
    md5 = _content_md5(s3)
    if md5:
        headers['ETag'] = md5              # the object server refuses (422) a body that does not match
    wanted = checksums.requested(s3.headers)
    body: Any = s3.environ['wsgi.input']
    hashing = None
    if s3.payload_hash != 'UNSIGNED-PAYLOAD':
        body = hashing = HashingInput(body, int(length), s3.payload_hash)
    checking = None
    if wanted:
        body = checking = checksums.CheckingInput(body, int(length), wanted)
        headers[SYSMETA_CHECKSUM + wanted[0].title()] = wanted[1]
    resp = swift.call(app, s3, 'PUT', s3.bucket, s3.key, headers=headers, body=body, length=int(length))
    if hashing and hashing.mismatch:
        resp.close()
        raise errors.XAmzContentSHA256Mismatch()
    if checking and checking.mismatch:
        resp.close()
        raise errors.BadDigest(f'The {checking.algorithm} you specified did not match the calculated '
                               'checksum.')
    swift.check(resp, s3, not_found=errors.NoSuchBucket).close()
    out = {'ETag': f'"{resp.headers.get("Etag", "").strip(chr(34))}"'}
    if wanted:
        out['x-amz-checksum-' + wanted[0]] = wanted[1]
    return Response(status=200, headers=out)


def get(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """GetObject and HeadObject (Range, conditional headers, response-* overrides)."""
    wanted = ('range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since')
    headers = {k.title(): v for k, v in s3.headers.items() if k in wanted}
    resp = swift.call(app, s3, s3.method, s3.bucket, s3.key, headers=headers)
    if resp.status == 404:
        resp.close()
        if swift.call(app, s3, 'HEAD', s3.bucket).status == 404:
            raise errors.NoSuchBucket(BucketName=s3.bucket)
        raise errors.NoSuchKey(Key=s3.key)
    swift.check(resp, s3)
    out = {k: v for k, v in resp.headers.items() if k in PASSED}
    etag = resp.headers.get('Etag', '').strip('"')
    if etag:
        out['ETag'] = f'"{etag}"'
    for key, value in resp.headers.items():
        if key.lower().startswith('x-object-meta-'):
            out['x-amz-meta-' + key[len('x-object-meta-'):].lower()] = value
        elif key.startswith(SYSMETA_CHECKSUM) and s3.headers.get('x-amz-checksum-mode') == 'ENABLED' \
                and resp.status == 200:                 # a whole object's checksum; none for a range
            out['x-amz-checksum-' + key[len(SYSMETA_CHECKSUM):].lower()] = value
    for param, header in OVERRIDES.items():
        if param in s3.query:
            out[header] = s3.query[param]
    result = Response(status=resp.status, headers=out)
    if s3.method == 'GET' and resp.status in (200, 206):
        result.app_iter = swift.stream(resp)
    else:
        resp.close()
        result.app_iter = []
    if 'Content-Length' in resp.headers:
        result.headers['Content-Length'] = resp.headers['Content-Length']
    return result


def delete(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """DeleteObject: 204 whether or not the key existed."""
    resp = swift.call(app, s3, 'DELETE', s3.bucket, s3.key)
    resp.close()
    if resp.status == 404:
        if swift.call(app, s3, 'HEAD', s3.bucket).status == 404:
            raise errors.NoSuchBucket(BucketName=s3.bucket)
        return Response(status=204)
    swift.check(resp, s3)
    return Response(status=204)

"""Object operations: PutObject, GetObject, HeadObject, DeleteObject.

A PUT's body is checked against ``x-amz-content-sha256`` (unless
UNSIGNED-PAYLOAD), ``Content-MD5`` and any ``x-amz-checksum-<algorithm>``
header while it streams to the proxy; the read that would deliver the last
bytes fails instead when one does not match, so a bad body is never stored.
The checksum is kept as object sysmeta and returned on GET and HEAD with
``x-amz-checksum-mode: ENABLED``."""

from __future__ import annotations

import logging
import re
from urllib.parse import quote, unquote

from webob import Response

from swiftlike.common import conditional
from swiftlike.common.sysmeta import ETAG_IS_AT
from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import errors, swift, sysmeta, values, xmlio
from swiftlike.s3api.controllers import acl, segments, tagging, upload
from swiftlike.s3api.controllers.common import S3Conf, epoch_of_http, iso_of_epoch
from swiftlike.s3api.request import S3Request
from swiftlike.s3api.swift import SwiftResponse

logger = logging.getLogger(__name__)

META = 'x-amz-meta-'
#: response-* query parameters of GetObject and the headers they set.
OVERRIDES = {'response-content-type': 'Content-Type', 'response-content-language': 'Content-Language',
             'response-expires': 'Expires', 'response-cache-control': 'Cache-Control',
             'response-content-disposition': 'Content-Disposition',
             'response-content-encoding': 'Content-Encoding'}
PASSED = ('Content-Type', 'Content-Length', 'Content-Range', 'Last-Modified', 'Accept-Ranges',
          'Content-Encoding', 'Content-Disposition')
_CONTROL = re.compile('[\x00-\x08\x0a-\x1f\x7f]')
#: Server-side encryption headers: refused (501), as no object is encrypted at rest by s3api.
SSE = ('x-amz-server-side-encryption', 'x-amz-server-side-encryption-customer-algorithm')
UNSUPPORTED = frozenset({'retention', 'legal-hold', 'torrent', 'restore', 'attributes', 'select'})


def handle(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """Dispatch an object request."""
    if 'acl' in s3.query:
        if s3.method != 'GET':
            raise errors.NotImplemented_(errors.UNIMPLEMENTED_RESOURCE)
        return acl.get(app, s3, conf)
    if 'tagging' in s3.query:
        return tagging.handle(app, s3, conf)
    extra = sorted(k for k in s3.query if k in UNSUPPORTED)
    if extra:
        raise errors.NotImplemented_(errors.UNIMPLEMENTED_RESOURCE)
    version = s3.query.get('versionId')
    if version is not None and version != 'null':      # an unversioned bucket's objects are version null
        raise errors.InvalidArgument('Invalid version id specified', ArgumentName='versionId',
                                     ArgumentValue=version[:100])
    if s3.method == 'PUT' and any(h in s3.headers for h in SSE):
        raise errors.NotImplemented_('Server-side encryption is not implemented')
    if 'x-amz-copy-source' in s3.headers and s3.method == 'PUT':
        return copy(app, s3, conf)
    handlers = {'PUT': put, 'GET': get, 'HEAD': get, 'DELETE': delete}
    if s3.method not in handlers:
        raise errors.MethodNotAllowed()
    return handlers[s3.method](app, s3, conf)


def user_meta(s3: S3Request) -> dict[str, str]:
    """The request's x-amz-meta-* as Swift's X-Object-Meta-*."""
    return {'X-Object-Meta-' + k[len(META):]: v for k, v in s3.headers.items() if k.startswith(META)}


def object_headers(s3: S3Request) -> dict[str, str]:
    """What the new object keeps of the request: type, encoding, disposition, user metadata, tags."""
    headers = {'Content-Type': s3.headers.get('content-type', 'application/octet-stream'), **user_meta(s3),
               **tagging.from_header(s3)}
    for name in sysmeta.STORED_HEADERS:
        if name in s3.headers:
            headers[sysmeta.STORED_HEADER + name.title()] = s3.headers[name]
    for name in ('content-encoding', 'content-disposition'):
        value = s3.headers.get(name, '')
        if value and not (s3.streaming and name == 'content-encoding'):      # an aws-chunked upload's
            headers[name.title()] = value                                      # own is set as it is stored
    return headers


def write_conditions(s3: S3Request) -> dict[str, str]:
    """The conditional-write headers to hand on: only ``If-None-Match: *`` (do not overwrite).

    :raises NotImplemented_: for any other condition on a write, as AWS
    """
    asked = {k: v for k, v in s3.headers.items()
             if k in ('if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since')}
    if any(k != 'if-none-match' or v.strip() != '*' for k, v in asked.items()):
        raise errors.NotImplemented_('A header you provided implies functionality that is not implemented')
    return {'If-None-Match': '*'} if asked else {}


def _expiry(s3: S3Request) -> dict[str, str]:
    """Swift's X-Delete-After, checked (an S3 client may send it to have an object expire).

    :raises InvalidArgument: unless it is a number of seconds, not negative
    """
    raw = s3.headers.get('x-delete-after')
    if raw is None:
        return {}
    try:
        seconds = values.number(raw.removeprefix('-'), name='X-Delete-After')
    except errors.InvalidArgument:
        raise errors.InvalidArgument('Non-integer X-Delete-After') from None
    if raw.startswith('-') and seconds:
        raise errors.InvalidArgument('X-Delete-After in past')
    return {'X-Delete-After': str(seconds)}


def _put_headers(s3: S3Request) -> dict[str, str]:
    """The Swift PUT headers of a PutObject: :func:`object_headers`, Content-MD5 as ETag."""
    headers = {**object_headers(s3), **write_conditions(s3), **_expiry(s3)}
    md5 = upload.md5_etag(s3)
    if md5:
        headers['ETag'] = md5              # the object server refuses (422) a body that does not match
    return headers


def put(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """PutObject (a multipart object it replaces has its parts deleted)."""
    replaced = segments.replaced_upload(app, s3, s3.bucket, s3.key)
    resp = upload.store(app, s3, s3.bucket, s3.key, _put_headers(s3))
    if replaced:
        segments.delete_upload(app, s3, s3.bucket, s3.key, replaced)
    return resp


def get(app: WsgiApp, s3: S3Request, conf: S3Conf, *, byte_range: str | None = None) -> Response:
    """GetObject and HeadObject (Range, conditional headers, response-* overrides);
    ``byte_range`` replaces the request's Range (a part of a multipart object)."""
    wanted = ('range', 'if-match', 'if-none-match', 'if-modified-since', 'if-unmodified-since')
    headers = {k.title(): v for k, v in s3.headers.items() if k in wanted}
    headers.pop('Range', None)
    byte_range = byte_range or values.byte_range(s3.headers.get('range'))     # a malformed Range is ignored
    if byte_range is not None:
        headers['Range'] = byte_range
    if 'If-Match' in headers or 'If-None-Match' in headers:
        headers[ETAG_IS_AT] = sysmeta.ETAG
    resp = swift.call(app, s3, s3.method, s3.bucket, s3.key, headers=headers)
    if resp.status == 404:
        resp.close()
        if swift.bucket_missing(app, s3):
            raise errors.NoSuchBucket(BucketName=s3.bucket)
        raise errors.NoSuchKey(Key=s3.key)
    swift.check(resp, s3)
    out = _answer_headers(s3, resp)
    result = Response(status=resp.status, headers=out)
    if s3.method == 'GET' and resp.status in (200, 206):
        result.app_iter = swift.stream(resp)
    else:
        resp.close()
        result.app_iter = []
    if 'Content-Length' in resp.headers:
        result.headers['Content-Length'] = resp.headers['Content-Length']
    return result


def _answer_headers(s3: S3Request, resp: SwiftResponse) -> dict[str, str]:
    """GetObject's headers from Swift's answer: ETag (a multipart object's own), metadata,
    the stored checksum (asked for, whole object), response-* overrides."""
    out = {k: v for k, v in resp.headers.items() if k in PASSED}
    etag = resp.headers.get(sysmeta.ETAG) or resp.headers.get('Etag', '').strip('"')
    if etag:
        out['ETag'] = f'"{etag}"'
    for key, value in resp.headers.items():
        if key.lower().startswith(sysmeta.STORED_HEADER.lower()):
            out[key[len(sysmeta.STORED_HEADER):].title()] = value
        elif key.lower().startswith('x-object-meta-'):
            out['x-amz-meta-' + key[len('x-object-meta-'):].lower()] = value
        elif key.startswith(sysmeta.CHECKSUM) and s3.headers.get('x-amz-checksum-mode') == 'ENABLED' \
                and resp.status == 200:                 # a whole object's checksum; none for a range
            out['x-amz-checksum-' + key[len(sysmeta.CHECKSUM):].lower()] = value
    tags = tagging.count(resp.headers.get(sysmeta.TAGGING))
    if tags:
        out['x-amz-tagging-count'] = str(tags)
    for param, header in OVERRIDES.items():
        if param in s3.query:
            out[header] = _header_value(param, s3.query[param])
    return out


def _header_value(param: str, value: str) -> str:
    """A response-* override as a WSGI header value: its UTF-8 bytes, as Latin-1
    text (WSGI headers are Latin-1; a client reads the UTF-8 it asked for).

    :raises InvalidArgument: for control characters (CR and LF would end the header early)
    """
    if _CONTROL.search(value):
        raise errors.InvalidArgument(f'{param} must not hold control characters', ArgumentName=param)
    return value.encode('utf-8', 'surrogateescape').decode('latin-1')


def delete_key(app: WsgiApp, s3: S3Request, bucket: str, key: str) -> SwiftResponse:
    """Delete one key (a multipart object with its parts)."""
    resp = swift.call(app, s3, 'DELETE', bucket, key, query={'multipart-manifest': 'delete'})
    resp.close()
    return resp


def delete(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """DeleteObject: 204 whether or not the key existed."""
    resp = delete_key(app, s3, s3.bucket, s3.key)
    if resp.status == 404:
        if swift.bucket_missing(app, s3):
            raise errors.NoSuchBucket(BucketName=s3.bucket)
        return Response(status=204)
    swift.check(resp, s3)
    return Response(status=204)


def copy_source(s3: S3Request) -> tuple[str, str]:
    raw = unquote(s3.headers['x-amz-copy-source'])
    path, _, version = raw.partition('?')
    if version and version != 'versionId=null':
        raise errors.InvalidArgument('Invalid version id specified (this store keeps no versions)',
                                     ArgumentName='versionId', ArgumentValue=version[:100])
    bucket, _, key = path.lstrip('/').partition('/')
    if not bucket or not key:
        raise errors.InvalidArgument('x-amz-copy-source must be <bucket>/<key>',
                                     ArgumentName='x-amz-copy-source')
    return bucket, key


def check_source_conditions(s3: S3Request, source: SwiftResponse) -> None:
    """:raises PreconditionFailed: if an x-amz-copy-source-if-* condition fails"""
    prefix = 'x-amz-copy-source-'
    conditions = {k[len(prefix):].title(): v for k, v in s3.headers.items()
                  if k.startswith(prefix + 'if-')}
    etag = source.headers.get(sysmeta.ETAG) or source.headers.get('Etag', '').strip('"')
    modified = epoch_of_http(source.headers['Last-Modified']) if 'Last-Modified' in source.headers else None
    if conditional.evaluate(conditions, etag, modified, 'GET') is not None:      # 304 or 412: both 412 here
        raise errors.PreconditionFailed()


def copy(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """CopyObject (metadata directive COPY or REPLACE, x-amz-copy-source-if-*)."""
    src_bucket, src_key = copy_source(s3)
    source = swift.call(app, s3, 'HEAD', src_bucket, src_key)
    swift.check(source, s3)
    check_source_conditions(s3, source)
    directive = s3.headers.get('x-amz-metadata-directive', 'COPY')
    if directive not in ('COPY', 'REPLACE'):
        raise errors.InvalidArgument('x-amz-metadata-directive must be COPY or REPLACE')
    if (src_bucket, src_key) == (s3.bucket, s3.key) and directive == 'COPY':
        raise errors.InvalidRequest('This copy request is illegal because it is trying to copy an object to '
                                    'itself without changing the object\'s metadata.')
    headers = {'X-Copy-From': quote(f'/{src_bucket}/{src_key}')}
    if directive == 'REPLACE':
        headers.update(object_headers(s3))
        headers['X-Fresh-Metadata'] = 'true'
    tags = s3.headers.get('x-amz-tagging-directive', 'COPY')
    if tags not in ('COPY', 'REPLACE'):
        raise errors.InvalidArgument('x-amz-tagging-directive must be COPY or REPLACE')
    headers.pop(sysmeta.TAGGING, None)
    if tags == 'REPLACE':
        headers.update(tagging.from_header(s3))
    elif source.headers.get(sysmeta.TAGGING):
        headers[sysmeta.TAGGING] = source.headers[sysmeta.TAGGING]
    replaced = segments.replaced_upload(app, s3, s3.bucket, s3.key)
    resp = swift.call(app, s3, 'PUT', s3.bucket, s3.key, headers=headers, length=0)
    swift.check(resp, s3, not_found=errors.NoSuchBucket).close()
    if replaced:
        segments.delete_upload(app, s3, s3.bucket, s3.key, replaced)
    head = swift.check(swift.call(app, s3, 'HEAD', s3.bucket, s3.key), s3)
    head.close()
    modified = epoch_of_http(head.headers['Last-Modified']) if 'Last-Modified' in head.headers else 0.0
    result = xmlio.fields('CopyObjectResult', [
        ('LastModified', iso_of_epoch(modified)),
        ('ETag', f'"{head.headers.get("Etag", "").strip(chr(34))}"')])
    return Response(body=xmlio.document(result), content_type='application/xml', charset=None)

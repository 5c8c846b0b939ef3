"""Bucket operations: CreateBucket, DeleteBucket, HeadBucket, ListObjects
(v1 and v2), GetBucketLocation, GetBucketVersioning. Any other S3 bucket
sub-resource is 501 NotImplemented, never a listing; parameters S3 does not
know are ignored, as S3 ignores them."""

from __future__ import annotations

import base64
import json
import re
from typing import Any
from urllib.parse import quote

from webob import Response

from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import errors, small_body, swift, values, xmlio
from swiftlike.s3api.controllers import acl, multi_delete, segments
from swiftlike.s3api.controllers.common import S3Conf, iso_time
from swiftlike.s3api.request import S3Request

_NAME = re.compile(r'[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]', re.ASCII)         # fullmatch: '$' lets '\n' end it
_ANY_NAME = re.compile(r'[A-Za-z0-9._-]{3,255}', re.ASCII)
_IP = re.compile(r'[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+', re.ASCII)
#: The largest max-keys S3 takes (larger is InvalidArgument; up to it, the page is conf.max_keys at most).
MAX_INT32 = 2 ** 31 - 1
SUPPORTED = frozenset({'location', 'versioning', 'delete', 'acl', 'versions'})
#: S3's bucket sub-resources this server does not implement (501); other unknown parameters are
#: ignored, as S3 ignores them.
UNSUPPORTED = frozenset({
    'accelerate', 'analytics', 'cors', 'encryption', 'intelligent-tiering', 'inventory', 'lifecycle',
    'logging', 'metrics', 'notification', 'object-lock', 'ownershipControls', 'policy', 'policyStatus',
    'publicAccessBlock', 'replication', 'requestPayment', 'tagging', 'website', 'metadataTable'})


def _xml(root: Any) -> Response:
    return Response(body=xmlio.document(root), content_type='application/xml', charset=None)


def check_existing_name(bucket: str) -> None:
    """:raises InvalidBucketName: for a name no bucket can have (a container made through the Swift
    API may have upper case and '_' in its name, which S3's rules for new buckets refuse)"""
    if not _ANY_NAME.fullmatch(bucket):
        raise errors.InvalidBucketName(BucketName=bucket)


def check_name(bucket: str) -> None:
    """:raises InvalidBucketName: unless ``bucket`` follows S3's naming rules"""
    if not _NAME.fullmatch(bucket) or '..' in bucket or _IP.fullmatch(bucket):
        raise errors.InvalidBucketName(BucketName=bucket)


def subresource(s3: S3Request) -> str:
    """The sub-resource asked for ('' for none).

    :raises NotImplemented_: for one this server does not implement
    """
    extra = [k for k in s3.query if k in SUPPORTED or k in UNSUPPORTED]
    if not extra:
        return ''
    if len(extra) == 1 and extra[0] in SUPPORTED:
        return extra[0]
    raise errors.NotImplemented_(errors.UNIMPLEMENTED_RESOURCE)


def handle(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """Dispatch a bucket request."""
    if s3.method == 'GET' and list(s3.query) == ['object-lock']:      # no bucket has a lock configuration
        swift.require_bucket(app, s3)
        raise errors.ObjectLockConfigurationNotFoundError(BucketName=s3.bucket)
    sub = subresource(s3)
    if sub == 'location' and s3.method == 'GET':
        swift.require_bucket(app, s3)
        location = conf.location if conf.location != 'us-east-1' else None     # S3 says nothing for us-east-1
        return _xml(xmlio.element('LocationConstraint', location))
    if sub == 'versioning' and s3.method == 'GET':
        swift.require_bucket(app, s3)
        return _xml(xmlio.element('VersioningConfiguration'))
    if sub == 'acl' and s3.method in ('GET', 'PUT'):
        return (acl.get if s3.method == 'GET' else acl.put_bucket)(app, s3, conf)
    if sub == 'versions' and s3.method == 'GET':
        return list_versions(app, s3, conf)
    if sub == 'delete' and s3.method == 'POST':
        return multi_delete.handle(app, s3, conf)
    if sub:
        raise errors.NotImplemented_(errors.UNIMPLEMENTED_RESOURCE)
    handlers = {'PUT': create, 'DELETE': delete, 'HEAD': head, 'GET': list_objects}
    if s3.method not in handlers:
        raise errors.MethodNotAllowed()
    return handlers[s3.method](app, s3, conf)


def create(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """CreateBucket (with an optional LocationConstraint)."""
    check_name(s3.bucket)
    body = small_body.read(s3)
    if body.strip():
        root = xmlio.parse(body)
        if root.tag != 'CreateBucketConfiguration':
            raise errors.MalformedXML()
        location = root.findtext('LocationConstraint') or 'us-east-1'
        if location != conf.location:
            raise errors.InvalidLocationConstraint()
    read = acl.container_read(s3)
    if swift.call(app, s3, 'HEAD', s3.bucket).status // 100 == 2:
        raise errors.BucketAlreadyOwnedByYou(BucketName=s3.bucket)
    headers = {'X-Container-Read': read} if read else {}
    swift.check(swift.call(app, s3, 'PUT', s3.bucket, headers=headers, length=0), s3)
    return _AsIs(status=200, headers={'Location': '/' + s3.bucket})


class _AsIs(Response):  # type: ignore[misc]
    """A response whose Location stays as given (S3 answers CreateBucket with ``/<bucket>``;
    webob would make it an absolute URL)."""

    def _abs_headerlist(self, environ: dict[str, Any]) -> list[tuple[str, str]]:
        return list(self.headerlist)


def delete(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """DeleteBucket: 204, 409 BucketNotEmpty, 404 NoSuchBucket. Uploads still
    in progress are aborted with it (their segments container goes too)."""
    swift.check(swift.call(app, s3, 'DELETE', s3.bucket), s3, not_found=errors.NoSuchBucket,
                conflict=errors.BucketNotEmpty)
    container = segments.segments(s3.bucket)
    while page := swift.listing(app, s3, container):
        statuses = [_delete_quietly(app, s3, container, entry['name']) for entry in page]
        if not any(status // 100 == 2 or status == 404 for status in statuses):
            break                        # nothing could be deleted: leave the rest to the operator
    _delete_quietly(app, s3, container)
    segments.remember(s3, s3.bucket, False)
    return Response(status=204)


def _delete_quietly(app: WsgiApp, s3: S3Request, container: str, name: str = '') -> int:
    resp = swift.call(app, s3, 'DELETE', container, name)
    resp.close()
    return resp.status


def head(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """HeadBucket."""
    resp = swift.call(app, s3, 'HEAD', s3.bucket)
    resp.close()
    if resp.status // 100 != 2:
        return Response(status=404 if resp.status == 404 else 403 if resp.status in (401, 403) else 500)
    return Response(status=200, headers={'X-Amz-Bucket-Region': conf.location})


def _max_keys(s3: S3Request, conf: S3Conf) -> int:
    raw = s3.query.get('max-keys')
    if raw is None:
        return conf.max_keys
    return min(values.number(raw, name='max-keys', maximum=MAX_INT32), conf.max_keys)


def _start(s3: S3Request, v2: bool) -> str:
    if not v2:
        return s3.query.get('marker', '')
    token = s3.query.get('continuation-token')
    if token is None:
        return s3.query.get('start-after', '')
    try:
        return base64.urlsafe_b64decode(token.encode('ascii')).decode('utf-8')
    except (ValueError, UnicodeError):
        raise errors.InvalidArgument('The continuation token provided is incorrect',
                                     ArgumentName='continuation-token') from None


def list_objects(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """ListObjects and ListObjectsV2 (``list-type=2``)."""
    v2 = s3.query.get('list-type') == '2'
    limit = _max_keys(s3, conf)
    encode = s3.query.get('encoding-type')
    if encode not in (None, 'url'):
        raise errors.InvalidArgument('encoding-type must be url', ArgumentName='encoding-type')
    start = _start(s3, v2)
    entries, truncated = _page(app, s3, start, limit)
    return _xml(_listing(s3, entries, truncated, v2=v2, limit=limit, start=start))


def _page(app: WsgiApp, s3: S3Request, start: str, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Up to ``limit`` entries after ``start`` (prefix and delimiter as asked), and whether more follow."""
    resp = swift.call(app, s3, 'GET', s3.bucket, query={
        'format': 'json', 'prefix': s3.query.get('prefix', ''), 'marker': start, 'limit': str(limit + 1),
        **({'delimiter': s3.query['delimiter']} if s3.query.get('delimiter') else {})})
    swift.check(resp, s3, not_found=errors.NoSuchBucket)
    entries = json.loads(resp.body() or b'[]') if resp.status == 200 else []
    return entries[:limit], len(entries) > limit


def list_versions(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """ListObjectVersions of a bucket without versioning: each object is its only
    version, ``null``, and the latest."""
    limit = _max_keys(s3, conf)
    key_marker = s3.query.get('key-marker', '')
    entries, truncated = _page(app, s3, key_marker, limit)
    last = (entries[-1].get('name') or entries[-1].get('subdir', '')) if entries else ''
    delimiter = s3.query.get('delimiter')
    root = xmlio.fields('ListVersionsResult', [
        ('Name', s3.bucket), ('Prefix', _enc(s3, s3.query.get('prefix', ''))),
        ('KeyMarker', _enc(s3, key_marker)), ('VersionIdMarker', s3.query.get('version-id-marker', '')),
        ('NextKeyMarker', _enc(s3, last) if truncated else None),
        ('NextVersionIdMarker', 'null' if truncated else None), ('MaxKeys', str(limit)),
        ('Delimiter', _enc(s3, delimiter) if delimiter is not None else None),
        ('EncodingType', 'url' if s3.query.get('encoding-type') == 'url' else None),
        ('IsTruncated', 'true' if truncated else 'false')])
    for entry in entries:
        if 'subdir' in entry:
            root.append(xmlio.fields('CommonPrefixes', [('Prefix', _enc(s3, entry['subdir']))]))
            continue
        version = xmlio.fields('Version', [
            ('Key', _enc(s3, entry['name'])), ('VersionId', 'null'), ('IsLatest', 'true'),
            ('LastModified', iso_time(entry['last_modified'])), ('ETag', f'"{entry["hash"]}"'),
            ('Size', str(entry['bytes']))])
        version.extend([owner_element(s3), xmlio.element('StorageClass', 'STANDARD')])
        root.append(version)
    return _xml(root)


def _enc(s3: S3Request, text: str) -> str:
    """A key or prefix as the listing shows it (URL-encoded with ``encoding-type=url``)."""
    return quote(text, safe='/') if s3.query.get('encoding-type') == 'url' else text


def owner_element(s3: S3Request) -> Any:
    """``<Owner>`` naming the request's user."""
    return xmlio.fields('Owner', [('ID', s3.auth.access_key), ('DisplayName', s3.auth.access_key)])


def _listing(s3: S3Request, entries: list[dict[str, Any]], truncated: bool, *, v2: bool, limit: int,
             start: str) -> Any:
    def enc(text: str) -> str:
        return _enc(s3, text)

    last = (entries[-1].get('name') or entries[-1].get('subdir', '')) if entries else ''
    token = base64.urlsafe_b64encode(last.encode()).decode() if truncated else None
    head: list[tuple[str, str | None]] = [('Name', s3.bucket), ('Prefix', enc(s3.query.get('prefix', '')))]
    if v2:
        head += [('StartAfter', enc(s3.query['start-after']) if 'start-after' in s3.query else None),
                 ('ContinuationToken', s3.query.get('continuation-token')),
                 ('NextContinuationToken', token),
                 ('KeyCount', str(len(entries)))]
    else:
        head += [('Marker', enc(start)),
                 ('NextMarker', enc(last) if truncated and s3.query.get('delimiter') else None)]
    head += [('MaxKeys', str(limit)), ('Delimiter', enc(s3.query['delimiter']) if s3.query.get('delimiter')
                                       else None),
             ('EncodingType', 'url' if s3.query.get('encoding-type') == 'url' else None),
             ('IsTruncated', 'true' if truncated else 'false')]
    root = xmlio.fields('ListBucketResult', head)
    owner = not v2 or s3.query.get('fetch-owner') == 'true'
    for entry in entries:
        if 'subdir' in entry:
            root.append(xmlio.fields('CommonPrefixes', [('Prefix', enc(entry['subdir']))]))
            continue
        item = xmlio.fields('Contents', [
            ('Key', enc(entry['name'])), ('LastModified', iso_time(entry['last_modified'])),
            ('ETag', f'"{entry["hash"]}"'), ('Size', str(entry['bytes']))])
        if owner:
            item.append(owner_element(s3))
        item.append(xmlio.element('StorageClass', 'STANDARD'))
        root.append(item)
    return root

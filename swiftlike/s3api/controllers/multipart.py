"""Multipart uploads: CreateMultipartUpload, UploadPart, UploadPartCopy,
AbortMultipartUpload and GetObject of one part (CompleteMultipartUpload is
in multipart_complete, the listings in multipart_list; where uploads and
parts live is in segments). Completing stores a static large object
manifest under the key (see the slo filter), so Swift clients read the
same joined object."""

from __future__ import annotations

import json
import secrets
import time
import xml.etree.ElementTree as ET

from webob import Response

from swiftlike.common.slo_put import is_manifest
from swiftlike.common.subrequest import IterReader
from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import checksums, errors, swift, sysmeta, values, xmlio
from swiftlike.s3api.controllers import obj
from swiftlike.s3api.controllers.common import S3Conf, iso_of_epoch
from swiftlike.s3api.controllers.segments import (
    MAX_PART,
    delete_upload,
    is_upload_id,
    marker,
    part_name,
    remember,
    segments,
)
from swiftlike.s3api.controllers.upload import md5_etag, store
from swiftlike.s3api.request import S3Request
from swiftlike.s3api.swift import SwiftResponse


def xml(root: ET.Element) -> Response:
    return Response(body=xmlio.document(root), content_type='application/xml', charset=None)


def upload(app: WsgiApp, s3: S3Request) -> SwiftResponse:
    """The upload's marker (HEAD), whose headers are the new object's.

    :raises NoSuchUpload: if there is no such upload (NoSuchBucket if no bucket)
    """
    upload_id = s3.query.get('uploadId', '')
    if not is_upload_id(upload_id):
        raise errors.NoSuchUpload(UploadId=upload_id)
    resp = swift.call(app, s3, 'HEAD', segments(s3.bucket), marker(s3.key, upload_id))
    resp.close()
    if resp.status == 404:
        if swift.bucket_missing(app, s3):
            raise errors.NoSuchBucket(BucketName=s3.bucket)
        raise errors.NoSuchUpload(UploadId=upload_id)
    return swift.check(resp, s3)


def part_number(s3: S3Request) -> int:
    """The request's ``partNumber``.

    :raises InvalidArgument: unless it is 1 to MAX_PART (in ASCII digits)
    """
    try:
        return values.number(s3.query.get('partNumber'), name='partNumber', minimum=1, maximum=MAX_PART)
    except errors.InvalidArgument as err:
        raise errors.InvalidArgument(f'Part number must be an integer between 1 and {MAX_PART}, inclusive',
                                     **err.extra) from None


def create(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """CreateMultipartUpload: a new upload id."""
    swift.require_bucket(app, s3)
    swift.check(swift.call(app, s3, 'PUT', segments(s3.bucket), length=0), s3).close()
    remember(s3, s3.bucket, True)
    upload_id = secrets.token_urlsafe(24)
    headers = obj.object_headers(s3)
    algorithm = s3.headers.get('x-amz-checksum-algorithm', '').lower()
    if algorithm and algorithm not in checksums.ALGORITHMS:
        raise errors.InvalidRequest(f'checksum algorithm {algorithm} is not supported')
    if algorithm:
        headers[sysmeta.CHECKSUM_ALGORITHM] = algorithm
    resp = swift.call(app, s3, 'PUT', segments(s3.bucket), marker(s3.key, upload_id), headers=headers,
                      length=0)
    swift.check(resp, s3).close()
    result = xmlio.fields('InitiateMultipartUploadResult', [
        ('Bucket', s3.bucket), ('Key', s3.key), ('UploadId', upload_id)])
    out = xml(result)
    if algorithm:
        out.headers['x-amz-checksum-algorithm'] = algorithm.upper()
    return out


def upload_part(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """UploadPart (its ETag is the part's MD5), or UploadPartCopy."""
    number = part_number(s3)
    upload(app, s3)
    name = part_name(s3.key, s3.query['uploadId'], number)
    if 'x-amz-copy-source' in s3.headers:
        return _copy_part(app, s3, name)
    headers = {'Content-Type': 'application/octet-stream'}
    md5 = md5_etag(s3)
    if md5:
        headers['ETag'] = md5
    return store(app, s3, segments(s3.bucket), name, headers)


def _copy_part(app: WsgiApp, s3: S3Request, name: str) -> Response:
    """UploadPartCopy: the part is a copy of (a range of) another object."""
    src_bucket, src_key = obj.copy_source(s3)
    source = swift.check(swift.call(app, s3, 'HEAD', src_bucket, src_key), s3)
    obj.check_source_conditions(s3, source)
    size = int(source.headers.get('Content-Length', '0'))
    headers = {}
    wanted = s3.headers.get('x-amz-copy-source-range')
    if wanted is not None:
        first, last = values.copy_source_range(wanted, size)
        headers['Range'] = f'bytes={first}-{last}'
        size = last - first + 1
    got = swift.check(swift.call(app, s3, 'GET', src_bucket, src_key, headers=headers), s3)
    resp = swift.call(app, s3, 'PUT', segments(s3.bucket), name, length=size, body=IterReader(got.app_iter),
                      headers={'Content-Type': 'application/octet-stream'})
    got.close()
    swift.check(resp, s3).close()
    return xml(xmlio.fields('CopyPartResult', [
        ('LastModified', iso_of_epoch(time.time())),
        ('ETag', f'"{resp.headers.get("Etag", "").strip(chr(34))}"')]))


def abort(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """AbortMultipartUpload: the parts and the upload are deleted."""
    upload(app, s3)
    delete_upload(app, s3, s3.bucket, s3.key, s3.query['uploadId'])
    return Response(status=204)


def get_part(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """GetObject / HeadObject with ``partNumber``: one part of a multipart object
    (part 1 of any other object is the whole object), 206 with its Content-Range."""
    if 'range' in s3.headers:
        raise errors.InvalidRequest('Cannot specify both Range header and partNumber query parameter')
    number = part_number(s3)
    resp = swift.call(app, s3, 'GET', s3.bucket, s3.key, query={'multipart-manifest': 'get'})
    if resp.status != 200 or not is_manifest(resp.headers):
        resp.close()
        if number != 1 and resp.status != 404:
            raise errors.InvalidPartNumber()
        whole = obj.get(app, s3, conf)
        size = whole.content_length or 0
        if whole.status_int == 200 and size:
            _partial(whole, 0, size - 1, size)
        return whole
    sizes = [int(seg['bytes']) for seg in json.loads(resp.body())]
    if number > len(sizes):
        raise errors.InvalidPartNumber()
    start = sum(sizes[:number - 1])
    end = start + sizes[number - 1] - 1
    out = obj.get(app, s3, conf, byte_range=f'bytes={start}-{end}')
    if out.status_int == 200 and end >= start:        # HEAD: Swift answers a Range with the whole object
        _partial(out, start, end, sum(sizes))
    out.headers['x-amz-mp-parts-count'] = str(len(sizes))
    return out


def _partial(resp: Response, first: int, last: int, total: int) -> None:
    """Make ``resp`` the 206 of bytes ``first``-``last`` of ``total``."""
    resp.status = 206
    resp.headers['Content-Range'] = f'bytes {first}-{last}/{total}'
    resp.headers['Content-Length'] = str(last - first + 1)

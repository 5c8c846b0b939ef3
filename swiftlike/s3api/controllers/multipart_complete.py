"""CompleteMultipartUpload: the listed parts become one object.

Each listed part must have been uploaded with the ETag given, in ascending
part order, and every part but the last must be at least ``min_part_size``.
The object is a static large object manifest over the parts (the listing
of the segments container has checked them, so the slo filter does not
look each up again, and all of S3's 10,000 parts may be used); its S3 ETag is
the MD5 of the parts' binary MD5s, a dash and the number of parts. With a
checksum algorithm chosen at creation, the object's checksum is S3's
composite one (the checksum of the parts' checksums, ``-N``). Parts not
listed are deleted, and so are the segments of an earlier multipart object
the new one replaces. Completing an upload again answers as the first time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Final

from webob import Response

from swiftlike.common.slo_put import CHECKED
from swiftlike.common.subrequest import IterReader
from swiftlike.common.sysmeta import OVERRIDE_ETAG
from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import checksums, errors, small_body, swift, sysmeta, values, xmlio
from swiftlike.s3api.controllers import multipart as mp
from swiftlike.s3api.controllers import obj
from swiftlike.s3api.controllers import segments as seg
from swiftlike.s3api.controllers.common import S3Conf
from swiftlike.s3api.request import S3Request

#: Marker headers the completed object keeps.
KEPT: Final = ('Content-Type', 'Content-Encoding', 'Content-Disposition')


def _requested(s3: S3Request) -> list[tuple[int, str, dict[str, str]]]:
    """(part number, ETag, checksums) of each part the request lists."""
    root = xmlio.parse(small_body.read(s3, check_checksum=False))
    if root.tag != 'CompleteMultipartUpload':
        raise errors.MalformedXML()
    listed = []
    for part in root.findall('Part'):
        number = values.number((part.findtext('PartNumber') or '').strip(), name='PartNumber',
                               minimum=1, maximum=seg.MAX_PART, error=errors.MalformedXML)
        if part.find('ETag') is None:
            raise errors.MalformedXML()
        etag = (part.findtext('ETag') or '').strip()                # empty: InvalidPart, as on AWS
        sums = {child.tag[len('Checksum'):].lower(): (child.text or '').strip() for child in part
                if child.tag.startswith('Checksum')}
        listed.append((number, etag.strip('"').lower(), sums))
    if not listed:
        raise errors.MalformedXML()
    numbers = [n for n, _, _ in listed]
    if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
        raise errors.InvalidPartOrder()
    return listed


def s3_etag(md5s: list[str]) -> str:
    """
    >>> s3_etag(['d41d8cd98f00b204e9800998ecf8427e'])
    '59adb24ef3cdbe0297f05b395827453f-1'
    """
    joined = b''.join(binascii.unhexlify(m) for m in md5s)
    return f'{hashlib.md5(joined, usedforsecurity=False).hexdigest()}-{len(md5s)}'


def _composite(algorithm: str, listed: list[tuple[int, str, dict[str, str]]]) -> str | None:
    """The composite checksum, if every part came with one of ``algorithm``."""
    digest = checksums.new(algorithm)
    try:
        for _, _, sums in listed:
            digest.update(base64.b64decode(sums[algorithm], validate=True))
    except (KeyError, ValueError, binascii.Error):
        return None
    return f'{checksums.encode(digest)}-{len(listed)}'


def _result(s3: S3Request, etag: str, extra: list[tuple[str, str | None]] | None = None) -> Response:
    return mp.xml(xmlio.fields('CompleteMultipartUploadResult', [
        ('Location', f'/{s3.bucket}/{s3.key}'), ('Bucket', s3.bucket), ('Key', s3.key),
        ('ETag', f'"{etag}"'), *(extra or [])]))


def _put_object(app: WsgiApp, s3: S3Request, manifest: list[dict[str, object]],
                headers: dict[str, str]) -> swift.SwiftResponse:
    """The completed object: a manifest over the parts, or an empty object when every part is."""
    if not manifest:
        plain = {k: v for k, v in headers.items() if k not in (OVERRIDE_ETAG, CHECKED)}
        return swift.call(app, s3, 'PUT', s3.bucket, s3.key, headers=plain, body=IterReader([]), length=0)
    body = json.dumps(manifest).encode('utf-8')
    return swift.call(app, s3, 'PUT', s3.bucket, s3.key, query={'multipart-manifest': 'put'}, headers=headers,
                      body=IterReader([body]), length=len(body))


def complete(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """CompleteMultipartUpload."""
    conditions = obj.write_conditions(s3)
    upload_id = s3.query.get('uploadId', '')
    try:
        marker = mp.upload(app, s3)
    except errors.NoSuchUpload:
        done = swift.call(app, s3, 'HEAD', s3.bucket, s3.key)
        done.close()
        if done.status == 200 and done.headers.get(sysmeta.UPLOAD_ID) == upload_id \
                and done.headers.get(sysmeta.ETAG) == s3_etag([e for _, e, _ in _requested(s3)]):
            return _result(s3, done.headers.get(sysmeta.ETAG, ''))     # the same completion, again
        raise
    listed = _requested(s3)
    stored = {int(str(p['part'])): p for p in seg.parts(app, s3, s3.bucket, s3.key, upload_id)}
    manifest = []
    for index, (number, etag, _) in enumerate(listed):
        part = stored.get(number)
        if part is None or part['hash'] != etag:
            raise errors.InvalidPart(UploadId=upload_id, PartNumber=str(number), ETag=etag)
        if index < len(listed) - 1 and int(str(part['bytes'])) < conf.min_part_size:
            raise errors.EntityTooSmall(PartNumber=str(number), MinSizeAllowed=str(conf.min_part_size))
        if int(str(part['bytes'])):             # an empty part adds nothing (and is no SLO segment)
            manifest.append({'path': f'/{seg.segments(s3.bucket)}/{part["name"]}', 'etag': etag,
                             'size_bytes': part['bytes']})
    etag = s3_etag([e for _, e, _ in listed])
    headers = {k: v for k, v in marker.headers.items() if k in KEPT or k.lower().startswith(
        ('x-object-meta-', sysmeta.STORED_HEADER.lower()))}
    if marker.headers.get(sysmeta.TAGGING):
        headers[sysmeta.TAGGING] = marker.headers[sysmeta.TAGGING]
    headers.update({sysmeta.ETAG: etag, sysmeta.UPLOAD_ID: upload_id, OVERRIDE_ETAG: etag, CHECKED: 'true'})
    headers.update(conditions)
    algorithm = marker.headers.get(sysmeta.CHECKSUM_ALGORITHM, '')
    composite = _composite(algorithm, listed) if algorithm and algorithm not in checksums.FULL_OBJECT_ONLY \
        else None
    if composite:
        headers[sysmeta.CHECKSUM + algorithm.title()] = composite
    replaced = seg.replaced_upload(app, s3, s3.bucket, s3.key)
    resp = _put_object(app, s3, manifest, headers)
    if resp.status == 400:
        raise errors.InvalidPart(resp.body().decode('utf-8', 'replace').strip())
    swift.check(resp, s3, not_found=errors.NoSuchBucket).close()
    seg.delete_upload(app, s3, s3.bucket, s3.key, upload_id, keep=frozenset(n for n, _, _ in listed))
    if replaced and replaced != upload_id:
        seg.delete_upload(app, s3, s3.bucket, s3.key, replaced)
    return _result(s3, etag, [('Checksum' + algorithm.upper(), composite)] if composite else [])

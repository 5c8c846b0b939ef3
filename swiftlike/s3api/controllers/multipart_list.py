"""ListParts (``GET <key>?uploadId``) and ListMultipartUploads (``GET <bucket>?uploads``),
read from the bucket's segments container (see multipart)."""

from __future__ import annotations

from webob import Response

from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import swift, values, xmlio
from swiftlike.s3api.controllers import multipart as mp
from swiftlike.s3api.controllers import segments as seg
from swiftlike.s3api.controllers.bucket import owner_element
from swiftlike.s3api.controllers.common import S3Conf, iso_time
from swiftlike.s3api.request import S3Request


def _number(s3: S3Request, name: str, default: int, top: int) -> int:
    """The query's ``name`` (``default`` without one), at most ``top``.

    :raises InvalidArgument: unless it is a number S3 takes (ASCII digits, 0 to 2**31 - 1)
    """
    raw = s3.query.get(name)
    if raw is None:
        return default
    return min(values.number(raw, name=name, maximum=2 ** 31 - 1), top)


def list_parts(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """ListParts: max-parts, part-number-marker."""
    mp.upload(app, s3)
    limit = _number(s3, 'max-parts', 1000, 1000)
    after = _number(s3, 'part-number-marker', 0, seg.MAX_PART)
    found = seg.parts(app, s3, s3.bucket, s3.key, s3.query['uploadId'], after=after, limit=limit + 1)
    truncated = len(found) > limit
    found = found[:limit]
    root = xmlio.fields('ListPartsResult', [('Bucket', s3.bucket), ('Key', s3.key),
                                            ('UploadId', s3.query['uploadId'])])
    initiator = owner_element(s3)
    initiator.tag = 'Initiator'
    root.extend([initiator, owner_element(s3)])          # S3's order: who, then the page
    root.extend(xmlio.fields('x', [
        ('StorageClass', 'STANDARD'), ('PartNumberMarker', str(after)),
        ('NextPartNumberMarker', str(found[-1]['part']) if found else str(after)),
        ('MaxParts', str(limit)), ('IsTruncated', 'true' if truncated else 'false')]))
    for part in found:
        root.append(xmlio.fields('Part', [
            ('PartNumber', str(part['part'])), ('LastModified', iso_time(str(part['last_modified']))),
            ('ETag', f'"{part["hash"]}"'), ('Size', str(part['bytes']))]))
    return mp.xml(root)


def list_uploads(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """ListMultipartUploads: prefix, delimiter, key-marker, upload-id-marker, max-uploads."""
    swift.require_bucket(app, s3)
    limit = _number(s3, 'max-uploads', 1000, 1000)
    prefix, delimiter = s3.query.get('prefix', ''), s3.query.get('delimiter', '')
    key_marker, id_marker = s3.query.get('key-marker', ''), s3.query.get('upload-id-marker', '')
    start = seg.marker(key_marker, id_marker) if key_marker and id_marker else key_marker
    uploads: list[tuple[str, str, str]] = []
    prefixes: list[str] = []
    truncated = False
    while not truncated:
        page = swift.listing(app, s3, seg.segments(s3.bucket), prefix=prefix, marker=start)
        for entry in page:
            key, _, upload_id = entry['name'].rpartition('/')
            if not seg.is_upload_id(upload_id) or (key == key_marker and not id_marker):
                continue
            common = _common_prefix(key, prefix, delimiter)
            if common is not None:
                if common not in prefixes and common > key_marker:
                    if len(uploads) + len(prefixes) == limit:
                        truncated = True
                        break
                    prefixes.append(common)
                continue
            if len(uploads) + len(prefixes) == limit:
                truncated = True
                break
            uploads.append((key, upload_id, entry['last_modified']))
        if len(page) < 10000:
            break
        start = page[-1]['name']
    head: list[tuple[str, str | None]] = [
        ('Bucket', s3.bucket), ('KeyMarker', key_marker), ('UploadIdMarker', id_marker),
        ('NextKeyMarker', uploads[-1][0] if truncated and uploads else ''),
        ('NextUploadIdMarker', uploads[-1][1] if truncated and uploads else ''),
        ('Delimiter', delimiter or None), ('Prefix', prefix), ('MaxUploads', str(limit)),
        ('IsTruncated', 'true' if truncated else 'false')]
    root = xmlio.fields('ListMultipartUploadsResult', head)
    for key, upload_id, modified in uploads:
        item = xmlio.fields('Upload', [('Key', key), ('UploadId', upload_id)])
        initiator = owner_element(s3)
        initiator.tag = 'Initiator'
        item.extend([initiator, owner_element(s3), xmlio.element('StorageClass', 'STANDARD'),
                     xmlio.element('Initiated', iso_time(modified))])
        root.append(item)
    for common in prefixes:
        root.append(xmlio.fields('CommonPrefixes', [('Prefix', common)]))
    return mp.xml(root)


def _common_prefix(key: str, prefix: str, delimiter: str) -> str | None:
    """The common prefix ``key`` rolls up into, if any.

    >>> _common_prefix('photos/2026/a.jpg', 'photos/', '/')
    'photos/2026/'
    >>> _common_prefix('photos/a.jpg', 'photos/', '/') is None
    True
    """
    if not delimiter:
        return None
    rest = key[len(prefix):]
    if delimiter not in rest:
        return None
    return prefix + rest[:rest.index(delimiter) + len(delimiter)]

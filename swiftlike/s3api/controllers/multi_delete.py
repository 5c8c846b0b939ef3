"""DeleteObjects: ``POST /<bucket>?delete`` with ``<Delete><Quiet/><Object><Key/>...``
(at most 1,000 keys); each key deleted as DeleteObject would, the result
listed per key (only the errors when quiet)."""

from __future__ import annotations

import base64
import hashlib

from webob import Response

from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import checksums, errors, swift, xmlio
from swiftlike.s3api.controllers import obj
from swiftlike.s3api.controllers.common import S3Conf
from swiftlike.s3api.request import S3Request

MAX_KEYS = 1000


def _body(s3: S3Request) -> bytes:
    length = obj.content_length(s3)
    if length > xmlio.MAX_BODY:
        raise errors.MalformedXML()
    body: bytes = s3.environ['wsgi.input'].read(length)
    if s3.payload_hash != 'UNSIGNED-PAYLOAD' and hashlib.sha256(body).hexdigest() != s3.payload_hash:
        raise errors.XAmzContentSHA256Mismatch()
    md5 = s3.headers.get('content-md5')
    if md5 is not None and base64.b64encode(hashlib.md5(body).digest()).decode() != md5:
        raise errors.BadDigest()
    wanted = checksums.requested(s3.headers)
    if wanted:
        digest = checksums.new(wanted[0])
        digest.update(body)
        if checksums.encode(digest) != wanted[1]:
            raise errors.BadDigest()
    return body


def handle(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """DeleteObjects."""
    root = xmlio.parse(_body(s3))
    if root.tag != 'Delete':
        raise errors.MalformedXML()
    quiet = (root.findtext('Quiet') or '').strip().lower() == 'true'
    keys = [(o.findtext('Key') or '') for o in root.findall('Object')]
    if not keys or len(keys) > MAX_KEYS or not all(keys):
        raise errors.MalformedXML()
    swift.require_bucket(app, s3)
    result = xmlio.element('DeleteResult')
    for key in keys:
        resp = obj.delete_key(app, s3, s3.bucket, key)
        if resp.status // 100 == 2 or resp.status == 404:
            if not quiet:
                result.append(xmlio.fields('Deleted', [('Key', key)]))
        else:
            code = 'AccessDenied' if resp.status in (401, 403) else 'InternalError'
            result.append(xmlio.fields('Error', [('Key', key), ('Code', code),
                                                 ('Message', f'deleting answered {resp.status}')]))
    return Response(body=xmlio.document(result), content_type='application/xml', charset=None)

"""DeleteObjects: ``POST /<bucket>?delete`` with ``<Delete><Quiet/><Object><Key/>...``
(at most 1,000 keys); each key deleted as DeleteObject would, the result
listed per key (only the errors when quiet)."""

from __future__ import annotations

from webob import Response

from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import errors, small_body, swift, xmlio
from swiftlike.s3api.controllers import obj
from swiftlike.s3api.controllers.common import S3Conf
from swiftlike.s3api.request import S3Request

MAX_KEYS = 1000


def handle(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """DeleteObjects."""
    root = xmlio.parse(small_body.read(s3, require_digest=True))
    if root.tag != 'Delete':
        raise errors.MalformedXML()
    quiet = (root.findtext('Quiet') or '').strip().lower() == 'true'
    keys = [(o.findtext('Key') or '') for o in root.findall('Object')]
    if not keys or len(keys) > MAX_KEYS:
        raise errors.MalformedXML()
    if not all(keys):
        raise errors.UserKeyMustBeSpecified()
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

"""GET / : ListBuckets."""

from __future__ import annotations

import json
from typing import Any

from webob import Response

from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import errors, swift, xmlio
from swiftlike.s3api.controllers.bucket import owner_element
from swiftlike.s3api.controllers.common import S3Conf, iso_time
from swiftlike.s3api.controllers.segments import SEGMENTS
from swiftlike.s3api.request import S3Request


def handle(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """ListBuckets: the account's containers."""
    if s3.method != 'GET':
        raise errors.MethodNotAllowed()
    buckets: list[dict[str, Any]] = []
    marker = ''
    while True:
        resp = swift.check(swift.call(app, s3, 'GET', query={'format': 'json', 'marker': marker}), s3)
        page = json.loads(resp.body() or b'[]') if resp.status == 200 else []
        buckets += page
        if len(page) < 10000:
            break
        marker = page[-1]['name']
    listed = [xmlio.fields('Bucket', [
        ('Name', b['name']), ('CreationDate', iso_time(b.get('last_modified', '1970-01-01T00:00:00')))])
        for b in buckets if not b['name'].endswith(SEGMENTS)]
    root = xmlio.element('ListAllMyBucketsResult',
                         children=[owner_element(s3), xmlio.element('Buckets', children=listed)])
    return Response(body=xmlio.document(root), content_type='application/xml', charset=None)

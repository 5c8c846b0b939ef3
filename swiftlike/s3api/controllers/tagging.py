"""Object tagging: GetObjectTagging, PutObjectTagging, DeleteObjectTagging,
and ``x-amz-tagging`` on PutObject, CopyObject and CreateMultipartUpload.

The tag set is object sysmeta (URL-encoded, as the ``x-amz-tagging``
header has it), changed by a POST that leaves user metadata and expiry as
they are; GetObject tells how many tags there are (``x-amz-tagging-count``)."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from webob import Response

from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import errors, small_body, swift, sysmeta, xmlio
from swiftlike.s3api.controllers.common import S3Conf
from swiftlike.s3api.request import S3Request

MAX_TAGS = 10


def check(tags: list[tuple[str, str]]) -> str:
    """The tag set as stored (URL-encoded).

    :raises InvalidTag: for too many tags, a repeated key, or a key or value too long
    """
    keys = [k for k, _ in tags]
    if len(tags) > MAX_TAGS:
        raise errors.InvalidTag(f'Object tags cannot be greater than {MAX_TAGS}')
    if len(set(keys)) != len(keys):
        raise errors.InvalidTag('Cannot provide multiple Tags with the same key')
    for key, value in tags:
        if not 1 <= len(key) <= 128 or len(value) > 256:
            raise errors.InvalidTag('The TagKey you have provided is invalid' if not 1 <= len(key) <= 128
                                    else 'The TagValue you have provided is invalid')
    return urlencode(tags)


def from_header(s3: S3Request) -> dict[str, str]:
    """The sysmeta for an ``x-amz-tagging`` header, if the request has one."""
    raw = s3.headers.get('x-amz-tagging')
    if raw is None:
        return {}
    try:
        tags = parse_qsl(raw, keep_blank_values=True, strict_parsing=bool(raw))
    except ValueError:
        raise errors.InvalidArgument('The header \'x-amz-tagging\' shall be encoded as UTF-8 then URLEncoded '
                                     'URL query parameters without tag name duplicates.',
                                     ArgumentName='x-amz-tagging') from None
    return {sysmeta.TAGGING: check(tags)}


def count(stored: str | None) -> int:
    return len(parse_qsl(stored, keep_blank_values=True)) if stored else 0


def handle(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """GET, PUT or DELETE ``?tagging`` of an object."""
    if s3.method == 'GET':
        head = swift.check(swift.call(app, s3, 'HEAD', s3.bucket, s3.key), s3)
        head.close()
        tags = parse_qsl(head.headers.get(sysmeta.TAGGING, ''), keep_blank_values=True)
        tag_set = xmlio.element('TagSet', children=[xmlio.fields('Tag', [('Key', k), ('Value', v)])
                                                    for k, v in tags])
        root = xmlio.element('Tagging', children=[tag_set])
        return Response(body=xmlio.document(root), content_type='application/xml', charset=None)
    if s3.method == 'PUT':
        root = xmlio.parse(small_body.read(s3))
        given = root.find('TagSet')
        if root.tag != 'Tagging' or given is None:
            raise errors.MalformedXML()
        pairs = [(tag.findtext('Key'), tag.findtext('Value') or '') for tag in given.findall('Tag')]
        if any(key is None for key, _ in pairs):
            raise errors.MalformedXML()
        stored = check([(str(k), v) for k, v in pairs])
        swift.set_sysmeta(app, s3, s3.bucket, s3.key, {sysmeta.TAGGING: stored})
        return Response(status=200)
    if s3.method == 'DELETE':
        swift.set_sysmeta(app, s3, s3.bucket, s3.key, {sysmeta.TAGGING: ''})
        return Response(status=204)
    raise errors.MethodNotAllowed()

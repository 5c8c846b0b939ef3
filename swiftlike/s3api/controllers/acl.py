"""Canned ACLs, mapped onto container read ACLs: GetBucketAcl and
GetObjectAcl answer what the container allows; PutBucketAcl (and
CreateBucket's ``x-amz-acl``) take ``private``, ``public-read`` or
``authenticated-read``. Grant-by-grant ACLs are not implemented (501)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from webob import Response

from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import errors, swift, xmlio
from swiftlike.s3api.controllers.common import S3Conf
from swiftlike.s3api.request import S3Request

XSI = 'http://www.w3.org/2001/XMLSchema-instance'
ET.register_namespace('xsi', XSI)
ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'
AUTHENTICATED = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers'
#: canned ACL -> X-Container-Read
CANNED = {'private': '', 'public-read': '.r:*,.rlistings', 'authenticated-read': '*'}
#: S3's other canned ACLs (501 here); any other value is not an ACL at all (400).
OTHER_CANNED = frozenset({'public-read-write', 'aws-exec-read', 'bucket-owner-read',
                          'bucket-owner-full-control', 'log-delivery-write'})


def container_read(s3: S3Request) -> str | None:
    """The X-Container-Read for the request's ``x-amz-acl`` (None without one).

    :raises NotImplemented_: for a canned ACL that a read ACL cannot express
    :raises InvalidArgument: for a value that is no canned ACL
    """
    canned = s3.headers.get('x-amz-acl')
    if canned is None:
        return None
    if canned in OTHER_CANNED:
        raise errors.NotImplemented_(f'the canned ACL {canned} is not implemented')
    if canned not in CANNED:
        raise errors.InvalidArgument('not a canned ACL', ArgumentName='x-amz-acl', ArgumentValue=canned[:100])
    return CANNED[canned]


def _grant(grantee: ET.Element, permission: str) -> ET.Element:
    return xmlio.element('Grant', children=[grantee, xmlio.element('Permission', permission)])


def _policy(s3: S3Request, read_acl: str) -> Response:
    owner = [('ID', s3.auth.access_key), ('DisplayName', s3.auth.access_key)]
    user = xmlio.fields('Grantee', owner)
    user.set(f'{{{XSI}}}type', 'CanonicalUser')
    grants = [_grant(user, 'FULL_CONTROL')]
    groups = {ALL_USERS} if '.r:*' in read_acl else {AUTHENTICATED} if '*' in read_acl.split(',') else set()
    for uri in sorted(groups):
        grantee = xmlio.fields('Grantee', [('URI', uri)])
        grantee.set(f'{{{XSI}}}type', 'Group')
        grants.append(_grant(grantee, 'READ'))
    root = xmlio.element('AccessControlPolicy', children=[
        xmlio.fields('Owner', owner), xmlio.element('AccessControlList', children=grants)])
    return Response(body=xmlio.document(root), content_type='application/xml', charset=None)


def get(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """GetBucketAcl or GetObjectAcl."""
    resp = swift.require_bucket(app, s3)
    if s3.key:
        swift.check(swift.call(app, s3, 'HEAD', s3.bucket, s3.key), s3).close()
    return _policy(s3, resp.headers.get('X-Container-Read', ''))


def put_bucket(app: WsgiApp, s3: S3Request, conf: S3Conf) -> Response:
    """PutBucketAcl with a canned ``x-amz-acl``."""
    read = container_read(s3)
    if read is None:
        raise errors.NotImplemented_('only canned ACLs (x-amz-acl) are implemented')
    swift.check(swift.call(app, s3, 'POST', s3.bucket, headers={'X-Container-Read': read}), s3,
                not_found=errors.NoSuchBucket).close()
    return Response(status=200)

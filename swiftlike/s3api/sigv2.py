"""AWS Signature Version 2 (HMAC-SHA1), which older clients and boto3's
presigned URLs still use: the string to sign and the canonical resource.
Pure functions; no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping, Sequence

from swiftlike.common.s3_auth import signatures_equal

#: Query parameters that are part of the signed resource.
SUBRESOURCES = frozenset({
    'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy',
    'requestPayment', 'restore', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning',
    'versions', 'website', 'replication', 'object-lock', 'select', 'select-type', 'accelerate', 'analytics',
    'inventory', 'metrics', 'storageClass', 'response-content-type', 'response-content-language',
    'response-expires', 'response-cache-control', 'response-content-disposition',
    'response-content-encoding'})


def canonical_resource(raw_path: str, query: Sequence[tuple[str, str]], virtual_bucket: str = '') -> str:
    """The path as sent (prefixed by the bucket for virtual-host style) and the signed sub-resources.

    >>> canonical_resource('/b/k', [('uploadId', 'x'), ('prefix', 'p'), ('acl', '')])
    '/b/k?acl&uploadId=x'
    """
    resource = (f'/{virtual_bucket}' if virtual_bucket else '') + raw_path
    subs = sorted((k, v) for k, v in query if k in SUBRESOURCES)
    if subs:
        resource += '?' + '&'.join(f'{k}={v}' if v else k for k, v in subs)
    return resource


def string_to_sign(method: str, headers: Mapping[str, str], resource: str, date: str) -> str:
    """Method, Content-MD5, Content-Type, date, the x-amz-* headers, the resource.

    ``date`` is the Date header, the Expires of a presigned URL, or '' when
    x-amz-date is sent (it is among the x-amz-* headers then).
    """
    amz = sorted((k, value.strip()) for k, value in headers.items() if k.startswith('x-amz-'))
    lines = [method, headers.get('content-md5', ''), headers.get('content-type', ''), date,
             *(f'{k}:{v}' for k, v in amz), resource]
    return '\n'.join(lines)


def signature(secret: str, text: str) -> str:
    """Base64 HMAC-SHA1 of ``text``."""
    return base64.b64encode(hmac.new(secret.encode('utf-8'), text.encode('utf-8'), hashlib.sha1).digest()
                            ).decode('ascii')


def matches(secret: str, text: str, given: str) -> bool:
    """Whether ``given`` is the signature of ``text`` with ``secret``."""
    return signatures_equal(signature(secret, text), given)

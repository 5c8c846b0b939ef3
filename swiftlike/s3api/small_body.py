"""The XML body of a bucket or upload request (DeleteObjects,
CompleteMultipartUpload, tagging, ...), read whole and checked as AWS checks
it: the SHA-256 the request claims first, then Content-MD5, then its
flexible checksum."""

from __future__ import annotations

import hashlib

from swiftlike.s3api import checksums, errors, integrity, values, xmlio
from swiftlike.s3api.request import S3Request


def read(s3: S3Request, *, require_digest: bool = False, check_checksum: bool = True) -> bytes:
    """The body (at most ``xmlio.MAX_BODY + 1`` bytes: more is MalformedXML for the parser).

    :param require_digest: refuse a request with neither Content-MD5 nor a checksum (DeleteObjects)
    :param check_checksum: refuse a body its x-amz-checksum-* does not match (CompleteMultipartUpload
        does not: AWS completes the upload whatever that header says)
    :raises S3Error: InvalidRequest, InvalidDigest, XAmzContentSHA256Mismatch, BadDigest
    """
    wanted = integrity.claim(s3.headers, streaming=False)
    md5 = integrity.content_md5(s3.headers)
    if require_digest and md5 is None and wanted is None:
        raise errors.InvalidRequest('Missing required header for this request: '
                                    'Content-MD5 OR x-amz-checksum-*')
    raw_length = s3.headers.get('content-length')
    if raw_length is None:
        body = s3.environ['wsgi.input'].read(xmlio.MAX_BODY + 1) if 'wsgi.input' in s3.environ else b''
    else:
        length = values.number(raw_length, name='content-length')
        if length > xmlio.MAX_BODY:
            raise errors.MalformedXML()
        body = s3.environ['wsgi.input'].read(length) if length else b''
    if s3.sha256_claim is not None:
        computed = hashlib.sha256(body).hexdigest()
        if s3.sha256_claim.lower() != computed:
            raise errors.sha256_mismatch(s3.sha256_claim, computed)
    if md5 is not None and hashlib.md5(body, usedforsecurity=False).digest() != md5:
        raise errors.BadDigest(ExpectedDigest=s3.headers['content-md5'])
    if check_checksum and wanted is not None:
        digest = checksums.new(wanted.algorithm)
        digest.update(body)
        if checksums.encode(digest) != wanted.value:
            raise errors.bad_checksum(wanted.algorithm)
    return bytes(body)


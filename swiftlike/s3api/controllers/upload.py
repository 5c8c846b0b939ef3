"""A PutObject's or UploadPart's body, stored as one Swift object while it is
checked: the SHA-256 the request claims (x-amz-content-sha256), its flexible
checksum (a header, or the trailer of an aws-chunked body), and Content-MD5
(handed to the object server as the ETag it must match). The read that would
deliver the last bytes fails when a check fails, so a bad body is never
stored; the answer is then the error AWS gives, in AWS's order of
precedence: SHA-256 first, then the checksum, then Content-MD5."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from webob import Response

from swiftlike.common.concurrency import timeout
from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api import checksums, chunked, errors, integrity, swift, sysmeta, values
from swiftlike.s3api.request import S3Request
from swiftlike.s3api.swift import SwiftResponse

logger = logging.getLogger(__name__)


def content_length(s3: S3Request, header: str = 'content-length') -> int:
    """The body's length as the request gives it in ``header``.

    :raises MissingContentLength: without one
    :raises InvalidArgument: if it is not a number of bytes (ASCII digits)
    """
    raw = s3.headers.get(header)
    if raw is None:
        raise errors.MissingContentLength()
    return values.number(raw, name=header)


def decoded_length(s3: S3Request) -> int:
    """x-amz-decoded-content-length of a STREAMING-* upload.

    :raises MissingContentLength: without one, or if it is not a number (as AWS answers)
    """
    try:
        return values.number(s3.headers.get('x-amz-decoded-content-length'),
                             name='x-amz-decoded-content-length')
    except errors.S3Error:
        raise errors.MissingContentLength() from None


def md5_etag(s3: S3Request) -> str | None:
    """Content-MD5 as the hex ETag the object server must find (None without one)."""
    digest = integrity.content_md5(s3.headers)
    return None if digest is None else digest.hex()


def _stored(s3: S3Request, resp: SwiftResponse, extra: dict[str, str]) -> Response:
    """The answer once the Swift PUT has answered: its ETag, quoted, and ``extra``."""
    if resp.status == 422 and 'content-md5' in s3.headers:
        resp.close()
        raise errors.BadDigest(ExpectedDigest=(md5_etag(s3) or ''))
    swift.check(resp, s3, not_found=errors.NoSuchBucket).close()
    etag = resp.headers.get('Etag', '').strip('"')
    return Response(status=200, headers={'ETag': f'"{etag}"', **extra})


def store(app: WsgiApp, s3: S3Request, container: str, name: str, headers: dict[str, str]) -> Response:
    """The request's body stored as Swift object ``container/name``."""
    if s3.streaming:
        return _store_chunked(app, s3, container, name, headers)
    if s3.headers.get('x-amz-content-sha256', '').startswith('STREAMING-'):
        _not_really_streaming(s3)
    length = content_length(s3)
    wanted = integrity.claim(s3.headers, streaming=False)
    if s3.sha256_claim is not None and length == 0 and s3.sha256_claim.lower() != sysmeta_empty():
        raise errors.sha256_mismatch(s3.sha256_claim, sysmeta_empty())
    body: Any = s3.environ['wsgi.input']
    hashing = checking = None
    if s3.sha256_claim is not None:
        body = hashing = checksums.VerifyingInput(body, length, hashlib.sha256(), s3.sha256_claim.lower(),
                                                  lambda digest: str(digest.hexdigest()))
    if wanted:
        digest = checksums.new(wanted.algorithm)
        body = checking = checksums.VerifyingInput(body, length, digest, wanted.value)
        headers[sysmeta.CHECKSUM + wanted.algorithm.title()] = wanted.value
    resp = swift.call(app, s3, 'PUT', container, name, headers=headers, body=body, length=length)
    if hashing and hashing.mismatch:
        resp.close()
        computed = hashing.digest.hexdigest()  # type: ignore[attr-defined]
        raise errors.sha256_mismatch(s3.sha256_claim or '', computed)
    if checking and checking.mismatch and wanted:
        resp.close()
        raise errors.bad_checksum(wanted.algorithm)
    return _stored(s3, resp, {'x-amz-checksum-' + wanted.algorithm: wanted.value} if wanted else {})


def sysmeta_empty() -> str:
    """The SHA-256 of no bytes."""
    return hashlib.sha256(b'').hexdigest()


def _not_really_streaming(s3: S3Request) -> None:
    """A STREAMING-* claim where only a V4 Authorization header makes it one: the body is taken
    as it is, but its lengths must agree first (AWS's order)."""
    decoded = decoded_length(s3)
    length = content_length(s3)
    if decoded != length:
        raise errors.short_body(decoded, length)


def _store_chunked(app: WsgiApp, s3: S3Request, container: str, name: str,
                   headers: dict[str, str]) -> Response:
    """An aws-chunked body (chunk signatures and trailing checksum checked as it streams)."""
    length = decoded_length(s3)
    wanted = integrity.claim(s3.headers, streaming=True)
    signer = None
    if s3.payload_hash.startswith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD') and s3.signed is not None:
        signer = chunked.LazySigner(s3.keys, s3.signed, s3.signing_text[0])
    body = chunked.AwsChunkedInput(
        s3.environ['wsgi.input'], decoded_length=length, signer=signer,
        trailer=(wanted.algorithm if wanted and wanted.trailing else None),
        header_checksum=(wanted if wanted and not wanted.trailing else None),
        trailing=s3.payload_hash.endswith('-TRAILER'), read_timeout=lambda: timeout(60))
    encoding = ','.join(e for e in s3.headers.get('content-encoding', '').split(',')
                        if e.strip() and e.strip() != 'aws-chunked')
    if encoding:
        headers['Content-Encoding'] = encoding
    if wanted and not wanted.trailing:
        headers[sysmeta.CHECKSUM + wanted.algorithm.title()] = wanted.value
    try:
        if length == 0:            # nothing for the proxy to read: authenticate, then check the stream here
            swift.require_bucket(app, s3, container)
            body.read()
        resp = swift.call(app, s3, 'PUT', container, name, headers=headers, body=body, length=length)
    except chunked.ChunkError as err:
        raise body.failure or errors.AccessDenied(str(err)) from None
    if body.failure is not None:
        resp.close()
        raise body.failure
    if wanted and not wanted.trailing:
        return _stored(s3, resp, {'x-amz-checksum-' + wanted.algorithm: wanted.value})
    if not (body.trailer and body.checksum):
        return _stored(s3, resp, {})
    answer = _stored(s3, resp, {'x-amz-checksum-' + body.trailer: body.checksum})
    try:                                 # the trailer came after the PUT's headers: keep it for GETs now
        swift.set_sysmeta(app, s3, container, name, {sysmeta.CHECKSUM + body.trailer.title(): body.checksum})
    except errors.S3Error as err:
        logger.warning('%s/%s: trailing checksum not kept: %s', container, name, err.code)
    return answer

"""An S3 request: which bucket and key (path-style or virtual-host style),
its query, and its SigV4 signature, checked against the clock and made into
the check the auth filter runs with the key's secret."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from swiftlike.common.request import wsgi_path_to_str
from swiftlike.common.s3_auth import S3AuthDetails, signatures_equal
from swiftlike.s3api import errors, sigv2, sigv4, values

#: Payload hashes that are not a hex SHA-256 of the body.
STREAMING = ('STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
             'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER')
#: Query parameters that carry a presigned URL's signature (not sub-resources of the request).
AUTH_QUERY = frozenset({'AWSAccessKeyId', 'Signature', 'Expires', 'X-Amz-Algorithm', 'X-Amz-Credential',
                        'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature',
                        'X-Amz-Security-Token'})
_SHA256_ERROR = ('x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, '
                 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER '
                 'or a valid sha256 value.')


def is_s3(environ: dict[str, Any]) -> bool:
    """Whether the request carries S3 credentials (in a header or a presigned query)."""
    auth = environ.get('HTTP_AUTHORIZATION', '')
    query = environ.get('QUERY_STRING', '')
    return auth.startswith((sigv4.ALGORITHM + ' ', 'AWS ')) or 'X-Amz-Algorithm=' in query \
        or ('AWSAccessKeyId=' in query and 'Signature=' in query)


@dataclass
class S3Request:
    """One S3 request, parsed and its signature prepared."""

    environ: dict[str, Any]
    method: str
    bucket: str
    key: str
    query: dict[str, str]
    headers: dict[str, str]
    payload_hash: str
    auth: S3AuthDetails
    signed: sigv4.SignedRequest | None = None
    #: the signing key, once the auth filter found the signature good (for chunk signatures)
    keys: list[bytes] = field(default_factory=list)
    #: what the body's SHA-256 must be (hex, any case; or a value no body has), None to check nothing
    sha256_claim: str | None = None
    #: an aws-chunked body (x-amz-content-sha256: STREAMING-*, in a V4 Authorization header)
    streaming: bool = False
    #: the canonical request and string to sign (for SignatureDoesNotMatch's details)
    signing_text: tuple[str, str] = ('', '')

    @property
    def resource(self) -> str:
        return '/' + '/'.join(p for p in (self.bucket, self.key) if p)


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers, lower-case. eventlet invents a Content-Type
    when there is none; its ``headers_raw`` tells whether one was sent."""
    found = {k[5:].replace('_', '-').lower(): str(v) for k, v in environ.items() if k.startswith('HTTP_')}
    raw = environ.get('headers_raw')
    sent_type = raw is None or any(k.lower() == 'content-type' for k, _ in raw)
    for key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
        if environ.get(key) and (key != 'CONTENT_TYPE' or sent_type):
            found[key.replace('_', '-').lower()] = str(environ[key])
    return found


def _bucket_and_key(path: str, host: str, storage_domain: str) -> tuple[str, str, bool]:
    """(bucket, key, whether the bucket came from the host name)."""
    host = host.rsplit(':', 1)[0] if not host.endswith(']') else host
    if storage_domain and host.endswith('.' + storage_domain):
        return host[:-len(storage_domain) - 1], path[1:], True
    bucket, _, key = path[1:].partition('/')
    return bucket, key, False


def parse(environ: dict[str, Any], *, storage_domain: str, max_skew: float, now: float) -> S3Request:
    """Parse and prepare the signature check of an S3 request (V4 or V2).

    :raises S3Error: for a malformed, expired or skewed request
    """
    try:
        path = wsgi_path_to_str(environ.get('PATH_INFO', '/'))
        pairs = parse_qsl(environ.get('QUERY_STRING', ''), keep_blank_values=True, errors='strict')
    except (UnicodeDecodeError, ValueError):
        raise errors.InvalidRequest('the path or query is not valid UTF-8') from None
    headers = _headers(environ)
    query = {k: v for k, v in pairs if k not in AUTH_QUERY}
    auth_query = dict(pairs)
    bucket, key, in_host = _bucket_and_key(path, headers.get('host', ''), storage_domain)
    method = environ['REQUEST_METHOD']
    if headers.get('authorization', '').startswith('AWS ') or 'AWSAccessKeyId' in auth_query:
        raw_path = environ.get('RAW_PATH_INFO') or quote(path)
        virtual = bucket if in_host else ''
        resources = [sigv2.canonical_resource(raw_path, pairs, virtual)]
        if bucket and not key:          # clients sign a bucket as /bucket/ whether or not they send the slash
            bare = raw_path.rstrip('/') or '/'
            resources = [sigv2.canonical_resource(p, pairs, virtual) for p in {bare, bare.rstrip('/') + '/'}]
        auth = _v2(method, headers, auth_query, resources, now=now, max_skew=max_skew)
        return S3Request(environ, method, bucket, key, query, headers, sigv4.UNSIGNED, auth,
                         sha256_claim=_claim(headers))
    signed, payload_hash = _signature(headers, auth_query, now, max_skew)
    uri = environ.get('RAW_PATH_INFO') or sigv4.canonical_uri(path)
    canonical = sigv4.canonical_request(method, uri, pairs, headers, signed.signed_headers,
                                        payload_hash=payload_hash)
    to_sign = sigv4.string_to_sign(signed, canonical)
    keys: list[bytes] = []

    def check(secret: str) -> bool:
        signing = sigv4.signing_key(secret, signed.credential)
        good = signatures_equal(sigv4.sign(signing, to_sign), signed.signature)
        if good and not keys:
            keys.append(signing)
        return good

    auth = S3AuthDetails(signed.credential.access_key, check)
    presigned = 'X-Amz-Algorithm' in auth_query
    streaming = not presigned and payload_hash in STREAMING
    claim = _claim(headers) if presigned else None if streaming or payload_hash == sigv4.UNSIGNED \
        else payload_hash
    return S3Request(environ, method, bucket, key, query, headers, payload_hash, auth, signed, keys,
                     sha256_claim=claim, streaming=streaming, signing_text=(canonical, to_sign))


def _claim(headers: dict[str, str]) -> str | None:
    """The body's SHA-256 a request not signed in a V4 header claims (any value but UNSIGNED-PAYLOAD)."""
    value = headers.get('x-amz-content-sha256')
    return None if value is None or value == sigv4.UNSIGNED else value


def _v2(method: str, headers: dict[str, str], query: dict[str, str], resources: list[str], *, now: float,
        max_skew: float) -> S3AuthDetails:
    """The signature check of a V2 request (``Authorization: AWS key:sig`` or a presigned query)."""
    if 'AWSAccessKeyId' in query:
        access_key, given = query['AWSAccessKeyId'], query.get('Signature', '')
        date = query.get('Expires', '')
        expires = values.number(date, name='Expires', error=errors.AccessDenied)
        if now > expires:
            raise errors.AccessDenied('Request has expired')
    else:
        access_key, _, given = headers['authorization'][4:].rpartition(':')
        if not access_key or not given:
            raise errors.AccessDenied('malformed Authorization header')
        _check_v2_date(headers, now, max_skew)
        date = '' if 'x-amz-date' in headers else headers.get('date', '')
    texts = [sigv2.string_to_sign(method, headers, resource, date) for resource in resources]
    return S3AuthDetails(access_key, lambda secret: any(sigv2.matches(secret, t, given) for t in texts))


def _check_v2_date(headers: dict[str, str], now: float, max_skew: float) -> None:
    when = values.http_epoch(headers.get('x-amz-date') or headers.get('date', ''))
    if when is None:
        raise errors.AccessDenied('AWS authentication requires a valid Date or x-amz-date header')
    if abs(when - now) > max_skew:
        raise errors.RequestTimeTooSkewed()


def _signature(headers: dict[str, str], query: dict[str, str], now: float,
               max_skew: float) -> tuple[sigv4.SignedRequest, str]:
    """A V4 request's signed parts and payload hash, its time checked."""
    if 'X-Amz-Algorithm' in query:
        try:
            signed = sigv4.parse_presigned(query)
            started = sigv4.amz_time(signed.amz_date)
        except sigv4.SignatureError as err:
            raise errors.AuthorizationQueryParametersError(str(err)) from None
        if now > started + (signed.expires or 0):
            raise errors.AccessDenied('Request has expired')
        if started > now + max_skew:
            raise errors.RequestTimeTooSkewed()
        return signed, headers.get('x-amz-content-sha256', sigv4.UNSIGNED)
    amz_date = headers.get('x-amz-date', '')
    try:
        signed = sigv4.parse_authorization(headers.get('authorization', ''), amz_date)
    except sigv4.SignatureError as err:
        raise errors.AuthorizationHeaderMalformed(str(err)) from None
    if 'host' not in signed.signed_headers:
        raise errors.AuthorizationHeaderMalformed('the host header must be signed')
    when = values.amz_epoch(amz_date)
    if when is None:
        raise errors.AccessDenied('AWS authentication requires a valid Date or x-amz-date header')
    if abs(when - now) > max_skew:
        raise errors.RequestTimeTooSkewed()
    if 'x-amz-content-sha256' not in headers:
        raise errors.InvalidRequest('Missing required header for this request: x-amz-content-sha256')
    payload_hash = headers['x-amz-content-sha256']
    if payload_hash not in (*STREAMING, sigv4.UNSIGNED) and (len(payload_hash) != 64
                                                          or not _is_hex(payload_hash)):
        raise errors.InvalidArgument(_SHA256_ERROR, ArgumentName='x-amz-content-sha256',
                                     ArgumentValue=payload_hash[:100])
    return signed, payload_hash


def _is_hex(text: str) -> bool:
    return all(c in '0123456789abcdefABCDEF' for c in text)

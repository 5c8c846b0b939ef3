"""Hostile values thrown at every number, date, signature, token, XML body
and aws-chunked frame that the s3api and tempauth filters parse, through
real HTTP on a dev cluster (requests signed by botocore, sent with
http.client so malformed values reach the server as they are).

Every answer must be below 500; an S3 answer must be S3 XML (an ``<Error>``
with the expected ``<Code>`` where it is known); no server log may hold a
traceback afterwards, and the cluster still serves a normal PUT and GET.
The table is fixed (seeded), so a failure names the case that broke.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import random
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .devcluster_fixture import start_cluster
from .test_s3_boto3 import KEY, SECRET, client

BUCKET = 'hostile'
EMPTY = hashlib.sha256(b'').hexdigest()
#: Numbers that are no numbers (or are out of every range): Unicode digits, signs, spaces, NUL, bad UTF-8.
NUMBERS: list[str | bytes] = ['²', '٣', '9' * 100, '-1', '+5', ' 5', '5 ', '5.0', '0x10', '1e3', '1_0', '',
                              '\x00', b'\xff\xfe', '18446744073709551616']
#: Dates no calendar has.
DATES: list[str | bytes] = ['20241399T256199Z', '2024١٢٠١T000000Z', '00000000T000000Z', '99999999T999999Z',
                            '20241201T000000', 'x' * 16, '', b'\xff' * 16]
HTTP_DATES: list[str | bytes] = ['Mon, 99 Foo 2024 99:99:99 GMT', 'Mon, 32 Dec 99999 00:00:00 GMT', '²',
                                 'Sun, 06 Nov 1994 08:49:37 +9999', '0', b'\xff\xfe',
                                 'Sun, 06 Nov 0000 00:00:00 GMT']
#: Signature- and token-shaped junk with non-ASCII characters.
SIGNATURES: list[str | bytes] = ['é' * 64, '²' * 64, b'\xff' * 64, 'a' * 63 + 'é', '\x00' * 64, '']
XML_BODIES: list[bytes] = [
    b'<CompleteMultipartUpload><Part>', b'not xml', b'\xff\xfe<\x00a\x00/\x00>\x00',
    b'<?xml version="1.0" encoding="bogus"?><a/>', b'<?xml version="1.0" encoding="UTF-16"?><a/>',
    b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', b'<a>\x00</a>', b'<a>' * 50000, b'<a/>' + b' ' * (1 << 20),
    '<é/>'.encode('latin-1'), b'<a>' * 140000 + b'</a>' * 140000]


@dataclass
class Tally:
    """What the table sent and what came back."""

    sent: int = 0
    server_errors: list[str] = field(default_factory=list)
    refused_by_http: list[str] = field(default_factory=list)


TALLY = Tally()


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    cluster = start_cluster(tmp_path_factory.mktemp('s3hostile'))
    s3 = client(f'http://127.0.0.1:{cluster.proxy_port}')
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key='obj', Body=b'0123456789')
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key='mp')['UploadId']
    s3.upload_part(Bucket=BUCKET, Key='mp', UploadId=upload, PartNumber=1, Body=b'part one')
    cluster.upload_id = upload
    cluster.log_sizes = {p: p.stat().st_size for p in cluster.logs.glob('*.log')}
    yield cluster
    cluster.stop()


# -- sending ---------------------------------------------------------------------------------


def _q(text: str | bytes) -> str:
    return quote(text, safe='-_.~')


def _query(pairs: list[tuple[str, str | bytes]]) -> str:
    return '&'.join(f'{_q(k)}={_q(v)}' for k, v in pairs)


def _as_header(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode('utf-8')


def send(cluster, method: str, path: str, *, query: list[tuple[str, str | bytes]] | None = None,
         headers: dict[str, str] | None = None, body: bytes = b'',
         extra: dict[str, str | bytes] | None = None, sign: str = 'v4',
         replace_query: dict[str, str | bytes] | None = None) -> Answer:
    """A request signed by botocore (``sign``: v4, v4-query, v2, v2-query, none), then given the
    ``extra`` headers and ``replace_query`` values as they are (unsigned, unencoded)."""
    port = cluster.proxy_port
    qs = _query(query or [])
    url = f'http://127.0.0.1:{port}{path}' + (f'?{qs}' if qs else '')
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    creds = Credentials(KEY, SECRET)
    signer = {'v4': lambda: S3SigV4Auth(creds, 's3', 'us-east-1'),
              'v4-query': lambda: S3SigV4QueryAuth(creds, 's3', 'us-east-1', expires=300),
              'v2': lambda: HmacV1Auth(creds), 'v2-query': lambda: HmacV1QueryAuth(creds, expires=300)}
    if sign in signer:
        signer[sign]().add_auth(request)
    target = request.url.split(str(port), 1)[1]
    if replace_query:
        target = _replace_query(target, replace_query)
    sent = {k: _as_header(v) for k, v in request.headers.items()}
    for name, value in (extra or {}).items():
        sent = {k: v for k, v in sent.items() if k.lower() != name.lower()}
        sent[name] = _as_header(value)
    return _raw(cluster, method, target, sent, body)


def _replace_query(target: str, values: dict[str, str | bytes]) -> str:
    path, _, qs = target.partition('?')
    pairs = [p.partition('=') for p in qs.split('&') if p]
    out = [f'{k}={_q(values[k]) if k in values else v}' for k, _, v in pairs]
    out += [f'{_q(k)}={_q(v)}' for k, v in values.items() if k not in {k for k, _, _ in pairs}]
    return path + '?' + '&'.join(out)


def _raw(cluster, method: str, target: str, headers: dict[str, bytes], body: bytes,
         *, length: int | None = None) -> Answer:
    conn = http.client.HTTPConnection('127.0.0.1', cluster.proxy_port, timeout=60)
    try:
        conn.putrequest(method, target, skip_host='Host' in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        if not any(k.lower() == 'content-length' for k in headers):
            conn.putheader('Content-Length', str(len(body) if length is None else length))
        conn.endheaders(body or None)
        resp = conn.getresponse()
        answer = Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()
    TALLY.sent += 1
    return answer


def check(answer: Answer, what: str, *, code: str | None = None, method: str = 'GET', s3: bool = True,
          codes: tuple[str, ...] = ()) -> None:
    """Below 500; an S3 answer is S3 XML with ``code`` (or one of ``codes``) if given."""
    if answer.status >= 500:
        TALLY.server_errors.append(f'{what}: {answer.status} {answer.body[:200]!r}')
    assert answer.status < 500, (what, answer.status, answer.body[:300])
    if 'x-amz-request-id' not in answer.headers and answer.status == 400 and s3:
        TALLY.refused_by_http.append(what)      # the HTTP layer refused the request line or a header
        assert not code, (what, 'expected', code, 'got a non-S3 400', answer.body[:300])
        return
    if not s3 or method == 'HEAD' or answer.status < 300:
        return
    assert answer.headers.get('content-type', '').startswith('application/xml'), (what, answer.headers)
    root = ET.fromstring(answer.body)
    assert root.tag == 'Error', (what, answer.body[:300])
    got = root.findtext('Code')
    wanted = (code,) if code else codes
    assert not wanted or got in wanted, (what, 'expected', wanted, 'got', got, answer.body[:300])


# -- the table -----------------------------------------------------------------------------------

#: (case id, method, path, query builder(value, upload id), expected code or None)
QUERY_FIELDS = [
    ('list-max-keys', 'GET', f'/{BUCKET}', lambda v, u: [('max-keys', v)], 'InvalidArgument'),
    ('list2-max-keys', 'GET', f'/{BUCKET}', lambda v, u: [('list-type', '2'), ('max-keys', v)],
     'InvalidArgument'),
    ('versions-max-keys', 'GET', f'/{BUCKET}', lambda v, u: [('versions', ''), ('max-keys', v)],
     'InvalidArgument'),
    ('uploads-max-uploads', 'GET', f'/{BUCKET}', lambda v, u: [('uploads', ''), ('max-uploads', v)],
     'InvalidArgument'),
    ('parts-max-parts', 'GET', f'/{BUCKET}/mp', lambda v, u: [('uploadId', u), ('max-parts', v)],
     'InvalidArgument'),
    ('parts-marker', 'GET', f'/{BUCKET}/mp', lambda v, u: [('uploadId', u), ('part-number-marker', v)],
     'InvalidArgument'),
    ('upload-part-number', 'PUT', f'/{BUCKET}/mp', lambda v, u: [('partNumber', v), ('uploadId', u)],
     'InvalidArgument'),
    ('get-part-number', 'GET', f'/{BUCKET}/obj', lambda v, u: [('partNumber', v)], 'InvalidArgument'),
    ('head-part-number', 'HEAD', f'/{BUCKET}/obj', lambda v, u: [('partNumber', v)], None),
    ('upload-id', 'GET', f'/{BUCKET}/mp', lambda v, u: [('uploadId', v)], 'NoSuchUpload'),
    ('upload-id-abort', 'DELETE', f'/{BUCKET}/mp', lambda v, u: [('uploadId', v)], 'NoSuchUpload'),
    ('continuation-token', 'GET', f'/{BUCKET}', lambda v, u: [('list-type', '2'), ('continuation-token', v)],
     None),
]
QUERY_CASES = [(f'{name}[{i}]', method, path, build, code, value)
               for name, method, path, build, code in QUERY_FIELDS for i, value in enumerate(NUMBERS)]
#: Response header overrides: a value that is no header value (CR, LF, NUL, not Latin-1)
#: must not reach the answer.
HEADER_VALUES: list[str | bytes] = ['a\r\nX-Injected: 1', 'a\nb', '\x00', '\u2603', '\x7f', b'\xff\xfe',
                                    'x' * 3000]
QUERY_CASES += [(f'{param}[{i}]', 'GET', f'/{BUCKET}/obj', (lambda p: lambda v, u: [(p, v)])(param),
                 'InvalidArgument', value)
                for param in ('response-content-type', 'response-content-disposition', 'response-expires')
                for i, value in enumerate(HEADER_VALUES)]


@pytest.mark.parametrize('case', QUERY_CASES, ids=[c[0] for c in QUERY_CASES])
def test_numbers_in_the_query(cluster, case):
    what, method, path, build, code, value = case
    if isinstance(value, bytes):
        code = 'InvalidRequest'         # a query that is not UTF-8 is refused before any field is read
    body = b'part' if method == 'PUT' else b''
    answer = send(cluster, method, path, query=build(value, cluster.upload_id), body=body)
    check(answer, what, code=code, method=method)
    assert not any(k.startswith('x-injected') for k in answer.headers), (what, answer.headers)


#: (case id, method, path, query, headers, body, hostile header, values, expected codes)
HEADER_FIELDS = [
    ('delete-at', 'PUT', f'/{BUCKET}/expiring', [], b'x', 'X-Delete-At', NUMBERS, ()),
    ('delete-after', 'PUT', f'/{BUCKET}/expiring', [], b'x', 'X-Delete-After', NUMBERS, ()),
    ('content-md5', 'PUT', f'/{BUCKET}/md5', [], b'x', 'Content-MD5', NUMBERS + SIGNATURES,
     ('InvalidDigest',)),
    ('checksum-crc32', 'PUT', f'/{BUCKET}/crc', [], b'x', 'x-amz-checksum-crc32', NUMBERS + SIGNATURES,
     ('BadDigest', 'InvalidRequest', 'InvalidArgument')),
    ('range', 'GET', f'/{BUCKET}/obj', [], b'', 'Range', [f'bytes={v}-3' for v in ('²', '٣', '9' * 100,
                                                                                  '-1', '+5', ' 5')]
     + [f'bytes=0-{v}' for v in ('²', '9' * 100)] + NUMBERS, ('InvalidRange',)),
    ('copy-source-range', 'PUT', f'/{BUCKET}/mp', [('partNumber', '2'), ('uploadId', None)], b'',
     'x-amz-copy-source-range', [f'bytes={v}-3' for v in ('²', '٣', '9' * 100, '-1', '+5', ' 5', '')]
     + [f'bytes=0-{v}' for v in ('²', '9' * 100, '-1', '+5')] + NUMBERS + ['bytes=5-2', 'bytes=0-99'],
     ('InvalidArgument', 'InvalidRange')),
    ('copy-if-modified', 'PUT', f'/{BUCKET}/copied', [], b'', 'x-amz-copy-source-if-modified-since',
     HTTP_DATES, ()),
    ('copy-if-unmodified', 'PUT', f'/{BUCKET}/copied', [], b'', 'x-amz-copy-source-if-unmodified-since',
     HTTP_DATES, ()),
    ('if-modified-since', 'GET', f'/{BUCKET}/obj', [], b'', 'If-Modified-Since', HTTP_DATES, ()),
    ('tagging', 'PUT', f'/{BUCKET}/tagged', [], b'x', 'x-amz-tagging',
     ['%ZZ', 'a=' + 'b' * 300, '&&&', '=', b'\xff=\xfe'] + SIGNATURES, ('InvalidArgument', 'InvalidTag')),
    ('copy-source', 'PUT', f'/{BUCKET}/copied', [], b'', 'x-amz-copy-source',
     ['%ZZ', '/', BUCKET, f'{BUCKET}/obj?versionId=²', b'\xff/\xfe', '%FF/%FE'] + NUMBERS, ()),
    ('metadata-directive', 'PUT', f'/{BUCKET}/copied', [], b'', 'x-amz-metadata-directive', NUMBERS,
     ('InvalidArgument',)),
    ('checksum-algorithm', 'POST', f'/{BUCKET}/mp2', [('uploads', '')], b'', 'x-amz-checksum-algorithm',
     NUMBERS + ['CRC²'], ('InvalidRequest', 'InvalidArgument')),
    ('content-sha256', 'PUT', f'/{BUCKET}/sha', [], b'x', 'x-amz-content-sha256', NUMBERS + SIGNATURES,
     ('InvalidArgument', 'XAmzContentSHA256Mismatch', 'SignatureDoesNotMatch', 'NotImplemented')),
    ('amz-date', 'GET', f'/{BUCKET}', [], b'', 'X-Amz-Date', DATES + NUMBERS, ('AccessDenied',)),
    ('acl', 'PUT', f'/{BUCKET}', [('acl', '')], b'', 'x-amz-acl', NUMBERS, ('InvalidArgument',)),
]
HEADER_CASES = [(f'{name}[{i}]', method, path, query, body, header, value, codes)
                for name, method, path, query, body, header, values, codes in HEADER_FIELDS
                for i, value in enumerate(values)]


@pytest.mark.parametrize('case', HEADER_CASES, ids=[c[0] for c in HEADER_CASES])
def test_values_in_headers(cluster, case):
    what, method, path, query, body, header, value, codes = case
    query = [(k, cluster.upload_id if v is None else v) for k, v in query]
    headers = {}
    if header.startswith('x-amz-copy-source-') or what.startswith('metadata'):
        headers['x-amz-copy-source'] = f'{BUCKET}/obj'
    answer = send(cluster, method, path, query=query, headers=headers, body=body, extra={header: value})
    check(answer, what, codes=codes, method=method)


V2_DATES = [(f'v2-date[{i}]', v) for i, v in enumerate(HTTP_DATES + NUMBERS)]


@pytest.mark.parametrize('case', V2_DATES, ids=[c[0] for c in V2_DATES])
def test_sigv2_date_header(cluster, case):
    what, value = case
    answer = send(cluster, 'GET', f'/{BUCKET}', sign='v2', extra={'Date': value})
    check(answer, what, codes=('AccessDenied', 'RequestTimeTooSkewed'))


PRESIGNED = ([(f'v2-expires[{i}]', 'v2-query', 'Expires', v, 'AccessDenied') for i, v in enumerate(NUMBERS)]
             + [(f'v4-expires[{i}]', 'v4-query', 'X-Amz-Expires', v, 'AuthorizationQueryParametersError')
                for i, v in enumerate(NUMBERS)]
             + [(f'v4-query-date[{i}]', 'v4-query', 'X-Amz-Date', v, None) for i, v in enumerate(DATES)]
             + [(f'v4-credential[{i}]', 'v4-query', 'X-Amz-Credential', v, None) for i, v in enumerate(
                 ['test:tester/2024١٢٠١/us-east-1/s3/aws4_request', 'é/20241201/us-east-1/s3/aws4_request',
                  '/////', 'x', b'\xff/20241201/us-east-1/s3/aws4_request'])]
             + [(f'v4-query-sig[{i}]', 'v4-query', 'X-Amz-Signature', v, 'SignatureDoesNotMatch')
                for i, v in enumerate(SIGNATURES) if v]
             + [(f'v2-query-sig[{i}]', 'v2-query', 'Signature', v, 'SignatureDoesNotMatch')
                for i, v in enumerate(SIGNATURES) if v]
             + [(f'v2-query-key[{i}]', 'v2-query', 'AWSAccessKeyId', v, None)
                for i, v in enumerate(SIGNATURES)])


@pytest.mark.parametrize('case', PRESIGNED, ids=[c[0] for c in PRESIGNED])
def test_presigned_query_values(cluster, case):
    what, sign, name, value, code = case
    codes = ('AccessDenied', 'AuthorizationQueryParametersError', 'SignatureDoesNotMatch',
             'InvalidAccessKeyId', 'RequestTimeTooSkewed', 'InvalidArgument', 'InvalidRequest')
    code = 'InvalidRequest' if isinstance(value, bytes) else code
    answer = send(cluster, 'GET', f'/{BUCKET}/obj', sign=sign, replace_query={name: value})
    check(answer, what, code=code, codes=codes)


def _v4_authorization(signature: str | bytes, key: str | bytes = KEY, date: str | bytes | None = None
                      ) -> bytes:
    day = time.strftime('%Y%m%d', time.gmtime()) if date is None else date
    return b''.join(_as_header(p) for p in (
        'AWS4-HMAC-SHA256 Credential=', key, '/', day, '/us-east-1/s3/aws4_request, '
        'SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=', signature))


AUTH_HEADERS = ([(f'v4-signature[{i}]', _v4_authorization(v), ('SignatureDoesNotMatch',
                                                               'AuthorizationHeaderMalformed'))
                 for i, v in enumerate(SIGNATURES)]
                + [(f'v4-access-key[{i}]', _v4_authorization('0' * 64, key=v),
                    ('InvalidAccessKeyId', 'AuthorizationHeaderMalformed')) for i, v in enumerate(SIGNATURES)]
                + [(f'v4-credential-date[{i}]', _v4_authorization('0' * 64, date=v),
                    ('AuthorizationHeaderMalformed', 'SignatureDoesNotMatch'))
                   for i, v in enumerate(['2024١٢٠١', '²' * 8, b'\xff' * 8, '99999999', '20241399'])]
                + [(f'v2-signature[{i}]', b'AWS ' + _as_header(KEY) + b':' + _as_header(v),
                    ('SignatureDoesNotMatch', 'AccessDenied')) for i, v in enumerate(SIGNATURES)]
                + [(f'v2-access-key[{i}]', b'AWS ' + _as_header(v) + b':c2lnbmF0dXJl',
                    ('InvalidAccessKeyId', 'AccessDenied')) for i, v in enumerate(SIGNATURES)])


@pytest.mark.parametrize('case', AUTH_HEADERS, ids=[c[0] for c in AUTH_HEADERS])
def test_signatures_and_keys_with_junk(cluster, case):
    what, authorization, codes = case
    sign = 'v2' if what.startswith('v2') else 'v4'
    answer = send(cluster, 'GET', f'/{BUCKET}', sign=sign, extra={'Authorization': authorization})
    check(answer, what, codes=codes)


TOKENS = [*SIGNATURES, 'AUTH_tk' + 'é' * 10 + '.abc', 'AUTH_tk.' + 'é' * 40]
SWIFT_AUTH = ([(f'auth-token[{i}]', '/v1/AUTH_test', {'X-Auth-Token': v}, 401)
               for i, v in enumerate(TOKENS) if v]
              + [(f'auth-key[{i}]', '/auth/v1.0', {'X-Auth-User': 'test:tester', 'X-Auth-Key': v}, 401)
                 for i, v in enumerate(SIGNATURES)]
              + [(f'auth-user[{i}]', '/auth/v1.0', {'X-Auth-User': v, 'X-Auth-Key': 'testing'}, 401)
                 for i, v in enumerate(SIGNATURES)])


@pytest.mark.parametrize('case', SWIFT_AUTH, ids=[c[0] for c in SWIFT_AUTH])
def test_swift_tokens_and_keys_with_junk(cluster, case):
    what, path, headers, status = case
    answer = _raw(cluster, 'GET', path, {k: _as_header(v) for k, v in headers.items()}, b'')
    check(answer, what, s3=False)
    assert answer.status in (status, 400), (what, answer.status, answer.body)


def _complete_body(number: str | bytes) -> bytes:
    return (b'<CompleteMultipartUpload><Part><PartNumber>' + _as_header(number)
            + b'</PartNumber><ETag>"abc"</ETag></Part></CompleteMultipartUpload>')


XML_CASES = ([(f'complete-part-number[{i}]', 'POST', '/mp', 'uploadId', _complete_body(v),
               ('MalformedXML', 'InvalidArgument', 'InvalidPart')) for i, v in enumerate(NUMBERS)]
             + [(f'complete-body[{i}]', 'POST', '/mp', 'uploadId', b, ('MalformedXML',))
                for i, b in enumerate(XML_BODIES)]
             + [(f'delete-body[{i}]', 'POST', '', 'delete', b, ('MalformedXML',))
                for i, b in enumerate(XML_BODIES)]
             + [(f'tagging-body[{i}]', 'PUT', '/obj', 'tagging', b, ('MalformedXML',))
                for i, b in enumerate(XML_BODIES)]
             + [(f'create-bucket-body[{i}]', 'PUT', '-made', '', b, ('MalformedXML',))
                for i, b in enumerate(XML_BODIES)])


@pytest.mark.parametrize('case', XML_CASES, ids=[c[0] for c in XML_CASES])
def test_xml_bodies(cluster, case):
    what, method, suffix, sub, body, codes = case
    query = [(sub, cluster.upload_id if sub == 'uploadId' else '')] if sub else []
    # DeleteObjects needs a Content-MD5 (or a checksum) before its body is read, as on AWS
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    headers = {'Content-MD5': md5} if sub == 'delete' else {}
    answer = send(cluster, method, f'/{BUCKET}{suffix}', query=query, body=body, headers=headers)
    check(answer, what, codes=codes)


@pytest.mark.parametrize('name', ['bucket\n', 'bucket%0A', 'Bucket', 'b', 'bucket..x', '1.2.3.4', '1.2.3.٤',
                                  'bucket\x00', 'bück', 'a' * 64, '-bucket', 'bucket-'])
def test_bucket_names(cluster, name):
    answer = send(cluster, 'PUT', '/' + quote(name, safe='%'))
    check(answer, f'bucket {name!r}', code='InvalidBucketName')


@pytest.mark.parametrize('host', ['\u00e9.localhost', '.localhost', 'a..localhost', '[::1', '[', ':',
                                  ':99999999', b'\xff.localhost', 'x' * 300 + '.localhost',
                                  'hostile.localhost:\u00b2'])
def test_virtual_host_names(cluster, host):
    answer = send(cluster, 'GET', '/obj', extra={'Host': host})
    check(answer, f'host {host!r}', codes=('SignatureDoesNotMatch', 'AccessDenied', 'InvalidArgument',
                                           'NoSuchBucket', 'InvalidRequest', 'InvalidBucketName'))


# -- aws-chunked bodies --------------------------------------------------------------------------


def _chunked(cluster, frame, *, decoded: str | bytes = '5', mode='STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
             length: int | None = None) -> Answer:
    """A signed aws-chunked PUT whose body ``frame(sign)`` builds
    (``sign(data)``: the next chunk signature)."""
    url = f'http://127.0.0.1:{cluster.proxy_port}/{BUCKET}/chunked'
    headers = {'Content-Encoding': 'aws-chunked', 'X-Amz-Content-SHA256': mode}
    request = AWSRequest(method='PUT', url=url, headers=headers)
    SigV4Auth(Credentials(KEY, SECRET), 's3', 'us-east-1').add_auth(request)
    date = request.headers['X-Amz-Date']
    scope = f'{date[:8]}/us-east-1/s3/aws4_request'
    key = f'AWS4{SECRET}'.encode()
    for part in (date[:8], 'us-east-1', 's3', 'aws4_request'):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    chain = [request.headers['Authorization'].rpartition('Signature=')[2]]

    def sign(data: bytes) -> str:
        text = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', date, scope, chain[-1], EMPTY,
                          hashlib.sha256(data).hexdigest()])
        chain.append(hmac.new(key, text.encode(), hashlib.sha256).hexdigest())
        return chain[-1]

    body = frame(sign)
    sent = {k: _as_header(v) for k, v in request.headers.items()}
    sent['X-Amz-Decoded-Content-Length'] = _as_header(decoded)
    sent['Content-Length'] = str(len(body) if length is None else length).encode()
    return _raw(cluster, 'PUT', f'/{BUCKET}/chunked', sent, body)


def _frame(size: bytes, data: bytes = b'hello', *, last: bool = True, signed: bool = True):
    def build(sign) -> bytes:
        ext = f';chunk-signature={sign(data)}'.encode() if signed else b''
        out = size + ext + b'\r\n' + data + b'\r\n'
        if last:
            out += f'0;chunk-signature={sign(b"")}\r\n\r\n'.encode()
        return out
    return build


CHUNKED_CASES = [
    ('size-zz', _frame(b'zz'), {}), ('size-superscript', _frame('²'.encode()), {}),
    ('size-negative', _frame(b'-5'), {}), ('size-huge', _frame(b'9' * 100), {}),
    ('size-plus', _frame(b'+5'), {}), ('size-space', _frame(b' 5'), {}), ('size-0x', _frame(b'0x5'), {}),
    ('size-underscore', _frame(b'0_5'), {}), ('size-empty', _frame(b''), {}),
    ('size-too-big', _frame(b'7fffffff'), {}), ('size-too-small', _frame(b'3'), {}),
    ('size-too-large', _frame(b'6'), {}), ('no-signature', _frame(b'5', signed=False), {}),
    ('no-last-chunk', _frame(b'5', last=False), {}),
    ('truncated', lambda sign: _frame(b'5')(sign)[:20], {}),
    ('sig-non-ascii', lambda sign: b'5;chunk-signature=' + 'é'.encode() * 32 + b'\r\nhello\r\n', {}),
    ('garbage', lambda sign: b'\xff\xfe\x00\r\n' * 4, {}),
    ('no-crlf', lambda sign: b'5;chunk-signature=' + sign(b'hello').encode() + b'hello', {}),
    ('longer-than-decoded', _frame(b'5'), {'decoded': '3'}),
    ('shorter-than-decoded', _frame(b'5'), {'decoded': '9'}),
    *[(f'decoded-length[{i}]', _frame(b'5'), {'decoded': v}) for i, v in enumerate(NUMBERS)],
    ('content-length-short', _frame(b'5'), {'length': 10}),
    ('unsigned-size-zz', _frame(b'zz', signed=False), {'mode': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'}),
    ('unsigned-no-last', _frame(b'5', last=False, signed=False),
     {'mode': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'}),
]


@pytest.mark.parametrize('case', CHUNKED_CASES, ids=[c[0] for c in CHUNKED_CASES])
def test_aws_chunked_frames(cluster, case):
    what, frame, options = case
    answer = _chunked(cluster, frame, **options)
    check(answer, what, codes=('IncompleteBody', 'SignatureDoesNotMatch', 'InvalidArgument',
                               'MissingContentLength'))
    if _as_header(options.get('decoded', '5')).strip() != b'5':   # HTTP takes spaces around a value off
        assert answer.status != 200, (what, answer.status, answer.body)


def test_a_seeded_mix_of_everything(cluster):
    """Random pairs of hostile values in one request each (seeded): query and header at once."""
    rng = random.Random(20261202)
    headers = ['X-Delete-At', 'Range', 'x-amz-copy-source-range', 'Content-MD5', 'X-Amz-Date', 'Date']
    params = ['max-keys', 'partNumber', 'uploadId', 'max-parts', 'max-uploads', 'part-number-marker']
    for n in range(60):
        method = rng.choice(['GET', 'PUT', 'HEAD', 'POST', 'DELETE'])
        path = rng.choice([f'/{BUCKET}', f'/{BUCKET}/obj', f'/{BUCKET}/mp'])
        query = [(rng.choice(params), rng.choice(NUMBERS))]
        extra = {rng.choice(headers): rng.choice(NUMBERS + DATES)}
        answer = send(cluster, method, path, query=query, extra=extra, body=b'x' if method == 'PUT' else b'')
        check(answer, f'mix[{n}] {method} {path} {query} {extra}', method=method)


def test_the_cluster_still_works_and_logged_no_traceback(cluster):
    s3 = client(f'http://127.0.0.1:{cluster.proxy_port}')
    s3.put_object(Bucket=BUCKET, Key='after', Body=b'still here')
    assert s3.get_object(Bucket=BUCKET, Key='after')['Body'].read() == b'still here'
    tracebacks = []
    for path in sorted(cluster.logs.glob('*.log')):
        with open(path, 'rb') as log:
            log.seek(cluster.log_sizes.get(path, 0))
            text = log.read().decode('utf-8', 'replace')
        if 'Traceback' in text:
            tracebacks.append(f'{path.name}: {text[text.index("Traceback"):][:1500]}')
    print(f'hostile requests sent: {TALLY.sent}; 5xx: {len(TALLY.server_errors)}; '
          f'refused by the HTTP layer (400 before s3api): {len(TALLY.refused_by_http)} '
          f'({", ".join(TALLY.refused_by_http)}); logs with a traceback: {len(tracebacks)}')
    assert not tracebacks, '\n\n'.join(tracebacks)
    assert not TALLY.server_errors, TALLY.server_errors

"""S3 answers as AWS words them, through a dev cluster: the payload SHA-256,
Content-MD5 and flexible-checksum errors (codes, messages and the extra
elements), aws-chunked framing and trailer errors, requests that must be
refused (several checksums, a trailer on a plain body, DeleteObjects without
a digest), and requests that must be taken (presigned URLs carrying
x-amz-content-sha256, SigV2 presigned bucket requests, trailers with a
trailing comma, upper-case chunk sizes). Hostile values in each new header
get a 4xx S3 error, never a 5xx."""

from __future__ import annotations

import base64
import hashlib
import xml.etree.ElementTree as ET
import zlib
from urllib.parse import quote

import pytest

from .s3_signing import EMPTY, Answer, Signer
from .test_s3_boto3 import client

BUCKET = 'fidelity'
BODY = b'the quick brown fox jumps over the lazy dog'
SHA = hashlib.sha256(BODY).hexdigest()
MD5 = base64.b64encode(hashlib.md5(BODY).digest()).decode()
CRC = base64.b64encode(zlib.crc32(BODY).to_bytes(4, 'big')).decode()
OTHER_CRC = base64.b64encode(zlib.crc32(b'other').to_bytes(4, 'big')).decode()
PATH = f'/{BUCKET}/obj'
UNSIGNED_STREAM = {'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
                   'content-encoding': 'aws-chunked'}


@pytest.fixture(scope='module')
def s3(cluster):
    s3 = client(f'http://127.0.0.1:{cluster.proxy_port}')
    s3.create_bucket(Bucket=BUCKET)
    return s3


@pytest.fixture
def signer(cluster, s3):
    return Signer(cluster.proxy_port)


def counts(answer: Answer) -> tuple[str | None, str | None]:
    return answer.element('NumberBytesExpected'), answer.element('NumberBytesProvided')


def assert_error(answer: Answer, status: int, code: str, message: str | None = None) -> None:
    assert (answer.status, answer.code) == (status, code), answer.body[:500]
    if message is not None:
        assert answer.element('Message') == message, answer.body[:500]


# -- x-amz-content-sha256 ----------------------------------------------------------------------------


def test_v4_needs_a_payload_hash_that_is_one(signer):
    answer = signer.put_v4(f'/{BUCKET}', b'', {}, method='GET')
    assert_error(answer, 400, 'InvalidRequest',
                 'Missing required header for this request: x-amz-content-sha256')
    answer = signer.put_v4(PATH, BODY, {'x-amz-content-sha256': 'unsigned-payload'})
    assert_error(answer, 400, 'InvalidArgument')
    assert answer.element('Message').endswith('or a valid sha256 value.')
    assert (answer.element('ArgumentName'), answer.element('ArgumentValue')) == (
        'x-amz-content-sha256', 'unsigned-payload')
    assert signer.put_v4(PATH, BODY, {'x-amz-content-sha256': SHA.upper()}).status == 200


@pytest.mark.parametrize('claimed', [EMPTY, EMPTY.upper(), 'invalid'])
def test_a_payload_hash_mismatch_names_both_hashes(signer, claimed):
    headers = {'x-amz-content-sha256': claimed}
    if claimed == 'invalid':                 # a V4 header refuses it before the body: use a presigned URL
        sent, query = signer.v4_presigned('PUT', PATH, headers=headers)
        answer = signer.send('PUT', PATH, query=query, headers=sent, body=BODY)
    else:
        answer = signer.put_v4(PATH, BODY, {**headers, 'content-md5': base64.b64encode(b'x' * 16).decode()})
    assert_error(answer, 400, 'XAmzContentSHA256Mismatch',
                 "The provided 'x-amz-content-sha256' header does not match what was computed.")
    assert answer.element('ClientComputedContentSHA256') == claimed
    assert answer.element('S3ComputedContentSHA256') == SHA


def test_an_empty_body_is_checked_against_its_hash_too(signer):
    answer = signer.put_v4(PATH, b'', {'x-amz-content-sha256': SHA})
    assert_error(answer, 400, 'XAmzContentSHA256Mismatch')
    assert answer.element('S3ComputedContentSHA256') == EMPTY


def test_sigv2_checks_a_payload_hash_it_is_sent(signer):
    headers = {'x-amz-content-sha256': hashlib.sha256(b'not it').hexdigest()}
    answer = signer.send('PUT', PATH, headers={**headers, 'Host': f'127.0.0.1:{signer.port}'},
                         query=signer.v2_presigned('PUT', PATH, headers=headers), body=BODY)
    assert_error(answer, 400, 'XAmzContentSHA256Mismatch')
    headers = {'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
               'x-amz-decoded-content-length': '5'}
    answer = signer.send('PUT', PATH, headers={**headers, 'Host': f'127.0.0.1:{signer.port}'},
                         query=signer.v2_presigned('PUT', PATH, headers=headers), body=BODY)
    assert_error(answer, 400, 'IncompleteBody')
    assert counts(answer) == ('5', str(len(BODY)))


# -- Content-MD5 and checksums -----------------------------------------------------------------------


def test_content_md5_errors(signer):
    answer = signer.put_v4(PATH, BODY, {'x-amz-content-sha256': SHA, 'content-md5': 'invalid'})
    assert_error(answer, 400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.')
    wrong = base64.b64encode(hashlib.md5(b'').digest()).decode()
    answer = signer.put_v4(PATH, BODY, {'x-amz-content-sha256': SHA, 'content-md5': wrong})
    assert_error(answer, 400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.')
    assert answer.element('ExpectedDigest') == hashlib.md5(b'').hexdigest()


@pytest.mark.parametrize('headers, status, code, message', [
    ({'x-amz-checksum-crc32': 'bad'}, 400, 'InvalidRequest',
     'Value for x-amz-checksum-crc32 header is invalid.'),
    ({'x-amz-checksum-crc32': OTHER_CRC}, 400, 'BadDigest',
     'The CRC32 you specified did not match the calculated checksum.'),
    ({'x-amz-checksum-crc32': CRC, 'x-amz-checksum-crc32c': CRC}, 400, 'InvalidRequest',
     'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.'),
    ({'x-amz-checksum-crc32': CRC, 'x-amz-sdk-checksum-algorithm': 'CRC32C'}, 400, 'InvalidRequest',
     'Value for x-amz-sdk-checksum-algorithm header is invalid.'),
    ({'x-amz-sdk-checksum-algorithm': 'CRC32'}, 400, 'InvalidRequest',
     'x-amz-sdk-checksum-algorithm specified, but no corresponding x-amz-checksum-* or x-amz-trailer '
     'headers were found.'),
    ({'x-amz-checksum-nope': CRC}, 400, 'InvalidRequest',
     'The algorithm type you specified in x-amz-checksum- header is invalid.'),
    ({'x-amz-trailer': 'x-amz-checksum-crc32'}, 400, 'MalformedTrailerError', None),
    ({'x-amz-checksum-crc32': CRC, 'x-amz-trailer': 'x-amz-checksum-crc32'}, 400, 'InvalidRequest',
     'Expecting a single x-amz-checksum- header'),
])
def test_checksum_headers_refused_as_aws_does(signer, headers, status, code, message):
    answer = signer.put_v4(f'/{BUCKET}/refused', BODY, {'x-amz-content-sha256': SHA, **headers})
    assert_error(answer, status, code, message)
    assert OTHER_CRC.encode() not in answer.body
    head = signer.put_v4(f'/{BUCKET}/refused', b'', {'x-amz-content-sha256': EMPTY}, method='HEAD')
    assert head.status == 404


def test_a_good_checksum_is_kept(signer, s3):
    answer = signer.put_v4(PATH, BODY, {'x-amz-content-sha256': SHA, 'x-amz-checksum-crc32': CRC,
                                        'x-amz-sdk-checksum-algorithm': 'crc32'})
    assert answer.status == 200 and answer.headers['x-amz-checksum-crc32'] == CRC
    assert s3.head_object(Bucket=BUCKET, Key='obj', ChecksumMode='ENABLED')['ChecksumCRC32'] == CRC


# -- bodies of bucket and upload requests ------------------------------------------------------------


def _delete_body(key: str) -> bytes:
    return f'<Delete><Object><Key>{key}</Key></Object></Delete>'.encode()


def test_delete_objects_needs_a_digest(signer, s3):
    s3.put_object(Bucket=BUCKET, Key='doomed', Body=b'x')
    body = _delete_body('doomed')
    sha = hashlib.sha256(body).hexdigest()
    answer = signer.put_v4(f'/{BUCKET}', body, {'x-amz-content-sha256': sha}, query={'delete': ''},
                           method='POST')
    assert_error(answer, 400, 'InvalidRequest',
                 'Missing required header for this request: Content-MD5 OR x-amz-checksum-*')
    crc = base64.b64encode(zlib.crc32(body).to_bytes(4, 'big')).decode()
    answer = signer.put_v4(f'/{BUCKET}', body, {'x-amz-content-sha256': sha,
                                                'x-amz-checksum-crc32': OTHER_CRC},
                           query={'delete': ''}, method='POST')
    assert_error(answer, 400, 'BadDigest', 'The CRC32 you specified did not match the calculated checksum.')
    answer = signer.put_v4(f'/{BUCKET}', body, {'x-amz-content-sha256': sha, 'x-amz-checksum-crc32': crc},
                           query={'delete': ''}, method='POST')
    assert answer.status == 200 and b'<Deleted><Key>doomed</Key>' in answer.body


def test_complete_with_a_wrong_content_md5_is_bad_digest(signer, s3):
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key='mpu')['UploadId']
    etag = s3.upload_part(Bucket=BUCKET, Key='mpu', UploadId=upload, PartNumber=1, Body=b'part')['ETag']
    body = (f'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>'
            '</CompleteMultipartUpload>').encode()
    wrong = base64.b64encode(hashlib.md5(b'not the body').digest()).decode()
    headers = {'x-amz-content-sha256': hashlib.sha256(body).hexdigest(), 'content-md5': wrong}
    answer = signer.put_v4(f'/{BUCKET}/mpu', body, headers, query={'uploadId': upload}, method='POST')
    assert_error(answer, 400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.')
    assert answer.element('ExpectedDigest') == wrong
    headers['content-md5'] = base64.b64encode(hashlib.md5(body).digest()).decode()
    answer = signer.put_v4(f'/{BUCKET}/mpu', body, headers, query={'uploadId': upload}, method='POST')
    assert answer.status == 200, answer.body


# -- presigned URLs ----------------------------------------------------------------------------------


def test_v4_presigned_urls_may_sign_a_payload_hash(signer):
    sent, query = signer.v4_presigned('PUT', PATH, headers={'x-amz-content-sha256': SHA})
    assert signer.send('PUT', PATH, query=query, headers=sent, body=BODY).status == 200
    sent, query = signer.v4_presigned('GET', PATH, headers={'x-amz-content-sha256': 'UNSIGNED-PAYLOAD'})
    answer = signer.send('GET', PATH, query=query, headers=sent)
    assert (answer.status, answer.body) == (200, BODY)


def test_v2_presigned_bucket_requests(signer, s3):
    for method in ('GET', 'HEAD'):
        query = signer.v2_presigned(method, f'/{BUCKET}/')
        answer = signer.send(method, f'/{BUCKET}/', query=query, headers={'Host': f'127.0.0.1:{signer.port}'})
        assert answer.status == 200, answer.body
    s3.put_object(Bucket=BUCKET, Key='doomed2', Body=b'x')
    body = _delete_body('doomed2')
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    headers = {'Content-MD5': md5, 'Content-Type': 'application/xml'}
    query = signer.v2_presigned('POST', f'/{BUCKET}/', headers=headers, query={'delete': ''},
                                resource_query='?delete')
    answer = signer.send('POST', f'/{BUCKET}/', query=query, body=body,
                         headers={**headers, 'Host': f'127.0.0.1:{signer.port}'})
    assert answer.status == 200 and b'<Deleted><Key>doomed2</Key>' in answer.body, answer.body


# -- aws-chunked -------------------------------------------------------------------------------------


def _chunks(*parts: bytes, upper: bool = False) -> bytes:
    return b''.join((b'%X' if upper else b'%x') % len(p) + b'\r\n' + p + b'\r\n' for p in parts)[:-2]


def _unsigned_stream(signer: Signer, frame: bytes, decoded: int, trailer: str | None) -> Answer:
    headers = {**UNSIGNED_STREAM, 'x-amz-decoded-content-length': str(decoded)}
    if trailer is not None:
        headers['x-amz-trailer'] = trailer
    return signer.put_v4(PATH, frame, headers)


@pytest.mark.parametrize('trailer', ['x-amz-checksum-crc32', 'x-amz-checksum-crc32,',
                                     'x-amz-checksum-crc32, ', 'X-Amz-Checksum-CRC32,,'])
def test_trailers_with_trailing_commas_and_upper_case_sizes_are_taken(signer, s3, trailer):
    frame = _chunks(BODY[:20], BODY[20:], b'', upper=True) + f'x-amz-checksum-crc32:{CRC}\r\n'.encode()
    answer = _unsigned_stream(signer, frame, len(BODY), trailer)
    assert answer.status == 200, answer.body
    assert s3.get_object(Bucket=BUCKET, Key='obj')['Body'].read() == BODY


@pytest.mark.parametrize('trailer, tail, code, message', [
    (', x-amz-checksum-crc32', f'x-amz-checksum-crc32:{CRC}\r\n', 'InvalidRequest',
     'The value specified in the x-amz-trailer header is not supported'),
    ('x-amz-checksum-crc32', f'x-amz-checksum-crc32:{OTHER_CRC}\r\n', 'BadDigest',
     'The CRC32 you specified did not match the calculated checksum.'),
    ('x-amz-checksum-crc32', 'x-amz-checksum-crc32:not-base-64\r\n', 'InvalidRequest',
     'Value for x-amz-checksum-crc32 trailing header is invalid.'),
    ('x-amz-checksum-crc32c', f'x-amz-checksum-crc32:{CRC}\r\n', 'MalformedTrailerError', None),
    ('x-amz-checksum-crc32', '', 'MalformedTrailerError', None),
    ('x-amz-checksum-crc32', f'x-amz-checksum-crc32:{CRC}\n', 'IncompleteBody',
     'The request body terminated unexpectedly'),
])
def test_bad_trailers_are_refused_as_aws_does(signer, trailer, tail, code, message):
    answer = _unsigned_stream(signer, _chunks(BODY, b'') + tail.encode(), len(BODY), trailer)
    assert_error(answer, 400, code, message)
    assert b'not-base-64' not in answer.body


def test_streaming_lengths_are_checked(signer):
    headers = dict(UNSIGNED_STREAM)
    for decoded in (None, 'not an int', '-1', '\u00b2'):
        sent = dict(headers) if decoded is None else {**headers, 'x-amz-decoded-content-length': decoded}
        answer = signer.put_v4(PATH, _chunks(BODY, b''), sent)
        assert_error(answer, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.')
    answer = _unsigned_stream(signer, _chunks(BODY[:4], b'', BODY[4:], b''), len(BODY), None)
    assert_error(answer, 400, 'IncompleteBody',
                 'You did not provide the number of bytes specified by the Content-Length HTTP header')
    assert counts(answer) == (str(len(BODY)), '4')


def test_signed_chunk_errors_say_what_was_signed(signer):
    headers = {'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
               'content-encoding': 'aws-chunked', 'x-amz-decoded-content-length': str(9 * 1024)}
    sent, seed = signer.v4_headers('PUT', PATH, headers=headers)
    frame, previous = b'', seed
    for part in (b'x' * 1024, b'y' * 8 * 1024, b''):
        previous = signer.chunk_signature(previous, part)
        frame += b'%x;chunk-signature=%s\r\n%s\r\n' % (len(part), previous.encode(), part)
    answer = signer.send('PUT', PATH, headers=sent, body=frame)
    assert_error(answer, 403, 'InvalidChunkSizeError',
                 'Only the last chunk is allowed to have a size less than 8192 bytes')
    assert (answer.element('Chunk'), answer.element('BadChunkSize')) == ('2', '1024')
    sent, seed = signer.v4_headers('PUT', PATH, headers={**headers, 'x-amz-decoded-content-length': '5'})
    frame = b'5;chunk-signature=%s\r\nhello\r\n' % ('0' * 64).encode()
    answer = signer.send('PUT', PATH, headers=sent, body=frame + b'0;chunk-signature=x\r\n\r\n')
    assert_error(answer, 403, 'SignatureDoesNotMatch')
    assert answer.element('StringToSign').startswith('AWS4-HMAC-SHA256-PAYLOAD\n')
    assert answer.element('SignatureProvided') == '0' * 64
    assert answer.element('CanonicalRequest').startswith('PUT\n' + PATH)


# -- parts, conditional writes -----------------------------------------------------------------------


def test_part_numbers_on_get_and_head(s3):
    s3.put_object(Bucket=BUCKET, Key='plain', Body=b'0123456789')
    for call in (s3.get_object, s3.head_object):
        resp = call(Bucket=BUCKET, Key='plain', PartNumber=1)
        assert resp['ResponseMetadata']['HTTPStatusCode'] == 206
        assert (resp['ContentLength'], resp['ContentRange']) == (10, 'bytes 0-9/10')
    with pytest.raises(s3.exceptions.ClientError) as err:
        s3.get_object(Bucket=BUCKET, Key='plain', PartNumber=1, Range='bytes=0-1')
    assert err.value.response['Error']['Message'] == \
        'Cannot specify both Range header and partNumber query parameter'
    with pytest.raises(s3.exceptions.ClientError) as err:
        s3.get_object(Bucket=BUCKET, Key='plain', PartNumber=2)
    assert err.value.response['Error'] == {'Code': 'InvalidPartNumber',
                                           'Message': 'The requested partnumber is not satisfiable'}
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key='two')['UploadId']
    etags = [s3.upload_part(Bucket=BUCKET, Key='two', UploadId=upload, PartNumber=n, Body=body)['ETag']
             for n, body in ((1, b'a' * 5 * 1024 * 1024), (2, b'tail'))]
    s3.complete_multipart_upload(Bucket=BUCKET, Key='two', UploadId=upload, MultipartUpload={
        'Parts': [{'PartNumber': n + 1, 'ETag': e} for n, e in enumerate(etags)]})
    head = s3.head_object(Bucket=BUCKET, Key='two', PartNumber=2)
    status = head['ResponseMetadata']['HTTPStatusCode']
    assert (status, head['ContentLength'], head['PartsCount']) == (206, 4, 2)
    assert head['ContentRange'] == f'bytes {5 * 1024 * 1024}-{5 * 1024 * 1024 + 3}/{5 * 1024 * 1024 + 4}'


def test_a_zero_byte_part_completes(s3):
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key='empty-mpu')['UploadId']
    etag = s3.upload_part(Bucket=BUCKET, Key='empty-mpu', UploadId=upload, PartNumber=1, Body=b'')['ETag']
    s3.complete_multipart_upload(Bucket=BUCKET, Key='empty-mpu', UploadId=upload,
                                 MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etag}]})
    got = s3.get_object(Bucket=BUCKET, Key='empty-mpu')
    assert got['Body'].read() == b'' and got['ETag'].endswith('-1"')


def test_if_none_match_star_refuses_to_overwrite(s3):
    s3.put_object(Bucket=BUCKET, Key='once', Body=b'1', IfNoneMatch='*')
    with pytest.raises(s3.exceptions.ClientError) as err:
        s3.put_object(Bucket=BUCKET, Key='once', Body=b'2', IfNoneMatch='*')
    assert err.value.response['Error']['Code'] == 'PreconditionFailed'
    assert s3.get_object(Bucket=BUCKET, Key='once')['Body'].read() == b'1'


# -- hostile values in the new headers -----------------------------------------------------------------

HOSTILE = ['\x00', '\u00e9' * 10, '\u00b2', 'x' * 6000, ',,,', ' , ', 'x-amz-checksum-' * 300, '-1', '%00']


@pytest.mark.parametrize('name', ['x-amz-trailer', 'x-amz-sdk-checksum-algorithm', 'x-amz-checksum-crc32',
                                  'x-amz-checksum-sha256', 'x-amz-decoded-content-length', 'content-md5'])
@pytest.mark.parametrize('value', HOSTILE)
def test_hostile_integrity_headers_are_4xx(signer, name, value):
    for streaming in (False, True):
        headers = {'x-amz-content-sha256': SHA, name: value}
        body = BODY
        if streaming:
            headers.update({**UNSIGNED_STREAM, 'x-amz-decoded-content-length': str(len(BODY))})
            headers[name] = value
            body = _chunks(BODY, b'') + b'\r\n'
        try:
            sent, _ = signer.v4_headers('PUT', f'/{BUCKET}/hostile', headers=headers)
        except UnicodeEncodeError:
            continue
        answer = signer.send('PUT', f'/{BUCKET}/hostile', headers={
            k: v.encode('utf-8').decode('latin-1') for k, v in sent.items()}, body=body)
        ignored = (name, streaming) == ('x-amz-decoded-content-length', False)    # only streaming reads it
        assert answer.status < 500 and (answer.status >= 400 or ignored), (name, value, answer.body[:300])


@pytest.mark.parametrize('frame', [
    b'5;chunk-signature\r\nhello\r\n0\r\n\r\n', b'5;;;;\r\nhello\r\n0\r\n\r\n',
    b'5;\xff\xfe\r\nhello\r\n0\r\n\r\n',
    b'5\r\nhello\r\n0\r\n' + b'x-amz-checksum-crc32:' + b'A' * 5000 + b'\r\n',
    b'5\r\nhello\r\n0\r\n' + b'\xff\xfe:\x00\r\n',
    b'5\r\nhello\r\n0\r\n' + b'x-amz-checksum-crc32:AAAAAA==\r\n' * 40,
    b'5\r\nhello\r\n0\r\n:\r\n', b'-5\r\nhello\r\n0\r\n\r\n',
])
def test_hostile_frames_are_4xx(signer, frame):
    answer = _unsigned_stream(signer, frame, 5, 'x-amz-checksum-crc32')
    assert 400 <= answer.status < 500 and answer.code, (frame[:40], answer.status, answer.body[:300])


def test_crc64nvme_checksums(signer, s3):
    pytest.importorskip('awscrt')
    body, good = b'123456789', 'rosUhgp5mIg='
    sha = hashlib.sha256(body).hexdigest()
    answer = signer.put_v4(PATH, body, {'x-amz-content-sha256': sha, 'x-amz-checksum-crc64nvme': good})
    assert answer.status == 200 and answer.headers['x-amz-checksum-crc64nvme'] == good
    assert s3.head_object(Bucket=BUCKET, Key='obj', ChecksumMode='ENABLED')['ChecksumCRC64NVME'] == good
    bad = 'sosUhgp5mIg='
    answer = signer.put_v4(PATH, body, {'x-amz-content-sha256': sha, 'x-amz-checksum-crc64nvme': bad})
    assert_error(answer, 400, 'BadDigest',
                 'The CRC64NVME you specified did not match the calculated checksum.')


def test_a_key_too_long_is_refused_before_anything_is_stored(s3, signer):
    for key in ('k' * 1025, '\u00e9' * 513):                        # 1,025 and 1,026 UTF-8 bytes
        with pytest.raises(s3.exceptions.ClientError) as err:
            s3.put_object(Bucket=BUCKET, Key=key, Body=b'x')
        assert err.value.response['Error']['Code'] == 'KeyTooLongError'
        assert err.value.response['Error']['MaxSizeAllowed'] == '1024'
        with pytest.raises(s3.exceptions.ClientError) as err:
            s3.create_multipart_upload(Bucket=BUCKET, Key=key)
        assert err.value.response['Error']['Code'] == 'KeyTooLongError'
    s3.put_object(Bucket=BUCKET, Key='k' * 1024, Body=b'x')
    with pytest.raises(s3.exceptions.ClientError) as err:       # reading one is only a missing key
        s3.get_object(Bucket=BUCKET, Key='k' * 1025)
    assert err.value.response['Error']['Code'] in ('NoSuchKey', 'InvalidArgument')


def test_cache_control_expires_and_language_are_kept(s3):
    expires = 'Wed, 21 Oct 2037 07:28:00 GMT'
    s3.put_object(Bucket=BUCKET, Key='cached', Body=b'x', CacheControl='max-age=60, public',
                  Expires=expires, ContentLanguage='de-CH')
    for got in (s3.head_object(Bucket=BUCKET, Key='cached'), s3.get_object(Bucket=BUCKET, Key='cached')):
        headers = got['ResponseMetadata']['HTTPHeaders']
        assert (headers['cache-control'], headers['expires'], headers['content-language']) == (
            'max-age=60, public', expires, 'de-CH')
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key='cached-mpu', CacheControl='no-store')['UploadId']
    etag = s3.upload_part(Bucket=BUCKET, Key='cached-mpu', UploadId=upload, PartNumber=1, Body=b'y')['ETag']
    s3.complete_multipart_upload(Bucket=BUCKET, Key='cached-mpu', UploadId=upload,
                                 MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': etag}]})
    assert s3.head_object(Bucket=BUCKET, Key='cached-mpu')['CacheControl'] == 'no-store'
    got = s3.get_object(Bucket=BUCKET, Key='cached', ResponseCacheControl='no-cache')
    assert got['CacheControl'] == 'no-cache'                   # a response-* override still wins


@pytest.mark.parametrize('name', ['bucket+invalid', 'ab', 'b' * 256, 'b\u00e9cket', 'a%00b', 'bu cket'])
def test_a_name_no_bucket_can_have_is_invalid_bucket_name(signer, name):
    path = '/' + quote(name, safe='%+')
    for method in ('GET', 'DELETE', 'HEAD'):
        answer = signer.put_v4(path, b'', {'x-amz-content-sha256': EMPTY}, method=method)
        assert answer.status == 400, (method, answer.body)
        assert method == 'HEAD' or answer.code == 'InvalidBucketName'
    answer = signer.put_v4(path + '/key', b'', {'x-amz-content-sha256': EMPTY})
    assert (answer.status, answer.code) == (400, 'InvalidBucketName')
    answer = signer.put_v4('/nothing-here', b'', {'x-amz-content-sha256': EMPTY}, method='GET')
    assert (answer.status, answer.code) == (404, 'NoSuchBucket')


def test_unimplemented_sub_resources_say_so_as_aws_does(s3):
    with pytest.raises(s3.exceptions.ClientError) as err:
        s3.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={})
    assert err.value.response['Error'] == {'Code': 'NotImplemented',
                                           'Message': 'The requested resource is not implemented'}
    with pytest.raises(s3.exceptions.ClientError) as err:
        s3.get_object_lock_configuration(Bucket=BUCKET)
    assert err.value.response['Error']['Code'] == 'ObjectLockConfigurationNotFoundError'
    assert err.value.response['ResponseMetadata']['HTTPStatusCode'] == 404


def test_complete_with_an_empty_or_missing_etag(signer, s3):
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key='no-etag')['UploadId']
    s3.upload_part(Bucket=BUCKET, Key='no-etag', UploadId=upload, PartNumber=1, Body=b'part')
    for part, code in (('<ETag></ETag>', 'InvalidPart'), ('', 'MalformedXML')):
        body = (f'<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>{part}</Part>'
                '</CompleteMultipartUpload>').encode()
        headers = {'x-amz-content-sha256': hashlib.sha256(body).hexdigest()}
        answer = signer.put_v4(f'/{BUCKET}/no-etag', body, headers, query={'uploadId': upload}, method='POST')
        assert_error(answer, 400, code)
        if code == 'InvalidPart':
            assert b'<ETag></ETag>' in answer.body and answer.element('UploadId') == upload
            assert answer.element('PartNumber') == '1'


def _children(answer: Answer, path: str = '.') -> list[str]:
    root = ET.fromstring(answer.body)
    node = root if path == '.' else root.find('{*}' + path)
    assert node is not None, answer.body
    return [child.tag.rpartition('}')[2] for child in node]


def test_listing_elements_come_in_s3_order(signer, s3):
    empty = {'x-amz-content-sha256': EMPTY}
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key='ordered')['UploadId']
    s3.upload_part(Bucket=BUCKET, Key='ordered', UploadId=upload, PartNumber=1, Body=b'p')
    parts = signer.put_v4(f'/{BUCKET}/ordered', b'', empty, query={'uploadId': upload}, method='GET')
    assert _children(parts)[:10] == ['Bucket', 'Key', 'UploadId', 'Initiator', 'Owner', 'StorageClass',
                                     'PartNumberMarker', 'NextPartNumberMarker', 'MaxParts', 'IsTruncated']
    uploads = signer.put_v4(f'/{BUCKET}', b'', empty, query={'uploads': ''}, method='GET')
    assert _children(uploads)[:5] == ['Bucket', 'KeyMarker', 'UploadIdMarker', 'NextKeyMarker',
                                      'NextUploadIdMarker']
    s3.put_object(Bucket=BUCKET, Key='listed', Body=b'x')
    listing = signer.put_v4(f'/{BUCKET}', b'', empty, query={'prefix': 'listed'}, method='GET')
    assert _children(listing, 'Contents') == ['Key', 'LastModified', 'ETag', 'Size', 'Owner', 'StorageClass']
    versions = s3.list_object_versions(Bucket=BUCKET, Delimiter='', KeyMarker='', Prefix='listed')
    assert (versions['Delimiter'], versions['KeyMarker']) == ('', '')
    made = signer.put_v4('/fidelity-made', b'', empty)
    assert (made.status, made.headers['location']) == (200, '/fidelity-made')


@pytest.mark.parametrize('condition', [{'If-Match': '*'}, {'If-None-Match': '"abc"'},
                                       {'If-Modified-Since': 'Wed, 21 Oct 2015 07:28:00 GMT'},
                                       {'If-Unmodified-Since': '\u00b2'}])
def test_write_conditions_other_than_if_none_match_star_are_not_implemented(signer, condition):
    answer = signer.put_v4(PATH, BODY, {'x-amz-content-sha256': SHA, **condition})
    assert (answer.status, answer.code) == (501, 'NotImplemented')


@pytest.mark.parametrize('value, message', [
    ('test', 'Non-integer X-Delete-After'), ('-140', 'X-Delete-After in past'),
    ('\u0661', 'Non-integer X-Delete-After'), ('', 'Non-integer X-Delete-After'),
    ('9' * 40, 'Non-integer X-Delete-After')])
def test_a_bad_x_delete_after_is_invalid_argument(signer, value, message):
    headers = {'x-amz-content-sha256': SHA, 'X-Delete-After': value.encode().decode('latin-1')}
    assert_error(signer.put_v4(PATH, BODY, headers), 400, 'InvalidArgument', message)


def test_x_delete_after_and_robots_tag_are_kept(signer, cluster, s3):
    headers = {'x-amz-content-sha256': SHA, 'X-Delete-After': '3600', 'X-Robots-Tag': 'noindex'}
    assert signer.put_v4(f'/{BUCKET}/expiring', BODY, headers).status == 200
    head = s3.head_object(Bucket=BUCKET, Key='expiring')['ResponseMetadata']['HTTPHeaders']
    assert head['x-robots-tag'] == 'noindex'


def test_delete_objects_with_an_empty_key(signer):
    body = b'<Delete><Object><Key></Key></Object></Delete>'
    headers = {'x-amz-content-sha256': hashlib.sha256(body).hexdigest(),
               'content-md5': base64.b64encode(hashlib.md5(body).digest()).decode()}
    answer = signer.put_v4(f'/{BUCKET}', body, headers, query={'delete': ''}, method='POST')
    assert_error(answer, 400, 'UserKeyMustBeSpecified')


def test_a_listing_and_a_head_agree_on_last_modified(s3):
    s3.put_object(Bucket=BUCKET, Key='dated', Body=b'x')
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix='dated')['Contents'][0]['LastModified']
    assert listed == s3.head_object(Bucket=BUCKET, Key='dated')['LastModified']
    assert s3.list_objects(Bucket=BUCKET, Prefix='dated')['Contents'][0]['LastModified'] == listed

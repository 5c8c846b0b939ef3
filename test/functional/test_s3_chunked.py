"""aws-chunked uploads as the AWS SDKs send them: signed chunks
(STREAMING-AWS4-HMAC-SHA256-PAYLOAD) and unsigned chunks with a trailing
checksum (STREAMING-UNSIGNED-PAYLOAD-TRAILER), built here from the AWS
documentation, with botocore signing the headers. A bad chunk signature or
checksum is refused and nothing is stored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import os
import zlib

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from .devcluster_fixture import start_cluster
from .test_s3_boto3 import KEY, SECRET, client

EMPTY = hashlib.sha256(b'').hexdigest()


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    cluster = start_cluster(tmp_path_factory.mktemp('s3chunked'))
    client(f'http://127.0.0.1:{cluster.proxy_port}').create_bucket(Bucket='chunks')
    yield cluster
    cluster.stop()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def send(cluster, key: str, body: bytes, mode: str, *, chunk=65536, corrupt=None):
    url = f'http://127.0.0.1:{cluster.proxy_port}/chunks/{key}'
    headers = {'Content-Encoding': 'aws-chunked', 'X-Amz-Decoded-Content-Length': str(len(body)),
               'X-Amz-Content-SHA256': mode}
    if mode.endswith('TRAILER'):
        headers['X-Amz-Trailer'] = 'x-amz-checksum-crc32'
    request = AWSRequest(method='PUT', url=url, headers=headers)
    # SigV4Auth (not S3SigV4Auth) signs our X-Amz-Content-SHA256 as it is
    SigV4Auth(Credentials(KEY, SECRET), 's3', 'us-east-1').add_auth(request)
    date = request.headers['X-Amz-Date']
    scope = f'{date[:8]}/us-east-1/s3/aws4_request'
    signing = f'AWS4{SECRET}'.encode()
    for part in (date[:8], 'us-east-1', 's3', 'aws4_request'):
        signing = _hmac(signing, part)
    previous = request.headers['Authorization'].rpartition('Signature=')[2]
    encoded = b''
    pieces = [body[i:i + chunk] for i in range(0, len(body), chunk)] + [b'']
    for piece in pieces:
        if mode.startswith('STREAMING-AWS4'):
            text = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', date, scope, previous, EMPTY,
                              hashlib.sha256(piece).hexdigest()])
            previous = hmac.new(signing, text.encode(), hashlib.sha256).hexdigest()
            sig = previous if piece != corrupt else '0' * 64
            head = f'{len(piece):x};chunk-signature={sig}\r\n'.encode()
            encoded += head + piece + (b'\r\n' if piece else b'')
        else:
            encoded += f'{len(piece):x}\r\n'.encode() + piece + (b'\r\n' if piece else b'')
    if mode.endswith('TRAILER'):
        summed = body if corrupt is None else body + b'x'
        crc = base64.b64encode(zlib.crc32(summed).to_bytes(4, 'big')).decode()
        encoded += f'x-amz-checksum-crc32:{crc}\r\n\r\n'.encode()
    else:
        encoded += b'\r\n'
    conn = http.client.HTTPConnection('127.0.0.1', cluster.proxy_port, timeout=60)
    sent = dict(request.headers.items())
    sent['Content-Length'] = str(len(encoded))
    conn.request('PUT', f'/chunks/{key}', body=encoded, headers=sent)
    resp = conn.getresponse()
    return resp.status, dict(resp.getheaders()), resp.read()


@pytest.mark.parametrize('mode', ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'STREAMING-UNSIGNED-PAYLOAD-TRAILER'])
@pytest.mark.parametrize('size', [0, 1000, 200_000])
def test_chunked_uploads_store_the_decoded_body(cluster, mode, size):
    body = os.urandom(size)
    status, headers, text = send(cluster, f'{mode}-{size}', body, mode)
    assert status == 200, text
    s3 = client(f'http://127.0.0.1:{cluster.proxy_port}')
    got = s3.get_object(Bucket='chunks', Key=f'{mode}-{size}')
    assert got['Body'].read() == body and 'ContentEncoding' not in got
    if mode.endswith('TRAILER'):                # the trailing checksum is kept for later reads
        assert headers['x-amz-checksum-crc32']
        head = s3.head_object(Bucket='chunks', Key=f'{mode}-{size}', ChecksumMode='ENABLED')
        assert head['ChecksumCRC32'] == headers['x-amz-checksum-crc32']


def test_a_bad_chunk_signature_or_checksum_stores_nothing(cluster):
    body = os.urandom(200_000)
    status, _, text = send(cluster, 'bad-sig', body, 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
                           corrupt=body[65536:131072])
    assert status == 403 and b'SignatureDoesNotMatch' in text
    status, _, text = send(cluster, 'bad-crc', body, 'STREAMING-UNSIGNED-PAYLOAD-TRAILER', corrupt=b'')
    assert status == 400 and b'BadDigest' in text
    s3 = client(f'http://127.0.0.1:{cluster.proxy_port}')
    assert 'Contents' not in s3.list_objects_v2(Bucket='chunks', Prefix='bad-')

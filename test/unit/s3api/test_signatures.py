"""Our signature checks against requests signed by botocore's own signers
(SigV4 header and query, SigV2 header and query): the right secret passes,
a wrong secret or any change to what was signed fails."""

from __future__ import annotations

import time
from urllib.parse import unquote, urlsplit

import pytest
from botocore.auth import HmacV1Auth, HmacV1QueryAuth, S3SigV4Auth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from swiftlike.s3api import errors, request

CREDS = Credentials('test:tester', 'testing')
PATHS = ['/bucket', '/bucket/', '/bucket/key', '/bucket/dir/a b+c%25d ☃', '/']


def environ_of(req: AWSRequest) -> dict:
    url = urlsplit(req.url)
    raw_path = url.path
    env = {'REQUEST_METHOD': req.method, 'PATH_INFO': unquote(raw_path).encode('utf-8').decode('latin-1'),
           'RAW_PATH_INFO': raw_path, 'QUERY_STRING': url.query, 'HTTP_HOST': url.netloc,
           'headers_raw': tuple(req.headers.items())}
    for key, value in req.headers.items():
        name = key.upper().replace('-', '_')
        env[name if name in ('CONTENT_TYPE', 'CONTENT_LENGTH') else 'HTTP_' + name] = value
    return env


def signed(signer, path: str, *, method='GET', query='', headers=None) -> dict:
    from urllib.parse import quote
    url = 'http://127.0.0.1:8080' + quote(path) + (f'?{query}' if query else '')
    req = AWSRequest(method=method, url=url, headers=dict(headers or {}))
    if isinstance(signer, S3SigV4Auth) and not isinstance(signer, S3SigV4QueryAuth):
        req.headers['X-Amz-Content-SHA256'] = 'UNSIGNED-PAYLOAD'
    req.context['payload_signing_enabled'] = False
    signer.add_auth(req)
    return environ_of(req)


SIGNERS = {
    'v4': lambda: S3SigV4Auth(CREDS, 's3', 'us-east-1'),
    'v4-query': lambda: S3SigV4QueryAuth(CREDS, 's3', 'us-east-1', expires=60),
    'v2': lambda: HmacV1Auth(CREDS),
    'v2-query': lambda: HmacV1QueryAuth(CREDS, expires=60),
}


def parse(env):
    return request.parse(env, storage_domain='', max_skew=900, now=time.time())


@pytest.mark.parametrize('kind', sorted(SIGNERS))
@pytest.mark.parametrize('path', PATHS)
def test_botocore_signatures_check_out(kind, path):
    env = signed(SIGNERS[kind](), path, query='prefix=a%20b&list-type=2',
                 headers={'X-Amz-Meta-Colour': 'blue', 'Content-Type': 'text/x-test'})
    assert request.is_s3(env)
    s3 = parse(env)
    assert s3.auth.access_key == 'test:tester'
    assert s3.auth.check('testing') and not s3.auth.check('wrong')


@pytest.mark.parametrize('kind', sorted(SIGNERS))
def test_a_changed_request_fails(kind):
    env = signed(SIGNERS[kind](), '/bucket/key', method='PUT', headers={'X-Amz-Meta-Colour': 'blue',
                                                                      'Content-Type': 'text/x-test'})
    for change in ({'PATH_INFO': '/bucket/other', 'RAW_PATH_INFO': '/bucket/other'},
                   {'REQUEST_METHOD': 'DELETE'}, {'HTTP_X_AMZ_META_COLOUR': 'red'},
                   {'CONTENT_TYPE': 'text/x-other'}):
        assert not parse({**env, **change}).auth.check('testing'), change


def test_time_limits():
    env = signed(SIGNERS['v4'](), '/bucket')
    with pytest.raises(errors.RequestTimeTooSkewed):
        request.parse(env, storage_domain='', max_skew=900, now=time.time() + 3600)
    env = signed(SIGNERS['v4-query'](), '/bucket')
    with pytest.raises(errors.AccessDenied):
        request.parse(env, storage_domain='', max_skew=900, now=time.time() + 61)
    env = signed(SIGNERS['v2-query'](), '/bucket')
    with pytest.raises(errors.AccessDenied):
        request.parse(env, storage_domain='', max_skew=900, now=time.time() + 61)


@pytest.mark.parametrize('auth', ['AWS4-HMAC-SHA256 Credential=x', 'AWS4-HMAC-SHA256 ',
                                  'AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=host, Signature=0'])
def test_malformed_authorization_is_a_400(auth):
    env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/b', 'QUERY_STRING': '', 'HTTP_AUTHORIZATION': auth,
           'HTTP_X_AMZ_DATE': time.strftime('%Y%m%dT%H%M%SZ', time.gmtime()), 'HTTP_HOST': 'h'}
    with pytest.raises(errors.S3Error) as info:
        parse(env)
    assert info.value.status == 400


def test_virtual_host_style_names_the_bucket_by_host():
    env = signed(SIGNERS['v4'](), '/dir/key')
    env['HTTP_HOST'] = 'photos.s3.example.com:8080'
    s3 = request.parse(env, storage_domain='s3.example.com', max_skew=900, now=time.time())
    assert (s3.bucket, s3.key) == ('photos', 'dir/key')


def test_v2_virtual_host_style_signs_the_bucket_in_the_resource():
    """V2 signs ``/<bucket>/<key>`` even when the bucket is in the host name,
    also when the key starts with the bucket's name."""
    from swiftlike.s3api import sigv2
    date = time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime())
    to_sign = sigv2.string_to_sign('GET', {'date': date}, '/ph/photo.jpg', date)
    env = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/photo.jpg', 'RAW_PATH_INFO': '/photo.jpg',
           'QUERY_STRING': '', 'HTTP_HOST': 'ph.s3.example.com', 'HTTP_DATE': date,
           'HTTP_AUTHORIZATION': f'AWS test:tester:{sigv2.signature("testing", to_sign)}'}
    s3 = request.parse(env, storage_domain='s3.example.com', max_skew=900, now=time.time())
    assert (s3.bucket, s3.key) == ('ph', 'photo.jpg') and s3.auth.check('testing')

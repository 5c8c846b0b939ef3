"""boto3 (current botocore, default settings: flexible checksums on) against
a whole dev cluster through the s3api filter; the same objects seen through
python-swiftclient; presigned URLs used with a plain HTTP client."""

from __future__ import annotations

import datetime
import hashlib
import http.client
import os
import shutil
import socket
import subprocess
import time
from unittest import mock

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from swiftclient import client as sc

KEY, SECRET = 'test:tester', 'testing'


@pytest.fixture(scope='module')
def endpoint(cluster):
    return f'http://127.0.0.1:{cluster.proxy_port}'


def client(endpoint, key=KEY, secret=SECRET, **config):
    return boto3.client('s3', endpoint_url=endpoint, aws_access_key_id=key, aws_secret_access_key=secret,
                        region_name='us-east-1', config=Config(s3={'addressing_style': 'path'}, **config))


@pytest.fixture(scope='module')
def s3(endpoint):
    return client(endpoint)


def error_of(call, *args, **kwargs):
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    return info.value.response['Error']['Code'], info.value.response['ResponseMetadata']['HTTPStatusCode']


def signed_request(endpoint, method, path, body=b'', headers=None, when=None):
    """A raw request signed by botocore's own SigV4 signer; (status, body)."""
    request = AWSRequest(method=method, url=endpoint + path, data=body, headers=headers or {})
    signer = SigV4Auth(Credentials(KEY, SECRET), 's3', 'us-east-1')
    request.headers['X-Amz-Content-SHA256'] = hashlib.sha256(body).hexdigest()
    if when is None:
        signer.add_auth(request)
    else:
        with mock.patch('botocore.auth.get_current_datetime', return_value=when):
            signer.add_auth(request)
    host = endpoint.split('//')[1]
    conn = http.client.HTTPConnection(host)
    conn.request(method, path, body=body or None, headers=dict(request.headers.items()))
    resp = conn.getresponse()
    return resp.status, resp.read()


def test_buckets_and_objects_round_trip(s3):
    s3.create_bucket(Bucket='round-trip')
    assert 'round-trip' in [b['Name'] for b in s3.list_buckets()['Buckets']]
    assert error_of(s3.create_bucket, Bucket='round-trip') == ('BucketAlreadyOwnedByYou', 409)
    body = os.urandom(300_000)
    put = s3.put_object(Bucket='round-trip', Key='dir/a b ☃.bin', Body=body, ContentType='application/x-test',
                        Metadata={'colour': 'blue'})
    assert put['ETag'] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket='round-trip', Key='dir/a b ☃.bin')
    assert got['Body'].read() == body
    assert got['ContentType'] == 'application/x-test' and got['Metadata'] == {'colour': 'blue'}
    head = s3.head_object(Bucket='round-trip', Key='dir/a b ☃.bin')
    assert head['ContentLength'] == len(body) and head['ETag'] == put['ETag']
    ranged = s3.get_object(Bucket='round-trip', Key='dir/a b ☃.bin', Range='bytes=10-19')
    assert ranged['Body'].read() == body[10:20] and ranged['ContentRange'] == f'bytes 10-19/{len(body)}'
    assert error_of(s3.get_object, Bucket='round-trip', Key='missing') == ('NoSuchKey', 404)
    assert error_of(s3.get_object, Bucket='no-such-bucket', Key='x') == ('NoSuchBucket', 404)
    assert error_of(s3.get_object, Bucket='round-trip', Key='dir/a b ☃.bin',
                    IfNoneMatch=put['ETag'])[1] == 304
    assert error_of(s3.delete_bucket, Bucket='round-trip') == ('BucketNotEmpty', 409)
    s3.delete_object(Bucket='round-trip', Key='dir/a b ☃.bin')
    s3.delete_object(Bucket='round-trip', Key='never-there')
    s3.delete_bucket(Bucket='round-trip')
    assert error_of(s3.head_bucket, Bucket='round-trip')[1] == 404


def test_listings_v1_and_v2(s3):
    s3.create_bucket(Bucket='listing')
    keys = [f'photos/2026/{i:02d}.jpg' for i in range(12)] + ['photos/readme', 'top', 'a+b c']
    for key in keys:
        s3.put_object(Bucket='listing', Key=key, Body=b'x')
    v2 = s3.list_objects_v2(Bucket='listing', Prefix='photos/', Delimiter='/')
    assert [c['Prefix'] for c in v2['CommonPrefixes']] == ['photos/2026/']
    assert [o['Key'] for o in v2['Contents']] == ['photos/readme'] and v2['KeyCount'] == 2
    paginator = s3.get_paginator('list_objects_v2')
    pages = list(paginator.paginate(Bucket='listing', PaginationConfig={'PageSize': 5}))
    assert len(pages) == 3 and [o['Key'] for p in pages for o in p['Contents']] == sorted(keys)
    v1 = list(s3.get_paginator('list_objects').paginate(Bucket='listing', PaginationConfig={'PageSize': 4}))
    assert [o['Key'] for p in v1 for o in p['Contents']] == sorted(keys)
    after = s3.list_objects_v2(Bucket='listing', StartAfter='photos/readme')
    assert [o['Key'] for o in after['Contents']] == ['top']
    encoded = s3.list_objects(Bucket='listing', Prefix='a', EncodingType='url')
    assert [o['Key'] for o in encoded['Contents']] == ['a%2Bb%20c']   # asked for: left encoded
    assert s3.get_bucket_location(Bucket='listing')['LocationConstraint'] is None


def test_checksums_and_digests_are_verified(s3, endpoint):
    s3.create_bucket(Bucket='sums')
    body = b'checked body' * 1000
    put = s3.put_object(Bucket='sums', Key='crc', Body=body, ChecksumAlgorithm='SHA256')
    assert put['ChecksumSHA256']
    head = s3.head_object(Bucket='sums', Key='crc', ChecksumMode='ENABLED')
    assert head['ChecksumSHA256'] == put['ChecksumSHA256']
    import base64
    wrong_md5 = base64.b64encode(hashlib.md5(b'other').digest()).decode()
    bad = error_of(s3.put_object, Bucket='sums', Key='bad', Body=body, ContentMD5=wrong_md5)
    assert bad == ('BadDigest', 400)
    assert error_of(s3.head_object, Bucket='sums', Key='bad')[1] == 404
    status, text = signed_request(endpoint, 'PUT', '/sums/bad-crc', body,
                                  {'x-amz-checksum-crc32': 'AAAAAA=='})
    assert (status, b'<Code>BadDigest</Code>' in text) == (400, True)
    assert error_of(s3.head_object, Bucket='sums', Key='bad-crc')[1] == 404


def test_signatures_keys_and_clock_are_checked(endpoint):
    assert error_of(client(endpoint, secret='wrong').list_buckets) == ('SignatureDoesNotMatch', 403)
    assert error_of(client(endpoint, key='nobody:none').list_buckets) == ('InvalidAccessKeyId', 403)
    skewed = datetime.datetime.now(datetime.UTC) - datetime.timedelta(hours=1)
    status, text = signed_request(endpoint, 'GET', '/', when=skewed)
    assert status == 403 and b'RequestTimeTooSkewed' in text


def curl(*args: str) -> tuple[int, bytes]:
    """(HTTP status, body) of a curl command."""
    out = subprocess.run(['curl', '-s', '-o', '-', '-w', '\n%{http_code}', *args], capture_output=True,
                         timeout=60, check=True)
    body, _, status = out.stdout.rpartition(b'\n')
    return int(status), body


@pytest.mark.skipif(not shutil.which('curl'), reason='curl is not installed')
@pytest.mark.parametrize('version', ['s3v4', 's3'])
def test_presigned_urls_with_curl(endpoint, version, tmp_path):
    s3 = client(endpoint, signature_version=version)
    bucket = f'presigned-{version}'
    s3.create_bucket(Bucket=bucket)
    upload = tmp_path / 'upload'
    upload.write_bytes(b'uploaded by url ' + version.encode())
    params = {'Bucket': bucket, 'Key': 'via url'}
    put_url = s3.generate_presigned_url('put_object', Params=params, ExpiresIn=60)
    assert curl('-T', str(upload), put_url)[0] == 200
    get_url = s3.generate_presigned_url('get_object', Params=params)
    assert curl(get_url) == (200, upload.read_bytes())
    expired = s3.generate_presigned_url('get_object', Params=params, ExpiresIn=1)
    time.sleep(2)
    status, body = curl(expired)
    assert status == 403 and b'expired' in body
    status, body = curl(get_url.replace('via%20url', 'other'))
    assert status == 403 and b'SignatureDoesNotMatch' in body


def test_unimplemented_subresources_and_hostile_xml(s3, endpoint):
    s3.create_bucket(Bucket='subres')
    for query in ('lifecycle', 'encryption', 'policy', 'cors', 'website', 'replication'):
        status, text = signed_request(endpoint, 'GET', f'/subres?{query}')
        assert (status, b'<Code>NotImplemented</Code>' in text) == (501, True), query
    xxe = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
           b'<CreateBucketConfiguration><LocationConstraint>&e;</LocationConstraint>'
           b'</CreateBucketConfiguration>')
    status, text = signed_request(endpoint, 'PUT', '/xxe-bucket', xxe)
    assert status == 400 and b'MalformedXML' in text and b'root:' not in text
    status, text = signed_request(endpoint, 'PUT', '/Bad_Name')
    assert status == 400 and b'InvalidBucketName' in text


def test_s3_and_swift_see_the_same_objects(s3, cluster):
    auth = f'http://127.0.0.1:{cluster.proxy_port}/auth/v1.0'
    swift = sc.Connection(authurl=auth, user=KEY, key=SECRET, retries=0)
    s3.create_bucket(Bucket='shared')
    s3.put_object(Bucket='shared', Key='from-s3', Body=b'written by boto3', Metadata={'via': 's3'})
    headers, body = swift.get_object('shared', 'from-s3')
    assert body == b'written by boto3' and headers['x-object-meta-via'] == 's3'
    swift.put_object('shared', 'from-swift', b'written by swiftclient',
                     headers={'X-Object-Meta-Via': 'swift'})
    got = s3.get_object(Bucket='shared', Key='from-swift')
    assert got['Body'].read() == b'written by swiftclient' and got['Metadata'] == {'via': 'swift'}
    listed = s3.list_objects_v2(Bucket='shared')['Contents']
    assert sorted(o['Key'] for o in listed) == ['from-s3', 'from-swift']


def test_copy_object_and_delete_objects(s3):
    s3.create_bucket(Bucket='copies')
    put = s3.put_object(Bucket='copies', Key='source', Body=b'original', ContentType='text/x-orig',
                        Metadata={'kind': 'orig'})
    source = {'Bucket': 'copies', 'Key': 'source'}
    copied = s3.copy_object(Bucket='copies', Key='same-meta', CopySource=source)
    assert copied['CopyObjectResult']['ETag'] == put['ETag']
    got = s3.get_object(Bucket='copies', Key='same-meta')
    assert got['Body'].read() == b'original' and got['Metadata'] == {'kind': 'orig'}
    assert got['ContentType'] == 'text/x-orig'
    s3.copy_object(Bucket='copies', Key='new-meta', CopySource='copies/source', MetadataDirective='REPLACE',
                   Metadata={'kind': 'new'}, ContentType='text/x-new')
    got = s3.head_object(Bucket='copies', Key='new-meta')
    assert got['Metadata'] == {'kind': 'new'} and got['ContentType'] == 'text/x-new'
    assert error_of(s3.copy_object, Bucket='copies', Key='x', CopySource='copies/source',
                    CopySourceIfMatch='"0123"') == ('PreconditionFailed', 412)
    assert error_of(s3.copy_object, Bucket='copies', Key='source',
                    CopySource='copies/source') == ('InvalidRequest', 400)
    missing = error_of(s3.copy_object, Bucket='copies', Key='x', CopySource='copies/missing')
    assert missing == ('NoSuchKey', 404)

    result = s3.delete_objects(Bucket='copies', Delete={'Objects': [{'Key': 'same-meta'}, {'Key': 'never'}]})
    assert sorted(d['Key'] for d in result['Deleted']) == ['never', 'same-meta'] and 'Errors' not in result
    quiet = s3.delete_objects(Bucket='copies', Delete={'Objects': [{'Key': 'new-meta'}], 'Quiet': True})
    assert 'Deleted' not in quiet
    assert [o['Key'] for o in s3.list_objects_v2(Bucket='copies')['Contents']] == ['source']


def test_canned_acls(s3, cluster):
    s3.create_bucket(Bucket='acls', ACL='public-read')
    s3.put_object(Bucket='acls', Key='open', Body=b'for everyone')

    def grants(acl):
        return sorted((g['Grantee'].get('URI') or g['Grantee']['ID'], g['Permission']) for g in acl['Grants'])

    public = [('http://acs.amazonaws.com/groups/global/AllUsers', 'READ'), (KEY, 'FULL_CONTROL')]
    assert grants(s3.get_bucket_acl(Bucket='acls')) == public
    assert grants(s3.get_object_acl(Bucket='acls', Key='open')) == public
    anonymous = http.client.HTTPConnection('127.0.0.1', cluster.proxy_port)
    anonymous.request('GET', '/v1/AUTH_test/acls/open')           # the Swift ACL it maps to
    assert anonymous.getresponse().read() == b'for everyone'

    s3.put_bucket_acl(Bucket='acls', ACL='private')
    assert grants(s3.get_bucket_acl(Bucket='acls')) == [(KEY, 'FULL_CONTROL')]
    anonymous.request('GET', '/v1/AUTH_test/acls/open')
    assert anonymous.getresponse().status == 401
    s3.put_bucket_acl(Bucket='acls', ACL='authenticated-read')
    assert ('http://acs.amazonaws.com/groups/global/AuthenticatedUsers', 'READ') in grants(
        s3.get_bucket_acl(Bucket='acls'))
    policy = {'Owner': {'ID': KEY}, 'Grants': []}
    assert error_of(s3.put_bucket_acl, Bucket='acls', AccessControlPolicy=policy)[1] == 501
    assert error_of(s3.put_bucket_acl, Bucket='acls', ACL='public-read-write')[1] == 501


def test_virtual_host_style(cluster, monkeypatch, tmp_path):
    """``<bucket>.localhost`` (the dev cluster's storage_domain): boto3 and curl send the bucket in
    the Host header. curl resolves *.localhost to loopback itself; for boto3 only the name lookup
    is pointed at 127.0.0.1 in this process (the request, Host header and signature are real)."""
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        return real('127.0.0.1' if str(host).endswith('.localhost') else host, *args, **kwargs)

    monkeypatch.setattr(socket, 'getaddrinfo', resolve)
    vhost = boto3.client('s3', endpoint_url=f'http://localhost:{cluster.proxy_port}', aws_access_key_id=KEY,
                         aws_secret_access_key=SECRET, region_name='us-east-1',
                         config=Config(s3={'addressing_style': 'virtual'}))
    sent = []
    vhost.meta.events.register('before-send', lambda request, **_: sent.append(request.url))
    vhost.create_bucket(Bucket='vhost')
    vhost.put_object(Bucket='vhost', Key='vhost/a b', Body=b'virtual')      # a key starting with the bucket
    assert vhost.get_object(Bucket='vhost', Key='vhost/a b')['Body'].read() == b'virtual'
    assert [o['Key'] for o in vhost.list_objects_v2(Bucket='vhost')['Contents']] == ['vhost/a b']
    assert all(url.startswith(f'http://vhost.localhost:{cluster.proxy_port}/') for url in sent)
    url = vhost.generate_presigned_url('get_object', Params={'Bucket': 'vhost', 'Key': 'vhost/a b'})
    assert url.startswith('http://vhost.localhost:')
    if shutil.which('curl'):
        out = subprocess.run(['curl', '-s', '-f', url], capture_output=True, timeout=30)
        assert out.returncode == 0 and out.stdout == b'virtual', out.stderr
        anonymous = subprocess.run(['curl', '-s', '-w', '%{http_code}', url.partition('?')[0]],
                                   capture_output=True, timeout=30)
        assert anonymous.stdout.endswith(b'403') and b'<Code>AccessDenied</Code>' in anonymous.stdout
    path_style = client(f'http://127.0.0.1:{cluster.proxy_port}')
    assert path_style.get_object(Bucket='vhost', Key='vhost/a b')['Body'].read() == b'virtual'
    vhost.delete_object(Bucket='vhost', Key='vhost/a b')
    vhost.delete_bucket(Bucket='vhost')


def test_object_tagging(s3, cluster):
    s3.create_bucket(Bucket='tags')
    s3.put_object(Bucket='tags', Key='t', Body=b'x', Tagging='colour=blue&size=', Metadata={'keep': 'me'})
    got = s3.get_object(Bucket='tags', Key='t')
    assert got['TagCount'] == 2 and got['Metadata'] == {'keep': 'me'}
    assert s3.get_object_tagging(Bucket='tags', Key='t')['TagSet'] == [
        {'Key': 'colour', 'Value': 'blue'}, {'Key': 'size', 'Value': ''}]
    s3.put_object_tagging(Bucket='tags', Key='t', Tagging={'TagSet': [{'Key': 'a b', 'Value': 'c&d=\u2603'}]})
    assert s3.get_object_tagging(Bucket='tags', Key='t')['TagSet'] == [{'Key': 'a b', 'Value': 'c&d=\u2603'}]
    assert s3.head_object(Bucket='tags', Key='t')['Metadata'] == {'keep': 'me'}     # tags leave metadata be
    s3.copy_object(Bucket='tags', Key='copy', CopySource={'Bucket': 'tags', 'Key': 't'})
    copied = s3.get_object_tagging(Bucket='tags', Key='copy')['TagSet']
    assert copied == [{'Key': 'a b', 'Value': 'c&d=\u2603'}]
    s3.copy_object(Bucket='tags', Key='copy2', CopySource={'Bucket': 'tags', 'Key': 't'},
                   TaggingDirective='REPLACE', Tagging='k=v')
    assert s3.get_object_tagging(Bucket='tags', Key='copy2')['TagSet'] == [{'Key': 'k', 'Value': 'v'}]
    s3.delete_object_tagging(Bucket='tags', Key='t')
    assert s3.get_object_tagging(Bucket='tags', Key='t')['TagSet'] == []
    assert 'TagCount' not in s3.get_object(Bucket='tags', Key='t')
    too_many = {'TagSet': [{'Key': f'k{n}', 'Value': 'v'} for n in range(11)]}
    assert error_of(s3.put_object_tagging, Bucket='tags', Key='t', Tagging=too_many) == ('InvalidTag', 400)
    twice = {'TagSet': [{'Key': 'k', 'Value': '1'}, {'Key': 'k', 'Value': '2'}]}
    assert error_of(s3.put_object_tagging, Bucket='tags', Key='t', Tagging=twice) == ('InvalidTag', 400)
    assert error_of(s3.put_object_tagging, Bucket='tags', Key='nothing',
                    Tagging={'TagSet': []}) == ('NoSuchKey', 404)
    url, token = _swift_auth(cluster)
    assert not [k for k in sc.head_object(url, token, 'tags', 't') if 'sysmeta' in k]
    sc.put_object(url, token, 'tags', 'expiring', b'x', headers={'X-Delete-After': '3600'})
    s3.put_object_tagging(Bucket='tags', Key='expiring', Tagging={'TagSet': [{'Key': 'k', 'Value': 'v'}]})
    assert 'x-delete-at' in sc.head_object(url, token, 'tags', 'expiring')        # the expiry stays


def _swift_auth(cluster):
    url, token = sc.get_auth(f'http://127.0.0.1:{cluster.proxy_port}/auth/v1.0', KEY, SECRET)
    return url, token


def test_versions_encoding_and_copy_conditions(s3):
    s3.create_bucket(Bucket='versions')
    for key in ('a', 'b/1', 'b/2', 'c'):
        s3.put_object(Bucket='versions', Key=key, Body=key.encode(), ContentEncoding='gzip',
                      ContentDisposition='attachment')
    listed = s3.list_object_versions(Bucket='versions', Delimiter='/')
    assert [(v['Key'], v['VersionId'], v['IsLatest']) for v in listed['Versions']] == [
        ('a', 'null', True), ('c', 'null', True)]
    assert [p['Prefix'] for p in listed['CommonPrefixes']] == ['b/']
    page = s3.list_object_versions(Bucket='versions', MaxKeys=2)
    assert page['IsTruncated'] and page['NextKeyMarker'] == 'b/1'
    rest = s3.list_object_versions(Bucket='versions', KeyMarker=page['NextKeyMarker'])
    assert [v['Key'] for v in rest['Versions']] == ['b/2', 'c']
    head = s3.head_object(Bucket='versions', Key='a')
    assert head['ContentEncoding'] == 'gzip' and head['ContentDisposition'] == 'attachment'
    etag = head['ETag']
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)
    earlier = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=1)
    src = {'Bucket': 'versions', 'Key': 'a'}
    s3.copy_object(Bucket='versions', Key='ok1', CopySource=src, CopySourceIfMatch=etag,
                   CopySourceIfUnmodifiedSince=earlier)          # If-Match holds: the date is not asked
    s3.copy_object(Bucket='versions', Key='ok2', CopySource=src, CopySourceIfModifiedSince=earlier)
    for condition in ({'CopySourceIfNoneMatch': etag}, {'CopySourceIfMatch': '"nope"'},
                      {'CopySourceIfModifiedSince': later}, {'CopySourceIfUnmodifiedSince': earlier}):
        assert error_of(s3.copy_object, Bucket='versions', Key='no', CopySource=src, **condition) == \
            ('PreconditionFailed', 412), condition


def test_version_null_is_the_object_of_an_unversioned_bucket(s3):
    s3.create_bucket(Bucket='nullversion')
    s3.put_object(Bucket='nullversion', Key='k', Body=b'v')
    versions = s3.list_object_versions(Bucket='nullversion')['Versions']
    assert [v['VersionId'] for v in versions] == ['null']
    assert s3.get_object(Bucket='nullversion', Key='k', VersionId='null')['Body'].read() == b'v'
    assert error_of(s3.get_object, Bucket='nullversion', Key='k', VersionId='abc') == ('InvalidArgument', 400)
    s3.delete_object(Bucket='nullversion', Key='k', VersionId='null')      # what cleanup tools do
    assert error_of(s3.head_object, Bucket='nullversion', Key='k')[1] == 404

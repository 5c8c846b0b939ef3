"""S3 multipart uploads with boto3 (default settings: flexible checksums on)
against a whole dev cluster: the API call by call, its errors, a 100 MiB
upload through boto3's transfer manager checked by MD5 end to end, and the
same object read through python-swiftclient."""

from __future__ import annotations

import base64
import hashlib
import os

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError
from swiftclient import client as sc

KEY, SECRET = 'test:tester', 'testing'
MIB = 1024 * 1024


@pytest.fixture(scope='module')
def s3(cluster):
    return boto3.client('s3', endpoint_url=f'http://127.0.0.1:{cluster.proxy_port}', aws_access_key_id=KEY,
                        aws_secret_access_key=SECRET, region_name='us-east-1',
                        config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))


@pytest.fixture(scope='module')
def swift(cluster):
    return sc.Connection(authurl=f'http://127.0.0.1:{cluster.proxy_port}/auth/v1.0', user=KEY, key=SECRET,
                         retries=0)


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response['Error']['Code'], info.value.response['ResponseMetadata']['HTTPStatusCode']


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def s3_etag(parts: list[bytes]) -> str:
    return hashlib.md5(b''.join(hashlib.md5(p).digest() for p in parts)).hexdigest() + f'-{len(parts)}'


def test_upload_list_complete_and_read(s3, swift):
    s3.create_bucket(Bucket='mpu')
    created = s3.create_multipart_upload(Bucket='mpu', Key='dir/joined \u2603', ContentType='text/x-test',
                                         Metadata={'colour': 'blue'})
    upload_id = created['UploadId']
    listed = s3.list_multipart_uploads(Bucket='mpu')['Uploads']
    assert [(u['Key'], u['UploadId']) for u in listed] == [('dir/joined \u2603', upload_id)]
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB + 7), os.urandom(1234)]
    done = []
    for number, data in enumerate(parts, 1):
        got = s3.upload_part(Bucket='mpu', Key='dir/joined \u2603', UploadId=upload_id, PartNumber=number,
                             Body=data)
        assert got['ETag'] == f'"{md5(data)}"'
        done.append({'PartNumber': number, 'ETag': got['ETag']})
    s3.upload_part(Bucket='mpu', Key='dir/joined \u2603', UploadId=upload_id, PartNumber=9, Body=b'unused')
    listing = s3.list_parts(Bucket='mpu', Key='dir/joined \u2603', UploadId=upload_id)
    assert [(p['PartNumber'], p['Size']) for p in listing['Parts']] == [(1, 5 * MIB), (2, 5 * MIB + 7),
                                                                          (3, 1234), (9, 6)]
    page = s3.list_parts(Bucket='mpu', Key='dir/joined \u2603', UploadId=upload_id, MaxParts=2,
                         PartNumberMarker=1)
    assert [p['PartNumber'] for p in page['Parts']] == [2, 3] and page['IsTruncated']
    result = s3.complete_multipart_upload(Bucket='mpu', Key='dir/joined \u2603', UploadId=upload_id,
                                          MultipartUpload={'Parts': done})
    assert result['ETag'] == f'"{s3_etag(parts)}"'
    whole = b''.join(parts)
    got = s3.get_object(Bucket='mpu', Key='dir/joined \u2603')
    body = got['Body'].read()
    assert md5(body) == md5(whole) and got['ETag'] == f'"{s3_etag(parts)}"'
    assert got['ContentType'] == 'text/x-test' and got['Metadata'] == {'colour': 'blue'}
    assert got['ContentLength'] == len(whole)
    ranged = s3.get_object(Bucket='mpu', Key='dir/joined \u2603', Range='bytes=5242870-5242889')
    assert ranged['Body'].read() == whole[5242870:5242890]
    second = s3.get_object(Bucket='mpu', Key='dir/joined \u2603', PartNumber=2)
    assert second['Body'].read() == parts[1] and second['PartsCount'] == 3
    objects = s3.list_objects_v2(Bucket='mpu')['Contents']
    assert [(o['Key'], o['Size'], o['ETag']) for o in objects] == [
        ('dir/joined \u2603', len(whole), f'"{s3_etag(parts)}"')]
    headers, body = swift.get_object('mpu', 'dir/joined \u2603')
    assert md5(body) == md5(whole) and headers['x-object-meta-colour'] == 'blue'
    assert s3.list_multipart_uploads(Bucket='mpu').get('Uploads', []) == []
    _, segments = swift.get_container('mpu+segments')
    assert len(segments) == 3                          # the unused part 9 and the marker are gone
    again = s3.complete_multipart_upload(Bucket='mpu', Key='dir/joined \u2603', UploadId=upload_id,
                                         MultipartUpload={'Parts': done})
    assert again['ETag'] == result['ETag']
    assert 'mpu+segments' not in [b['Name'] for b in s3.list_buckets()['Buckets']]
    s3.delete_object(Bucket='mpu', Key='dir/joined \u2603')
    assert swift.get_container('mpu+segments')[1] == []
    s3.delete_bucket(Bucket='mpu')


def test_multipart_errors(s3):
    s3.create_bucket(Bucket='mpu-errors')
    upload_id = s3.create_multipart_upload(Bucket='mpu-errors', Key='k')['UploadId']
    small = s3.upload_part(Bucket='mpu-errors', Key='k', UploadId=upload_id, PartNumber=1, Body=b'tiny')
    last = s3.upload_part(Bucket='mpu-errors', Key='k', UploadId=upload_id, PartNumber=2, Body=b'end')
    parts = [{'PartNumber': 1, 'ETag': small['ETag']}, {'PartNumber': 2, 'ETag': last['ETag']}]
    complete = s3.complete_multipart_upload
    assert error_of(complete, Bucket='mpu-errors', Key='k', UploadId=upload_id,
                    MultipartUpload={'Parts': parts}) == ('EntityTooSmall', 400)
    assert error_of(complete, Bucket='mpu-errors', Key='k', UploadId=upload_id,
                    MultipartUpload={'Parts': parts[::-1]}) == ('InvalidPartOrder', 400)
    assert error_of(complete, Bucket='mpu-errors', Key='k', UploadId=upload_id,
                    MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': '"' + '0' * 32 + '"'}]}) == \
        ('InvalidPart', 400)
    assert error_of(complete, Bucket='mpu-errors', Key='k', UploadId=upload_id,
                    MultipartUpload={'Parts': [{'PartNumber': 3, 'ETag': small['ETag']}]}) == \
        ('InvalidPart', 400)
    assert error_of(s3.upload_part, Bucket='mpu-errors', Key='k', UploadId=upload_id, PartNumber=10001,
                    Body=b'x') == ('InvalidArgument', 400)
    assert error_of(s3.upload_part, Bucket='mpu-errors', Key='k', UploadId='A' * 32, PartNumber=1,
                    Body=b'x') == ('NoSuchUpload', 404)
    assert error_of(s3.upload_part, Bucket='mpu-errors', Key='k', UploadId='../../etc', PartNumber=1,
                    Body=b'x') == ('NoSuchUpload', 404)
    assert error_of(s3.create_multipart_upload, Bucket='no-such-bucket', Key='k') == ('NoSuchBucket', 404)
    one = s3.complete_multipart_upload(Bucket='mpu-errors', Key='k', UploadId=upload_id,
                                       MultipartUpload={'Parts': parts[:1]})
    assert one['ETag'] == f'"{s3_etag([b"tiny"])}"'           # a single part may be any size
    assert s3.get_object(Bucket='mpu-errors', Key='k')['Body'].read() == b'tiny'
    aborted = s3.create_multipart_upload(Bucket='mpu-errors', Key='gone')['UploadId']
    s3.upload_part(Bucket='mpu-errors', Key='gone', UploadId=aborted, PartNumber=1, Body=b'abc')
    s3.abort_multipart_upload(Bucket='mpu-errors', Key='gone', UploadId=aborted)
    assert error_of(s3.list_parts, Bucket='mpu-errors', Key='gone', UploadId=aborted) == ('NoSuchUpload', 404)
    assert error_of(s3.head_object, Bucket='mpu-errors', Key='gone') == ('404', 404)


def test_upload_part_copy_and_checksums(s3):
    s3.create_bucket(Bucket='mpu-copy')
    source = os.urandom(6 * MIB)
    s3.put_object(Bucket='mpu-copy', Key='source', Body=source)
    created = s3.create_multipart_upload(Bucket='mpu-copy', Key='copied', ChecksumAlgorithm='SHA256')
    upload_id = created['UploadId']
    first = s3.upload_part_copy(Bucket='mpu-copy', Key='copied', UploadId=upload_id, PartNumber=1,
                                CopySource={'Bucket': 'mpu-copy', 'Key': 'source'},
                                CopySourceRange=f'bytes=0-{5 * MIB - 1}')
    assert first['CopyPartResult']['ETag'] == f'"{md5(source[:5 * MIB])}"'
    tail = os.urandom(100)
    second = s3.upload_part(Bucket='mpu-copy', Key='copied', UploadId=upload_id, PartNumber=2, Body=tail,
                            ChecksumAlgorithm='SHA256')
    sums = [base64.b64encode(hashlib.sha256(d).digest()).decode() for d in (source[:5 * MIB], tail)]
    assert second['ChecksumSHA256'] == sums[1]
    result = s3.complete_multipart_upload(
        Bucket='mpu-copy', Key='copied', UploadId=upload_id, MultipartUpload={
        'Parts': [{'PartNumber': 1, 'ETag': first['CopyPartResult']['ETag'], 'ChecksumSHA256': sums[0]},
                  {'PartNumber': 2, 'ETag': second['ETag'], 'ChecksumSHA256': sums[1]}]})
    joined = b''.join(base64.b64decode(s) for s in sums)
    composite = base64.b64encode(hashlib.sha256(joined).digest()).decode()
    assert result['ChecksumSHA256'] == f'{composite}-2'
    assert s3.get_object(Bucket='mpu-copy', Key='copied')['Body'].read() == source[:5 * MIB] + tail
    assert error_of(s3.upload_part_copy, Bucket='mpu-copy', Key='copied', UploadId=upload_id, PartNumber=1,
                    CopySource={'Bucket': 'mpu-copy', 'Key': 'source'}) == ('NoSuchUpload', 404)
    other = s3.create_multipart_upload(Bucket='mpu-copy', Key='x')['UploadId']
    assert error_of(s3.upload_part_copy, Bucket='mpu-copy', Key='x', UploadId=other, PartNumber=1,
                    CopySource={'Bucket': 'mpu-copy', 'Key': 'source'},
                    CopySourceRange=f'bytes={7 * MIB}-{8 * MIB}') == ('InvalidRange', 416)
    copied = s3.copy_object(Bucket='mpu-copy', Key='plain-copy',
                            CopySource={'Bucket': 'mpu-copy', 'Key': 'copied'})
    assert copied['CopyObjectResult']['ETag'] == f'"{md5(source[:5 * MIB] + tail)}"'
    s3.delete_object(Bucket='mpu-copy', Key='copied')
    s3.delete_object(Bucket='mpu-copy', Key='source')
    s3.delete_object(Bucket='mpu-copy', Key='plain-copy')
    s3.delete_bucket(Bucket='mpu-copy')                # the upload still open is aborted with it


def test_100_mib_through_the_transfer_manager(s3, swift, tmp_path):
    s3.create_bucket(Bucket='mpu-big')
    data = os.urandom(100 * MIB)
    (tmp_path / 'big').write_bytes(data)
    config = TransferConfig(multipart_threshold=8 * MIB, multipart_chunksize=8 * MIB, max_concurrency=4)
    s3.upload_file(str(tmp_path / 'big'), 'mpu-big', 'big.bin', Config=config)
    head = s3.head_object(Bucket='mpu-big', Key='big.bin')
    assert head['ContentLength'] == len(data) and head['ETag'].endswith('-13"')
    s3.download_file('mpu-big', 'big.bin', str(tmp_path / 'back'), Config=config)
    assert md5((tmp_path / 'back').read_bytes()) == md5(data)
    _, body = swift.get_object('mpu-big', 'big.bin')
    assert md5(body) == md5(data)
    s3.delete_object(Bucket='mpu-big', Key='big.bin')
    assert swift.get_container('mpu-big+segments')[1] == []


def _complete(s3, bucket: str, key: str, parts: list[bytes]) -> str:
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key)['UploadId']
    done = [{'PartNumber': n, 'ETag': s3.upload_part(Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=n,
                                                     Body=body)['ETag']} for n, body in enumerate(parts, 1)]
    return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id,
                                        MultipartUpload={'Parts': done})['ETag']


def test_replacing_a_multipart_object_deletes_its_parts(s3, swift):
    s3.create_bucket(Bucket='mpu-replace')
    parts = [os.urandom(5 * MIB), b'tail']
    for replace in (lambda: s3.put_object(Bucket='mpu-replace', Key='k', Body=b'plain'),
                    lambda: s3.copy_object(Bucket='mpu-replace', Key='k',
                                           CopySource={'Bucket': 'mpu-replace', 'Key': 'other'}),
                    lambda: _complete(s3, 'mpu-replace', 'k', [b'new'])):
        s3.put_object(Bucket='mpu-replace', Key='other', Body=b'copied')
        _complete(s3, 'mpu-replace', 'k', parts)
        assert len(swift.get_container('mpu-replace+segments')[1]) == 2
        replace()
        left = [e['name'] for e in swift.get_container('mpu-replace+segments')[1]]
        body = s3.get_object(Bucket='mpu-replace', Key='k')['Body'].read()
        assert body in (b'plain', b'copied', b'new') and len(left) == (1 if body == b'new' else 0), left
        s3.delete_object(Bucket='mpu-replace', Key='k')
    assert swift.get_container('mpu-replace+segments')[1] == []

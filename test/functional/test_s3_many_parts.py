"""A multipart upload of more parts than a Swift client's manifest may list
(1,001 > the slo filter's max_manifest_segments of 1,000): S3 allows 10,000,
and CompleteMultipartUpload's manifest is checked by s3api, not segment by
segment again. The proxy allows 1-byte parts here (min_part_size = 1)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config

from .devcluster_fixture import start_cluster

PARTS = 1001


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    cluster = start_cluster(tmp_path_factory.mktemp('manyparts'), proxy_settings={'min_part_size': '1'})
    yield cluster
    cluster.stop()


def test_1001_parts(cluster):
    s3 = boto3.client('s3', endpoint_url=f'http://127.0.0.1:{cluster.proxy_port}',
                      aws_access_key_id='test:tester', aws_secret_access_key='testing',
                      region_name='us-east-1',
                      config=Config(s3={'addressing_style': 'path'}, max_pool_connections=8))
    s3.create_bucket(Bucket='many')
    upload_id = s3.create_multipart_upload(Bucket='many', Key='k')['UploadId']
    bodies = [os.urandom(100) for _ in range(PARTS)]

    def upload(number: int) -> dict:
        got = s3.upload_part(Bucket='many', Key='k', UploadId=upload_id, PartNumber=number,
                             Body=bodies[number - 1])
        return {'PartNumber': number, 'ETag': got['ETag']}

    with ThreadPoolExecutor(8) as pool:
        parts = list(pool.map(upload, range(1, PARTS + 1)))
    first = s3.list_parts(Bucket='many', Key='k', UploadId=upload_id)
    assert len(first['Parts']) == 1000 and first['IsTruncated']
    rest = s3.list_parts(Bucket='many', Key='k', UploadId=upload_id,
                         PartNumberMarker=first['NextPartNumberMarker'])
    assert [p['PartNumber'] for p in rest['Parts']] == [PARTS] and not rest['IsTruncated']
    done = s3.complete_multipart_upload(Bucket='many', Key='k', UploadId=upload_id,
                                        MultipartUpload={'Parts': parts})
    assert done['ETag'].endswith(f'-{PARTS}"')
    got = s3.get_object(Bucket='many', Key='k')
    assert got['Body'].read() == b''.join(bodies) and got['ContentLength'] == 100 * PARTS
    assert s3.get_object(Bucket='many', Key='k', PartNumber=PARTS)['Body'].read() == bodies[-1]

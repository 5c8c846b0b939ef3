"""Probe: a multipart (static large) object written and deleted while object
servers are down, healed by the replicators: the joined object reads back
whole from any two of its replicas, and a delete missed by one server does
not bring any part back nor leave it listed (a handoff takes the down
server's delete and its container update)."""

from __future__ import annotations

import hashlib
import json
import os
from urllib.parse import quote

import boto3
import pytest
from botocore.config import Config

from .conftest import Probe, request

MIB = 1024 * 1024
pytestmark = pytest.mark.probe


def _s3(probe: Probe):
    return boto3.client('s3', endpoint_url=f'http://127.0.0.1:{probe.cluster.proxy_port}',
                        aws_access_key_id='test:tester', aws_secret_access_key='testing',
                        region_name='us-east-1',
                        config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1}))


def _get(probe: Probe, path: str, query: str):
    return request('127.0.0.1', probe.cluster.proxy_port, 'GET', f'{quote(path)}?{query}',
                   {'X-Auth-Token': probe.token}, quoted=True)


def _upload(s3, parts: list[bytes]) -> None:
    upload_id = s3.create_multipart_upload(Bucket='mpu', Key='big')['UploadId']
    done = []
    for number, body in enumerate(parts, 1):
        got = s3.upload_part(Bucket='mpu', Key='big', UploadId=upload_id, PartNumber=number, Body=body)
        done.append({'PartNumber': number, 'ETag': got['ETag']})
    s3.complete_multipart_upload(Bucket='mpu', Key='big', UploadId=upload_id, MultipartUpload={'Parts': done})


def test_multipart_object_survives_servers_down_and_its_delete_sticks(probe):
    s3 = _s3(probe)
    s3.create_bucket(Bucket='mpu')
    parts = [os.urandom(5 * MIB), os.urandom(5 * MIB), os.urandom(1000)]
    whole = hashlib.md5(b''.join(parts)).hexdigest()
    probe.stop('object-2')                       # written with a handoff standing in for device 2
    _upload(s3, parts)
    probe.start('object-2')
    assert probe.once('object-replicator')['errors'] == 0
    for down in ('object-1', 'object-3'):        # any one server away: still the whole object
        probe.stop(down)
        assert hashlib.md5(s3.get_object(Bucket='mpu', Key='big')['Body'].read()).hexdigest() == whole
        probe.start(down)
    status, _, body = _get(probe, probe.obj_path('mpu', 'big'), 'multipart-manifest=get')
    assert status == 200
    names = [('mpu', 'big')] + [tuple(seg['name'].lstrip('/').split('/', 1)) for seg in json.loads(body)]
    assert len(names) == 4
    probe.stop('object-4')                       # the delete misses one server's copies
    s3.delete_object(Bucket='mpu', Key='big')
    for container in ('mpu', 'mpu+segments'):    # a handoff took object-4's share of the listing updates
        part, nodes = probe.nodes('container', probe.account(), container)
        for node in nodes:
            assert probe.listing(node, part, container) == [], (container, node.device)
    probe.start('object-4')
    assert probe.once('object-replicator')['errors'] == 0
    assert probe.once('object-updater')['errors'] == 0
    for container, name in names:                # the tombstones won on every primary
        part, nodes = probe.nodes('object', probe.account(), container, name)
        for node in nodes:
            status, _, _ = probe.direct(node, 'HEAD', f'/{part}/{probe.account()}/{container}/{name}')
            assert status == 404, (container, name, node.device)
    assert s3.list_objects_v2(Bucket='mpu')['KeyCount'] == 0
    status, _, body = _get(probe, probe.obj_path('mpu+segments'), 'format=json')
    assert status in (200, 204) and json.loads(body or b'[]') == []
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket='mpu', Key='big')

"""The S3 command-line clients from Debian against a whole cluster: the aws
CLI (`aws s3` and `aws s3api`), s3cmd and rclone, each writing, listing,
reading back and deleting, with what they wrote checked through Swift."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest
from swiftclient import client as sc

KEY, SECRET = 'test:tester', 'testing'
AWS = '/usr/bin/aws'                     # Debian's aws CLI v2, not a pip one earlier on PATH


@pytest.fixture(scope='module')
def swift(cluster):
    auth = f'http://127.0.0.1:{cluster.proxy_port}/auth/v1.0'
    return sc.Connection(authurl=auth, user=KEY, key=SECRET, retries=0)


def run(args, env=None, cwd=None, check=True) -> subprocess.CompletedProcess:
    # no CA bundle of the machine's (rclone's AWS SDK cannot load one for plain HTTP)
    base = {k: v for k, v in os.environ.items() if k != 'AWS_CA_BUNDLE'}
    out = subprocess.run(args, capture_output=True, env={**base, **(env or {})}, cwd=cwd, timeout=180)
    if check:
        assert out.returncode == 0, (args, out.stdout[-2000:], out.stderr[-2000:])
    return out


def make_tree(root) -> dict[str, bytes]:
    files = {'a.txt': b'alpha\n', 'sub/b.bin': os.urandom(300_000), 'sub/deeper/c d.txt': b'spaced\n',
             'big.bin': os.urandom(3 * 1024 * 1024)}
    for name, body in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(body)
    return files


def _aws(cluster, tmp_path):
    env = {'AWS_ACCESS_KEY_ID': KEY, 'AWS_SECRET_ACCESS_KEY': SECRET, 'AWS_DEFAULT_REGION': 'us-east-1',
           'AWS_CONFIG_FILE': str(tmp_path / 'none'), 'AWS_SHARED_CREDENTIALS_FILE': str(tmp_path / 'none')}
    return [AWS, '--endpoint-url', f'http://127.0.0.1:{cluster.proxy_port}'], env


def _s3cmd(cluster, tmp_path, signature: str) -> list[str]:
    config = tmp_path / 's3cfg'
    host = f'127.0.0.1:{cluster.proxy_port}'
    config.write_text(f'[default]\naccess_key = {KEY}\nsecret_key = {SECRET}\nhost_base = {host}\n'
                      f'host_bucket = {host}\nuse_https = False\nsignature_v2 = {signature == "v2"}\n'
                      'bucket_location = us-east-1\n')
    return ['s3cmd', '-c', str(config)]


def _rclone_env(cluster, tmp_path) -> dict[str, str]:
    return {'RCLONE_CONFIG': str(tmp_path / 'none.conf'), 'RCLONE_CONFIG_S3_TYPE': 's3',
            'RCLONE_CONFIG_S3_PROVIDER': 'Other', 'RCLONE_CONFIG_S3_ACCESS_KEY_ID': KEY,
            'RCLONE_CONFIG_S3_SECRET_ACCESS_KEY': SECRET, 'RCLONE_CONFIG_S3_REGION': 'us-east-1',
            'RCLONE_CONFIG_S3_ENDPOINT': f'http://127.0.0.1:{cluster.proxy_port}',
            'RCLONE_CONFIG_S3_FORCE_PATH_STYLE': 'true'}


@pytest.mark.skipif(not os.path.exists(AWS), reason='Debian awscli is not installed')
def test_aws_cli(cluster, swift, tmp_path):
    aws, env = _aws(cluster, tmp_path)
    files = make_tree(tmp_path / 'tree')
    run([*aws, 's3', 'mb', 's3://aws-cli'], env)
    run([*aws, 's3', 'cp', str(tmp_path / 'tree' / 'a.txt'), 's3://aws-cli/single/a.txt'], env)
    run([*aws, 's3', 'sync', str(tmp_path / 'tree'), 's3://aws-cli/synced/'], env)
    listing = run([*aws, 's3', 'ls', '--recursive', 's3://aws-cli/'], env).stdout.decode()
    assert all(f'synced/{name}' in listing for name in files) and 'single/a.txt' in listing
    assert run([*aws, 's3', 'cp', 's3://aws-cli/synced/big.bin', '-'], env).stdout == files['big.bin']
    for name, body in files.items():
        assert swift.get_object('aws-cli', f'synced/{name}')[1] == body
    again = run([*aws, 's3', 'sync', str(tmp_path / 'tree'), 's3://aws-cli/synced/'], env).stdout
    assert again == b''                                  # nothing changed, nothing sent
    head = run([*aws, 's3api', 'head-object', '--bucket', 'aws-cli', '--key', 'single/a.txt'], env)
    assert hashlib.md5(files['a.txt']).hexdigest().encode() in head.stdout
    run([*aws, 's3api', 'put-object', '--bucket', 'aws-cli', '--key', 'api', '--body',
         str(tmp_path / 'tree' / 'a.txt'), '--metadata', 'k=v'], env)
    out = run([*aws, 's3api', 'list-objects-v2', '--bucket', 'aws-cli', '--prefix', 'synced/sub/',
               '--delimiter', '/'], env).stdout.decode()
    assert 'synced/sub/deeper/' in out and 'synced/sub/b.bin' in out
    run([*aws, 's3', 'rm', '--recursive', 's3://aws-cli/'], env)
    run([*aws, 's3', 'rb', 's3://aws-cli'], env)
    assert 'aws-cli' not in [c['name'] for c in swift.get_account()[1]]


@pytest.mark.skipif(not shutil.which('s3cmd'), reason='s3cmd is not installed')
@pytest.mark.parametrize('signature', ['v4', 'v2'])
def test_s3cmd(cluster, swift, tmp_path, signature):
    s3cmd = _s3cmd(cluster, tmp_path, signature)
    files = make_tree(tmp_path / 'tree')
    bucket = f's3cmd-{signature}'
    run([*s3cmd, 'mb', f's3://{bucket}'])
    run([*s3cmd, 'put', '--recursive', str(tmp_path / 'tree') + '/', f's3://{bucket}/up/'])
    listing = run([*s3cmd, 'ls', '--recursive', f's3://{bucket}']).stdout.decode()
    assert all(f'up/{name}' in listing for name in files)
    run([*s3cmd, 'get', f's3://{bucket}/up/sub/b.bin', str(tmp_path / 'back.bin')])
    assert (tmp_path / 'back.bin').read_bytes() == files['sub/b.bin']
    assert swift.get_object(bucket, 'up/big.bin')[1] == files['big.bin']
    run([*s3cmd, 'del', '--recursive', '--force', f's3://{bucket}/'])
    run([*s3cmd, 'rb', f's3://{bucket}'])


@pytest.mark.skipif(not shutil.which('rclone'), reason='rclone is not installed')
def test_rclone(cluster, swift, tmp_path):
    env = _rclone_env(cluster, tmp_path)
    files = make_tree(tmp_path / 'tree')
    run(['rclone', 'mkdir', 's3:rclone'], env)
    run(['rclone', 'copy', str(tmp_path / 'tree'), 's3:rclone/copied'], env)
    run(['rclone', 'check', str(tmp_path / 'tree'), 's3:rclone/copied'], env)
    listed = run(['rclone', 'lsf', '-R', 's3:rclone/copied'], env).stdout.decode().split('\n')
    assert all(name in listed for name in files)
    assert run(['rclone', 'cat', 's3:rclone/copied/sub/deeper/c d.txt'], env).stdout == b'spaced\n'
    assert swift.get_object('rclone', 'copied/sub/b.bin')[1] == files['sub/b.bin']
    run(['rclone', 'purge', 's3:rclone'], env)
    assert 'rclone' not in [c['name'] for c in swift.get_account()[1]]


@pytest.mark.skipif(not os.path.exists(AWS), reason='Debian awscli is not installed')
def test_aws_cli_100_mib_multipart(cluster, swift, tmp_path):
    aws, env = _aws(cluster, tmp_path)
    data = os.urandom(100 * 1024 * 1024)
    (tmp_path / 'up').mkdir()
    (tmp_path / 'up' / 'big.bin').write_bytes(data)
    run([*aws, 's3', 'mb', 's3://aws-mpu'], env)
    run([*aws, 's3', 'cp', str(tmp_path / 'up' / 'big.bin'), 's3://aws-mpu/big.bin'], env)
    head = run([*aws, 's3api', 'head-object', '--bucket', 'aws-mpu', '--key', 'big.bin'], env).stdout
    assert b'-13\\"' in head and b'104857600' in head            # 13 parts of aws's 8 MiB
    run([*aws, 's3', 'cp', 's3://aws-mpu/big.bin', str(tmp_path / 'back.bin')], env)
    assert hashlib.md5((tmp_path / 'back.bin').read_bytes()).hexdigest() == hashlib.md5(data).hexdigest()
    assert hashlib.md5(swift.get_object('aws-mpu', 'big.bin')[1]).hexdigest() == hashlib.md5(data).hexdigest()
    assert run([*aws, 's3', 'sync', str(tmp_path / 'up'), 's3://aws-mpu/'], env).stdout == b''
    run([*aws, 's3', 'rm', 's3://aws-mpu/big.bin'], env)
    assert swift.get_container('aws-mpu+segments')[1] == []
    run([*aws, 's3', 'rb', 's3://aws-mpu'], env)


@pytest.mark.skipif(not shutil.which('s3cmd'), reason='s3cmd is not installed')
def test_s3cmd_multipart(cluster, swift, tmp_path):
    s3cmd = _s3cmd(cluster, tmp_path, 'v4')
    data = os.urandom(12 * 1024 * 1024)
    (tmp_path / 'big.bin').write_bytes(data)
    run([*s3cmd, 'mb', 's3://s3cmd-mpu'])
    run([*s3cmd, 'put', '--multipart-chunk-size-mb=5', str(tmp_path / 'big.bin'), 's3://s3cmd-mpu/big.bin'])
    head = swift.head_object('s3cmd-mpu', 'big.bin')
    assert head['x-static-large-object'] == 'True' and head['content-length'] == str(len(data))
    assert len(swift.get_container('s3cmd-mpu+segments')[1]) == 3
    run([*s3cmd, 'get', 's3://s3cmd-mpu/big.bin', str(tmp_path / 'back.bin')])
    assert (tmp_path / 'back.bin').read_bytes() == data
    run([*s3cmd, 'del', 's3://s3cmd-mpu/big.bin'])
    run([*s3cmd, 'rb', 's3://s3cmd-mpu'])


@pytest.mark.skipif(not shutil.which('rclone'), reason='rclone is not installed')
def test_rclone_multipart(cluster, swift, tmp_path):
    env = _rclone_env(cluster, tmp_path)
    (tmp_path / 'up').mkdir()
    data = os.urandom(12 * 1024 * 1024)
    (tmp_path / 'up' / 'big.bin').write_bytes(data)
    run(['rclone', 'mkdir', 's3:rclone-mpu'], env)
    run(['rclone', 'copy', '--s3-upload-cutoff', '5M', '--s3-chunk-size', '5M', str(tmp_path / 'up'),
         's3:rclone-mpu'], env)
    run(['rclone', 'check', '--download', str(tmp_path / 'up'), 's3:rclone-mpu'], env)
    assert swift.head_object('rclone-mpu', 'big.bin')['x-static-large-object'] == 'True'
    assert swift.get_object('rclone-mpu', 'big.bin')[1] == data
    run(['rclone', 'purge', 's3:rclone-mpu'], env)
    assert [c['name'] for c in swift.get_account()[1] if c['name'].startswith('rclone-mpu')] == []

"""The storage servers' parsers of outside values, pinned case by case:
timestamps, delete-at times, paths, update targets, body reads, and rows
and info that REPLICATE merges. (test/functional/test_storage_hostile.py
throws the same values at real servers.)"""

from __future__ import annotations

import io
import json

import pytest
from webob import exc

from swiftlike.account.backend import AccountBroker
from swiftlike.common import expiring, request_body
from swiftlike.common.concurrency import Timeout
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.http import HTTPClientDisconnect
from swiftlike.common.request import StoragePath, parse_replicate_path, parse_update_targets
from swiftlike.common.timestamp import Timestamp, normalize_delete_at
from swiftlike.container.backend import ContainerBroker
from swiftlike.obj.async_pending import PendingUpdate

BAD_NUMBERS = ['\u00b2', '\u0663', '9' * 100, '-1', '+5', ' 5', '5 ', '\x00', '', '5.0', '1e3', '0x1f', '5_0']


@pytest.mark.parametrize('text', ['\u00b2', '\u0663', '+5', ' 5', '5 ', '1e3', '-0', 'nan', 'inf', '',
                                  '1700000000.5_zz', '1700000000.5_', '1' * 11, '\x00', '5\x00'])
def test_timestamp_refuses(text):
    with pytest.raises(ValueError):
        Timestamp(text)


@pytest.mark.parametrize('text, internal', [('0', '0000000000.00000'), ('5.0', '0000000005.00000'),
                                            ('1700000000.', '1700000000.00000'),
                                            ('1700000000.5_a', '1700000000.50000_000000000000000a'),
                                            ('1700000000.123456', '1700000000.12346')])
def test_timestamp_accepts(text, internal):
    assert Timestamp(text).internal == internal


def test_timestamp_refuses_a_bool():
    with pytest.raises(ValueError):
        Timestamp(True)


@pytest.mark.parametrize('text', BAD_NUMBERS + ['10000000000'])
def test_delete_at_is_ten_ascii_digits_at_most(text):
    with pytest.raises(ValueError):
        normalize_delete_at(text)
    assert normalize_delete_at('9999999999') == 9999999999


@pytest.mark.parametrize('part', ['%C2%B2', '%D9%A3', '9' * 100, '-1', '+5', '4294967296', '%20%35'])
def test_storage_path_partition(part):
    with pytest.raises(ConstraintError):
        StoragePath.parse(f'/sda/{part}/a'.replace('%C2%B2', '\xc2\xb2').replace('%D9%A3', '\xd9\xa3')
                          .replace('%20%35', ' 5'), min_names=1, max_names=1)


@pytest.mark.parametrize('device', ['.', '..', 'a' * 256, 'd\x01', 'd\x7f'])
def test_storage_path_device(device):
    with pytest.raises(ConstraintError):
        StoragePath.parse(f'/{device}/1/a', min_names=1, max_names=1)


@pytest.mark.parametrize('path', ['/sda/\xc2\xb2', '/sda/1/abc-xyz', '/sda/1/abc/def', '/../1', '/sda',
                                  '/sda/1/ABC', '/sda/1/abc-'])
def test_replicate_path(path):
    with pytest.raises(ConstraintError):
        parse_replicate_path(path)
    assert parse_replicate_path('/sda/1/abc-fff') == ('sda', 1, ['abc', 'fff'])


BAD_HOSTS = ('h:\u00b2', 'h:0', 'h:65536', ':80', 'h', 'a b:80')


@pytest.mark.parametrize('change', [{'X-Container-Partition': p} for p in BAD_NUMBERS]
                         + [{'X-Container-Host': h} for h in BAD_HOSTS]
                         + [{'X-Container-Device': d} for d in ('..', 'd\x00')]
                         + [{'X-Container-Device': 'sda,sdb'}])
def test_update_targets(change):
    headers = {'X-Container-Host': '10.0.0.1:6201', 'X-Container-Device': 'sda', 'X-Container-Partition': '7',
               **change}
    with pytest.raises(ValueError):
        parse_update_targets(headers, 'Container')


class Stream:
    """A wsgi.input whose read raises ``error``."""

    def __init__(self, error: BaseException) -> None:
        self.error = error

    def read(self, size: int = -1) -> bytes:
        raise self.error


@pytest.mark.parametrize('error, status', [(Timeout(), 408), (ValueError('bad chunk size'), 400),
                                           (OSError('unexpected end of file'), 499),
                                           (ConnectionResetError(), 499)])
def test_body_read_errors_are_4xx(error, status):
    with pytest.raises(exc.HTTPException) as raised:
        request_body.read_chunk(Stream(error), 10, 1.0)
    assert raised.value.status_int == status
    with pytest.raises(exc.HTTPException):
        request_body.GuardedInput(Stream(error), 1.0).read(10)


def test_short_body_is_a_499():
    from webob import Request
    req = Request.blank('/', method='PUT', body=b'abc')
    req.environ['wsgi.input'] = io.BytesIO(b'ab')
    with pytest.raises(HTTPClientDisconnect):
        request_body.read_body(req, limit=100, seconds=1.0)
    req.environ['wsgi.input'] = io.BytesIO(b'abc')
    with pytest.raises(exc.HTTPRequestEntityTooLarge):
        request_body.read_body(req, limit=2, seconds=1.0)


@pytest.mark.parametrize('raw', [b'[' * 100000, b'\xff{}', b'{', b''])
def test_parse_json_refuses(raw):
    with pytest.raises(ConstraintError):
        request_body.parse_json(raw)


@pytest.fixture
def container(tmp_path):
    broker = ContainerBroker(tmp_path / 'c.db', account='a', container='c')
    broker.initialize(Timestamp('1700000000'), account='a', container='c')
    return broker


GOOD_ROW = {'name': 'o', 'created_at': '1700000001.00000', 'size': 1, 'content_type': 'a/b', 'etag': 'e',
            'deleted': 0}


@pytest.mark.parametrize('key, value', [('created_at', None), ('created_at', '\u00b2'), ('created_at', True),
                                        ('size', '1'), ('size', 10 ** 100), ('size', -1), ('size', 1.5),
                                        ('size', True), ('name', ''), ('name', 'a\x00'), ('name', '\ud800'),
                                        ('name', 5), ('deleted', 2), ('etag', None), ('ROWID', 'x')])
def test_bad_row_merges_nothing(container, key, value):
    with pytest.raises(ValueError):
        container.merge_items([GOOD_ROW | {'name': 'first'}, GOOD_ROW | {key: value}], 'src')
    assert container.get_info()['object_count'] == 0 and container.get_sync('src') == -1


def test_row_without_a_field(container):
    for key in GOOD_ROW:
        with pytest.raises(ValueError):
            container.merge_items([{k: v for k, v in GOOD_ROW.items() if k != key}])
    container.merge_items([GOOD_ROW | {'ROWID': 3}], 'src')
    assert container.get_info()['object_count'] == 1 and container.get_sync('src') == 3


def test_account_row_checks(tmp_path):
    broker = AccountBroker(tmp_path / 'a.db', account='a')
    broker.initialize(Timestamp('1700000000'), account='a')
    row = {'name': 'c', 'put_timestamp': '1700000001.00000', 'delete_timestamp': '0', 'object_count': 1,
           'bytes_used': 2}
    for key, value in (('object_count', '\u00b2'), ('bytes_used', 2 ** 63), ('put_timestamp', '+5')):
        with pytest.raises(ValueError):
            broker.merge_items([row | {key: value}])
    broker.merge_items([row])
    assert broker.get_info()['container_count'] == 1


STAMPS = {'put_timestamp': '1', 'delete_timestamp': '0'}
BAD_INFO = [None, [], {}, STAMPS | {'metadata': 5}, STAMPS | {'put_timestamp': '\u00b2'},
            *(STAMPS | {'metadata': m} for m in ('[1]', '{"a": ["v"]}', '{"a": [5, "1"]}',
                                                  '{"a": ["v", "x"]}'))]


@pytest.mark.parametrize('info', BAD_INFO)
def test_merge_info_checks_everything_first(container, info):
    with pytest.raises(ValueError):
        container.merge_info(info)
    assert container.get_info()['put_timestamp'] == '1700000000.00000'


PENDING = {'op': 'PUT', 'account': 'a', 'container': 'c', 'obj': 'o', 'headers': {}}
BAD_PENDING = [b'[]', b'5', b'{"op": "PUT"}', json.dumps(PENDING | {'op': 5}).encode(),
               json.dumps(PENDING | {'targets': [{'host': 'h', 'port': '\u00b2', 'device': 'd',
                                                  'partition': 1}]}).encode()]


@pytest.mark.parametrize('raw', BAD_PENDING)
def test_async_pending_refuses_junk(raw):
    with pytest.raises(ValueError):
        PendingUpdate.from_json(raw)


def test_expiring_day_and_entry_names():
    days = ('1699920000', '\u00b2', '\u0663', '9' * 11)
    assert [expiring.is_day(n) for n in days] == [True, False, False, False]
    with pytest.raises(ValueError):
        expiring.parse_entry('\u0663-a/c/o')
    assert json.loads(PendingUpdate('PUT', 'a', 'c', 'o', {}).to_json())['op'] == 'PUT'

"""Issue #10's smaller items, through a whole cluster over real HTTP: names
clients resolve away, expiry times beyond any clock, egregious ranges, ACL
headers shown only to owners, transaction ids made by the proxy."""

from __future__ import annotations

import pytest

from .cluster import request


@pytest.fixture(scope='module')
def swift(cluster):
    """(call, storage path): ``call(method, path, headers, body, user=...)``."""
    tokens = {}

    def token(user: str) -> tuple[str, str]:
        if user not in tokens:
            key = {'test:tester': 'testing', 'test:tester3': 'testing3'}[user]
            status, headers, _ = request('127.0.0.1', cluster.proxy_port, 'GET', '/auth/v1.0',
                                         {'X-Auth-User': user, 'X-Auth-Key': key})
            assert status == 200
            tokens[user] = (headers['x-auth-token'], headers['x-storage-url'].split('/', 3)[3])
        return tokens[user]

    def call(method, path, headers=None, body=b'', *, user='test:tester', raw_path=False):
        headers = dict(headers or {})
        if user:
            headers['X-Auth-Token'] = token(user)[0]
        return request('127.0.0.1', cluster.proxy_port, method, path, headers, body, raw_path=raw_path)

    return call, '/' + token('test:tester')[1]


@pytest.mark.parametrize('name', ['.', '..'])
def test_containers_named_dot_are_refused(swift, name):
    call, base = swift
    status, _, body = call('PUT', f'{base}/{name}', raw_path=True)
    assert status == 400, body


@pytest.mark.parametrize('headers', [{'X-Delete-At': '²'.encode()}, {'X-Delete-At': '-5'},
                                     {'X-Delete-At': '-' + '9' * 100},
                                     {'X-Delete-At': '1'}, {'X-Delete-After': '²'}, {'X-Delete-At': '5\x00'},
                                     {'X-Delete-After': '٣'.encode()}, {'X-Delete-After': '+5'},
                                     {'X-Delete-At': ''},
                                     {'X-Delete-After': '-1'}, {'X-Delete-After': '1.5'}])
def test_expiry_times_out_of_range_are_400(swift, headers):
    call, base = swift
    assert call('PUT', f'{base}/edges')[0] in (201, 202)
    status, _, body = call('PUT', f'{base}/edges/expiring', headers, b'x')
    assert status == 400, body
    assert call('POST', f'{base}/edges/expiring', headers)[0] in (400, 404)


def test_a_thousand_one_byte_ranges_get_the_body_once(swift):
    call, base = swift
    call('PUT', f'{base}/edges')
    data = bytes(range(256)) * 4
    assert call('PUT', f'{base}/edges/kb', body=data)[0] == 201
    ranges = 'bytes=' + ','.join(f'{n}-{n}' for n in range(1000))
    status, _, body = call('GET', f'{base}/edges/kb', {'Range': ranges})
    assert (status, body) == (200, data)
    status, headers, body = call('GET', f'{base}/edges/kb', {'Range': 'bytes=0-1,4-5'})
    assert status == 206 and len(body) < 1024 and headers['content-type'].startswith('multipart/byteranges')


@pytest.mark.parametrize('value', ['bytes=²-³', 'bytes=٣-'.encode(), 'bytes=-１'.encode(),
                                   'bytes=0-' + '9' * 5000])
def test_unicode_digit_and_huge_ranges_are_not_errors(swift, value):
    call, base = swift
    call('PUT', f'{base}/edges')
    call('PUT', f'{base}/edges/r', body=b'0123456789')
    status, _, body = call('GET', f'{base}/edges/r', {'Range': value})
    assert status in (200, 206) and body == b'0123456789'      # 206 for 0-<huge>: bytes 0-9/10


def test_readers_through_an_acl_do_not_see_the_acl(swift):
    call, base = swift
    acl = {'X-Container-Read': 'test:tester3,.rlistings', 'X-Container-Write': 'test:tester3'}
    assert call('PUT', f'{base}/shared', acl)[0] in (201, 202)
    for method in ('HEAD', 'GET'):
        _, owner, _ = call(method, f'{base}/shared')
        assert 'test:tester3' in owner['x-container-read']
        status, reader, _ = call(method, f'{base}/shared', user='test:tester3')
        assert status in (200, 204)
        assert 'x-container-read' not in reader and 'x-container-write' not in reader


def test_the_proxy_makes_the_transaction_id(swift):
    call, base = swift
    _, headers, _ = call('HEAD', base, {'X-Trans-Id': 'txforged-by-client'})
    assert headers['x-trans-id'].startswith('tx') and 'forged' not in headers['x-trans-id']
    _, headers, _ = call('HEAD', base, {'X-Trans-Id-Extra': 'nightly backup'})
    assert headers['x-trans-id'].endswith('-nightly%20backup')


@pytest.mark.parametrize('name, expected', [('photo.jpg', 'image/jpeg'),
                                            ('notes', 'application/octet-stream')])
def test_a_put_without_content_type_gets_one_from_its_name(swift, name, expected):
    call, base = swift
    call('PUT', f'{base}/edges')
    assert call('PUT', f'{base}/edges/{name}', body=b'x')[0] == 201     # (http.client sends no Content-Type)
    assert call('HEAD', f'{base}/edges/{name}')[1]['content-type'] == expected


def test_ninety_metadata_headers_reach_the_storage_servers_and_come_back(swift):
    call, base = swift
    call('PUT', f'{base}/edges')
    meta = {f'X-Object-Meta-K{n:02d}': f'v{n}' for n in range(90)}
    status, _, body = call('PUT', f'{base}/edges/meta90', meta, b'x')
    assert status == 201, body
    status, headers, _ = call('GET', f'{base}/edges/meta90')
    assert status == 200 and sum(k.startswith('x-object-meta-k') for k in headers) == 90
    assert call('PUT', f'{base}/edges/meta91', {**meta, 'X-Object-Meta-K90': 'v'}, b'x')[0] == 400


@pytest.mark.parametrize('headers', [{'X-Delete-At': '1' + '0' * 12}, {'X-Delete-After': '9' * 15}])
def test_expiry_times_beyond_2286_are_clamped_as_swift_does(swift, headers):
    call, base = swift
    call('PUT', f'{base}/edges')
    assert call('PUT', f'{base}/edges/far', headers, b'x')[0] == 201
    assert call('HEAD', f'{base}/edges/far')[1]['x-delete-at'] == '9999999999'


def test_container_head_has_last_modified_and_xml_listings_hold_only_elements(swift):
    from xml.dom import minidom
    call, base = swift
    call('PUT', f'{base}/xmlc')
    call('PUT', f'{base}/xmlc/a', body=b'1')
    call('PUT', f'{base}/xmlc/b/c', body=b'2')
    _, headers, _ = call('HEAD', f'{base}/xmlc')
    assert headers['last-modified'].endswith(' GMT')
    for query in ('format=xml', 'format=xml&delimiter=/'):
        status, _, body = call('GET', f'{base}/xmlc?{query}', raw_path=True)
        assert status == 200
        nodes = minidom.parseString(body).documentElement.childNodes
        assert nodes and all(n.nodeType == n.ELEMENT_NODE for n in nodes)


@pytest.mark.parametrize('headers', [{'X-Delete-At': '9' * 100}, {'X-Delete-At': '1' * 100},
                                     {'X-Delete-After': '9' * 5000}, {'X-Delete-At': '0' * 5000 + '9' * 11}])
def test_expiry_times_beyond_ten_digits_are_clamped(swift, headers):
    """As Swift: a time past 9999999999 (year 2286) is taken as that time."""
    call, base = swift
    call('PUT', f'{base}/edges')
    status, _, body = call('PUT', f'{base}/edges/far', headers, b'x')
    assert status == 201, body
    assert call('HEAD', f'{base}/edges/far')[1]['x-delete-at'] == '9' * 10


@pytest.mark.parametrize(('headers', 'message'), [({'X-Delete-At': 'x'}, b'Non-integer X-Delete-At'),
                                                  ({'X-Delete-After': 'x'}, b'Non-integer X-Delete-After'),
                                                  ({'X-Delete-At': '5'}, b'X-Delete-At in past')])
def test_expiry_errors_are_worded_as_swift(swift, headers, message):
    call, base = swift
    call('PUT', f'{base}/edges')
    assert call('PUT', f'{base}/edges/worded', headers, b'x')[:3:2] == (400, message)


@pytest.mark.parametrize(('path', 'status'), [
    ('/v1//c/o', 404), ('/v1/a//o', 404), ('/v1///o', 404), ('//v1/AUTH_test', 404), ('/', 404),
    ('/v1', 412), ('/v1/', 412), ('/info%20asdf', 412), ('/nothing', 412),
    ('/v2/AUTH_test', 400), ('/%00/AUTH_test', 412), ('/v1/AUTH_test/%ff', 412),
])
def test_malformed_paths_answer_as_swift(swift, path, status):
    """An empty name is 404 (nothing can be there), a path with no account is 412 'Bad URL',
    an unknown API version 400."""
    call, _ = swift
    got, _, body = call('GET', path, raw_path=True)
    assert got == status, body
    if status == 412 and '%' not in path:
        assert body == b'Bad URL'
    if path in ('/v1/AUTH_test/%ff', '/%00/AUTH_test'):
        assert body == b'Invalid UTF8 or contains NULL'


def test_answers_carry_the_transaction_id_as_openstack_request_id(swift):
    call, base = swift
    call('PUT', f'{base}/edges')
    call('PUT', f'{base}/edges/rid', body=b'x')
    for method, path in (('GET', f'{base}/edges/rid'), ('HEAD', base), ('GET', f'{base}/edges/missing')):
        headers = call(method, path)[1]
        assert headers['x-openstack-request-id'] == headers['x-trans-id'], (method, path)



@pytest.mark.parametrize(('coding', 'status'), [('gzip,chunked', 501), ('chunked, chunked', 501),
                                                ('gzip', 400), ('identity', 400)])
def test_transfer_codings_other_than_chunked(swift, coding, status):
    """As Swift: a layered coding is 501 Not Implemented, any other single one 400."""
    call, base = swift
    call('PUT', f'{base}/edges')
    body = b'1\r\nx\r\n0\r\n\r\n' if coding.endswith('chunked') else None
    got, _, text = call('PUT', f'{base}/edges/coded', {'Transfer-Encoding': coding}, body)
    assert got == status, text
    assert call('HEAD', f'{base}/edges/coded')[0] == 404


@pytest.mark.parametrize('value', ['BYTES=0-9', 'bytes = 0-9', 'BYTES = 0 - 9', 'bytes=0 - 9', 'bytes=0-9 ',
                                   'bytes=\t0-9'])
def test_ranges_with_spaces_and_any_case(swift, value):
    call, base = swift
    call('PUT', f'{base}/edges')
    call('PUT', f'{base}/edges/spaced', body=bytes(range(100)))
    status, headers, body = call('GET', f'{base}/edges/spaced', {'Range': value})
    assert (status, body, headers['content-range']) == (206, bytes(range(10)), 'bytes 0-9/100')


@pytest.mark.parametrize('value', ['bytes=0 9', 'bytes 0-9', 'bytes==0-9', 'bytes=0-\u00b9'.encode(),
                                   'b ytes=0-9'])
def test_malformed_ranges_get_the_whole_object(swift, value):
    call, base = swift
    call('PUT', f'{base}/edges')
    call('PUT', f'{base}/edges/spaced', body=bytes(range(100)))
    status, _, body = call('GET', f'{base}/edges/spaced', {'Range': value})
    assert (status, body) == (200, bytes(range(100)))


@pytest.mark.parametrize(('value', 'status'), [
    ('\u00e9' * 128, 201),                      # 256 bytes of UTF-8: the longest value
    ('\u00e9' * 128 + 'x', 400),
    ('\u2603' * 85 + 'x', 201),                 # 256 bytes
    ('\u2603' * 86, 400),                       # 258 bytes
    (('\u2603' * 85).encode()[:-1], 201),       # 254 bytes, cut mid-character: not UTF-8, still metadata
])
def test_metadata_values_are_measured_in_bytes(swift, value, status):
    call, base = swift
    call('PUT', f'{base}/edges')
    raw = value if isinstance(value, bytes) else value.encode()
    got, _, body = call('PUT', f'{base}/edges/meta', {'X-Object-Meta-V': raw}, b'x')
    assert got == status, body
    if status == 201:
        assert call('HEAD', f'{base}/edges/meta')[1]['x-object-meta-v'].encode('latin-1') == raw


def test_overall_metadata_size_counts_bytes(swift):
    call, base = swift
    call('PUT', f'{base}/edges')
    # 15 items of 1 + 256 bytes and one of 1 + 240: 4096 in all, the limit
    headers = {f'X-Object-Meta-{n:x}': ('\u00e9' * 128).encode() for n in range(15)}
    headers['X-Object-Meta-z'] = b'y' * 240
    assert call('PUT', f'{base}/edges/many', headers, b'x')[0] == 201
    headers['X-Object-Meta-z'] = b'y' * 241
    assert call('PUT', f'{base}/edges/many', headers, b'x')[0] == 400

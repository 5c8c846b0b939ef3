"""Account and container listings as Swift clients read them, through a whole
cluster: the storage policy of each container, ``?path=``, delimiters of
several characters, every spelling of ``reverse``, markers bounding a range
(NUL included), limits Swift ignores, and the container's policy header."""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote
from xml.dom import minidom

import pytest

from .test_proxy_edges import swift  # noqa: F401  (the module fixture)


def _get(call, path: str, query: str = '', headers=None):
    return call('GET', f'{quote(path)}?{query}', headers, raw_path=True)


@pytest.fixture(scope='module')
def tree(swift):  # noqa: F811
    """A container holding a small directory tree, and three containers in the account."""
    call, base = swift
    tag = uuid.uuid4().hex[:8]
    cont = f'{base}/tree{tag}'
    assert call('PUT', cont)[0] in (201, 202)
    names = ['d1/', 'd1/a', 'd1/s/', 'd1/s/x', 'd1/s/y', 'd2/', 'f', 'g-&h', 'g-&i', 'g']
    for name in names:
        ctype = 'application/directory' if name.endswith('/') else 'text/plain'
        assert call('PUT', f'{cont}/{name}', {'Content-Type': ctype}, b'x')[0] == 201
    for suffix in ('a', 'b-&c', 'b-&d'):
        assert call('PUT', f'{base}/{tag}{suffix}')[0] in (201, 202)
    return call, base, cont, tag


def test_account_listing_names_each_containers_policy(tree):
    call, base, _, tag = tree
    status, _, body = _get(call, base, f'format=json&prefix={tag}')
    assert status == 200
    assert [e['storage_policy'] for e in json.loads(body)] == ['Policy-0'] * 3
    status, _, body = _get(call, base, f'format=xml&prefix={tag}')
    doc = minidom.parseString(body)
    entries = doc.getElementsByTagName('container')
    assert len(entries) == 3
    for entry in entries:
        assert entry.getElementsByTagName('storage_policy')[0].firstChild.nodeValue == 'Policy-0'


def test_container_head_names_its_policy_and_put_refuses_others(tree, swift):  # noqa: F811
    call, base, cont, tag = tree
    assert call('HEAD', cont)[1].get('x-storage-policy') == 'Policy-0'
    assert call('PUT', f'{base}/pol{tag}p', {'X-Storage-Policy': ''})[0] in (201, 202)
    assert call('PUT', f'{base}/pol{tag}q', {'X-Storage-Policy': 'policy-0'})[0] in (201, 202)
    for bad in ('gold', 'Policy-1', '\u00b2', 'x' * 5000):
        status, _, body = call('PUT', f'{base}/pol{tag}r', {'X-Storage-Policy': bad})
        assert status in (400, 431), (bad, status, body)
    assert call('HEAD', f'{base}/pol{tag}r')[0] == 404


@pytest.mark.parametrize(('path', 'want'), [
    ('', ['d1/', 'd2/', 'f', 'g', 'g-&h', 'g-&i']),
    ('d1', ['d1/a', 'd1/s/']),
    ('d1/', ['d1/a', 'd1/s/']),
    ('d1/s', ['d1/s/x', 'd1/s/y']),
    ('d2', []),
    ('nothing', []),
])
def test_path_lists_only_what_is_directly_under_it(tree, path, want):
    call, _, cont, _ = tree
    status, _, body = _get(call, cont, f'path={quote(path)}&format=json')
    assert status == 200
    assert [e['name'] for e in json.loads(body)] == want
    status, _, body = _get(call, cont, f'path={quote(path)}&reverse=on&format=json')
    assert [e['name'] for e in json.loads(body)] == want[::-1]


@pytest.mark.parametrize('query', ['path=%00', 'path=%ff'])
def test_hostile_path_values_are_client_errors(tree, query):
    call, _, cont, _ = tree
    assert _get(call, cont, query)[0] in (400, 412)


def test_multi_character_delimiters(tree):
    call, base, cont, tag = tree
    status, _, body = _get(call, cont, 'delimiter=-%26&prefix=g')
    assert (status, body.decode().split()) == (200, ['g', 'g-&'])
    status, _, body = _get(call, base, f'delimiter=-%26&prefix={tag}b')
    assert (status, body.decode().split()) == (200, [f'{tag}b-&'])
    status, _, body = _get(call, cont, 'delimiter=-%26&prefix=g&reverse=yes')
    assert body.decode().split() == ['g-&', 'g']


@pytest.mark.parametrize('value', ['true', '1', 'yes', 'on', 't', 'y', 'TRUE', 'Y'])
def test_every_spelling_of_reverse(tree, value):
    call, base, cont, tag = tree
    names = _get(call, cont, f'reverse={value}&prefix=g')[2].decode().split()
    assert names == ['g-&i', 'g-&h', 'g']
    names = _get(call, base, f'reverse={value}&prefix={tag}')[2].decode().split()
    assert names == [f'{tag}b-&d', f'{tag}b-&c', f'{tag}a']


@pytest.mark.parametrize('value', ['off', 'no', '0', '', 'yess', '\u00b2'])
def test_other_reverse_values_list_forward(tree, value):
    call, _, cont, _ = tree
    assert _get(call, cont, f'reverse={quote(value)}&prefix=g')[2].decode().split() == ['g', 'g-&h', 'g-&i']


def test_markers_with_nul_bound_an_account_listing(tree):
    call, base, _, tag = tree
    query = f'reverse=on&marker={tag}b-%26d%00&end_marker={tag}%00&prefix={tag}'
    status, _, body = _get(call, base, query)
    assert (status, body.decode().split()) == (200, [f'{tag}b-&d', f'{tag}b-&c', f'{tag}a'])
    status, _, body = _get(call, base, f'marker={tag}a%00&end_marker={tag}b-%26c%00')
    assert (status, body.decode().split()) == (200, [f'{tag}b-&c'])


def test_markers_with_nul_bound_a_container_listing(tree):
    call, _, cont, _ = tree
    status, _, body = _get(call, cont, 'reverse=on&marker=g-%26i%00&end_marker=f%00')
    assert (status, body.decode().split()) == (200, ['g-&i', 'g-&h', 'g'])
    status, _, body = _get(call, cont, 'marker=f%00&end_marker=g-%26h%00')
    assert (status, body.decode().split()) == (200, ['g', 'g-&h'])


@pytest.mark.parametrize('query', ['prefix=%00', 'delimiter=%00', 'delimiter=a%00', 'reverse=%00'])
def test_nul_outside_markers_is_refused(tree, query):
    call, base, _, _ = tree
    assert _get(call, base, query)[0] == 400


@pytest.mark.parametrize('limit', ['5000.0', '-1', 'abc', '\u00b2', '\u0663', '+2', ' 2'])
def test_limits_that_are_not_ascii_digits_are_ignored(tree, limit):
    call, _, cont, _ = tree
    status, _, body = _get(call, cont, f'limit={quote(limit)}')
    assert (status, len(body.decode().split())) == (200, 10)


@pytest.mark.parametrize(('limit', 'status'), [('2', 200), ('0002', 200), ('10000', 200), ('10001', 412),
                                               ('9' * 5000, 412), ('0' * 5000 + '1', 200)])
def test_ascii_limits(tree, limit, status):
    call, _, cont, _ = tree
    assert _get(call, cont, f'limit={limit}')[0] == status


def test_a_container_post_moves_its_last_modified_object_writes_do_not(swift):  # noqa: F811
    import time
    call, base = swift
    cont = f'{base}/lm{uuid.uuid4().hex[:8]}'
    assert call('PUT', cont)[0] in (201, 202)
    first = call('HEAD', cont)[1]['last-modified']
    time.sleep(1.1)
    assert call('POST', cont, {'X-Container-Meta-A': 'b'})[0] == 204
    second = call('HEAD', cont)[1]['last-modified']
    assert second != first
    time.sleep(1.1)
    assert call('PUT', f'{cont}/o', body=b'x')[0] == 201
    assert call('POST', f'{cont}/o', {'X-Object-Meta-A': 'b'})[0] in (202, 204)
    assert call('HEAD', cont)[1]['last-modified'] == second


def test_empty_listings_and_heads_carry_the_listing_content_type(swift):  # noqa: F811
    call, base = swift
    cont = f'{base}/ct{uuid.uuid4().hex[:8]}'
    assert call('PUT', cont)[0] in (201, 202)
    for method in ('GET', 'HEAD'):
        status, headers, _ = call(method, cont)
        assert (status, headers['content-type']) == (204, 'text/plain; charset=utf-8'), method
        assert headers['content-length'] == '0', method
    got = call('GET', f'{cont}?format=json', raw_path=True)
    assert got[1]['content-type'] == 'application/json; charset=utf-8', got
    assert call('HEAD', base)[1]['content-type'] == 'text/plain; charset=utf-8'
    assert call('HEAD', base)[1]['content-length'] == '0'


def test_listings_show_a_utf8_content_type_as_text(tree):
    call, _, cont, _ = tree
    ctype = 'text/\u9409\u1804; x=\u00e9'
    assert call('PUT', f'{cont}/typed', {'Content-Type': ctype.encode()}, b'x')[0] == 201
    assert call('HEAD', f'{cont}/typed')[1]['content-type'].encode('latin-1') == ctype.encode()
    entries = json.loads(_get(call, cont, 'format=json&prefix=typed')[2])
    assert [e['content_type'] for e in entries] == [ctype]
    doc = minidom.parseString(_get(call, cont, 'format=xml&prefix=typed')[2])
    assert doc.getElementsByTagName('content_type')[0].firstChild.nodeValue == ctype
    assert call('PUT', f'{cont}/typed2', {'Content-Type': b'text/\xff\xfe'}, b'x')[0] == 201
    entries = json.loads(_get(call, cont, 'format=json&prefix=typed2')[2])
    assert [e['content_type'] for e in entries] == ['text/\ufffd\ufffd']


@pytest.mark.parametrize('kind', ['container', 'account'])
def test_metadata_stored_by_several_posts_stays_within_the_limits(swift, kind):  # noqa: F811
    call, base = swift
    path = f'{base}/md{uuid.uuid4().hex[:8]}' if kind == 'container' else base
    if kind == 'container':
        assert call('PUT', path)[0] in (201, 202)
    meta = f'X-{kind.title()}-Meta-'
    first = {f'{meta}a{n:02d}': 'v' * 253 for n in range(15)}       # 15 * (3 + 253) = 3840 bytes
    try:
        assert call('POST', path, first)[0] == 204
        assert call('POST', path, {f'{meta}z': 'w' * 255})[0] == 204              # 3840 + 256 = 4096
        status, _, body = call('POST', path, {f'{meta}y': 'x'})                  # one item more: 4098
        assert status == 400, body
        assert f'{meta}y'.lower() not in call('HEAD', path)[1]
        assert call('POST', path, {f'{meta}z': '', f'{meta}y': 'x'})[0] == 204   # room made in the same POST
        many = {f'{meta}n{n:02d}': 'v' for n in range(90)}
        assert call('POST', path, many)[0] == 400                             # 106 items over 90
    finally:
        call('POST', path, {key: '' for key in [*first, f'{meta}z', f'{meta}y']})


@pytest.mark.parametrize(('query', 'ctype'), [('format=json', 'application/json'),
                                              ('format=xml', 'application/xml'),
                                              ('format=plain', 'text/plain'), ('', 'text/plain')])
def test_heads_name_the_listing_content_type_of_their_format(tree, query, ctype):
    call, base, cont, _ = tree
    for path in (cont, base):
        status, headers, _ = call('HEAD', f'{path}?{query}', raw_path=True)
        assert (status, headers['content-type']) == (204, f'{ctype}; charset=utf-8'), path
    for bad in ('format=%ff', 'format=bogus', 'format=json%00', '%ff=1'):
        assert call('HEAD', f'{cont}?{bad}', raw_path=True)[0] in (400, 412), bad
        assert call('HEAD', f'{base}?{bad}', raw_path=True)[0] in (400, 412), bad

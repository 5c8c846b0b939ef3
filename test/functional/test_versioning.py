"""Object versioning through a whole dev cluster, with python-swiftclient:
the legacy kind (X-Versions-Location stack mode, X-History-Location history
mode) and object versioning (X-Versions-Enabled, ?versions, ?version-id)."""

from __future__ import annotations

import hashlib
import http.client
import json
import time
import uuid
from urllib.parse import quote

import pytest
from swiftclient import client as sc
from swiftclient.exceptions import ClientException

MARKER = 'application/x-deleted;swift_versions_deleted=1'


@pytest.fixture(scope='module')
def auth(cluster):
    return f'http://127.0.0.1:{cluster.proxy_port}/auth/v1.0'


def conn(auth: str, user: str = 'test:tester', key: str = 'testing') -> sc.Connection:
    return sc.Connection(authurl=auth, user=user, key=key, retries=0)


def as_user(auth: str, owner: sc.Connection, user: str, key: str) -> sc.Connection:
    """``user`` reaching into the owner's account (by its storage URL)."""
    url = owner.get_auth()[0]
    token = conn(auth, user, key).get_auth()[1]
    return sc.Connection(preauthurl=url, preauthtoken=token, retries=0)


def name(prefix: str) -> str:
    return f'{prefix}-{uuid.uuid4().hex[:8]}'


def raw(auth: str, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b'',
        query: str = '') -> tuple[int, dict[str, str], bytes]:
    """A request with bytes sent as they are (what swiftclient would refuse to send)."""
    c = conn(auth)
    url, token = c.get_auth()
    host = url.split('/')[2]
    base = '/' + url.split('/', 3)[3]
    link = http.client.HTTPConnection(host, timeout=30)
    try:
        link.putrequest(method, base + path + (f'?{query}' if query else ''), skip_accept_encoding=True)
        sent = {'X-Auth-Token': token, 'Content-Length': str(len(body)), **(headers or {})}
        for key, value in sent.items():
            link.putheader(key, value.encode('latin-1') if isinstance(value, str) else value)
        link.endheaders(body)
        resp = link.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        link.close()


def archive(c: sc.Connection, container: str) -> list[dict]:
    return c.get_container(container, full_listing=True)[1]


# -- legacy versioned_writes ---------------------------------------------------------------


def test_info_lists_both_kinds(auth):
    info = conn(auth).get_capabilities()
    assert info['versioned_writes']['allowed_flags'] == ['x-versions-location', 'x-history-location']
    assert 'object_versioning' in info


def test_stack_mode_keeps_versions_and_delete_restores(auth):
    c = conn(auth)
    cont, arch = name('stack'), name('stack-arch')
    c.put_container(arch)
    c.put_container(cont, headers={'X-Versions-Location': arch})
    assert c.head_container(cont)['x-versions-location'] == arch
    c.put_object(cont, 'été', b'one', content_type='text/one', headers={'X-Object-Meta-N': '1'})
    c.put_object(cont, 'été', b'two', content_type='text/two')
    c.put_object(cont, 'été', b'three', content_type='text/three')
    rows = archive(c, arch)
    assert [r['content_type'] for r in rows] == ['text/one', 'text/two']
    assert all(r['name'].startswith('005été/') for r in rows)      # 5 = len('été'.encode())
    headers, body = c.get_object(arch, rows[0]['name'])
    assert body == b'one' and headers['x-object-meta-n'] == '1'
    c.post_object(cont, 'été', headers={'X-Object-Meta-Post': 'x'})  # a POST is not a version
    assert len(archive(c, arch)) == 2
    c.delete_object(cont, 'été')
    assert c.get_object(cont, 'été')[1] == b'two'
    c.delete_object(cont, 'été')
    headers, body = c.get_object(cont, 'été')
    assert body == b'one' and headers['content-type'] == 'text/one' and headers['x-object-meta-n'] == '1'
    assert archive(c, arch) == []
    c.delete_object(cont, 'été')
    with pytest.raises(ClientException) as err:
        c.get_object(cont, 'été')
    assert err.value.http_status == 404


def test_history_mode_archives_on_delete_with_a_marker(auth):
    c = conn(auth)
    cont, arch = name('hist'), name('hist-arch')
    c.put_container(arch)
    c.put_container(cont, headers={'X-History-Location': arch})
    headers = c.head_container(cont)
    assert headers['x-history-location'] == arch and 'x-versions-location' not in headers
    c.put_object(cont, 'o', b'one', content_type='text/one')
    c.put_object(cont, 'o', b'two', content_type='text/two')
    c.delete_object(cont, 'o')
    with pytest.raises(ClientException) as err:
        c.get_object(cont, 'o')
    assert err.value.http_status == 404
    with pytest.raises(ClientException) as err:
        c.delete_object(cont, 'o')
    assert err.value.http_status == 404
    types = [r['content_type'] for r in archive(c, arch)]
    assert types == ['text/one', 'text/two', MARKER, MARKER]


def test_changing_mode_and_removing(auth):
    c = conn(auth)
    cont, arch = name('mode'), name('mode-arch')
    c.put_container(arch)
    c.put_container(cont, headers={'X-History-Location': arch})
    c.put_object(cont, 'o', b'v1')
    c.put_object(cont, 'o', b'v2')
    c.delete_object(cont, 'o')
    c.post_container(cont, headers={'X-Versions-Location': arch})
    c.delete_object(cont, 'o')             # the marker goes, v2 comes back
    assert c.get_object(cont, 'o')[1] == b'v2'
    assert len(archive(c, arch)) == 1
    c.post_container(cont, headers={'X-Remove-Versions-Location': 'x'})
    headers = c.head_container(cont)
    assert 'x-versions-location' not in headers and 'x-history-location' not in headers
    c.put_object(cont, 'o', b'v3')
    assert len(archive(c, arch)) == 1
    c.post_container(cont, headers={'X-Versions-Location': arch, 'X-Versions-Mode': 'history'})
    assert c.head_container(cont)['x-history-location'] == arch
    c.post_container(cont, headers={'X-History-Location': ''})
    assert 'x-history-location' not in c.head_container(cont)


def test_missing_archive_container_is_412_and_keeps_the_object(auth):
    c = conn(auth)
    cont = name('noarch')
    c.put_container(cont, headers={'X-Versions-Location': name('absent')})
    c.put_object(cont, 'o', b'first')                  # nothing to archive yet
    with pytest.raises(ClientException) as err:
        c.put_object(cont, 'o', b'second')
    assert err.value.http_status == 412
    assert c.get_object(cont, 'o')[1] == b'first'


def test_writers_are_checked_as_the_client(auth):
    owner = conn(auth)
    other = as_user(auth, owner, 'test2:tester2', 'testing2')
    reader = as_user(auth, owner, 'test:tester3', 'testing3')
    cont, arch = name('acl'), name('acl-arch')
    owner.put_container(arch)
    owner.put_container(cont, headers={'X-Versions-Location': arch,
                                       'X-Container-Write': 'test2:tester2'})
    # a writer of the container (not of the archive) is versioned, as in Swift
    other.put_object(cont, 'o', b'one', )
    other.put_object(cont, 'o', b'two')
    assert len(archive(owner, arch)) == 1
    # but cannot read or change the archive itself
    for call in (lambda: other.get_object(arch, archive(owner, arch)[0]['name']),
                 lambda: other.put_object(arch, 'x', b'')):
        with pytest.raises(ClientException) as err:
            call()
        assert err.value.http_status == 403
    # a user without write access archives nothing and changes nothing
    for call in (lambda: reader.put_object(cont, 'o', b'three'), lambda: reader.delete_object(cont, 'o')):
        with pytest.raises(ClientException) as err:
            call()
        assert err.value.http_status == 403
    assert len(archive(owner, arch)) == 1 and owner.get_object(cont, 'o')[1] == b'two'
    # nor may a writer set the location
    with pytest.raises(ClientException) as err:
        other.post_container(cont, headers={'X-Versions-Location': arch})
    assert err.value.http_status == 403


def test_large_objects_keep_their_manifest(auth):
    c = conn(auth)
    cont, arch, segs = name('lo'), name('lo-arch'), name('lo-segs')
    for each in (arch, segs):
        c.put_container(each)
    c.put_container(cont, headers={'X-Versions-Location': arch})
    c.put_object(segs, 'p/1', b'a' * 10)
    c.put_object(segs, 'p/2', b'b' * 10)
    c.put_object(cont, 'big', b'', headers={'X-Object-Manifest': f'{segs}/p/'})
    c.put_object(cont, 'big', b'plain')
    headers, body = c.get_object(arch, archive(c, arch)[0]['name'])
    assert body == b'a' * 10 + b'b' * 10 and headers['x-object-manifest'] == f'{segs}/p/'
    c.delete_object(cont, 'big')
    assert c.get_object(cont, 'big')[1] == b'a' * 10 + b'b' * 10


@pytest.mark.parametrize('value, status', [
    ('a/b', 412), ('%2F', 412), ('%ff', 412), (b'\xff\xfe', 412), ('%00', 400), ('x' * 257, 400),
    ('%0A', 400), ('..', 400), ('\u0661\u0662'.encode(), 201),
])
def test_hostile_location_values(auth, value, status):
    cont = name('bad')
    got, _, body = raw(auth, 'PUT', f'/{cont}', headers={'X-Versions-Location': value})
    assert got == status, body
    assert got // 100 != 5


def test_both_locations_at_once_is_400(auth):
    cont = name('both')
    got, _, _ = raw(auth, 'PUT', f'/{cont}', headers={'X-Versions-Location': 'a', 'X-History-Location': 'b'})
    assert got == 400


@pytest.mark.parametrize('mode', ['sideways', '', '\u0661'])
def test_a_bad_mode_is_400(auth, mode):
    got, _, _ = raw(auth, 'PUT', f'/{name("m")}', headers={'X-Versions-Location': 'a',
                                                           'X-Versions-Mode': mode.encode()})
    assert got == 400


def test_sysmeta_cannot_be_set_by_clients(auth):
    c = conn(auth)
    cont = name('sys')
    c.put_container(cont, headers={'X-Container-Sysmeta-Versions-Location': 'sneaky'})
    assert 'x-versions-location' not in c.head_container(cont)


def test_listing_body_is_untouched(auth):
    c = conn(auth)
    cont, arch = name('list'), name('list-arch')
    c.put_container(cont, headers={'X-Versions-Location': arch})
    c.put_object(cont, 'a', b'x')
    got, headers, body = raw(auth, 'GET', f'/{cont}', query='format=json')
    assert got == 200 and [r['name'] for r in json.loads(body)] == ['a']
    assert headers['x-versions-location'] == arch


# -- object_versioning ---------------------------------------------------------------------


def versions(c: sc.Connection, container: str, **params: str) -> list[dict]:
    query = '&'.join(['versions', 'format=json', *(f'{k}={v}' for k, v in params.items())])
    return c.get_container(container, query_string=query)[1]


def put(c: sc.Connection, container: str, obj: str, body: bytes, **headers: str) -> str:
    out: dict = {}
    c.put_object(container, obj, body, headers=headers, response_dict=out)
    return out['headers'].get('x-object-version-id')


def test_versions_enabled_keeps_every_version(auth):
    c = conn(auth)
    cont = name('ov')
    c.put_container(cont, headers={'X-Versions-Enabled': 'true'})
    assert c.head_container(cont)['x-versions-enabled'] == 'True'
    v1 = put(c, cont, 'doc.txt', b'one', **{'X-Object-Meta-N': '1'})
    v2 = put(c, cont, 'doc.txt', b'two!', **{'Content-Type': 'text/two'})
    assert v1 and v2 and v1 < v2
    headers, body = c.get_object(cont, 'doc.txt')
    assert body == b'two!' and headers['x-object-version-id'] == v2 and headers['content-type'] == 'text/two'
    headers, body = c.get_object(cont, 'doc.txt', query_string=f'version-id={v1}')
    assert body == b'one' and headers['x-object-meta-n'] == '1' and headers['content-type'] == 'text/plain'
    plain = c.get_container(cont)[1]            # the pointer lists as its version (its id taken off)
    assert [(r['name'], r['bytes'], r['hash']) for r in plain] == [
        ('doc.txt', 4, hashlib.md5(b'two!').hexdigest())]
    listed = versions(c, cont)
    assert [(r['version_id'], r['is_latest'], r['bytes']) for r in listed] == [(v2, True, 4), (v1, False, 3)]
    # ranges and conditions apply to the version
    assert c.get_object(cont, 'doc.txt', headers={'Range': 'bytes=1-2'})[1] == b'wo'
    with pytest.raises(ClientException) as err:
        c.get_object(cont, 'doc.txt', headers={'If-Match': 'nope'})
    assert err.value.http_status == 412


def test_delete_marker_and_restore(auth):
    c = conn(auth)
    cont = name('ovdel')
    c.put_container(cont, headers={'X-Versions-Enabled': 'true'})
    v1 = put(c, cont, 'o', b'one')
    out: dict = {}
    c.delete_object(cont, 'o', response_dict=out)
    marker = out['headers']['x-object-version-id']
    with pytest.raises(ClientException) as err:
        c.get_object(cont, 'o')
    assert err.value.http_status == 404
    with pytest.raises(ClientException) as err:
        c.head_object(cont, 'o', query_string=f'version-id={marker}')
    assert err.value.http_status == 404
    listed = versions(c, cont)
    assert [(r['version_id'], r['is_latest'], r['content_type']) for r in listed] == [
        (marker, True, MARKER), (v1, False, 'application/octet-stream')]
    # make the old version the latest again
    got, headers, _ = raw(auth, 'PUT', f'/{cont}/o', query=f'version-id={v1}')
    assert got == 201 and headers['x-object-version-id'] == v1
    assert c.get_object(cont, 'o')[1] == b'one'
    c.delete_object(cont, 'o', query_string=f'version-id={marker}')
    c.delete_object(cont, 'o', query_string=f'version-id={v1}')
    assert versions(c, cont) == []
    with pytest.raises(ClientException) as err:
        c.get_object(cont, 'o')
    assert err.value.http_status == 404
    c.delete_container(cont)


def test_restore_by_copying_a_version(auth):
    c = conn(auth)
    cont = name('ovcopy')
    c.put_container(cont, headers={'X-Versions-Enabled': 'true'})
    v1 = put(c, cont, 'o', b'first', **{'Content-Type': 'text/first'})
    put(c, cont, 'o', b'second')
    got, headers, _ = raw(auth, 'COPY', f'/{cont}/o', query=f'version-id={v1}',
                          headers={'Destination': f'{cont}/o'})
    assert got == 201
    v3 = headers['x-object-version-id']
    assert v3 > v1
    headers, body = c.get_object(cont, 'o')
    assert body == b'first' and headers['content-type'] == 'text/first'
    assert headers['x-object-version-id'] == v3
    assert [r['is_latest'] for r in versions(c, cont)] == [True, False, False]


def test_null_versions_and_disabling(auth):
    c = conn(auth)
    cont = name('ovnull')
    c.put_container(cont)
    c.put_object(cont, 'o', b'plain')
    assert [r['version_id'] for r in versions(c, cont)] == ['null']
    c.post_container(cont, headers={'X-Versions-Enabled': 'true'})
    v1 = put(c, cont, 'o', b'versioned')
    listed = versions(c, cont)
    assert [r['version_id'] for r in listed][0] == v1 and len(listed) == 2   # the plain one was kept
    c.post_container(cont, headers={'X-Versions-Enabled': 'false'})
    assert c.head_container(cont)['x-versions-enabled'] == 'False'
    assert put(c, cont, 'o', b'again plain') is None
    assert [r['version_id'] for r in versions(c, cont)][0] == 'null'
    with pytest.raises(ClientException) as err:
        c.delete_container(cont)
    assert err.value.http_status == 409


def test_version_requests_are_the_owners(auth):
    owner = conn(auth)
    cont = name('ovacl')
    owner.put_container(cont, headers={'X-Versions-Enabled': 'true', 'X-Container-Read': 'test:tester3'})
    vid = put(owner, cont, 'o', b'data')
    reader = as_user(auth, owner, 'test:tester3', 'testing3')
    assert reader.get_object(cont, 'o')[1] == b'data'
    with pytest.raises(ClientException) as err:
        reader.get_object(cont, 'o', query_string=f'version-id={vid}')
    assert err.value.http_status == 403
    with pytest.raises(ClientException) as err:
        reader.delete_object(cont, 'o', query_string=f'version-id={vid}')
    assert err.value.http_status == 403
    other = as_user(auth, owner, 'test2:tester2', 'testing2')
    with pytest.raises(ClientException) as err:
        other.put_object(cont, 'o', b'x')
    assert err.value.http_status == 403
    assert len(versions(owner, cont)) == 1


def test_hidden_versions_stay_out_of_the_account_listing(auth):
    c = conn(auth)
    cont = name('ovhide')
    c.put_container(cont, headers={'X-Versions-Enabled': 'true'})
    put(c, cont, 'o', b'x')
    names = [r['name'] for r in c.get_account(full_listing=True)[1]]
    assert cont in names and not any(n.startswith('.') for n in names)


@pytest.mark.parametrize('vid', ['bad', '1', '-1700000000.00000', '\u0661700000000.00000',
                                 '17000000000.00000', '1700000000.1234', '%00', '%ff', 'NULL', '1e9',
                                 'x' * 5000])
@pytest.mark.parametrize('method', ['GET', 'HEAD', 'DELETE', 'PUT', 'POST'])
def test_hostile_version_ids_are_400(auth, vid, method):
    c = conn(auth)
    cont = 'ovhostile'
    c.put_container(cont, headers={'X-Versions-Enabled': 'true'})
    c.put_object(cont, 'o', b'x')
    query = 'version-id=' + (vid if vid.startswith('%') else quote(vid))
    got, _, _ = raw(auth, method, f'/{cont}/o', query=query)
    assert got in (400, 414) if len(vid) > 1000 else got == 400


@pytest.mark.parametrize('value', ['maybe', '', '\u0661', 'true\x00'])
def test_hostile_versions_enabled_is_400(auth, value):
    got, _, _ = raw(auth, 'PUT', f'/{name("ovbad")}', headers={'X-Versions-Enabled': value.encode()})
    assert got == 400


def test_both_kinds_on_one_container_is_400(auth):
    c = conn(auth)
    cont = name('ovboth')
    c.put_container(cont, headers={'X-Versions-Location': name('arch')})
    with pytest.raises(ClientException) as err:
        c.post_container(cont, headers={'X-Versions-Enabled': 'true'})
    assert err.value.http_status == 400
    cont2 = name('ovboth2')
    c.put_container(cont2, headers={'X-Versions-Enabled': 'true'})
    with pytest.raises(ClientException) as err:
        c.post_container(cont2, headers={'X-Versions-Location': 'x'})
    assert err.value.http_status == 400


@pytest.mark.parametrize('params, status', [
    ('format=plain', 406), ('format=%ff', 400), ('limit=abc', 400), ('limit=10001', 412),
    ('marker=a&version_marker=bad', 400), ('version_marker=1700000000.00000', 400), ('prefix=%ff', 400),
])
def test_hostile_versions_listing_params(auth, params, status):
    c = conn(auth)
    c.put_container('ovlist', headers={'X-Versions-Enabled': 'true'})
    got, _, _ = raw(auth, 'GET', '/ovlist', query=f'versions&{params}')
    assert got == status


def test_versioned_links_and_links_to_versions(auth):
    c = conn(auth)
    cont, other = name('ovlink'), name('ovlink-plain')
    c.put_container(cont, headers={'X-Versions-Enabled': 'true'})
    c.put_container(other)
    c.put_object(cont, 'ta', b'aaaaa', content_type='text/a')
    c.put_object(cont, 'tb', b'bbbbb')
    v1 = put(c, cont, 'link', b'', **{'X-Symlink-Target': f'{cont}/ta'})
    assert c.get_object(cont, 'link')[1] == b'aaaaa'
    put(c, cont, 'link', b'', **{'X-Symlink-Target': f'{cont}/tb'})
    assert c.get_object(cont, 'link')[1] == b'bbbbb'
    headers = c.head_object(cont, 'link', query_string=f'version-id={v1}&symlink=get')
    assert headers['x-symlink-target'] == f'{cont}/ta'
    assert c.get_object(cont, 'link', query_string=f'version-id={v1}')[1] == b'aaaaa'    # followed
    # a link from an unversioned container to a versioned object reads its latest version
    c.put_object(other, 'to-ta', b'', headers={'X-Symlink-Target': f'{cont}/ta'})
    assert c.get_object(other, 'to-ta')[1] == b'aaaaa'


def test_expiry_applies_to_the_pointer_not_the_version(auth):
    c = conn(auth)
    cont = name('ovexp')
    c.put_container(cont, headers={'X-Versions-Enabled': 'true'})
    vid = put(c, cont, 'o', b'data', **{'X-Delete-After': '2'})
    time.sleep(3.1)
    with pytest.raises(ClientException) as err:
        c.head_object(cont, 'o')
    assert err.value.http_status == 404
    assert c.get_object(cont, 'o', query_string=f'version-id={vid}')[1] == b'data'

"""Object versioning through a whole dev cluster, with python-swiftclient:
the legacy kind (X-Versions-Location stack mode, X-History-Location history
mode) and object versioning (X-Versions-Enabled, ?versions, ?version-id)."""

from __future__ import annotations

import http.client
import json
import uuid

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
        for key, value in {'X-Auth-Token': token, 'Content-Length': str(len(body)), **(headers or {})}.items():
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

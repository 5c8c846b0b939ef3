"""Bulk operations through a whole cluster: archive extraction (tar, tar.gz,
tar.bz2; into an account, a container or a prefix) and bulk delete, their
answers in JSON, XML and plain text, and the refusals: entries with ``..``
or absolute paths, invalid UTF-8 and NUL in names, a broken archive, too
many containers or deletes, a user without write access."""

from __future__ import annotations

import io
import json
import tarfile
from urllib.parse import quote
from xml.dom import minidom

import pytest

from .hostile import LogMarks, auth_token, send


@pytest.fixture(scope='module')
def port(cluster):
    marks = LogMarks.now(cluster.logs)
    yield cluster.proxy_port
    assert marks.new_tracebacks() == {}


@pytest.fixture(scope='module')
def tokens(port):
    return {name: auth_token(port, user, key)[0] for name, user, key in (
        ('owner', 'test:tester', 'testing'), ('tester3', 'test:tester3', 'testing3'))}


@pytest.fixture
def call(port, tokens):
    def do(method: str, path: str = '', headers=(), body: bytes = b'', who: str = 'owner'):
        return send(port, method, '/v1/AUTH_test' + path, [('X-Auth-Token', tokens[who]), *headers], body)
    return do


def tar_of(entries: dict[str, bytes | None], compression: str = '', **kw) -> bytes:
    """A tar archive; a None value is a directory."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode=f'w:{compression}', **kw) as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def extract(call, path: str, archive: bytes, kind: str = 'tar', accept: str = 'application/json', **kw):
    ans = call('PUT', f'{path}?extract-archive={kind}', [('Accept', accept)], archive, **kw)
    assert ans.status == 200, ans
    return json.loads(ans.body) if accept == 'application/json' else ans.body


def test_info_lists_bulk(port):
    sections = json.loads(send(port, 'GET', '/info').body)
    assert sections['bulk_upload'] == {'max_containers_per_extraction': 10000, 'max_failed_extractions': 1000}
    assert sections['bulk_delete'] == {'max_deletes_per_request': 10000, 'max_failed_deletes': 1000}


@pytest.mark.parametrize('kind,compression', [('tar', ''), ('tar.gz', 'gz'), ('tar.bz2', 'bz2')])
def test_extract_into_the_account(call, kind, compression):
    c = f'bx-{compression or "plain"}'
    archive = tar_of({f'{c}/': None, f'{c}/a.txt': b'alpha', f'{c}/sub/b': b'beta', f'./{c}-2/c': b'c'},
                     compression)
    result = extract(call, '', archive, kind)
    assert result == {'Number Files Created': 3, 'Response Status': '201 Created', 'Response Body': '',
                      'Errors': []}
    assert call('GET', f'/{c}/sub/b').body == b'beta'
    assert call('GET', f'/{c}').body == b'a.txt\nsub/b\n'
    assert call('GET', f'/{c}-2/c').body == b'c'


def test_extract_into_a_container_and_prefix(call):
    call('PUT', '/bx-cont')
    result = extract(call, '/bx-cont/pre', tar_of({'x': b'1', 'd/y': b'2'}))
    assert result['Number Files Created'] == 2
    assert call('GET', '/bx-cont').body == b'pre/d/y\npre/x\n'


def test_traversal_and_absolute_entries_are_refused_and_reported(call):
    call('PUT', '/bx-safe')
    archive = tar_of({'../escape': b'no', 'a/../../b': b'no', '/etc/passwd': b'no', 'ok': b'yes'})
    result = extract(call, '/bx-safe', archive)
    assert result['Number Files Created'] == 1 and result['Response Status'] == '400 Bad Request'
    refused = [[name, '400 Bad Request'] for name in ('/etc/passwd', '../escape', 'a/../../b')]
    assert sorted(result['Errors']) == sorted(refused)
    assert call('GET', '/bx-safe').body == b'ok\n'
    assert call('GET', '/escape').status == 404


def test_bad_names_are_reported(call):
    call('PUT', '/bx-names')
    archive = tar_of({'bad\udcffname': b'x', 'nul\x00': b'x', 'fine': b'x'}, format=tarfile.PAX_FORMAT,
                     errors='surrogateescape')
    result = extract(call, '/bx-names', archive)
    assert ['bad%FFname', '412 Precondition Failed'] in result['Errors']
    listing = call('GET', '/bx-names').body       # (tar cuts a name at NUL: 'nul' is stored, if anything)
    assert b'fine\n' in listing and b'\x00' not in listing and b'bad' not in listing


def test_top_level_files_under_an_account_are_refused(call):
    result = extract(call, '', tar_of({'loose-file': b'x'}))
    assert result['Errors'] == [['loose-file', '400 Bad Request']]


def test_broken_archives(call):
    good = tar_of({'c/o': b'x' * 5000}, 'gz')
    for archive, kind in ((b'not a tar at all' * 100, 'tar'), (good[:len(good) // 2], 'tar.gz'),
                          (b'\x1f\x8b' + b'\x00' * 50, 'tar.gz'), (b'BZh9' + b'\xff' * 40, 'tar.bz2'),
                          (b'', 'tar')):
        result = extract(call, '/bx-broken', archive, kind)
        assert result['Response Status'] == '400 Bad Request', (kind, result)
        assert result['Response Body'].startswith('Invalid Tar File')


@pytest.mark.parametrize('kind', ['zip', '', 'tar.xz', '%00', '%ff'])
def test_unknown_formats_are_400(call, kind):
    ans = call('PUT', f'/bx?extract-archive={kind}', body=tar_of({'a/b': b'x'}))
    assert ans.status == 400, ans


def test_without_write_access_every_entry_fails(call):
    call('PUT', '/bx-ro')
    result = extract(call, '/bx-ro', tar_of({'a': b'1', 'b': b'2'}), who='tester3')
    assert result['Number Files Created'] == 0
    assert result['Errors'] == [['bx-ro/a', '403 Forbidden'], ['bx-ro/b', '403 Forbidden']]


def test_an_invalid_token_stops_at_the_first_401(port):
    ans = send(port, 'PUT', '/v1/AUTH_test/bx-anon?extract-archive=tar', [('X-Auth-Token', 'AUTH_tkbogus'),
                                                                          ('Accept', 'application/json')],
               tar_of({'a': b'1', 'b': b'2'}))
    result = json.loads(ans.body)
    assert result['Response Status'] == '401 Unauthorized' and len(result['Errors']) == 1


def test_a_tar_bomb_of_containers_stops_at_the_limit(cluster, tmp_path):
    from .devcluster_fixture import start_cluster
    small = start_cluster(tmp_path / 'small', proxy_settings={'max_containers_per_extraction': '2',
                                                              'max_failed_extractions': '3'})
    try:
        token, _ = auth_token(small.proxy_port)
        names = {f'bomb{n}/o': b'x' for n in range(5)}
        ans = send(small.proxy_port, 'PUT', '/v1/AUTH_test?extract-archive=tar',
                   [('X-Auth-Token', token), ('Accept', 'application/json')], tar_of(names))
        result = json.loads(ans.body)
        assert result['Response Status'] == '400 Bad Request'
        assert result['Response Body'] == 'More than 2 containers to create from tar.'
        assert result['Number Files Created'] == 2
        bad = {f'../x{n}': b'x' for n in range(10)}
        ans = send(small.proxy_port, 'PUT', '/v1/AUTH_test/c?extract-archive=tar',
                   [('X-Auth-Token', token), ('Accept', 'application/json')], tar_of(bad))
        assert len(json.loads(ans.body)['Errors']) == 3
    finally:
        small.stop()


def test_an_entry_over_the_object_size_limit_is_413(call):
    member = tarfile.TarInfo('huge')
    member.size = 6 * 1024 ** 3         # declared only: the header says 6 GiB, the data is cut short
    call('PUT', '/bx-huge')
    result = extract(call, '/bx-huge', member.tobuf() + b'\x00' * 1024, accept='application/json')
    assert result['Errors'] == [['bx-huge/huge', '413 Request Entity Too Large']]
    assert result['Response Status'] == '400 Bad Request'       # and then the archive ends too soon
    assert call('HEAD', '/bx-huge/huge').status == 404


@pytest.mark.parametrize('accept', ['application/xml', 'text/xml'])
def test_extract_answers_in_xml(call, accept):
    body = extract(call, '/bx-xml', tar_of({'../no': b'x'}), accept=accept)
    tree = minidom.parseString(body)
    assert tree.documentElement.tagName == 'extract'
    assert tree.getElementsByTagName('response_status')[0].firstChild.data == '400 Bad Request'
    assert tree.getElementsByTagName('name')[0].firstChild.data == '../no'


def test_extract_answers_in_plain_text_by_default(call):
    ans = call('PUT', '/bx-plain?extract-archive=tar', body=tar_of({'a': b'x'}))
    assert ans.headers['content-type'].startswith('text/plain')
    assert ans.body == b'Number Files Created: 1\nResponse Body: \nResponse Status: 201 Created\nErrors:\n'


# -- bulk delete ----------------------------------------------------------------------------

def bulk_delete(call, lines: list[str], accept: str = 'application/json', method: str = 'POST', **kw):
    ans = call(method, '?bulk-delete', [('Accept', accept), ('Content-Type', 'text/plain')],
               '\n'.join(lines).encode('latin-1'), **kw)
    assert ans.status == 200, ans
    return json.loads(ans.body) if accept == 'application/json' else ans.body


def test_bulk_delete_objects_and_containers(call):
    call('PUT', '/bd')
    for name in ('a', 'b c', 'é'):
        call('PUT', '/bd/' + quote(name), body=b'x')
    lines = ['/bd/a', quote('bd/b c'), quote('bd/é'), 'bd/missing', '', 'bd']
    result = bulk_delete(call, lines)
    assert result == {'Number Deleted': 4, 'Number Not Found': 1, 'Response Status': '200 OK',
                      'Response Body': '', 'Errors': []}
    assert call('HEAD', '/bd').status == 404


def test_bulk_delete_reports_failures(call):
    call('PUT', '/bd-full')
    call('PUT', '/bd-full/o', body=b'x')
    result = bulk_delete(call, ['bd-full', '%ff', '%00x', 'x' * 2000, '/', 'bd-full/o'], method='DELETE')
    assert result['Number Deleted'] == 1 and result['Response Status'] == '400 Bad Request'
    assert result['Errors'][0] == ['bd-full', '409 Conflict']
    assert [status for _, status in result['Errors'][1:]] == [
        '412 Precondition Failed', '412 Precondition Failed', '400 Bad Request', '400 Bad Request']


def test_bulk_delete_as_a_reader_is_403_per_item(call):
    call('PUT', '/bd-ro')
    call('PUT', '/bd-ro/o', body=b'x')
    result = bulk_delete(call, ['bd-ro/o'], who='tester3')
    assert result['Errors'] == [['bd-ro/o', '403 Forbidden']]
    assert call('HEAD', '/bd-ro/o').status == 200


def test_bulk_delete_in_xml_as_swifts_functional_suite_reads_it(call):
    call('PUT', '/bd-xml')
    call('PUT', '/bd-xml/o', body=b'x')
    tree = minidom.parseString(bulk_delete(call, ['bd-xml/o'], accept='application/xml', method='DELETE'))
    assert tree.documentElement.tagName == 'delete'
    assert tree.getElementsByTagName('number_deleted')[0].firstChild.data == '1'
    assert tree.getElementsByTagName('response_status')[0].firstChild.data == '200 OK'


def test_too_many_deletes_is_413(cluster, tmp_path):
    from .devcluster_fixture import start_cluster
    small = start_cluster(tmp_path / 'small', proxy_settings={'max_deletes_per_request': '3'})
    try:
        token, _ = auth_token(small.proxy_port)
        ans = send(small.proxy_port, 'POST', '/v1/AUTH_test?bulk-delete', [('X-Auth-Token', token)],
                   b'a/1\nb/2\nc/3\nd/4\n')
        assert ans.status == 413
        ans = send(small.proxy_port, 'POST', '/v1/AUTH_test?bulk-delete', [('X-Auth-Token', token)],
                   b'x' * 10_000_000)
        assert ans.status == 413
    finally:
        small.stop()


def test_a_bulk_delete_outside_an_account_is_400(port, tokens):
    for path in ('/v1?bulk-delete', '/v2/AUTH_test?bulk-delete', '/v1/%ff?bulk-delete'):
        ans = send(port, 'POST', path, [('X-Auth-Token', tokens['owner'])], b'c/o')
        assert ans.status in (400, 412), (path, ans)

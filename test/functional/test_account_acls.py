"""Account ACLs (X-Account-Access-Control) through a whole cluster: who may
set them, what each level lets another user do, who sees the ACL, and the
refusals of malformed values (invalid JSON, unknown keys, wrong types,
invalid UTF-8, NUL, control characters, oversized)."""

from __future__ import annotations

import json

import pytest

from .hostile import LogMarks, auth_token, send

ACL = 'X-Account-Access-Control'


@pytest.fixture(scope='module')
def port(cluster):
    marks = LogMarks.now(cluster.logs)
    yield cluster.proxy_port
    assert marks.new_tracebacks() == {}


@pytest.fixture(scope='module')
def tokens(port):
    """Tokens of the owner (test:tester), a non-admin of the same account
    (test:tester3), a user of another account (test2:tester2), the reseller admin."""
    return {name: auth_token(port, user, key)[0] for name, user, key in (
        ('owner', 'test:tester', 'testing'), ('tester3', 'test:tester3', 'testing3'),
        ('other', 'test2:tester2', 'testing2'), ('reseller', 'admin:admin', 'admin'))}


@pytest.fixture
def call(port, tokens):
    def do(who: str, method: str, path: str = '', headers=(), body: bytes = b''):
        return send(port, method, '/v1/AUTH_test' + path, [('X-Auth-Token', tokens[who]), *headers], body)
    return do


@pytest.fixture(autouse=True)
def no_acl(call):
    assert call('owner', 'POST', headers=[(ACL, '{}')]).status == 204
    yield
    assert call('owner', 'POST', headers=[(ACL, '{}')]).status == 204


def set_acl(call, acl: dict, who: str = 'owner') -> None:
    ans = call(who, 'POST', headers=[(ACL, json.dumps(acl))])
    assert ans.status == 204, ans


def test_info_says_account_acls(port):
    ans = send(port, 'GET', '/info')
    assert json.loads(ans.body)['tempauth'] == {'account_acls': True}


def test_owner_sets_and_reads_the_acl_in_normal_form(call):
    ans = call('owner', 'POST', headers=[(ACL, '{ "read-only" : ["x"], "admin": ["bob"] }')])
    assert ans.status == 204 and ACL.lower() not in ans.headers
    ans = call('owner', 'HEAD')
    assert ans.headers[ACL.lower()] == '{"admin":["bob"],"read-only":["x"]}'
    assert not any('sysmeta' in name for name in ans.headers)
    call('owner', 'POST', headers=[(ACL, '{}')])
    assert ACL.lower() not in call('owner', 'HEAD').headers


def test_without_a_grant_another_user_is_refused(call):
    assert call('tester3', 'GET').status == 403
    assert call('other', 'HEAD').status == 403
    assert call('other', 'PUT', '/acl-c').status == 403


def test_read_only(call):
    call('owner', 'PUT', '/acl-ro')
    call('owner', 'PUT', '/acl-ro/obj', body=b'data')
    set_acl(call, {'read-only': ['test:tester3']})
    ans = call('tester3', 'GET', '/acl-ro')
    assert ans.status == 200 and ans.body == b'obj\n'
    assert call('tester3', 'GET', '/acl-ro/obj').body == b'data'
    ans = call('tester3', 'HEAD')
    assert ans.status == 204 and ACL.lower() not in ans.headers
    for method, path in (('PUT', '/acl-ro/new'), ('DELETE', '/acl-ro/obj'), ('POST', '/acl-ro'),
                         ('PUT', '/acl-ro2'), ('POST', '')):
        assert call('tester3', method, path).status == 403, (method, path)
    assert call('tester3', 'POST', headers=[(ACL, '{"admin":["test:tester3"]}')]).status == 403
    assert ACL.lower() not in call('tester3', 'HEAD').headers


def test_read_write(call):
    set_acl(call, {'read-write': ['test2:tester2']})
    assert call('other', 'PUT', '/acl-rw').status == 201
    assert call('other', 'PUT', '/acl-rw/o', body=b'x').status == 201
    assert call('other', 'POST', '/acl-rw', [('X-Container-Meta-A', 'b')]).status == 204
    assert call('other', 'DELETE', '/acl-rw/o').status == 204
    assert call('other', 'DELETE', '/acl-rw').status == 204
    assert call('other', 'GET').status == 200
    assert call('other', 'POST', headers=[('X-Account-Meta-X', 'y')]).status == 403
    assert call('other', 'POST', headers=[(ACL, '{"admin":["test2:tester2"]}')]).status == 403


def test_admin_acts_as_owner_but_cannot_delete_the_account(call):
    call('owner', 'POST', headers=[('X-Account-Meta-Temp-Url-Key', 'secret')])
    call('owner', 'PUT', '/acl-adm', [('X-Container-Read', 'test2:nobody')])
    set_acl(call, {'admin': ['test2']})         # an account: all its users
    ans = call('other', 'HEAD')
    assert ans.headers[ACL.lower()] == '{"admin":["test2"]}'
    assert ans.headers['x-account-meta-temp-url-key'] == 'secret'
    assert call('other', 'HEAD', '/acl-adm').headers['x-container-read'] == 'test2:nobody'
    assert call('other', 'POST', headers=[('X-Account-Meta-By', 'admin')]).status == 204
    assert call('other', 'DELETE').status == 403
    assert call('other', 'PUT').status == 403
    set_acl(call, {}, who='other')              # may even take its own access back
    assert call('other', 'HEAD').status == 403


def test_read_only_does_not_see_owner_headers(call):
    call('owner', 'POST', headers=[('X-Account-Meta-Temp-Url-Key', 'secret')])
    set_acl(call, {'read-only': ['test:tester3']})
    ans = call('tester3', 'HEAD')
    assert ans.status == 204 and 'x-account-meta-temp-url-key' not in ans.headers


def test_a_user_of_another_account_cannot_set_the_acl(call):
    ans = call('other', 'POST', headers=[(ACL, '{"admin":["test2:tester2"]}')])
    assert ans.status == 403
    assert ACL.lower() not in call('owner', 'HEAD').headers


def test_the_reseller_admin_sets_the_acl_and_may_create_accounts(call, port, tokens):
    set_acl(call, {'read-only': ['test2:tester2']}, who='reseller')
    assert call('other', 'GET').status == 200
    ans = send(port, 'PUT', '/v1/AUTH_newacct', [('X-Auth-Token', tokens['reseller'])])
    assert ans.status in (201, 202), ans
    ans = send(port, 'PUT', '/v1/AUTH_newacct2', [('X-Auth-Token', tokens['owner'])])
    assert ans.status == 403


def test_anonymous_requests_never_use_the_acl(call, port):
    set_acl(call, {'read-only': ['*', 'test:tester3']})
    assert send(port, 'GET', '/v1/AUTH_test').status == 401


@pytest.mark.parametrize('value', [
    'invalid', '[]', '"admin"', '1', 'null', '{"admin": "bob"}', '{"admin": [1]}',
    '{"admin": [["x"]]}', '{"bogus": ["x"]}', '{"admin": ["x"], "read-only": {}}',
    '{"admin": ["a\\u0000b"]}', '{"admin": ["a\\nb"]}', '{"admin": ' + '[' * 3000 + ']' * 3000 + '}',
    '{"admin": [' + '9' * 5000 + ']}', '{"admin": ["x"]', '',
])
def test_malformed_acls_are_400_and_keep_the_old_one(call, value):
    set_acl(call, {'admin': ['bob']})
    ans = call('owner', 'POST', headers=[(ACL, value)])
    if value == '':         # (an empty value removes it, as '{}')
        assert ans.status == 204
        return
    assert ans.status == 400, ans
    assert ACL.lower() not in ans.headers
    assert call('owner', 'HEAD').headers[ACL.lower()] == '{"admin":["bob"]}'


@pytest.mark.parametrize('raw', [b'{"admin": ["\xff"]}', b'{"admin": ["\xc0\x80"]}', b'{"admin": ["a\x00"]}',
                                 b'{"admin": ["\x01"]}'])
def test_raw_bytes_in_the_acl_are_400(call, raw):
    ans = call('owner', 'POST', headers=[(ACL, raw)])
    assert ans.status == 400, ans


def test_utf8_names_are_kept_escaped(call):
    ans = call('owner', 'POST', headers=[(ACL, '{"read-only": ["tést:ü"]}'.encode())])
    assert ans.status == 204
    assert call('owner', 'HEAD').headers[ACL.lower()] == '{"read-only":["t\\u00e9st:\\u00fc"]}'


def test_an_oversized_acl_is_refused(call):
    big = json.dumps({'admin': ['x' * 1000] * 9})
    assert call('owner', 'POST', headers=[(ACL, big)]).status in (400, 431)
    fits = json.dumps({'admin': ['x' * 1000] * 7})
    assert call('owner', 'POST', headers=[(ACL, fits)]).status == 204
    assert call('owner', 'HEAD').headers[ACL.lower()] == fits.replace(' ', '')


def test_the_sysmeta_header_cannot_be_set_directly(call):
    ans = call('owner', 'POST', headers=[('X-Account-Sysmeta-Core-Access-Control', '{"admin":["test2"]}')])
    assert ans.status == 204
    assert call('other', 'HEAD').status == 403


def test_read_write_cannot_set_owner_only_container_headers(call):
    call('owner', 'PUT', '/acl-prot', [('X-Container-Sync-Key', 'secret'), ('X-Container-Read', 'jdoe')])
    set_acl(call, {'read-write': ['test:tester3']})
    headers = [('X-Container-Sync-Key', 'mine'), ('X-Container-Read', 'frank'), ('X-Container-Meta-T', 'v')]
    ans = call('tester3', 'POST', '/acl-prot', headers)
    assert ans.status == 204
    ans = call('owner', 'HEAD', '/acl-prot')
    assert ans.headers['x-container-sync-key'] == 'secret' and ans.headers['x-container-read'] == 'jdoe'
    assert ans.headers['x-container-meta-t'] == 'v'
    assert 'x-container-sync-key' not in call('tester3', 'HEAD', '/acl-prot').headers

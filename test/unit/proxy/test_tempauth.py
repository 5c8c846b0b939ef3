"""tempauth's tokens and authorization decisions, with an injected clock."""

from __future__ import annotations

from webob import Request

from swiftlike.common import env_keys
from swiftlike.common.middleware.tempauth import TempAuth, TempAuthConf, parse_users

USERS = parse_users({'user_test_tester': 'testing .admin', 'user_test_tester3': 'testing3',
                     'user_admin_admin': 'admin .admin .reseller_admin',
                     'user_other_x': 'k http://example.com/v1/AUTH_other'})


def app(environ, start_response):
    start_response('200 OK', [])
    return [b'passed']


def make(now: float = 1000.0) -> tuple[TempAuth, list[float]]:
    clock = [now]
    return TempAuth(app, TempAuthConf(token_life=60), USERS, clock=lambda: clock[0]), clock


def test_users_are_parsed():
    assert USERS['test:tester'].groups == {'.admin'} and USERS['test:tester3'].groups == frozenset()
    assert USERS['other:x'].storage_url == 'http://example.com/v1/AUTH_other'


def test_auth_returns_a_token_that_validates_until_it_expires():
    auth, clock = make()
    resp = Request.blank('/auth/v1.0', headers={'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'}
                         ).get_response(auth)
    token = resp.headers['X-Auth-Token']
    assert resp.status_int == 200 and resp.headers['X-Storage-Url'].endswith('/v1/AUTH_test')
    assert auth.user_of_token(token).name == 'tester'
    clock[0] += 61
    assert auth.user_of_token(token) is None
    expired = Request.blank('/v1/AUTH_test', headers={'X-Auth-Token': token})
    assert expired.get_response(auth).status_int == 401


def test_bad_keys_and_forged_tokens_are_refused():
    auth, _ = make()
    bad = Request.blank('/auth/v1.0', headers={'X-Auth-User': 'test:tester', 'X-Auth-Key': 'nope'})
    assert bad.get_response(auth).status_int == 401
    token = auth.make_token(USERS['test:tester3'], 2000)
    forged = token.replace('tester3', 'tester\u0000')[:-1] + ('0' if token[-1] != '0' else '1')
    assert auth.user_of_token(forged) is None
    other_secret = TempAuth(app, TempAuthConf(secret='another'), USERS)
    assert other_secret.user_of_token(token) is None


def authorize(auth: TempAuth, user: str | None, method: str, path: str, acl: str | None = None) -> int:
    req = Request.blank(path, environ={'REQUEST_METHOD': method})
    if user:
        req.environ[env_keys.REMOTE_GROUPS] = auth.groups(USERS[user])
    if acl is not None:
        req.environ[env_keys.ACL] = acl
    denied = auth.authorize(req)
    return 0 if denied is None else denied.status_int


def test_authorize_owner_admin_reseller_and_acls():
    auth, _ = make()
    assert authorize(auth, 'test:tester', 'PUT', '/v1/AUTH_test/c/o') == 0
    assert authorize(auth, 'test:tester', 'PUT', '/v1/AUTH_test') == 403     # account PUT: resellers only
    assert authorize(auth, 'admin:admin', 'PUT', '/v1/AUTH_test') == 0
    assert authorize(auth, 'test:tester3', 'PUT', '/v1/AUTH_test/c') == 403        # not .admin
    assert authorize(auth, 'test:tester3', 'GET', '/v1/AUTH_test/c/o', 'test:tester3') == 0
    assert authorize(auth, 'test:tester', 'GET', '/v1/AUTH_other/c/o') == 403
    assert authorize(auth, None, 'GET', '/v1/AUTH_test/c/o') == 401
    assert authorize(auth, None, 'GET', '/v1/AUTH_test/c/o', '.r:*') == 0
    assert authorize(auth, None, 'GET', '/v1/AUTH_test/c', '.r:*') == 401           # listing needs .rlistings
    assert authorize(auth, None, 'GET', '/v1/AUTH_test/c', '.r:*,.rlistings') == 0
    assert authorize(auth, None, 'PUT', '/v1/AUTH_test/c/o', '.r:*') == 401
    assert authorize(auth, 'test:tester', 'GET', '/v1/NOPE_test/c/o') == 403


def test_tokens_keys_and_users_with_any_characters_are_refused_not_crashed():
    """hmac.compare_digest raises TypeError for a str with non-ASCII characters;
    tokens and keys are compared as bytes, so junk is a 401, never a 500."""
    auth, _ = make()
    token = auth.make_token(USERS['test:tester'], 2000)
    payload, _, signature = token.rpartition('.')
    for junk in ('\u00e9' * 40, '\u00b2' * 40, 'a' * 39 + '\u00e9', '\x00' * 40, '\udcff' * 40, ''):
        assert auth.user_of_token(f'{payload}.{junk}') is None
        assert auth.user_of_token(f'AUTH_tk{junk}.{signature}') is None
        wire = junk.encode('utf-8', 'surrogatepass').decode('latin-1')     # as a WSGI header holds it
        for headers in ({'X-Auth-Token': f'{payload}.{wire}'},
                        {'X-Auth-User': 'test:tester', 'X-Auth-Key': wire},
                        {'X-Auth-User': wire, 'X-Auth-Key': 'testing'}):
            path = '/v1/AUTH_test' if 'X-Auth-Token' in headers else '/auth/v1.0'
            assert Request.blank(path, headers=headers).get_response(auth).status_int == 401, headers


def test_a_validly_signed_token_of_the_wrong_shape_is_refused():
    import base64
    import json
    auth, _ = make()
    for content in (['test:tester', 'soon'], [['test:tester'], 2000], {'a': 1}, ['test:tester', 2000, 3]):
        payload = base64.urlsafe_b64encode(json.dumps(content).encode())
        assert auth.user_of_token(f'AUTH_tk{payload.decode()}.{auth._sign(payload)}') is None, content

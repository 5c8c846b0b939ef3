"""Signature parsing and validation of temp URLs (swiftlike.common.hmac_sig
and the tempurl filter, over a small fake pipeline)."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from webob import Request, Response

from swiftlike.common import env_keys
from swiftlike.common.hmac_sig import (
    SignatureError,
    first_match,
    parse_digests,
    parse_expires,
    parse_signature,
    tempurl_message,
)
from swiftlike.common.middleware.cache import MemoryCache
from swiftlike.common.middleware.tempurl import Grant, InvalidTempUrl, TempUrl, TempUrlConf, check_ip

NOW = 1_800_000_000


@pytest.mark.parametrize('digest', ['sha1', 'sha256', 'sha512'])
def test_hex_and_base64_signatures(digest):
    mac = hmac.new(b'k', b'm', digest).digest()
    b64 = base64.b64encode(mac).decode()
    for text in (mac.hex(), mac.hex().upper(), f'{digest}:{b64}', f'{digest}:{b64.rstrip("=")}',
                 f'{digest}:' + base64.urlsafe_b64encode(mac).decode().rstrip('=')):
        assert parse_signature(text) == (digest, mac)


@pytest.mark.parametrize('text', [
    '', 'ab' * 19, 'ab' * 21, 'zz' * 20, 'é' * 40, '٣' * 40, 'sha256:', 'sha256:@@@@', 'md5:AAAA',
    'sha1:' + base64.b64encode(b'x' * 19).decode(), 'sha512:' + 'A' * 500, ':' * 3, 'sha1:A=A=',
    '\x00' * 40, 'SHA1:' + base64.b64encode(b'x' * 20).decode(),
])
def test_malformed_signatures(text):
    with pytest.raises(SignatureError):
        parse_signature(text)


def test_allowed_digests():
    assert parse_digests('sha256') == ('sha256',)
    with pytest.raises(SignatureError):
        parse_digests('sha256 md5')
    with pytest.raises(SignatureError):
        parse_signature('ab' * 20, ('sha256',))


@pytest.mark.parametrize('text,value', [('0', 0), ('1800000000', 1_800_000_000), ('007', 7),
                                        ('1970-01-01T00:00:00Z', 0),
                                        ('2026-12-02T10:00:00Z', 1_796_205_600),
                                        ('2024-02-29T23:59:59Z', 1_709_251_199)])
def test_expires(text, value):
    assert parse_expires(text) == value


@pytest.mark.parametrize('text', ['', '-1', '+5', ' 5', '٣٣', '²', '1e9', '9' * 21, '253402300800',
                                  '2026-02-30T10:00:00Z', '2026-13-01T00:00:00Z', '2026-12-02T24:00:00Z',
                                  '2026-12-02T10:00:00', '2026-12-02 10:00:00Z', '٢٠٢٦-12-02T10:00:00Z',
                                  '1969-12-31T23:59:59Z', '2026-12-02T10:00:00Z\n'])
def test_malformed_expires(text):
    with pytest.raises(SignatureError):
        parse_expires(text)


def test_first_match_reports_the_scope():
    keys = [(b'a', 'account'), (b'c', 'container')]
    message = tempurl_message('GET', 5, '/v1/a/c/o')
    signed_by_c = hmac.new(b'c', message.encode(), 'sha1').digest()
    assert first_match(signed_by_c, 'sha1', keys, [message]) == 'container'
    assert first_match(hmac.new(b'x', message.encode(), 'sha1').digest(), 'sha1', keys, [message]) is None


def test_grant_allows_its_object_and_reads_in_scope():
    grant = Grant('AUTH_a', 'c', 'o', 'GET', None, 'container', NOW)
    assert grant.allows('GET', '/v1/AUTH_a/c/o')
    assert grant.allows('GET', '/v1/AUTH_a/c/segment')           # an SLO/DLO segment read
    assert not grant.allows('GET', '/v1/AUTH_a/c2/o')
    assert not grant.allows('GET', '/v1/AUTH_a')                  # never an account listing
    assert not grant.allows('PUT', '/v1/AUTH_a/c/o')
    put = Grant('AUTH_a', 'c', 'o', 'PUT', None, 'account', NOW)
    assert put.allows('PUT', '/v1/AUTH_a/c/o')
    assert not put.allows('GET', '/v1/AUTH_a/c/other')            # a copy source: refused
    assert not put.allows('PUT', '/v1/AUTH_a/c/o2')
    prefixed = Grant('AUTH_a', 'c', 'p/x', 'PUT', 'p/', 'container', NOW)
    assert prefixed.allows('PUT', '/v1/AUTH_a/c/p/y') and not prefixed.allows('PUT', '/v1/AUTH_a/c/q')
    assert not grant.allows('GET', '/v1/AUTH_a/c/\xff')


@pytest.mark.parametrize('ip_range,client,ok', [
    ('127.0.0.1', '127.0.0.1', True), ('10.0.0.0/8', '10.2.3.4', True), ('10.0.0.0/8', '11.0.0.1', False),
    ('::1', '127.0.0.1', False), ('10.0.0.1/8', '10.0.0.1', None), ('x', '1.2.3.4', None),
    ('1.2.3.4', None, False), ('1.2.3.4', 'junk', None),
])
def test_ip_ranges(ip_range, client, ok):
    if ok:
        check_ip(ip_range, client)
    else:
        with pytest.raises(InvalidTempUrl):
            check_ip(ip_range, client)


class MetaApp:
    """The rest of a pipeline: HEAD of /v1/AUTH_a answers the account key;
    anything else asks the authorize callback, then answers 200 'body'."""

    def __init__(self) -> None:
        self.key = 'secret'
        self.key_status = 204
        self.heads = 0
        self.calls: list[tuple[str, str]] = []

    def __call__(self, environ, start_response):
        req = Request(environ)
        if req.method == 'HEAD' and req.path_info in ('/v1/AUTH_a', '/v1/AUTH_a/c'):
            self.heads += 1
            headers = {'X-Account-Meta-Temp-Url-Key': self.key} if req.path_info == '/v1/AUTH_a' else {}
            return Response(status=self.key_status, headers=headers)(environ, start_response)
        self.calls.append((req.method, req.path_info))
        denied = environ[env_keys.AUTHORIZE](req)
        resp = denied or Response(body=b'body', headers={'X-Object-Meta-Hidden': 'h', 'X-Timestamp-Seen':
                                                         environ.get('HTTP_X_TIMESTAMP', '-')})
        return resp(environ, start_response)


def url(method: str, path: str, key: str = 'secret', expires: int = NOW + 60) -> str:
    sig = hmac.new(key.encode(), f'{method}\n{expires}\n{path}'.encode(), hashlib.sha256).hexdigest()
    return f'{path}?temp_url_sig={sig}&temp_url_expires={expires}'


def filter_and_app(**conf: str) -> tuple[TempUrl, MetaApp, dict]:
    app = MetaApp()
    cache = MemoryCache()
    return TempUrl(app, TempUrlConf(**conf), clock=lambda: NOW), app, {env_keys.CACHE: cache}


def test_filter_allows_a_valid_url_and_strips_what_swift_strips():
    tempurl, app, env = filter_and_app()
    resp = Request.blank(url('GET', '/v1/AUTH_a/c/o'), environ=dict(env),
                         headers={'X-Timestamp': '1'}).get_response(tempurl)
    assert resp.status_int == 200 and resp.body == b'body'
    assert 'X-Object-Meta-Hidden' not in resp.headers and resp.headers['X-Timestamp-Seen'] == '-'
    assert resp.headers['Content-Disposition'].startswith('attachment; filename="o"')
    assert app.calls == [('GET', '/v1/AUTH_a/c/o')]


def test_filter_refuses_and_caches_keys():
    tempurl, app, env = filter_and_app()
    for _ in range(3):
        resp = Request.blank(url('GET', '/v1/AUTH_a/c/o'), environ=dict(env)).get_response(tempurl)
        assert resp.status_int == 200
    assert app.heads == 2                                   # account and container, once
    assert Request.blank(url('GET', '/v1/AUTH_a/c/o', key='bad'), environ=dict(env)).get_response(
        tempurl).status_int == 401
    assert Request.blank(url('GET', '/v1/AUTH_a/c/o', expires=NOW - 1), environ=dict(env)).get_response(
        tempurl).status_int == 401
    resp = Request.blank(url('GET', '/v1/AUTH_a/c/o'), environ=dict(env), method='PUT').get_response(tempurl)
    assert resp.status_int == 401 and resp.body == b'401 Unauthorized: Temp URL invalid\n'
    assert not TempUrl(app, TempUrlConf(methods='GET'), clock=lambda: NOW).methods.count('PUT')


def test_filter_passes_requests_without_temp_url_parameters():
    tempurl, app, env = filter_and_app()
    env[env_keys.AUTHORIZE] = lambda req: None
    assert Request.blank('/v1/AUTH_a/c/o?x=1', environ=env).get_response(tempurl).status_int == 200


def test_a_failed_key_lookup_is_not_cached():
    tempurl, app, env = filter_and_app()
    app.key_status = 503
    signed = url('GET', '/v1/AUTH_a/c/o')
    get = Request.blank(signed, environ=dict(env))
    assert get.get_response(tempurl).status_int == 401
    assert '...' in get.environ['QUERY_STRING']           # the access log sees no whole signature
    app.key_status = 204
    assert Request.blank(signed, environ=dict(env)).get_response(tempurl).status_int == 200

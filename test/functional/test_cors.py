"""Cross-origin requests through a whole dev cluster (strict_cors_mode, the
default): preflights answered without a token (200 or 401), CORS headers on
answers to allowed origins only, the container's Max-Age and Expose-Headers,
/info's strict_cors_mode, and hostile Origin, request-method, request-header
and container metadata values."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from .hostile import RAW_HEADER_VALUES, Answer, LogMarks, auth_token, long_value, send


class Api:
    def __init__(self, port: int) -> None:
        self.port = port
        self.token, self.account = auth_token(port)

    def __call__(self, method: str, path: str, headers: dict[str, str | bytes] | None = None,
                 body: bytes = b'', token: bool = True) -> Answer:
        sent = [*(headers or {}).items()] + ([('X-Auth-Token', self.token)] if token else [])
        return send(self.port, method, f'/v1/{self.account}/{path}', sent, body)

    def preflight(self, path: str, origin: str | bytes, method: str | bytes = 'GET', **more: str) -> Answer:
        headers: dict[str, str | bytes] = {'Origin': origin, 'Access-Control-Request-Method': method}
        return self('OPTIONS', path, {**headers, **{k.replace('_', '-'): v for k, v in more.items()}},
                    token=False)


@pytest.fixture(scope='module')
def api(cluster) -> Iterator[Api]:
    a = Api(cluster.proxy_port)
    assert a('PUT', 'open', {'X-Container-Meta-Access-Control-Allow-Origin': '*'}).status in (201, 202)
    assert a('PUT', 'open/cat', {'X-Object-Meta-Color': 'red'}, b'meow').status == 201
    assert a('PUT', 'some', {'X-Container-Meta-Access-Control-Allow-Origin': 'http://a.com https://b.org',
                             'X-Container-Meta-Access-Control-Max-Age': '600',
                             'X-Container-Meta-Access-Control-Expose-Headers': 'X-Custom Bad;Name'}
             ).status in (201, 202)
    assert a('PUT', 'some/o', {}, b'x').status == 201
    assert a('PUT', 'closed').status in (201, 202)
    assert a('PUT', 'closed/o', {}, b'x').status == 201
    marks = LogMarks.now(cluster.logs)
    yield a
    assert marks.new_tracebacks() == {}


def test_info_says_strict_mode(cluster):
    assert json.loads(send(cluster.proxy_port, 'GET', '/info').body)['swift']['strict_cors_mode'] is True


def test_preflights(api):
    got = api.preflight('open/cat', 'http://m.com')
    assert got.status == 200 and got.headers['access-control-allow-origin'] == '*'
    assert 'GET' in got.headers['access-control-allow-methods']
    assert 'access-control-expose-headers' not in got.headers
    assert api('OPTIONS', 'open/cat', {'Origin': 'http://m.com'}, token=False).status == 401
    assert api.preflight('open/cat', 'http://m.com', 'BREW').status == 401
    got = api.preflight('some/o', 'https://b.org', 'PUT',
                        Access_Control_Request_Headers='x-auth-token, X-Foo')
    assert got.status == 200 and got.headers['access-control-allow-origin'] == 'https://b.org'
    assert got.headers['access-control-max-age'] == '600'
    assert got.headers['access-control-allow-headers'] == 'x-auth-token, X-Foo'
    assert api.preflight('some/o', 'http://evil.com').status == 401
    assert api.preflight('closed/o', 'http://a.com').status == 401
    assert api.preflight('missing/o', 'http://a.com').status == 401
    plain = api('OPTIONS', 'open/cat', token=False)
    assert plain.status == 200 and 'GET' in plain.headers['allow']


def test_actual_requests(api):
    got = api('GET', 'open/cat', {'Origin': 'http://m.com'})
    assert got.status == 200 and got.headers['access-control-allow-origin'] == '*'
    assert 'x-object-meta-color' in got.headers['access-control-expose-headers'].split(', ')
    got = api('GET', 'some/o', {'Origin': 'http://a.com'})
    assert got.headers['access-control-allow-origin'] == 'http://a.com'
    exposed = got.headers['access-control-expose-headers'].split(', ')
    assert 'x-custom' in exposed and 'etag' in exposed and 'bad;name' not in exposed
    assert 'access-control-allow-origin' not in api('GET', 'some/o', {'Origin': 'http://evil.com'}).headers
    assert 'access-control-allow-origin' not in api('GET', 'closed/o', {'Origin': 'http://a.com'}).headers
    assert 'access-control-allow-origin' not in api('GET', 'open/cat').headers
    denied = api('GET', 'open/cat', {'Origin': 'http://m.com'}, token=False)
    assert denied.status == 401 and denied.headers['access-control-allow-origin'] == '*'


def test_changed_settings_apply_at_once(api):
    assert api('PUT', 'moving').status in (201, 202)
    assert api('PUT', 'moving/o', {}, b'x').status == 201
    assert api.preflight('moving/o', 'http://c.com').status == 401
    allow = {'X-Container-Meta-Access-Control-Allow-Origin': 'http://c.com'}
    assert api('POST', 'moving', allow).status == 204
    assert api.preflight('moving/o', 'http://c.com').status == 200
    assert api('POST', 'moving', {'X-Remove-Container-Meta-Access-Control-Allow-Origin': 'x'}).status == 204
    assert api.preflight('moving/o', 'http://c.com').status == 401


HOSTILE = [*RAW_HEADER_VALUES, '', 'null', '*', long_value('Origin'), 'http://a.com http://b.com']


@pytest.mark.parametrize('value', HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_origins_and_methods(api, value):
    for got in (api.preflight('some/o', value), api.preflight('some/o', 'http://a.com', value),
                api.preflight('some/o', 'http://a.com', Access_Control_Request_Headers=value),
                api('GET', 'some/o', {'Origin': value})):
        assert got.status in (200, 400, 401, 431), got
    assert 'access-control-allow-origin' not in api('GET', 'some/o', {'Origin': value}).headers


@pytest.mark.parametrize('value', ['²', '-1', '9' * 40, '1e3', ' ', 'x\ty', '*'])
def test_hostile_container_settings(api, value):
    headers = {f'X-Container-Meta-Access-Control-{k}': value for k in ('Max-Age', 'Expose-Headers')}
    assert api('POST', 'some', headers).status == 204
    got = api.preflight('some/o', 'http://a.com')
    assert got.status == 200 and got.headers.get('access-control-max-age', '600') in ('600', value)
    assert api('GET', 'some/o', {'Origin': 'http://a.com'}).status == 200
    api('POST', 'some', {'X-Container-Meta-Access-Control-Max-Age': '600',
                         'X-Container-Meta-Access-Control-Expose-Headers': 'X-Custom Bad;Name'})

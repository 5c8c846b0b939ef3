"""RFC-compliant (quoted) object ETags through a whole dev cluster: off by
default, on per account or per container, a container's false under an
account's true, the setting shown back, and hostile setting values."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest

from .hostile import NUMBERS, RAW_HEADER_VALUES, Answer, LogMarks, auth_token, send

MD5 = hashlib.md5(b'body').hexdigest()


class Api:
    def __init__(self, port: int, user: str = 'test:tester', key: str = 'testing') -> None:
        self.port = port
        self.token, self.account = auth_token(port, user, key)

    def __call__(self, method: str, path: str, headers: dict[str, str | bytes] | None = None,
                 body: bytes = b'') -> Answer:
        return send(self.port, method, f'/v1/{self.account}' + (f'/{path}' if path else ''),
                    [('X-Auth-Token', self.token), *(headers or {}).items()], body)


@pytest.fixture(scope='module')
def api(cluster) -> Iterator[Api]:
    a = Api(cluster.proxy_port, 'test2:tester2', 'testing2')
    for name in ('bare', 'quoted', 'unquoted'):
        assert a('PUT', name).status in (201, 202)
        assert a('PUT', f'{name}/o', {}, b'body').status == 201
    marks = LogMarks.now(cluster.logs)
    yield a
    assert marks.new_tracebacks() == {}


def test_info_lists_etag_quoter(cluster):
    info = json.loads(send(cluster.proxy_port, 'GET', '/info').body)
    assert info['etag_quoter'] == {'enable_by_default': False}


def test_off_by_default_on_per_container(api):
    assert api('GET', 'bare/o').headers['etag'] == MD5
    assert api('POST', 'quoted', {'X-Container-Rfc-Compliant-Etags': 'true'}).status == 204
    for method in ('GET', 'HEAD'):
        assert api(method, 'quoted/o').headers['etag'] == f'"{MD5}"'
    assert api('PUT', 'quoted/p', {}, b'body').headers['etag'] == f'"{MD5}"'
    assert api('HEAD', 'quoted').headers['x-container-rfc-compliant-etags'] == 'true'
    assert api('GET', 'quoted/o', {'If-None-Match': f'"{MD5}"'}).status == 304


def test_account_setting_and_container_opt_out(api):
    assert api('POST', 'unquoted', {'X-Container-Rfc-Compliant-Etags': 'false'}).status == 204
    assert api('POST', '', {'X-Account-Rfc-Compliant-Etags': 'yes'}).status == 204
    try:
        assert api('HEAD', '').headers['x-account-rfc-compliant-etags'] == 'true'
        assert api('GET', 'bare/o').headers['etag'] == f'"{MD5}"'
        assert api('GET', 'unquoted/o').headers['etag'] == MD5
    finally:
        assert api('POST', '', {'X-Account-Rfc-Compliant-Etags': ''}).status == 204
    assert api('GET', 'bare/o').headers['etag'] == MD5


def test_container_meta_form(api):
    assert api('PUT', 'meta').status in (201, 202)
    assert api('PUT', 'meta/o', {}, b'body').status == 201
    assert api('POST', 'meta', {'X-Container-Meta-Rfc-Compliant-Etags': 'true'}).status == 204
    assert api('GET', 'meta/o').headers['etag'] == f'"{MD5}"'


@pytest.mark.parametrize('value', [*RAW_HEADER_VALUES, *NUMBERS[:8], 'maybe', 'x' * 5000])
def test_hostile_setting_values(api, value):
    got = api('POST', 'bare', {'X-Container-Rfc-Compliant-Etags': value})
    assert got.status in (204, 400), got
    assert api('GET', 'bare/o').status == 200
    api('POST', 'bare', {'X-Container-Rfc-Compliant-Etags': ''})


def test_clients_cannot_set_the_sysmeta(api):
    assert api('POST', 'bare', {'X-Container-Sysmeta-Rfc-Compliant-Etags': 'true'}).status == 204
    assert api('GET', 'bare/o').headers['etag'] == MD5

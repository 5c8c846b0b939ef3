"""Unit tests of the pure parts of symlink, staticweb, domain_remap and cors:
header parsing, listing rows, the HTML page and host-to-path mapping, with
hostile values (a fake app stands in for the rest of the pipeline)."""

from __future__ import annotations

from typing import Any

import pytest
from webob import Request, Response

from swiftlike.common import env_keys
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.middleware.cors import Cors, CorsConf
from swiftlike.common.middleware.domain_remap import DomainRemap, DomainRemapConf
from swiftlike.common.symlink_meta import TARGET, TARGET_ACCOUNT, TARGET_ETAG, listing_entry, parse_target
from swiftlike.common.web_listing import css_href, human_size, render


def seen_path(conf: DomainRemapConf, host: str | bytes, path: str = '/', **headers: str) -> tuple[int, str]:
    """(status, PATH_INFO the app saw or '')."""
    seen: dict[str, Any] = {}

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        seen.update(environ)
        return Response(b'ok')(environ, start_response)
    req = Request.blank(path, headers=headers)
    req.environ['HTTP_HOST'] = host.decode('latin-1') if isinstance(host, bytes) else host
    resp = req.get_response(DomainRemap(app, conf))
    return resp.status_int, seen.get('PATH_INFO', '')


@pytest.mark.parametrize('host, path, expected', [
    ('c.auth-test.example.com', '/o', '/v1/AUTH_test/c/o'),
    ('AUTH_test.Example.COM:8080', '/c', '/v1/AUTH_test/c'),
    ('auth-test.example.com', '/', '/v1/AUTH_test'),
    ('c.auth_test.example.com', '//v1', '/v1/AUTH_test/c//v1'),
    ('example.com', '/v1/a', '/v1/a'),
    ('evil-example.com', '/v1/a', '/v1/a'),
    ('d\xc3\xa9.auth-test.example.com', '/o', '/v1/AUTH_test/d\xc3\xa9/o'),
])
def test_domain_remap_paths(host, path, expected):
    assert seen_path(DomainRemapConf(), host, path) == (200, expected)


@pytest.mark.parametrize('host', [b'a.b.auth-test.example.com', b'\xff.example.com', b'a%2fb.example.com',
                                  b'a/b.auth-test.example.com', b'\x00.example.com', b'.example.com'])
def test_domain_remap_refuses_bad_hosts(host):
    assert seen_path(DomainRemapConf(), host)[0] in (400, 404)


def test_domain_remap_leaves_s3_and_unknown_prefixes():
    conf = DomainRemapConf()
    assert seen_path(conf, 'b.auth-test.example.com', '/k', Authorization='AWS4-HMAC-SHA256 x') == (200, '/k')
    assert seen_path(conf, 'nobody.example.com')[0] == 404
    assert seen_path(DomainRemapConf(default_reseller_prefix='AUTH'), 'nobody.example.com') == \
        (200, '/v1/AUTH_nobody')


@pytest.mark.parametrize('headers', [
    {TARGET: 'no-slash'}, {TARGET: '/o'}, {TARGET: 'c/'}, {TARGET: '\xff/o'}, {TARGET: 'c/%00'},
    {TARGET: 'c/' + 'o' * 1025}, {TARGET: 'c/o', TARGET_ACCOUNT: 'a/b'}, {TARGET: 'c/o', TARGET_ACCOUNT: ''},
    {TARGET: 'c/o', TARGET_ETAG: 'a;b'}, {TARGET: 'c/o', TARGET_ETAG: ''},
    {TARGET: 'c/o', TARGET_ETAG: '\xb2'},
])
def test_parse_target_refuses(headers):
    with pytest.raises(ConstraintError) as err:
        parse_target(headers)
    assert err.value.status in (400, 412)


def test_listing_entry_survives_hostile_params():
    row = {'hash': 'e; symlink_target=c/o; symlink_target_etag=x; symlink_target_bytes=²'}
    assert listing_entry(row, 'v1', 'AUTH_a')['symlink_bytes'] == 0
    assert listing_entry({'hash': 'plain'}, 'v1', 'a') == {'hash': 'plain'}
    assert listing_entry({'hash': None}, 'v1', 'a') == {'hash': None}


def test_render_escapes_names_and_labels():
    page = render([{'name': 'p/<b>&"x', 'bytes': 2048, 'content_type': 'a"/b<', 'last_modified': '<t>'},
                   {'subdir': 'p/"s"/'}, {'bad': 1}], label='<l>', prefix='p/', css='"x.css')
    assert '<b>' not in page and '<l>' not in page and '<t>' not in page
    assert '<a href="./%3Cb%3E%26%22x">&lt;b&gt;&amp;&quot;x</a>' in page
    assert 'href="../%22x.css"' in page and '2K' in page
    assert css_href('http://h/s.css', 'a/b/') == 'http://h/s.css' and human_size(0) == '0'


def test_cors_preflight_without_container_uses_operator_origins():
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        return Response(status=404)(environ, start_response)
    cors = Cors(app, CorsConf(cors_allow_origin='https://ok.example'))
    for origin, status in (('https://ok.example', 200), ('https://no.example', 401)):
        req = Request.blank('/v1/AUTH_a', method='OPTIONS',
                            headers={'Origin': origin, 'Access-Control-Request-Method': 'GET'})
        req.environ[env_keys.CACHE] = None
        assert req.get_response(cors).status_int == status

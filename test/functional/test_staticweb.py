"""Static web sites through a whole dev cluster: index pages, HTML listings
(with a style sheet and a label), error pages, directory markers, the
trailing-slash redirect, X-Web-Mode for authenticated clients, anonymous
access only where the read ACL allows it (checked with curl too), and
hostile values of the headers, paths and metadata it reads."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from .hostile import RAW_HEADER_VALUES, RAW_QUERY_VALUES, Answer, LogMarks, auth_token, send


class Site:
    def __init__(self, port: int) -> None:
        self.port = port
        self.token, self.account = auth_token(port)

    def owner(self, method: str, path: str, headers: dict[str, str] | None = None,
              body: bytes = b'') -> Answer:
        return send(self.port, method, f'/v1/{self.account}/{path}',
                    [('X-Auth-Token', self.token), *(headers or {}).items()], body)

    def anon(self, path: str, method: str = 'GET', headers: dict[str, str | bytes] | None = None) -> Answer:
        return send(self.port, method, f'/v1/{self.account}/{path}', list((headers or {}).items()))

    def meta(self, container: str, **values: str) -> None:
        headers = {f'X-Container-Meta-Web-{k.replace("_", "-")}': v for k, v in values.items()}
        assert self.owner('POST', container, headers).status == 204


def curl(url: str, *args: str) -> tuple[int, str, str]:
    """(status, headers, body) as curl gets them."""
    out = subprocess.run(['curl', '-s', '-i', '--globoff', *args, url], capture_output=True,
                         timeout=30, check=True).stdout.decode()
    head, _, body = out.rpartition('\r\n\r\n') if '-L' in args else out.partition('\r\n\r\n')
    return int(head.split()[1]), head.lower(), body


@pytest.fixture(scope='module')
def site(cluster) -> Iterator[Site]:
    s = Site(cluster.proxy_port)
    assert s.owner('PUT', 'web', {'X-Container-Read': '.r:*,.rlistings'}).status in (201, 202)
    for name, body in (('index.html', b'<p>home</p>'), ('404error.html', b'not here'),
                       ('style.css', b'h1 {}'), ('docs/index.html', b'docs home'),
                       ('docs/a.txt', b'a'), ('pics/x.png', b'png'), ('a&b<c>.txt', b'odd')):
        assert s.owner('PUT', f'web/{name}', {'Content-Type': 'text/html'}, body).status == 201
    assert s.owner('PUT', 'web/pics', {'Content-Type': 'application/directory'}).status == 201
    assert s.owner('PUT', 'private').status in (201, 202)
    assert s.owner('PUT', 'private/index.html', {}, b'secret').status == 201
    s.meta('private', index='index.html', listings='true')
    assert s.owner('PUT', 'noweb', {'X-Container-Read': '.r:*'}).status in (201, 202)
    assert s.owner('PUT', 'noweb/o', {}, b'plain').status == 201
    marks = LogMarks.now(cluster.logs)
    yield s
    assert marks.new_tracebacks() == {}


def test_info_lists_staticweb(cluster):
    assert 'staticweb' in json.loads(send(cluster.proxy_port, 'GET', '/info').body)


def test_index_pages_and_the_slash_redirect(site):
    site.meta('web', index='index.html', listings='', error='')
    got = site.anon('web')
    assert got.status == 301 and got.headers['location'].endswith(f'/v1/{site.account}/web/')
    assert site.anon('web/').body == b'<p>home</p>'
    assert site.anon('web/docs/').body == b'docs home'
    got = site.anon('web/docs')
    assert got.status == 301 and got.headers['location'].endswith('/web/docs/')
    assert site.anon('web/pics/').status == 404           # no index there, listings off
    assert site.anon('web/docs/a.txt').body == b'a'
    assert site.anon('web/', 'HEAD').status == 200


def test_listings_css_and_label(site):
    site.meta('web', index='', listings='true', listings_css='style.css', listings_label='')
    page = site.anon('web/').body.decode()
    assert f'Listing of /v1/{site.account}/web/' in page
    assert '<a href="./docs/">docs/</a>' in page and '<a href="./index.html">index.html</a>' in page
    assert '<a href="./a%26b%3Cc%3E.txt">a&amp;b&lt;c&gt;.txt</a>' in page
    assert 'href="style.css"' in page and 'docs/a.txt' not in page
    sub = site.anon('web/docs/').body.decode()
    assert '<a href="./a.txt">a.txt</a>' in sub and 'href="../style.css"' in sub and 'href="../"' in sub
    site.meta('web', listings_label='My <Site>')
    assert 'Listing of My &lt;Site&gt;/docs/' in site.anon('web/docs/').body.decode()
    assert site.anon('web/nothing/').status == 404


def test_error_pages_and_directory_markers(site):
    site.meta('web', index='index.html', listings='', error='error.html')
    got = site.anon('web/missing.html')
    assert (got.status, got.body) == (404, b'not here')
    got = site.anon('web/pics')                            # a directory marker is no page
    assert got.status in (301, 404)
    site.meta('web', error='')
    assert site.anon('web/missing.html').status == 404


def test_authenticated_clients_need_web_mode(site):
    site.meta('web', index='index.html', listings='true')
    listing = site.owner('GET', 'web/')
    assert listing.status == 200 and b'index.html\n' in listing.body and b'<html' not in listing.body
    assert site.owner('GET', 'web/', {'X-Web-Mode': 'true'}).body == b'<p>home</p>'
    assert site.owner('GET', 'noweb', {'X-Web-Mode': 'true'}).status == 404
    assert site.owner('GET', 'noweb', {'X-Web-Mode': 'false'}).status == 200


def test_anonymous_access_follows_the_acl(site):
    assert site.anon('private/').status == 401
    assert site.anon('private/index.html').status == 401
    assert site.anon('noweb').status == 401                # .r:* without .rlistings: no listing
    assert site.anon('noweb/o').body == b'plain'
    assert site.owner('PUT', 'web/x', {}, b'y').status == 201
    assert site.anon('web/x', 'PUT').status == 401
    assert site.anon('web/x', 'DELETE').status == 401


def test_with_curl(site, cluster):
    site.meta('web', index='index.html', listings='true', error='error.html')
    base = f'http://127.0.0.1:{cluster.proxy_port}/v1/{site.account}'
    status, headers, _ = curl(f'{base}/web')
    assert status == 301 and f'location: http://127.0.0.1:{cluster.proxy_port}/v1/' in headers
    assert curl(f'{base}/web/')[2] == '<p>home</p>'
    assert curl(f'{base}/web/', '-L')[0] == 200
    status, _, body = curl(f'{base}/web/nope')
    assert (status, body) == (404, 'not here')
    assert curl(f'{base}/private/')[0] == 401
    assert curl(f'{base}/web/', '-H', f'X-Auth-Token: {site.token}')[2].startswith('404error.html\n')


@pytest.mark.parametrize('value', [*RAW_HEADER_VALUES, 'TRUE', 'yes', '1' * 9000])
def test_hostile_web_mode_values(site, value):
    got = site.owner('GET', 'web/', {'X-Web-Mode': value})
    assert got.status in (200, 400, 431), got


@pytest.mark.parametrize('value', ['../../other/x', '"><script>', '%00', 'a' * 200, '/index.html',
                                   'ünï', 'x?y#z'])
def test_hostile_metadata_values(site, value):
    site.meta('web', index=value, listings='true', listings_css=value, listings_label=value, error=value,
              directory_type=value)
    for path in ('web/', 'web/docs/', 'web/missing', 'web/docs'):
        got = site.anon(path)
        assert 200 <= got.status < 500, (path, got)
        assert b'<script>' not in got.body
    site.meta('web', index='', listings='', listings_css='', listings_label='', error='', directory_type='')


@pytest.mark.parametrize('path', ['web/%ff/', 'web/%00/', 'web/' + 'd/' * 600, 'web/%C0%80',
                                  *(f'web/?{q}' for q in RAW_QUERY_VALUES)])
def test_hostile_paths(site, path):
    site.meta('web', listings='true')
    got = site.anon(path)
    assert 200 <= got.status < 500, (path, got)


def test_utf8_index_and_css_names(site):
    assert site.owner('PUT', 'uni', {'X-Container-Read': '.r:*,.rlistings'}).status in (201, 202)
    assert site.owner('PUT', 'uni/%C3%ADndex.html', {}, b'utf8 home').status == 201
    headers = {'X-Container-Meta-Web-Index': 'índex.html'.encode(), 'X-Container-Meta-Web-Listings': 'true',
               'X-Container-Meta-Web-Listings-Css': 'stÿle.css'.encode()}
    assert send(site.port, 'POST', f'/v1/{site.account}/uni', [('X-Auth-Token', site.token), *headers.items()]
                ).status == 204
    assert site.anon('uni/').body == b'utf8 home'
    assert site.owner('DELETE', 'uni/%C3%ADndex.html').status == 204
    assert 'href="st%C3%BFle.css"' in site.anon('uni/').body.decode()


def test_a_private_site_is_401_before_any_redirect(site):
    assert site.anon('private').status == 401
    assert site.anon('private/').status == 401


def test_prefix_temp_url_reaches_a_private_site(site):
    import hashlib
    import hmac
    import time
    site.meta('private', index='', listings='true')
    assert site.owner('POST', 'private', {'X-Container-Meta-Temp-URL-Key': 'sekrit'}).status == 204
    expires = int(time.time() + 600)
    message = f'GET\n{expires}\nprefix:/v1/{site.account}/private/'
    sig = hmac.new(b'sekrit', message.encode(), hashlib.sha256).hexdigest()
    query = f'temp_url_prefix=&temp_url_expires={expires}&temp_url_sig={sig}'
    assert site.anon('private/').status == 401
    got = site.anon(f'private/?{query}')
    assert got.status == 200, got
    link = f'<a href="./index.html?temp_url_prefix=&amp;temp_url_expires={expires}&amp;temp_url_sig={sig}">'
    assert link in got.body.decode()
    assert site.anon(f'private/index.html?{query}').body == b'secret'
    assert site.anon(f'private/?{query.replace(sig[:6], "000000")}').status == 401
    assert site.anon(f'private/?{query}&inline"><script>').status in (200, 401)
    assert site.owner('PUT', 'private/d/e/f', {}, b'deep').status == 201
    message = f'GET\n{expires}\nprefix:/v1/{site.account}/private/d/'
    dsig = hmac.new(b'sekrit', message.encode(), hashlib.sha256).hexdigest()
    limited = f'temp_url_prefix=d/&temp_url_expires={expires}&temp_url_sig={dsig}'
    top = site.anon(f'private/d/?{limited}').body.decode()
    assert 'Listing of' in top and 'href="../' not in top          # its parent is out of reach
    assert 'href="../' in site.anon(f'private/d/e/?{limited}').body.decode()
    assert site.anon(f'private/?{limited}').status == 401
    site.meta('private', listings='')                     # no site: the temp URL lists nothing
    for path in ('private', 'private/'):
        got = site.anon(f'{path}?{query}')
        assert got.status == 401 and 'x-container-meta-temp-url-key' not in got.headers
    site.meta('private', index='index.html', listings='true')

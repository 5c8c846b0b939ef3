"""Symbolic links through a whole dev cluster: dynamic and static links,
chains and loops, ``?symlink=get``, POST's redirect, copies of links and of
their targets, container listings, another account's target, and hostile
values of every X-Symlink-* header and of the symlink query parameter."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator

import pytest

from .hostile import (
    NUMBERS,
    RAW_HEADER_VALUES,
    RAW_QUERY_VALUES,
    Answer,
    LogMarks,
    auth_token,
    long_value,
    send,
)

EMPTY = hashlib.md5(b'').hexdigest()
BODY = b'the target body, 36 bytes long....!'


class Client:
    def __init__(self, port: int, user: str = 'test:tester', key: str = 'testing') -> None:
        self.port = port
        self.token, self.account = auth_token(port, user, key)

    def __call__(self, method: str, path: str, headers: dict[str, str | bytes] | None = None,
                 body: bytes = b'', query: str = '') -> Answer:
        target = f'/v1/{self.account}/{path}' + (f'?{query}' if query else '')
        return send(self.port, method, target, [('X-Auth-Token', self.token), *(headers or {}).items()], body)


@pytest.fixture(scope='module')
def c(cluster) -> Iterator[Client]:
    client = Client(cluster.proxy_port)
    for name in ('tgt', 'links', 'loop'):
        assert client('PUT', name).status in (201, 202)
    assert client('PUT', 'tgt/obj', {'Content-Type': 'application/target'}, BODY).status == 201
    marks = LogMarks.now(cluster.logs)
    yield client
    assert marks.new_tracebacks() == {}


def link(c: Client, name: str, target: str, **headers: str) -> Answer:
    return c('PUT', f'links/{name}', {'X-Symlink-Target': target, **headers})


def test_info_lists_symlink(cluster):
    info = json.loads(send(cluster.proxy_port, 'GET', '/info').body)
    assert info['symlink'] == {'symloop_max': 2, 'static_links': True}


def test_get_and_head_follow_a_link(c):
    assert link(c, 'dyn', 'tgt/obj').status == 201
    got = c('GET', 'links/dyn')
    assert (got.status, got.body) == (200, BODY)
    assert got.headers['content-location'] == f'/v1/{c.account}/tgt/obj'
    assert got.headers['etag'].strip('"') == hashlib.md5(BODY).hexdigest()
    head = c('HEAD', 'links/dyn')
    assert head.status == 200 and head.headers['content-length'] == str(len(BODY))
    ranged = c('GET', 'links/dyn', {'Range': 'bytes=4-9'})
    assert (ranged.status, ranged.body) == (206, BODY[4:10])
    assert c('GET', 'links/dyn', {'If-None-Match': hashlib.md5(BODY).hexdigest()}).status == 304
    assert c('GET', 'links/dyn', {'If-Match': 'nope'}).status == 412


def test_symlink_get_answers_with_the_link_itself(c):
    assert link(c, 'self', 'tgt/obj').status == 201
    for method in ('GET', 'HEAD'):
        got = c(method, 'links/self', query='symlink=get')
        assert got.status == 200 and got.headers['x-symlink-target'] == 'tgt/obj'
        assert got.headers['content-length'] == '0' and got.headers['etag'].strip('"') == EMPTY
        assert 'content-location' not in got.headers
        assert not any('sysmeta' in k for k in got.headers)
    assert c('GET', 'links/self', query='symlink=get').headers['content-type'] == 'application/symlink'


def test_broken_link_is_404_with_its_location(c):
    assert link(c, 'broken', 'tgt/missing').status == 201
    for method in ('GET', 'HEAD'):
        got = c(method, 'links/broken')
        assert got.status == 404
        assert got.headers['content-location'] == f'/v1/{c.account}/tgt/missing'


def test_chains_follow_up_to_the_limit_and_loops_are_409(c):
    assert c('PUT', 'loop/l1', {'X-Symlink-Target': 'tgt/obj'}).status == 201
    assert c('PUT', 'loop/l2', {'X-Symlink-Target': 'loop/l1'}).status == 201
    assert c('PUT', 'loop/l3', {'X-Symlink-Target': 'loop/l2'}).status == 201
    assert c('GET', 'loop/l2').body == BODY
    got = c('GET', 'loop/l3')
    assert (got.status, got.body) == (409, b'Too many levels of symbolic links, maximum allowed is 2')
    assert (c('HEAD', 'loop/l3').status, c('HEAD', 'loop/l3').body) == (409, b'')
    assert c('PUT', 'loop/a', {'X-Symlink-Target': 'loop/b'}).status == 201
    assert c('PUT', 'loop/b', {'X-Symlink-Target': 'loop/a'}).status == 201
    assert c('GET', 'loop/a').status == 409
    assert c('GET', 'loop/a', query='symlink=get').status == 200


def test_put_refusals(c):
    bad_form = b'X-Symlink-Target header must be of the form <container name>/<object name>'
    for target in ('obj', '/obj', 'c/', '', '%2F'):
        got = link(c, 'bad', target)
        assert (got.status, got.body) == (412, bad_form), target
    got = c('PUT', 'links/bad', {'X-Symlink-Target': 'tgt/obj'}, b'data')
    assert (got.status, got.body) == (400, b'Symlink requests require a zero byte body')
    got = c('PUT', 'links/chunky', {'X-Symlink-Target': 'tgt/obj', 'Transfer-Encoding': 'chunked'},
            b'4\r\ndata\r\n0\r\n\r\n')
    assert got.status == 400
    got = link(c, 'me', 'links/me')
    assert (got.status, got.body) == (400, b'Symlink cannot target itself')
    got = c('POST', 'tgt/obj', {'X-Symlink-Target': 'tgt/other'})
    assert (got.status, got.body) == (400, b'A PUT request is required to set a symlink target')
    assert c('GET', 'links/bad').status == 404


def test_static_links(c):
    etag = hashlib.md5(BODY).hexdigest()
    assert link(c, 'static', 'tgt/obj', **{'X-Symlink-Target-Etag': f'"{etag}"'}).status == 201
    shown = c('HEAD', 'links/static', query='symlink=get')
    assert shown.headers['x-symlink-target-etag'] == etag
    assert shown.headers['x-symlink-target-bytes'] == str(len(BODY))
    assert shown.headers['content-type'] == 'application/target'
    assert c('GET', 'links/static').body == BODY
    got = link(c, 'wrong', 'tgt/obj', **{'X-Symlink-Target-Etag': 'not-the-etag'})
    assert (got.status, got.body) == (409, f"Object Etag '{etag}' does not match X-Symlink-Target-Etag "
                                            f"header 'not-the-etag'".encode())
    got = link(c, 'nowhere', 'tgt/missing', **{'X-Symlink-Target-Etag': etag})
    assert (got.status, got.body) == (409, b'X-Symlink-Target does not exist')
    # a static link to a dynamic link pins the link object (empty), to a static link its target
    assert link(c, 'to-dyn', 'links/dyn2', **{'X-Symlink-Target-Etag': EMPTY}).status == 409
    assert link(c, 'dyn2', 'tgt/obj').status == 201
    assert link(c, 'to-dyn', 'links/dyn2', **{'X-Symlink-Target-Etag': EMPTY}).status == 201
    assert c('GET', 'links/to-dyn').body == BODY
    assert link(c, 'to-static', 'links/static', **{'X-Symlink-Target-Etag': etag}).status == 201
    assert c('GET', 'links/to-static').body == BODY
    # the target changes: the static link is 409 and still says where it points
    assert c('PUT', 'tgt/moving', {}, b'one').status == 201
    assert link(c, 'pinned', 'tgt/moving', **{'X-Symlink-Target-Etag': hashlib.md5(b'one').hexdigest()}
                ).status == 201
    assert c('PUT', 'tgt/moving', {}, b'two').status == 201
    got = c('GET', 'links/pinned')
    assert got.status == 409 and got.headers['content-location'] == f'/v1/{c.account}/tgt/moving'
    posted = c('POST', 'links/pinned', {'X-Object-Meta-A': 'b'})
    assert posted.status == 307 and posted.headers['x-symlink-target-etag'] == hashlib.md5(b'one').hexdigest()


def test_post_to_a_link_redirects_and_sets_the_links_metadata(c):
    assert link(c, 'posted', 'tgt/obj').status == 201
    got = c('POST', 'links/posted', {'X-Object-Meta-Alpha': 'apple'})
    assert got.status == 307 and got.headers['location'] == f'/v1/{c.account}/tgt/obj'
    got = c('POST', 'links/posted', {'X-Object-Meta-Alpha': 'apple', 'Origin': 'http://a.example'})
    assert got.status == 307 and got.headers['location'] == f'/v1/{c.account}/tgt/obj'
    assert c('HEAD', 'links/posted', query='symlink=get').headers['x-object-meta-alpha'] == 'apple'
    assert 'x-object-meta-alpha' not in c('HEAD', 'links/posted').headers
    assert c('POST', 'tgt/obj', {'X-Object-Meta-Beta': 'b'}).status == 202


def test_copies_of_links_and_of_targets(c):
    assert link(c, 'src', 'tgt/obj').status == 201
    assert c('PUT', 'links/copy-of-target', {'X-Copy-From': 'links/src'}).status == 201
    got = c('GET', 'links/copy-of-target')
    assert got.body == BODY and 'content-location' not in got.headers
    assert c('PUT', 'links/copy-of-link', {'X-Copy-From': 'links/src'}, query='symlink=get').status == 201
    assert c('HEAD', 'links/copy-of-link', query='symlink=get').headers['x-symlink-target'] == 'tgt/obj'
    assert c('COPY', 'links/src', {'Destination': 'links/copied'}, query='symlink=get').status == 201
    assert c('GET', 'links/copied').headers['content-location'] == f'/v1/{c.account}/tgt/obj'


def test_listing_shows_targets(c):
    etag = hashlib.md5(BODY).hexdigest()
    assert c('PUT', 'listed').status in (201, 202)
    assert c('PUT', 'listed/dyn', {'X-Symlink-Target': 'tgt/o%20b'}).status == 201
    static = {'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Etag': etag}
    assert c('PUT', 'listed/static', static).status == 201
    assert c('PUT', 'listed/plain', {}, b'x').status == 201
    rows = {r['name']: r for r in json.loads(c('GET', 'listed', query='format=json').body)}
    assert rows['dyn']['symlink_path'] == f'/v1/{c.account}/tgt/o%20b' and rows['dyn']['hash'] == EMPTY
    assert 'symlink_etag' not in rows['dyn']
    assert rows['static']['symlink_etag'] == etag and rows['static']['symlink_bytes'] == len(BODY)
    assert 'symlink_path' not in rows['plain']
    xml = c('GET', 'listed', query='format=xml').body
    assert f'<symlink_path>/v1/{c.account}/tgt/o%20b</symlink_path>'.encode() in xml
    assert b'symlink_target=' not in xml
    assert c('GET', 'listed').body == b'dyn\nplain\nstatic\n'


def test_target_in_another_account_needs_read_access(cluster, c):
    other = Client(cluster.proxy_port, 'test2:tester2', 'testing2')
    assert other('PUT', 'links').status in (201, 202)
    got = other('PUT', 'links/x', {'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Account': c.account})
    assert got.status == 201
    denied = other('GET', 'links/x')
    assert denied.status == 403 and denied.headers['content-location'] == f'/v1/{c.account}/tgt/obj'
    assert other('PUT', 'links/y', {'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Account': c.account,
                                    'X-Symlink-Target-Etag': hashlib.md5(BODY).hexdigest()}).status == 403
    assert other('HEAD', 'links/x', query='symlink=get').headers['x-symlink-target-account'] == c.account


HOSTILE_TARGETS = [*RAW_HEADER_VALUES, b'c/o\x00x', b'c\xff/o', '%ff/o', 'c/%00', 'c/' + 'o' * 1100,
                   'c' * 300 + '/o', long_value('X-Symlink-Target')]


@pytest.mark.parametrize('value', HOSTILE_TARGETS, ids=range(len(HOSTILE_TARGETS)))
def test_hostile_targets_are_refused(c, value):
    got = c('PUT', 'links/hostile', {'X-Symlink-Target': value})
    assert 400 <= got.status < 500 and got.status != 404, got


# ('²' in UTF-8 is a valid account name, so not among these)
HOSTILE_ACCOUNTS = [*(v for v in RAW_HEADER_VALUES if v != '²'.encode()), 'a/b', '%2F', '', '.', 'a' * 300,
                    '%ff']


@pytest.mark.parametrize('value', HOSTILE_ACCOUNTS, ids=range(len(HOSTILE_ACCOUNTS)))
def test_hostile_target_accounts_are_refused(c, value):
    got = c('PUT', 'links/hostile', {'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Account': value})
    assert 400 <= got.status < 500, got


HOSTILE_ETAGS = [*RAW_HEADER_VALUES, *NUMBERS[:6], 'a;b', 'a,b', 'x' * 300, '"', 'a b']


@pytest.mark.parametrize('value', HOSTILE_ETAGS, ids=range(len(HOSTILE_ETAGS)))
def test_hostile_target_etags_are_refused(c, value):
    got = c('PUT', 'links/hostile', {'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Etag': value})
    assert got.status in (400, 409), got


@pytest.mark.parametrize('value', [*RAW_QUERY_VALUES, 'GET', 'get%00', 'x' * 5000])
def test_hostile_symlink_query_values(c, value):
    got = c('GET', 'links/dyn', query=f'symlink={value}')
    assert got.status in (200, 400, 412, 414), got


def test_client_cannot_forge_link_sysmeta(c):
    assert c('PUT', 'links/forged', {'X-Object-Sysmeta-Symlink-Target': 'tgt/obj'}, b'real').status == 201
    assert c('GET', 'links/forged').body == b'real'
    got = c('PUT', 'links/bytes', {'X-Symlink-Target': 'tgt/obj', 'X-Symlink-Target-Bytes': '-1'})
    assert got.status == 201
    assert 'x-symlink-target-bytes' not in c('HEAD', 'links/bytes', query='symlink=get').headers


def test_a_container_made_again_forgets_its_acl(cluster, c):
    other = Client(cluster.proxy_port, 'test2:tester2', 'testing2')
    path = f'/v1/{c.account}/shared/o'
    assert c('PUT', 'shared', {'X-Container-Read': other.account}).status in (201, 202)
    assert c('PUT', 'shared/o', {}, b'x').status == 201
    assert send(cluster.proxy_port, 'GET', path, [('X-Auth-Token', other.token)]).status == 200
    assert c('DELETE', 'shared/o').status == 204 and c('DELETE', 'shared').status == 204
    assert c('PUT', 'shared').status in (201, 202)
    assert c('PUT', 'shared/o', {}, b'x').status == 201
    assert send(cluster.proxy_port, 'GET', path, [('X-Auth-Token', other.token)]).status == 403
    assert 'x-container-read' not in c('HEAD', 'shared').headers


def test_static_link_to_a_large_object(c):
    seg = b's' * 1024
    assert c('PUT', 'tgt/seg1', {}, seg).status == 201
    manifest = json.dumps([{'path': '/tgt/seg1'}, {'path': '/tgt/seg1'}]).encode()
    assert c('PUT', 'tgt/big', {}, manifest, query='multipart-manifest=put').status == 201
    raw = c('GET', 'tgt/big', query='multipart-manifest=get')
    manifest_etag = raw.headers['etag'].strip('"')
    slo_etag = c('HEAD', 'tgt/big').headers['etag']
    assert link(c, 'to-big', 'tgt/big', **{'X-Symlink-Target-Etag': slo_etag.strip('"')}).status == 409
    assert link(c, 'to-big', 'tgt/big', **{'X-Symlink-Target-Etag': manifest_etag}).status == 201
    assert c('GET', 'links/to-big').body == seg * 2
    rows = {r['name']: r for r in json.loads(c('GET', 'links', query='format=json').body)}
    assert rows['to-big']['symlink_bytes'] == 2048 and rows['to-big']['symlink_etag'] == manifest_etag
    assert rows['to-big']['slo_etag'] == f'"{slo_etag.strip(chr(34))}"'

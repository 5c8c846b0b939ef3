"""The account server in-process (through app_factory, real SQLite in a tmp
devices dir): accounts, the container rows container servers report (as
swiftlike.container.reporting sends them), stats headers, listings and
their formats, deleted accounts, REPLICATE, and hostile values, each a 4xx."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from webob import Request

from swiftlike.account.server import AccountServer, app_factory
from swiftlike.common import expiring
from swiftlike.common.request import UpdateTarget
from test.unit.account.fakes import InProcessSender

PATH = '/sda/1/AUTH_a'


def _swift_dir(root: Path) -> Path:
    swift_dir = root / 'swift'
    swift_dir.mkdir(exist_ok=True)
    (swift_dir / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = s\n')
    return swift_dir


@pytest.fixture
def app(tmp_path) -> AccountServer:
    (tmp_path / 'node' / 'sda').mkdir(parents=True)
    return app_factory({}, devices=str(tmp_path / 'node'), swift_dir=str(_swift_dir(tmp_path)),
                       mount_check='false', db_timeout='0.3')


def call(app: AccountServer, method: str, path: str = PATH, *, body: bytes | None = None,
         environ: dict | None = None, **headers: str):
    """One request; ``headers`` as keywords, ``_`` standing for ``-``."""
    req = Request.blank(path, method=method, environ=environ or {},
                        headers={k.replace('_', '-'): v for k, v in headers.items()})
    if body is not None:
        req.body = body
    return req.get_response(app)


def report(app: AccountServer, name: str, put: str, delete: str = '0', count: int = 1, used: int = 10,
           account: str = PATH):
    """A container report, with the headers swiftlike.container.reporting sends."""
    return call(app, 'PUT', f'{account}/{name}', X_Put_Timestamp=put, X_Delete_Timestamp=delete,
                X_Object_Count=str(count), X_Bytes_Used=str(used))


def stats(app: AccountServer, path: str = PATH) -> tuple[str, str, str]:
    head = call(app, 'HEAD', path)
    assert head.status_int == 204, head.status
    return (head.headers['X-Account-Container-Count'], head.headers['X-Account-Object-Count'],
            head.headers['X-Account-Bytes-Used'])


def listed(app: AccountServer, query: str = '') -> list[dict]:
    resp = call(app, 'GET', f'{PATH}?format=json{"&" if query else ""}{query}')
    assert resp.status_int == 200, resp.status
    return json.loads(resp.body)


# --- accounts and their timestamps ---------------------------------------------------------------

def test_put_head_get_of_a_new_account(app):
    assert call(app, 'PUT', X_Timestamp='1').status_int == 201
    assert call(app, 'PUT', X_Timestamp='1').status_int == 202
    head = call(app, 'HEAD')
    assert head.status_int == 204 and stats(app) == ('0', '0', '0')
    assert head.headers['X-Timestamp'] == head.headers['X-Put-Timestamp'] == '0000000001.00000'
    empty = call(app, 'GET')
    assert empty.status_int == 204 and empty.body == b''
    assert call(app, 'GET', f'{PATH}?format=json').body == b'[]'


def test_put_timestamps_keep_the_newest(app):
    call(app, 'PUT', X_Timestamp='5')
    assert call(app, 'PUT', X_Timestamp='3').status_int == 202
    assert call(app, 'HEAD').headers['X-Put-Timestamp'] == '0000000005.00000'
    assert call(app, 'PUT', X_Timestamp='7').status_int == 202
    head = call(app, 'HEAD')
    assert head.headers['X-Put-Timestamp'] == '0000000007.00000'
    assert head.headers['X-Timestamp'] == '0000000005.00000'


def test_a_missing_account_is_404_for_every_read_and_write(app):
    assert call(app, 'HEAD').status_int == 404
    assert call(app, 'GET').status_int == 404
    assert call(app, 'POST', X_Timestamp='1').status_int == 404
    assert call(app, 'DELETE', X_Timestamp='1').status_int == 404
    assert report(app, 'c', '1').status_int == 404
    assert call(app, 'HEAD').status_int == 404          # none of them created it


# --- container reports and stats ------------------------------------------------------------------

def test_reports_make_rows_and_stats(app):
    call(app, 'PUT', X_Timestamp='1')
    assert report(app, 'c1', '2', count=1, used=10).status_int == 201
    assert report(app, 'c2', '3', count=3, used=30).status_int == 201
    assert report(app, 'empty', '4', count=0, used=0).status_int == 201
    assert stats(app) == ('3', '4', '40')
    assert [(e['name'], e['count'], e['bytes'], e['last_modified']) for e in listed(app)] == [
        ('c1', 1, 10, '1970-01-01T00:00:02.000000'), ('c2', 3, 30, '1970-01-01T00:00:03.000000'),
        ('empty', 0, 0, '1970-01-01T00:00:04.000000')]


def test_an_older_report_does_not_replace_newer_counts(app):
    call(app, 'PUT', X_Timestamp='1')
    report(app, 'c', '5', count=2, used=20)
    assert report(app, 'c', '4', count=100, used=1000).status_int == 201
    assert stats(app) == ('1', '2', '20')
    report(app, 'c', '6', count=7, used=70)
    assert stats(app) == ('1', '7', '70')
    (entry,) = listed(app)
    assert entry['last_modified'] == '1970-01-01T00:00:06.000000'


def test_a_deleted_container_report_drops_it_and_a_newer_put_revives_it(app):
    call(app, 'PUT', X_Timestamp='1')
    report(app, 'c', '2', count=3, used=30)
    report(app, 'keep', '2', count=1, used=1)
    assert report(app, 'c', '2', delete='3', count=0, used=0).status_int == 201
    assert stats(app) == ('1', '1', '1') and [e['name'] for e in listed(app)] == ['keep']
    report(app, 'c', '2', delete='1', count=9, used=9)        # stale: older than the delete
    assert [e['name'] for e in listed(app)] == ['keep']
    report(app, 'c', '4', delete='3', count=0, used=0)
    assert [e['name'] for e in listed(app)] == ['c', 'keep'] and stats(app) == ('2', '1', '1')


def test_a_report_creates_an_auto_created_account(app):
    account = f'/sda/1/{expiring.ACCOUNT}'
    assert report(app, '1700000000', '1', account=account).status_int == 201
    assert stats(app, account) == ('1', '1', '10')
    assert report(app, 'x', '1', account='/sda/1/.any_dotted').status_int == 201   # (the prefix counts)
    assert report(app, 'x', '1', account='/sda/1/AUTH_plain').status_int == 404


def test_a_container_servers_report_lands_in_the_listing(app, tmp_path):
    """The PUT that swiftlike.container.reporting sends, built from a real container database."""
    from swiftlike.container import reporting
    from swiftlike.container.server import app_factory as container_factory
    (tmp_path / 'cnode' / 'sdc').mkdir(parents=True)
    container = container_factory({}, devices=str(tmp_path / 'cnode'), swift_dir=str(tmp_path / 'swift'),
                                  mount_check='false')
    Request.blank('/sdc/2/AUTH_a/photos', method='PUT',
                  headers={'X-Timestamp': '3'}).get_response(container)
    for n, size in enumerate((5, 6)):
        Request.blank(f'/sdc/2/AUTH_a/photos/o{n}', method='PUT', headers={
            'X-Timestamp': str(4 + n), 'X-Size': str(size), 'X-Content-Type': 'a/b',
            'X-Etag': 'e'}).get_response(container)
    call(app, 'PUT', X_Timestamp='1')
    from swiftlike.common.request import StoragePath
    broker = container._broker(StoragePath('sdc', 2, 'AUTH_a', 'photos'))
    sender = InProcessSender(app)
    reporting.report(broker, [UpdateTarget('127.0.0.1', 6202, 'sda', 1)], trans_id='tx9',
                     conn_timeout=1.0, node_timeout=1.0, send=sender)
    ((_, port, method, path, headers),) = sender.sent
    assert (port, method, path) == (6202, 'PUT', '/sda/1/AUTH_a/photos')
    assert headers['X-Put-Timestamp'] == '0000000003.00000' and headers['X-Object-Count'] == '2'
    assert stats(app) == ('1', '2', '11')
    assert [(e['name'], e['count'], e['bytes']) for e in listed(app)] == [('photos', 2, 11)]


@pytest.mark.parametrize('headers', [
    {'X_Object_Count': '-1'}, {'X_Object_Count': '１'}, {'X_Object_Count': ''}, {'X_Object_Count': None},
    {'X_Bytes_Used': '9' * 30}, {'X_Bytes_Used': '1.5'}, {'X_Bytes_Used': None}, {'X_Put_Timestamp': 'x'},
    {'X_Put_Timestamp': '-1'}, {'X_Put_Timestamp': '１'}, {'X_Put_Timestamp': ''},
    {'X_Delete_Timestamp': '1e5'}, {'X_Delete_Timestamp': '\x00'}, {'X_Put_Timestamp': '9' * 400},
], ids=repr)
def test_hostile_report_headers_are_400_and_record_nothing(app, headers):
    call(app, 'PUT', X_Timestamp='1')
    base = {'X_Put_Timestamp': '2', 'X_Delete_Timestamp': '0', 'X_Object_Count': '1', 'X_Bytes_Used': '1'}
    sent = {k: v for k, v in {**base, **headers}.items() if v is not None}
    assert call(app, 'PUT', f'{PATH}/c', **sent).status_int == 400
    assert stats(app) == ('0', '0', '0') and listed(app) == []


# --- listings ---------------------------------------------------------------------------------

NAMES = ['a', 'b-1', 'b-2', 'b-3-x', 'c', 'é', 'ü-z']


@pytest.fixture
def filled(app) -> AccountServer:
    call(app, 'PUT', X_Timestamp='1')
    for n, name in enumerate(NAMES):
        raw = f'{PATH}/{name}'.encode().decode('latin-1')
        call(app, 'PUT', environ={'PATH_INFO': raw}, X_Put_Timestamp=str(n + 2), X_Delete_Timestamp='0',
             X_Object_Count='1', X_Bytes_Used='2')
    return app


def _names(entries: list[dict]) -> list[str]:
    return [e.get('subdir') or e['name'] for e in entries]


@pytest.mark.parametrize(('query', 'expected'), [
    ('', NAMES),
    ('limit=3', ['a', 'b-1', 'b-2']),
    ('prefix=b-', ['b-1', 'b-2', 'b-3-x']),
    ('delimiter=-', ['a', 'b-', 'c', 'é', 'ü-']),
    ('prefix=b-&delimiter=-', ['b-1', 'b-2', 'b-3-']),
    ('marker=b-2', ['b-3-x', 'c', 'é', 'ü-z']),
    ('marker=a&end_marker=c', ['b-1', 'b-2', 'b-3-x']),
    ('marker=%C3%A9', ['ü-z']),
    ('prefix=%C3%BC', ['ü-z']),
    ('reverse=true', NAMES[::-1]),
    ('reverse=true&limit=2&marker=c', ['b-3-x', 'b-2']),
    ('reverse=true&delimiter=-', ['ü-', 'é', 'c', 'b-', 'a']),
    ('delimiter=-&limit=2', ['a', 'b-']),
    ('prefix=zz', []),
    ('limit=0', []),
])
def test_listing_queries(filled, query, expected):
    assert _names(listed(filled, query)) == expected


def test_listing_formats(filled):
    plain = call(filled, 'GET', f'{PATH}?prefix=b-')
    assert plain.status_int == 200 and plain.content_type == 'text/plain'
    assert plain.body == b'b-1\nb-2\nb-3-x\n'
    xml = call(filled, 'GET', f'{PATH}?format=xml&prefix=b-&delimiter=-')
    assert xml.content_type == 'application/xml'
    assert xml.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<account name="AUTH_a">')
    assert b'<container><name>b-1</name><count>1</count><bytes>2</bytes>' in xml.body
    assert b'<subdir name="b-3-"><name>b-3-</name></subdir>' in xml.body
    by_accept = call(filled, 'GET', PATH, Accept='application/json')
    assert by_accept.content_type == 'application/json' and _names(json.loads(by_accept.body)) == NAMES
    assert call(filled, 'GET', f'{PATH}?prefix=zz').status_int == 204


@pytest.mark.parametrize(('query', 'status'), [
    ('limit=10001', 412), ('limit=' + '9' * 40, 412), ('marker=%FF', 412), ('prefix=%C3', 412),
    ('prefix=%00', 400), ('delimiter=%00', 400), ('format=%00', 400),
])
def test_hostile_listing_queries_are_4xx(filled, query, status):
    resp = call(filled, 'GET', f'{PATH}?{query}')
    assert resp.status_int == status, resp.status
    assert b'b-1' not in resp.body


# --- deleted accounts -------------------------------------------------------------------------

def test_a_deleted_account_is_404_with_its_status(app):
    call(app, 'PUT', X_Timestamp='1', X_Account_Meta_A='1')
    report(app, 'c', '2')
    assert call(app, 'DELETE', X_Timestamp='3').status_int == 204     # containers left for the reaper
    for method in ('HEAD', 'GET', 'POST'):
        resp = call(app, method, X_Timestamp='4')
        assert resp.status_int == 404 and resp.headers['X-Account-Status'] == 'Deleted', method
        assert b'c\n' not in resp.body
    assert report(app, 'd', '5').status_int == 404
    assert call(app, 'DELETE', X_Timestamp='6').status_int == 404
    # Not re-created while the reaper owns it (Swift answers 403 "Recently deleted").
    assert call(app, 'PUT', X_Timestamp='7').status_int == 409
    assert call(app, 'HEAD').status_int == 404


@pytest.mark.xfail(strict=True, reason='bug: an account DELETE not newer than its PUT answers 204 and '
                                        'leaves the account live (Swift deletes it)')
def test_an_account_delete_answered_204_deletes(app):
    call(app, 'PUT', X_Timestamp='10')
    resp = call(app, 'DELETE', X_Timestamp='5')
    assert resp.status_int != 204 or call(app, 'HEAD').status_int == 404


@pytest.mark.parametrize('value', ['１', '-1', '', '1e5', '\x00', None])
def test_a_delete_with_a_hostile_timestamp_is_400_and_deletes_nothing(app, value):
    call(app, 'PUT', X_Timestamp='1')
    headers = {} if value is None else {'X_Timestamp': value}
    assert call(app, 'DELETE', **headers).status_int == 400
    assert call(app, 'HEAD').status_int == 204


def test_containers_are_not_deleted_through_the_account_server(app):
    call(app, 'PUT', X_Timestamp='1')
    report(app, 'c', '2')
    assert call(app, 'DELETE', f'{PATH}/c', X_Timestamp='3').status_int == 400
    assert [e['name'] for e in listed(app)] == ['c']


# --- metadata ---------------------------------------------------------------------------------

def test_metadata_post_newest_wins_per_key(app):
    call(app, 'PUT', X_Timestamp='1', X_Account_Meta_Color='red')
    assert call(app, 'POST', X_Timestamp='3', X_Account_Meta_Color='blue',
                X_Account_Meta_B='b').status_int == 204
    assert call(app, 'POST', X_Timestamp='2', X_Account_Meta_Color='green').status_int == 204
    head = call(app, 'HEAD')
    assert head.headers['X-Account-Meta-Color'] == 'blue' and head.headers['X-Account-Meta-B'] == 'b'
    call(app, 'POST', X_Timestamp='4', X_Account_Meta_B='', X_Account_Sysmeta_Q='s', X_Other='no')
    head = call(app, 'HEAD')
    assert 'X-Account-Meta-B' not in head.headers and head.headers['X-Account-Sysmeta-Q'] == 's'
    assert 'X-Other' not in head.headers and head.headers['X-Backend-Meta-Timestamp'] == '0000000004.00000'


@pytest.mark.parametrize('headers', [
    {'X_Account_Meta_' + 'k' * 129: 'v'}, {'X_Account_Meta_Big': 'v' * 257},
    {f'X_Account_Meta_K{n}': 'v' for n in range(91)},
    {f'X_Account_Meta_K{n}': 'v' * 250 for n in range(17)}, {'X_Account_Meta_': 'v'},
    {'X_Timestamp': '１'}, {'X_Timestamp': None},
], ids=lambda h: str({k: v[:5] for k, v in h.items() if v})[:60])
@pytest.mark.parametrize('method', ['PUT', 'POST'])
def test_hostile_account_writes_are_400_and_change_nothing(app, method, headers):
    call(app, 'PUT', X_Timestamp='1', X_Account_Meta_Keep='1')
    sent = {k: v for k, v in {'X_Timestamp': '2', **headers}.items() if v is not None}
    assert call(app, method, **sent).status_int == 400
    head = call(app, 'HEAD')
    assert head.headers['X-Account-Meta-Keep'] == '1'
    assert head.headers['X-Put-Timestamp'] == '0000000001.00000'


# --- REPLICATE and paths ----------------------------------------------------------------------

@pytest.mark.parametrize('body', [
    b'nope', b'\xff', b'[]', b'{"op": "x"}', b'{"op": "merge_items", "items": {}}',
    b'{"op": "merge_items", "items": [{"name": "z", "put_timestamp": "1", "delete_timestamp": "0",'
    b' "object_count": -1, "bytes_used": 0}]}',
    b'{"op": "merge_items", "items": [{"name": "z/y", "put_timestamp": "x", "delete_timestamp": "0",'
    b' "object_count": 1, "bytes_used": 0}]}',
    b'{"op": "merge_items", "items": [{"name": "", "put_timestamp": "1", "delete_timestamp": "0",'
    b' "object_count": 1, "bytes_used": 0}]}',
    b'{"op": "merge_info", "info": {"put_timestamp": "1"}}', b'{"op": "get_items", "limit": 1.5}',
], ids=lambda b: b[:40].decode('latin-1'))
def test_replicate_refuses_bad_json_with_400(app, body):
    call(app, 'PUT', X_Timestamp='1')
    assert call(app, 'REPLICATE', body=body).status_int == 400
    assert listed(app) == [] and stats(app) == ('0', '0', '0')


@pytest.mark.parametrize(('path', 'status'), [
    ('/sda/1/\xff', 412), ('/sda/1/a\x00', 412), ('/sda/1/a/\xc3', 412), ('/sda/1/..', 400),
    ('/sda/1/' + 'a' * 257, 400), ('/sda/1/a/' + 'c' * 257, 400), ('/sda/1/a/c/o', 400), ('/sda/x/a', 400),
    ('/sda/1', 400), ('/sdz/1/a', 507), ('/sda/-1/a', 400), ('/sda/1/a/c\x00', 412),
])
@pytest.mark.parametrize('method', ['PUT', 'HEAD', 'GET', 'DELETE', 'POST'])
def test_malformed_paths_are_4xx_or_507(app, tmp_path, method, path, status):
    resp = call(app, method, environ={'PATH_INFO': path}, X_Timestamp='1', X_Put_Timestamp='1',
                X_Delete_Timestamp='0', X_Object_Count='1', X_Bytes_Used='1')
    assert resp.status_int == status, resp.status
    assert not list((tmp_path / 'node').rglob('*.db'))

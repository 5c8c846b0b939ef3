"""The container server in-process (through app_factory): object rows are
queued in the pending file and merged before reads; a database locked by
another writer for the whole db_timeout is a 503, not a frozen worker."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from webob import Request

from swiftlike.container.server import ContainerServer, app_factory

PATH = '/sda/1/AUTH_a/c'


@pytest.fixture
def app(tmp_path) -> ContainerServer:
    (tmp_path / 'swift').mkdir()
    (tmp_path / 'swift' / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = s\n')
    (tmp_path / 'node' / 'sda').mkdir(parents=True)
    return app_factory({}, devices=str(tmp_path / 'node'), swift_dir=str(tmp_path / 'swift'),
                       mount_check='false', db_timeout='0.3')


def call(app: ContainerServer, method: str, path: str = PATH, **headers: str):
    return Request.blank(path, method=method, headers=headers).get_response(app)


def row(app: ContainerServer, name: str, ts: str, method: str = 'PUT'):
    headers = {'X-Size': '3', 'X-Content-Type': 'text/plain', 'X-Etag': 'e' * 32} if method == 'PUT' else {}
    return call(app, method, f'{PATH}/{name}', X_Timestamp=ts, **headers)


def db_file(tmp_path: Path) -> Path:
    return next((tmp_path / 'node').rglob('*.db'))


def test_object_rows_are_queued_and_merged_before_reads(app, tmp_path):
    assert call(app, 'PUT', X_Timestamp='1').status_int == 201
    assert row(app, 'o1', '2').status_int == 201
    assert row(app, 'o2', '3').status_int == 201
    assert row(app, 'o1', '4', 'DELETE').status_int == 204
    pending = db_file(tmp_path).with_name(db_file(tmp_path).name + '.pending')
    assert len(pending.read_bytes().splitlines()) == 3
    resp = call(app, 'HEAD')
    assert resp.headers['X-Container-Object-Count'] == '1'
    assert pending.stat().st_size == 0
    listing = call(app, 'GET', PATH + '?format=json')
    assert [e['name'] for e in json.loads(listing.body)] == ['o2']


def test_a_row_for_a_missing_container_is_404(app):
    assert row(app, 'o1', '2').status_int == 404


def test_container_delete_sees_queued_rows(app):
    call(app, 'PUT', X_Timestamp='1')
    row(app, 'o1', '2')
    assert call(app, 'DELETE', X_Timestamp='3').status_int == 409


class _Holder:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute('BEGIN IMMEDIATE')

    def release(self) -> None:
        self.conn.execute('ROLLBACK')
        self.conn.close()


def test_locked_for_the_whole_db_timeout_is_503(app, tmp_path):
    call(app, 'PUT', X_Timestamp='1')
    holder = _Holder(db_file(tmp_path))
    try:
        resp = call(app, 'POST', X_Timestamp='2', X_Container_Meta_A='b')
        assert resp.status_int == 503 and b'still locked' in resp.body
        assert row(app, 'o1', '3').status_int == 201          # queued: needs no database lock
        head = call(app, 'HEAD')                              # stale: read without the queued row
        assert head.status_int == 204 and head.headers['X-Container-Object-Count'] == '0'
    finally:
        holder.release()
    head = call(app, 'HEAD')
    assert head.headers['X-Container-Object-Count'] == '1' and 'X-Container-Meta-A' not in head.headers

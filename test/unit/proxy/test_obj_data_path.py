"""The proxy's object PUT and GET against scripted nodes (issue #11): a
primary that refuses a PUT before its body is replaced by a handoff and
never sent a byte; a quorum's early 412 is the answer without reading the
client's body; a GET whose node stops mid-body goes on from the next replica
with a Range, for the same version only."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest

from swiftlike.proxy.controllers.base import VPath
from swiftlike.proxy.controllers.obj_get import open_object
from swiftlike.proxy.controllers.obj_put import put_object
from test.unit.proxy.nodes import Nodes, client_request

PATH = VPath('a', 'c', 'o')


@pytest.fixture
def nodes():
    nodes = Nodes()
    yield nodes
    nodes.close()


def put(nodes: Nodes, body: bytes, headers: dict[str, str] | None = None, chunks: list[bytes] | None = None):
    read = chunks if chunks is not None else []

    def source() -> Iterator[bytes]:
        for start in range(0, len(body), 65536):
            read.append(body[start:start + 65536])
            yield body[start:start + 65536]
    return put_object(nodes.state, client_request('PUT', headers), PATH, source(), content_length=len(body),
                      extra={'Content-Type': 'application/octet-stream'})


def test_a_primary_refusing_with_507_is_replaced_before_any_body(nodes):
    body = os.urandom(200_000)
    nodes.scripts[0].refuse = 507
    assert put(nodes, body).status_int == 201
    assert nodes.scripts[0].received == []
    assert [s.received for s in nodes.scripts[1:]] == [[body]] * 3      # two primaries and the handoff


def test_a_primary_refusing_with_409_is_not_replaced(nodes):
    nodes.scripts[0].refuse = 409
    assert put(nodes, b'data').status_int == 201
    assert [len(s.received) for s in nodes.scripts] == [0, 1, 1, 0]


def test_a_quorum_of_early_412s_is_the_answer_and_no_body_is_read(nodes):
    for script in nodes.scripts[:2]:
        script.refuse = 412
    read: list[bytes] = []
    resp = put(nodes, b'x' * 100_000, {'If-None-Match': '*'}, chunks=read)
    assert resp.status_int == 412
    assert read == [] and all(not b''.join(s.received) for s in nodes.scripts)   # not a byte sent


def test_two_primaries_refusing_with_5xx_is_503_before_the_body(nodes):
    nodes.scripts[0].refuse = nodes.scripts[1].refuse = 507
    read: list[bytes] = []
    assert put(nodes, b'x' * 1000, chunks=read).status_int == 503
    assert read == []


def stored(nodes: Nodes, body: bytes, timestamps: list[str]) -> None:
    for n, (store, timestamp) in enumerate(zip(nodes.stores, timestamps, strict=False)):
        store[f'/d{n}/0/a/c/o'] = (body, timestamp)


def get(nodes: Nodes, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    resp = open_object(nodes.state, client_request('GET', headers), PATH, 'GET')
    return resp.status_int, b''.join(resp.app_iter)


def test_a_get_whose_node_stops_mid_body_resumes_from_the_next_replica(nodes, caplog):
    body = os.urandom(300_000)
    stored(nodes, body, ['1.00000'] * 3)
    nodes.scripts[0].drop_after = 100_000
    with caplog.at_level(logging.WARNING):
        assert get(nodes) == (200, body)
    assert nodes.scripts[1].gets == [f'bytes=100000-{len(body) - 1}']
    assert 'resuming from another replica' in caplog.text


def test_a_ranged_get_resumes_within_its_range(nodes):
    body = os.urandom(300_000)
    stored(nodes, body, ['1.00000'] * 3)
    nodes.scripts[0].drop_after = 5_000
    assert get(nodes, {'Range': 'bytes=1000-200999'}) == (206, body[1000:201000])
    assert nodes.scripts[1].gets == ['bytes=6000-200999']


def test_a_resume_skips_a_replica_of_another_version(nodes):
    body = os.urandom(100_000)
    stored(nodes, body, ['2.00000', '1.00000', '2.00000'])
    nodes.scripts[0].drop_after = 10
    assert get(nodes) == (200, body)
    assert nodes.scripts[1].gets and nodes.scripts[2].gets == ['bytes=10-99999']


def test_when_every_replica_fails_the_body_ends_short_and_is_logged(nodes, caplog):
    body = os.urandom(100_000)
    stored(nodes, body, ['1.00000'] * 3)
    for script in nodes.scripts[:3]:
        script.drop_after = 10
    with caplog.at_level(logging.WARNING):
        status, got = get(nodes)
    assert status == 200 and got == body[:30]
    assert 'no replica left' in caplog.text

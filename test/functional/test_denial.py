"""Denial of service by bad parameters (issue 10, items 2 and 3), through
real HTTP on a whole dev cluster.

Item 2: values such as ``Range: bytes=²-³`` or ``?limit=%C2%B2`` from an
anonymous client of a public container must not make the proxy take storage
nodes out of rotation: the authorised users' writes and reads that follow
must all succeed.

Item 3: a client error in a listing parameter is the client's: the
storage nodes' 400 (or 412) is the answer, not a 503, and the proxy does not
go on to ask every replica (the ring has 3) about a request they all refuse.
"""

from __future__ import annotations

import time
import uuid

import pytest

from .hostile import LogMarks, auth_token, send

PUBLIC = 'public'
REPLICAS = 3


@pytest.fixture(scope='module')
def swift(cluster):
    """(proxy port, token, account) of test:tester, with a public container
    holding ``obj`` and ten objects ``old<n>`` written before any attack."""
    port = int(cluster.proxy_port)
    token, account = auth_token(port)
    tok = [('X-Auth-Token', token)]
    put = send(port, 'PUT', f'/v1/{account}/{PUBLIC}', [*tok, ('X-Container-Read', '.r:*,.rlistings')])
    assert put.status in (201, 202), put
    assert send(port, 'PUT', f'/v1/{account}/{PUBLIC}/obj', tok, b'public body').status == 201
    for n in range(10):
        assert send(port, 'PUT', f'/v1/{account}/{PUBLIC}/old{n}', tok, f'old {n}'.encode()).status == 201
    return port, token, account


def _normal_traffic(port: int, token: str, account: str, tag: str) -> list[str]:
    """40 PUTs and GETs by an authorised user and a read of each older object:
    every failure, described."""
    tok = [('X-Auth-Token', token)]
    failures = []
    for n in range(40):
        body = f'{tag} {n}'.encode()
        put = send(port, 'PUT', f'/v1/{account}/{PUBLIC}/{tag}{n}', tok, body)
        got = send(port, 'GET', f'/v1/{account}/{PUBLIC}/{tag}{n}', tok)
        if put.status != 201:
            failures.append(f'PUT {tag}{n}: {put.status} {put.body[:80]!r}')
        if got.status != 200 or got.body != body:
            failures.append(f'GET {tag}{n}: {got.status} {got.body[:80]!r}')
    for n in range(10):
        got = send(port, 'GET', f'/v1/{account}/{PUBLIC}/old{n}', tok)
        if got.status != 200 or got.body != f'old {n}'.encode():
            failures.append(f'GET old{n} (written before the attack): {got.status}')
    return failures


@pytest.mark.parametrize('attack', ['range', 'limit'])
def test_anonymous_bad_values_do_not_take_nodes_out(swift, attack):
    """Item 2: 40 anonymous requests with a Unicode digit, then normal traffic."""
    port, token, account = swift
    answers = []
    for _ in range(40):
        if attack == 'range':     # '²' and '³' sent as the latin-1 bytes a WSGI server reads back as '²-³'
            ans = send(port, 'GET', f'/v1/{account}/{PUBLIC}/obj', [('Range', b'bytes=\xb2-\xb3')])
        else:
            ans = send(port, 'GET', f'/v1/{account}/{PUBLIC}?limit=%C2%B2')
        answers.append(ans.status)
    bad = [s for s in answers if s >= 500 or s == 0]
    failures = [f'{len(bad)} of 40 hostile anonymous requests answered {sorted(set(bad))}'] if bad else []
    failures += _normal_traffic(port, token, account, f'after-{attack}-')
    assert not failures, '\n'.join(failures)


#: (query, why it is wrong): each must get a 4xx from the first node the proxy asks.
#: (Swift ignores a limit that is not ASCII digits, and takes delimiters of several
#: characters and markers holding NUL: those are not client errors.)
BAD_LISTINGS = [
    ('limit=99999999', 'limit over the maximum'),
    ('prefix=%00', 'NUL prefix'),
    ('delimiter=a%00', 'NUL in the delimiter'),
    ('marker=%ff', 'marker not UTF-8'),
    ('end_marker=%ff', 'end_marker not UTF-8'),
    ('prefix=%ff', 'prefix not UTF-8'),
    ('delimiter=%ff', 'delimiter not UTF-8'),
]


@pytest.mark.parametrize('level', ['account', 'container'])
def test_bad_listing_parameters_are_a_client_error_from_one_node(cluster, swift, level):
    """Item 3: 400 (or 412 for invalid UTF-8), never 503, and not every replica asked
    (one node's answer, or a majority's, settles a client error)."""
    port, token, account = swift
    path = f'/v1/{account}' + (f'/{PUBLIC}' if level == 'container' else '')
    failures = []
    for query, why in BAD_LISTINGS:
        tag = f'den{uuid.uuid4().hex[:12]}'           # finds this request in the storage servers' logs
        marks = LogMarks.now(cluster.logs)
        ans = send(port, 'GET', f'{path}?{query}&end_marker={tag}', [('X-Auth-Token', token)])
        if ans.status not in (400, 412):
            failures.append(f'{level} ?{query} ({why}): {ans.status} {ans.body[:80]!r}, expected 400/412')
        asked = _nodes_asked(marks, level, tag)
        if not 1 <= asked < REPLICAS:
            failures.append(f'{level} ?{query} ({why}): the proxy asked {asked} of the {REPLICAS} '
                            f'{level} servers, expected at least 1 and not all')
    assert not failures, '\n'.join(failures)


def _nodes_asked(marks: LogMarks, level: str, tag: str) -> int:
    """How many of the ``level`` servers logged a request carrying ``tag``.
    A server logs a request before it answers, and the proxy has every answer
    it asked for before it answers us; the wait only covers the file write."""
    deadline = time.monotonic() + 2
    while not (asked := marks.count(tag, prefix=f'{level}-')) and time.monotonic() < deadline:
        time.sleep(0.05)
    return asked

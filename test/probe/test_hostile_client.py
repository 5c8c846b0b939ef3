"""One hostile client cannot take the cluster from another (issue 10, item 2).

100 requests with hostile values (Unicode digits and other junk in Range,
listing limits, expiry headers, tokens, S3 parameters) from test:tester, then
100 normal PUT+GETs from test2:tester2 on the same proxy: none of those may
fail, and every object must land on all three of its primaries, which it
cannot if the proxy's error limiter took a node out of rotation (the PUT
would go to a handoff or fail)."""

from __future__ import annotations

import pytest

from test.functional.hostile import auth_token, qv, s3_signed, send

from .conftest import md5

pytestmark = pytest.mark.probe

#: What a hostile client would send: the Unicode digits that pass str.isdigit() and then fail int()
#: (the values that once took nodes out), and other junk.
SHOWN = ('range', 'x-delete-at', 'x-delete-after', 'x-auth-token')
VALUES = ('²', '³²', '²³', '٣', '１', '9' * 100, '-1', '+5', '5.0', '0x10')


def hostile_requests(port: int, token: str, account: str) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Exactly 100 (method, target, headers): 40 anonymous listings and 20 anonymous
    ranged reads of the public container with Unicode digits (what once took nodes
    out), then every other template with each of five values."""
    tok = ('X-Auth-Token', token)
    templates = [
        lambda v: ('GET', f'/v1/{account}/pub/obj', [('Range', f'bytes={v}-{v}')]),        # anonymous
        lambda v: ('GET', f'/v1/{account}/pub?limit={qv(v)}', []),                          # anonymous
        lambda v: ('GET', f'/v1/{account}?limit={qv(v)}', [tok]),
        lambda v: ('GET', f'/v1/{account}/pub?marker=%ff&limit={qv(v)}', [tok]),
        lambda v: ('PUT', f'/v1/{account}/pub/exp', [tok, ('X-Delete-At', v)]),
        lambda v: ('POST', f'/v1/{account}/pub/obj', [tok, ('X-Delete-After', v)]),
        lambda v: ('GET', f'/v1/{account}/pub/obj', [('X-Auth-Token', f'AUTH_tk{v}.{v}ÿ')]),
        lambda v: ('GET', f'/pubb?max-keys={qv(v)}', s3_signed(port, 'GET', '/pubb', f'max-keys={qv(v)}')),
        lambda v: ('GET', f'/pubb/k?partNumber={qv(v)}',
                   s3_signed(port, 'GET', '/pubb/k', f'partNumber={qv(v)}')),
        lambda v: ('GET', f'/v1/{account}/pub/obj?multipart-manifest={qv(v)}%ff', [tok]),
    ]
    digits = ('²', '³²', '²³')
    listings = [templates[1](digits[n % 3]) for n in range(40)]
    ranges = [templates[0](digits[n % 3]) for n in range(20)]
    return listings + ranges + [template(value) for value in VALUES[3:8] for template in templates[2:]]


def test_a_hostile_client_does_not_deny_service_to_another(probe):
    port = probe.cluster.proxy_port
    token, account = auth_token(port)
    tok = [('X-Auth-Token', token)]
    public = ('X-Container-Read', '.r:*,.rlistings')
    assert send(port, 'PUT', f'/v1/{account}/pub', [*tok, public]).status == 201
    assert send(port, 'PUT', f'/v1/{account}/pub/obj', tok, b'public').status == 201
    assert send(port, 'PUT', '/pubb', s3_signed(port, 'PUT', '/pubb')).status == 200
    assert send(port, 'PUT', '/pubb/k', s3_signed(port, 'PUT', '/pubb/k', body=b'k'), b'k').status == 200

    hostile = hostile_requests(port, token, account)
    assert len(hostile) == 100
    server_errors = []
    for method, target, headers in hostile:
        ans = send(port, method, target, headers, timeout=30)
        if ans.status >= 500 or ans.status == 0:
            shown = ' '.join(f'{k}: {v!r:.40}' for k, v in headers if k.lower() in SHOWN and v != token)
            server_errors.append(f'hostile {method} {target[:70]} {shown}: {ans.status or ans.error}')

    failures = _normal_client(probe, port)
    assert not failures, f'{len(failures)} failures of the normal client after 100 hostile requests ' \
                         f'({len(server_errors)} of which got a 5xx):\n' + '\n'.join(failures + server_errors)
    assert not server_errors, '\n'.join(server_errors)


def _normal_client(probe, port: int) -> list[str]:
    """100 PUT+GETs by test2:tester2, and each object on all three primaries."""
    token, account = auth_token(port, 'test2:tester2', 'testing2')
    tok = [('X-Auth-Token', token)]
    put = send(port, 'PUT', f'/v1/{account}/normal', tok)
    if put.status not in (201, 202):
        return [f'container PUT: {put.status}']
    failures = []
    for n in range(100):
        body = f'normal object {n}'.encode()
        put = send(port, 'PUT', f'/v1/{account}/normal/o{n}', tok, body, timeout=30)
        got = send(port, 'GET', f'/v1/{account}/normal/o{n}', tok, timeout=30)
        if put.status != 201 or got.status != 200 or got.body != body:
            failures.append(f'o{n}: PUT {put.status or put.error}, GET {got.status or got.error}')
            continue
        part, nodes = probe.nodes('object', account, 'normal', f'o{n}')
        for node in nodes:
            status, headers, _ = probe.direct(node, 'HEAD', f'/{part}/{account}/normal/o{n}')
            if (status, headers.get('etag')) != (200, md5(body)):
                failures.append(f'o{n}: not on primary {node.device} ({status}): the proxy skipped that node')
    return failures

"""Transaction ids: made by the proxy, never taken from a client."""

from __future__ import annotations

from webob import Request, Response

from swiftlike.common import env_keys
from swiftlike.common.middleware.catch_errors import CatchErrors


def trans_id(keep: bool, **headers: str) -> str:
    seen = {}

    def app(environ, start_response):
        seen['id'] = environ[env_keys.TXN_ID]
        return Response('ok')(environ, start_response)

    filt = CatchErrors.factory({}, keep_trans_id=str(keep).lower())(app)
    resp = Request.blank('/', headers=headers).get_response(filt)
    assert resp.headers['X-Trans-Id'] == seen['id']
    return seen['id']


def test_a_clients_trans_id_is_replaced():
    given = trans_id(False, **{'X-Trans-Id': 'tx-chosen-by-client'})
    assert given.startswith('tx') and 'chosen' not in given


def test_trans_id_extra_is_a_quoted_bounded_suffix():
    given = trans_id(False, **{'X-Trans-Id-Extra': 'my job/ ' + 'x' * 100})
    assert given.endswith('-my%20job/%20' + 'x' * 24)


def test_storage_servers_keep_the_proxys():
    assert trans_id(True, **{'X-Trans-Id': 'txabc-0123'}) == 'txabc-0123'

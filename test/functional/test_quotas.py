"""Account and container quotas through a whole cluster: who may set them,
the 413 for an upload (PUT, COPY, copy by PUT) that would pass one, and the
refusals of malformed values (Unicode digits, negative and huge numbers,
NUL, invalid UTF-8)."""

from __future__ import annotations

import json
import time

import pytest

from .hostile import NUMBERS, LogMarks, auth_token, send


@pytest.fixture(scope='module')
def port(cluster):
    marks = LogMarks.now(cluster.logs)
    yield cluster.proxy_port
    assert marks.new_tracebacks() == {}


@pytest.fixture(scope='module')
def tokens(port):
    return {name: auth_token(port, user, key)[0] for name, user, key in (
        ('owner', 'test:tester', 'testing'), ('other', 'test2:tester2', 'testing2'),
        ('reseller', 'admin:admin', 'admin'))}


@pytest.fixture
def call(port, tokens):
    def do(who: str, method: str, path: str = '', headers=(), body: bytes = b'', account='AUTH_test'):
        return send(port, method, f'/v1/{account}' + path, [('X-Auth-Token', tokens[who]), *headers], body)
    return do


#: (HTTP takes the spaces around a header value off: ' 5' arrives as '5')
BAD_NUMBERS = [n for n in NUMBERS if n.strip() and not (n.strip().isascii() and n.strip().isdigit()
                                                         and len(n) < 19)]


def test_info_lists_both(port):
    sections = json.loads(send(port, 'GET', '/info').body)
    assert sections['account_quotas'] == {} and sections['container_quotas'] == {}


# -- container quotas -----------------------------------------------------------------------

def test_container_bytes_quota(call):
    assert call('owner', 'PUT', '/cq-bytes', [('X-Container-Meta-Quota-Bytes', '10')]).status == 201
    assert call('owner', 'PUT', '/cq-bytes/o', body=b'01234567890').status == 413
    ans = call('owner', 'PUT', '/cq-bytes/o', body=b'0123456789')
    assert ans.status == 201
    assert call('owner', 'PUT', '/cq-bytes/p', body=b'x').status == 413
    assert call('owner', 'PUT', '/cq-bytes/copy', [('X-Copy-From', '/cq-bytes/o')]).status == 413
    assert call('owner', 'COPY', '/cq-bytes/o', [('Destination', 'cq-bytes/copy')]).status == 413
    assert call('owner', 'PUT', '/cq-bytes/empty', body=b'').status == 201
    assert call('owner', 'POST', '/cq-bytes', [('X-Container-Meta-Quota-Bytes', '')]).status == 204
    assert call('owner', 'PUT', '/cq-bytes/p', body=b'x').status == 201


def test_container_count_quota(call):
    call('owner', 'PUT', '/cq-count', [('X-Container-Meta-Quota-Count', '2')])
    for name in ('a', 'b'):
        assert call('owner', 'PUT', f'/cq-count/{name}', body=b'x').status == 201
    assert call('owner', 'PUT', '/cq-count/c', body=b'x').status == 413
    call('owner', 'PUT', '/cq-copy-src')
    call('owner', 'PUT', '/cq-copy-src/s', body=b'x')
    assert call('owner', 'COPY', '/cq-copy-src/s', [('Destination', 'cq-count/s')]).status == 413
    assert call('owner', 'DELETE', '/cq-count/a').status == 204
    assert call('owner', 'PUT', '/cq-count/c', body=b'x').status == 201


def test_a_stranger_gets_403_not_413(call):
    call('owner', 'PUT', '/cq-strange', [('X-Container-Meta-Quota-Count', '0')])
    assert call('other', 'PUT', '/cq-strange/o', body=b'x').status == 403
    assert call('owner', 'PUT', '/cq-strange/o', body=b'x').status == 413


def test_a_writer_through_an_acl_is_held_to_the_quota(call):
    call('owner', 'PUT', '/cq-acl', [('X-Container-Meta-Quota-Bytes', '3'),
                                     ('X-Container-Write', 'test2:tester2')])
    assert call('other', 'PUT', '/cq-acl/o', body=b'abcd').status == 413
    assert call('other', 'PUT', '/cq-acl/o', body=b'abc').status == 201


@pytest.mark.parametrize('value', BAD_NUMBERS)
@pytest.mark.parametrize('header', ['X-Container-Meta-Quota-Bytes', 'X-Container-Meta-Quota-Count'])
def test_malformed_container_quotas_are_400(call, header, value):
    call('owner', 'PUT', '/cq-bad')
    ans = call('owner', 'POST', '/cq-bad', [(header, value)])
    assert ans.status == 400, ans
    assert call('owner', 'PUT', '/cq-bad2', [(header, value)]).status == 400


@pytest.mark.parametrize('raw', [b'\xff', b'\xc2\xb2', b'1\x00', b'\x01'])
def test_raw_bytes_in_container_quotas_are_400(call, raw):
    call('owner', 'PUT', '/cq-raw')
    assert call('owner', 'POST', '/cq-raw', [('X-Container-Meta-Quota-Bytes', raw)]).status == 400


# -- account quotas -------------------------------------------------------------------------

def settled(acct, objects: int, used: int) -> None:
    """Wait until the account's stats show ``objects`` and ``used`` bytes.
    Containers report them to the account later than the object writes (the
    container-updater, not running here, or the container's next PUT, sent
    here), so, as in Swift, an account quota acts on stats a moment old."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        acct('reseller', 'PUT', '/c')
        headers = acct('reseller', 'HEAD').headers
        if (headers.get('x-account-object-count'), headers.get('x-account-bytes-used')) == (
                str(objects), str(used)):
            return
        time.sleep(0.1)
    raise AssertionError(f'account stats never reached {objects} objects, {used} bytes: {headers}')


@pytest.fixture
def quota_account(call):
    """AUTH_quota with one 4-byte object; no quotas left afterwards."""
    call('reseller', 'PUT', account='AUTH_quota')
    call('reseller', 'PUT', '/c', account='AUTH_quota')
    acct = lambda *args, **kw: call(*args, account='AUTH_quota', **kw)  # noqa: E731
    listing = acct('reseller', 'GET', '/c').body.split()
    for name in listing:
        if name != b'four':
            acct('reseller', 'DELETE', '/c/' + name.decode())
    acct('reseller', 'PUT', '/c/four', body=b'four')
    settled(acct, 1, 4)
    yield acct
    call('reseller', 'POST', account='AUTH_quota', headers=[
        ('X-Account-Quota-Bytes', ''), ('X-Account-Quota-Count', ''), ('X-Account-Meta-Quota-Bytes', '')])


def test_only_a_reseller_admin_sets_account_quotas(call):
    for header in ('X-Account-Meta-Quota-Bytes', 'X-Account-Quota-Bytes', 'X-Account-Quota-Count',
                   'X-Account-Quota-Bytes-Policy-Policy-0', 'X-Remove-Account-Meta-Quota-Bytes',
                   'X-Remove-Account-Quota-Bytes', 'X-Remove-Account-Quota-Count-Policy-Policy-0'):
        assert call('owner', 'POST', headers=[(header, '0')]).status == 403, header
    assert call('owner', 'PUT', '/aq-none', body=b'').status == 201


def test_reseller_admin_sets_shows_and_removes(call):
    for header in ('X-Account-Quota-Bytes', 'X-Account-Quota-Count', 'X-Account-Quota-Count-Policy-Policy-0'):
        assert call('reseller', 'POST', headers=[(header, '123')]).status == 204
        assert call('owner', 'HEAD').headers[header.lower()] == '123'
        remove = header.replace('X-', 'X-Remove-', 1)
        assert call('reseller', 'POST', headers=[(remove, 't')]).status == 204
        assert header.lower() not in call('owner', 'HEAD').headers
        call('reseller', 'POST', headers=[(header, '7')])
        assert call('reseller', 'POST', headers=[(header, '')]).status == 204
        assert header.lower() not in call('owner', 'HEAD').headers
    call('reseller', 'POST', headers=[('X-Account-Meta-Quota-Bytes', '5')])
    assert call('owner', 'HEAD').headers['x-account-meta-quota-bytes'] == '5'
    call('reseller', 'POST', headers=[('X-Remove-Account-Meta-Quota-Bytes', 't')])
    assert 'x-account-meta-quota-bytes' not in call('owner', 'HEAD').headers
    assert not any('sysmeta' in h for h in call('owner', 'HEAD').headers)


@pytest.mark.parametrize('header', ['X-Account-Quota-Bytes', 'X-Account-Meta-Quota-Bytes'])
def test_account_bytes_quota(quota_account, header):
    assert quota_account('reseller', 'POST', headers=[(header, '10')]).status == 204
    assert quota_account('reseller', 'PUT', '/c/big', body=b'1234567').status == 413
    assert quota_account('reseller', 'PUT', '/c/fits', body=b'123456').status == 201
    settled(quota_account, 2, 10)
    assert quota_account('reseller', 'PUT', '/c/copy', [('X-Copy-From', '/c/four')]).status == 413
    assert quota_account('reseller', 'COPY', '/c/four', [('Destination', 'c/x')]).status == 413
    assert quota_account('reseller', 'DELETE', '/c/fits').status == 204
    settled(quota_account, 1, 4)
    assert quota_account('reseller', 'COPY', '/c/four', [('Destination', 'c/x')]).status == 201


def test_account_count_quota(quota_account):
    quota_account('reseller', 'POST', headers=[('X-Account-Quota-Count', '2')])
    assert quota_account('reseller', 'PUT', '/c/two', body=b'').status == 201
    settled(quota_account, 2, 4)
    assert quota_account('reseller', 'PUT', '/c/three', body=b'').status == 413


def test_account_quota_zero_refuses_everything(quota_account):
    quota_account('reseller', 'POST', headers=[('X-Account-Quota-Bytes', '0')])
    assert quota_account('reseller', 'PUT', '/c/empty', body=b'').status == 413    # already over


@pytest.mark.parametrize('value', BAD_NUMBERS)
@pytest.mark.parametrize('header', ['X-Account-Quota-Bytes', 'X-Account-Meta-Quota-Bytes',
                                    'X-Account-Quota-Count-Policy-Policy-0'])
def test_malformed_account_quotas_are_400(call, header, value):
    assert call('reseller', 'POST', headers=[(header, value)]).status == 400
    assert header.lower() not in call('owner', 'HEAD').headers


@pytest.mark.parametrize('raw', [b'\xff', b'\xc2\xb2', b'1\x00', b'\x01'])
def test_raw_bytes_in_account_quotas_are_400(call, raw):
    assert call('reseller', 'POST', headers=[('X-Account-Quota-Bytes', raw)]).status == 400


def test_a_quota_set_on_a_container_seen_without_one_applies_at_once(call):
    call('owner', 'PUT', '/cq-later')
    for n in range(3):          # (each proxy worker may have noted "no quota here")
        assert call('owner', 'PUT', f'/cq-later/{n}', body=b'x').status == 201
    assert call('owner', 'POST', '/cq-later', [('X-Container-Meta-Quota-Count', '3')]).status == 204
    assert call('owner', 'PUT', '/cq-later/more', body=b'x').status == 413
    call('owner', 'DELETE', '/cq-later/more')
    for n in range(3):
        call('owner', 'DELETE', f'/cq-later/{n}')
    assert call('owner', 'DELETE', '/cq-later').status == 204
    assert call('owner', 'PUT', '/cq-later', [('X-Container-Meta-Quota-Bytes', '1')]).status == 201
    assert call('owner', 'PUT', '/cq-later/big', body=b'xx').status == 413


def test_a_quota_set_on_an_account_seen_without_one_applies_at_once(quota_account):
    for n in range(3):
        assert quota_account('reseller', 'PUT', f'/c/free{n}', body=b'').status == 201
    settled(quota_account, 4, 4)
    assert quota_account('reseller', 'POST', headers=[('X-Account-Quota-Count', '4')]).status == 204
    assert quota_account('reseller', 'PUT', '/c/over', body=b'').status == 413


def test_a_form_upload_past_a_container_quota_is_refused(call, port, tmp_path):
    import hmac
    import subprocess
    call('owner', 'POST', headers=[('X-Account-Meta-Temp-Url-Key', 'fkey')])
    call('owner', 'PUT', '/cq-form', [('X-Container-Meta-Quota-Bytes', '5')])
    path, expires = '/v1/AUTH_test/cq-form/', int(time.time() + 300)
    sig = hmac.new(b'fkey', f'{path}\n\n{1 << 20}\n5\n{expires}'.encode(), 'sha1').hexdigest()
    (tmp_path / 'big').write_bytes(b'x' * 6)
    out = subprocess.run(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}',
                          '--form-string', f'max_file_size={1 << 20}', '--form-string', 'max_file_count=5',
                          '--form-string', f'expires={expires}', '--form-string', f'signature={sig}',
                          '-F', f'file=@{tmp_path / "big"}', f'http://127.0.0.1:{port}{path}'],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out == '413'
    assert call('owner', 'GET', '/cq-form').body == b''


def chunked(data: bytes) -> bytes:
    return b''.join(b'%x\r\n%s\r\n' % (len(data[i:i + 3]), data[i:i + 3]) for i in range(0, len(data), 3)) \
        + b'0\r\n\r\n'


def test_a_chunked_upload_is_counted_as_it_streams(call):
    call('owner', 'PUT', '/cq-chunked', [('X-Container-Meta-Quota-Bytes', '10')])
    te = [('Transfer-Encoding', 'chunked')]
    assert call('owner', 'PUT', '/cq-chunked/big', te, chunked(b'x' * 11)).status == 413
    assert call('owner', 'HEAD', '/cq-chunked/big').status == 404
    assert call('owner', 'PUT', '/cq-chunked/fits', te, chunked(b'x' * 10)).status == 201
    assert call('owner', 'GET', '/cq-chunked/fits').body == b'x' * 10


def test_a_chunked_upload_past_an_account_quota_is_413(quota_account):
    quota_account('reseller', 'POST', headers=[('X-Account-Quota-Bytes', '10')])
    te = [('Transfer-Encoding', 'chunked')]
    assert quota_account('reseller', 'PUT', '/c/big', te, chunked(b'y' * 7)).status == 413
    assert quota_account('reseller', 'HEAD', '/c/big').status == 404
    assert quota_account('reseller', 'PUT', '/c/fits', te, chunked(b'y' * 6)).status == 201

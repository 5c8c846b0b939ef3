"""The streaming multipart reader behind formpost (swiftlike.common.multipart)
and formpost's signature check, without a cluster."""

from __future__ import annotations

import hmac
import io

import pytest
from webob import Request, Response

from swiftlike.common import env_keys
from swiftlike.common.middleware.cache import MemoryCache
from swiftlike.common.middleware.formpost import FormPost, FormPostConf
from swiftlike.common.multipart import MultipartError, MultipartReader, parse_header_params

NOW = 1_800_000_000


def body(*parts: tuple[str, bytes], boundary: str = 'b0und', preamble: bytes = b'') -> bytes:
    out = preamble
    for disposition, content in parts:
        out += f'--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n'.encode() + content + b'\r\n'
    return out + f'--{boundary}--\r\nepilogue'.encode()


def read_parts(data: bytes, chunk: int, boundary: str = 'b0und') -> list[tuple[dict[str, str], bytes]]:
    stream = io.BytesIO(data)
    reader = MultipartReader(stream.read, boundary, chunk_size=chunk)
    out = []
    for part in reader.parts():
        content = b''
        while piece := part.read(7):
            content += piece
        out.append((part.headers, content))
    return out


@pytest.mark.parametrize('chunk', [1, 2, 5, 13, 64, 65536])
def test_parts_across_any_read_size(chunk):
    payload = b'\r\n--b0un' + bytes(range(256)) * 40 + b'\r\n--b0unX'
    data = body(('form-data; name="a"', b'1'), ('form-data; name="f"; filename="x"', payload),
                ('form-data; name="empty"', b''), preamble=b'ignored preamble\r\n')
    parts = read_parts(data, chunk)
    assert [c for _, c in parts] == [b'1', payload, b'']
    assert parts[1][0]['content-disposition'] == 'form-data; name="f"; filename="x"'


def test_unread_parts_are_skipped_and_read_all_limits():
    data = body(('form-data; name="a"', b'x' * 100), ('form-data; name="b"', b'y' * 10))
    parts = MultipartReader(io.BytesIO(data).read, 'b0und', chunk_size=16).parts()
    first = next(parts)
    assert first.read_all(50) is None
    assert next(parts).read_all(10) == b'y' * 10
    assert list(parts) == []


@pytest.mark.parametrize('data', [
    b'', b'no boundary at all', b'--b0und', b'--b0und\r\nContent-Disposition: x\r\n\r\nabc',
    b'--b0und\r\n' + b'X: y\r\n' * 3000 + b'\r\n', b'--b0undjunk\r\n\r\n',
    b'--b0und\r\nno colon here\r\n\r\nx\r\n--b0und--', b'--b0und\r\n\r\nabc\r\n--b0und',
])
def test_malformed_bodies(data):
    with pytest.raises(MultipartError):
        read_parts(data, 4)


@pytest.mark.parametrize('boundary', ['', 'x' * 71, 'a\r\nb', 'é', 'ends in space '])
def test_bad_boundaries(boundary):
    with pytest.raises(MultipartError):
        MultipartReader(io.BytesIO(b'').read, boundary)


def test_header_params():
    assert parse_header_params('form-data; name=a; filename="x;y.txt"') == \
        ('form-data', {'name': 'a', 'filename': 'x;y.txt'})
    assert parse_header_params('') == ('', {})
    assert parse_header_params('multipart/form-data; boundary="a b"')[1] == {'boundary': 'a b'}


class StoreApp:
    """Answers the account key HEAD, and stores PUTs it is authorized for."""

    def __init__(self) -> None:
        self.stored: dict[str, bytes] = {}

    def __call__(self, environ, start_response):
        req = Request(environ)
        if req.method == 'HEAD':
            headers = {'X-Account-Meta-Temp-Url-Key': 'k'} if req.path_info == '/v1/AUTH_a' else {}
            return Response(status=204, headers=headers)(environ, start_response)
        denied = environ[env_keys.AUTHORIZE](req)
        if denied is not None:
            return denied(environ, start_response)
        data = b''
        try:
            while chunk := environ['wsgi.input'].read(1000):
                data += chunk
        except OSError:
            return Response(status=499)(environ, start_response)
        self.stored[req.path_info] = data
        return Response(status=201)(environ, start_response)


def form_request(max_size: int = 100, count: int = 2, key: str = 'k', expires: int = NOW + 10,
                 files: tuple[bytes, ...] = (b'data',)) -> Request:
    sig = hmac.new(key.encode(), f'/v1/AUTH_a/c/p\n\n{max_size}\n{count}\n{expires}'.encode(),
                   'sha256').hexdigest()
    fields = [(f'form-data; name="{k}"', v.encode()) for k, v in (
        ('max_file_size', str(max_size)), ('max_file_count', str(count)), ('expires', str(expires)),
        ('signature', sig))]
    files_parts = [(f'form-data; name="f{n}"; filename="n{n}"', f) for n, f in enumerate(files)]
    req = Request.blank('/v1/AUTH_a/c/p', method='POST', body=body(*fields, *files_parts),
                        environ={env_keys.CACHE: MemoryCache()})
    req.content_type = 'multipart/form-data; boundary=b0und'
    return req


def test_formpost_stores_files_and_refuses_what_it_must():
    app = StoreApp()
    formpost = FormPost(app, FormPostConf(), clock=lambda: NOW)
    assert form_request(files=(b'one', b'two')).get_response(formpost).status_int == 201
    assert app.stored == {'/v1/AUTH_a/c/pn0': b'one', '/v1/AUTH_a/c/pn1': b'two'}
    assert form_request(key='other').get_response(formpost).status_int == 401
    assert form_request(expires=NOW - 1).get_response(formpost).status_int == 401
    resp = form_request(max_size=3, files=(b'four',)).get_response(formpost)
    assert resp.status_int == 400 and b'Max_File_Size' in resp.body
    resp = form_request(count=1, files=(b'a', b'b')).get_response(formpost)
    assert resp.status_int == 400 and b'Max File Count' in resp.body


def raw_form(*extra: tuple[str, bytes], content_type: str = 'multipart/form-data; boundary=b0und') -> Request:
    """A signed form (max size 100, count 2) followed by the ``extra`` parts."""
    good = form_request(files=())
    data = good.body[:good.body.rindex(b'--b0und--')]
    for disposition, content in extra:
        data += f'--b0und\r\nContent-Disposition: {disposition}\r\n\r\n'.encode('latin-1') + content + b'\r\n'
    req = Request.blank('/v1/AUTH_a/c/p', method='POST', body=data + b'--b0und--\r\n',
                        environ={env_keys.CACHE: MemoryCache()})
    req.content_type = content_type
    return req


@pytest.mark.parametrize('extra,status', [
    (('form-data; name="f"; filename="a\x01b"', b'x'), 400),            # control character
    (('form-data; name="f"; filename="\xff\xfe"', b'x'), 400),          # not UTF-8
    (('form-data; name="redirect"', b'r' * 5000), 400),                 # field too long
    (('form-data; name="f"; filename="ok"', b'x'), 201),
])
def test_formpost_hostile_parts(extra, status):
    app = StoreApp()
    resp = raw_form(extra).get_response(FormPost(app, FormPostConf(), clock=lambda: NOW))
    assert resp.status_int == status, resp.body


def test_formpost_field_flood_and_missing_boundary():
    app = StoreApp()
    formpost = FormPost(app, FormPostConf(), clock=lambda: NOW)
    flood = [(f'form-data; name="x{n}"', b'1') for n in range(70)]
    assert raw_form(*flood).get_response(formpost).status_int == 400
    resp = raw_form(content_type='multipart/form-data').get_response(formpost)
    assert resp.status_int == 400 and b'boundary' in resp.body


def test_fields_after_a_file_change_nothing():
    app = StoreApp()
    formpost = FormPost(app, FormPostConf(), clock=lambda: NOW)
    resp = raw_form(('form-data; name="f"; filename="a"', b'x'), ('form-data; name="max_file_count"', b'9'),
                    ('form-data; name="g"; filename="b"', b'y'), ('form-data; name="h"; filename="c"', b'z'),
                    ).get_response(formpost)
    assert resp.status_int == 400 and b'Max File Count' in resp.body
    assert sorted(app.stored) == ['/v1/AUTH_a/c/pa', '/v1/AUTH_a/c/pb']

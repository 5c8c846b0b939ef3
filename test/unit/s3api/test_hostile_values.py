"""Hostile values at the s3api's parsers, one layer below the functional
test_s3_hostile: each is the S3 error AWS answers (or ignored where AWS
ignores it), never a ValueError, TypeError or 500 without XML."""

from __future__ import annotations

import io
import logging
import time
import xml.etree.ElementTree as ET

import pytest
from webob import Request

from swiftlike.s3api import chunked, errors, request, sigv2, values, xmlio
from swiftlike.s3api.controllers import bucket, segments
from swiftlike.s3api.controllers.common import S3Conf
from swiftlike.s3api.middleware import S3Api

from .test_signatures import SIGNERS, signed

NOT_NUMBERS = ['\u00b2', '\u0663', '9' * 100, '-1', '+5', ' 5', '5 ', '5.0', '0x10', '1e3', '1_0', '', '\x00',
               '18446744073709551616', None]
NOT_DATES = ['20241399T256199Z', '2024\u0661\u0662\u0660\u0661T000000Z', '00000000T000000Z',
             '20241201T000000', '', 'x' * 16, '20240230T000000Z']


@pytest.mark.parametrize('text', NOT_NUMBERS)
def test_numbers_are_ascii_digits_in_range(text):
    with pytest.raises(errors.InvalidArgument) as info:
        values.number(text, name='max-keys', maximum=2 ** 31 - 1)
    assert info.value.extra['ArgumentName'] == 'max-keys'
    with pytest.raises(errors.MalformedXML):
        values.number(text, name='PartNumber', error=errors.MalformedXML)


@pytest.mark.parametrize('text', NOT_DATES)
def test_impossible_amz_dates_are_none(text):
    assert values.amz_epoch(text) is None


@pytest.mark.parametrize('text', ['Mon, 99 Foo 2024 99:99:99 GMT', 'Mon, 32 Dec 99999 00:00:00 GMT', '\u00b2',
                                  'Sun, 06 Nov 1994 08:49:37 +9999', '0', ''])
def test_impossible_http_dates_are_none(text):
    assert values.http_epoch(text) is None


@pytest.mark.parametrize('text', ['bytes=\u00b2-3', 'bytes=0-\u0663', 'bytes=+1-2', 'bytes= 1 - 2', 'bytes=-',
                                  'bytes=' + '9' * 30 + '-', 'items=0-1', 'bytes=', '', 'bytes=0-1,' * 101])
def test_malformed_ranges_are_ignored(text):
    assert values.byte_range(text) is None


@pytest.mark.parametrize('text', ['bytes=\u00b2-3', 'bytes=0-\u0663', 'bytes=-3', 'bytes=3-', 'bytes=5-2',
                                  'bytes=0-1,2-3', 'bytes=+0-1', 'bytes=0-' + '9' * 100, ''])
def test_malformed_copy_source_ranges_are_invalid_argument(text):
    with pytest.raises(errors.InvalidArgument):
        values.copy_source_range(text, 10)


def test_a_copy_source_range_past_the_object_is_invalid_range():
    with pytest.raises(errors.InvalidRange):
        values.copy_source_range('bytes=0-10', 10)
    assert values.copy_source_range('bytes=0-9', 10) == (0, 9)


# -- signatures, dates, expiries ------------------------------------------------------------------


def parse(env):
    return request.parse(env, storage_domain='', max_skew=900, now=time.time())


@pytest.mark.parametrize('date', NOT_DATES)
def test_an_impossible_x_amz_date_is_access_denied(date):
    env = signed(SIGNERS['v4'](), '/bucket')
    env['HTTP_X_AMZ_DATE'] = date
    with pytest.raises(errors.AccessDenied):
        parse(env)


@pytest.mark.parametrize('name,value', [('X-Amz-Expires', v) for v in NOT_NUMBERS[:-1]]
                         + [('X-Amz-Date', v) for v in NOT_DATES])
def test_presigned_v4_junk_is_a_query_parameters_error(name, value):
    from urllib.parse import parse_qsl, urlencode
    env = signed(SIGNERS['v4-query'](), '/bucket/key')
    query = dict(parse_qsl(env['QUERY_STRING']))
    query[name] = value
    env['QUERY_STRING'] = urlencode(query)
    with pytest.raises(errors.AuthorizationQueryParametersError):
        parse(env)


@pytest.mark.parametrize('value', NOT_NUMBERS[:-1])
def test_presigned_v2_expires_junk_is_access_denied(value):
    from urllib.parse import parse_qsl, urlencode
    env = signed(SIGNERS['v2-query'](), '/bucket/key')
    query = dict(parse_qsl(env['QUERY_STRING']))
    query['Expires'] = value
    env['QUERY_STRING'] = urlencode(query)
    with pytest.raises(errors.AccessDenied):
        parse(env)


@pytest.mark.parametrize('date', ['Mon, 99 Foo 2024 99:99:99 GMT', '\u00b2',
                                  'Sun, 06 Nov 1994 08:49:37 +9999'])
def test_v2_date_junk_is_access_denied(date):
    env = signed(SIGNERS['v2'](), '/bucket')
    env['HTTP_DATE'] = date
    with pytest.raises(errors.AccessDenied):
        parse(env)


@pytest.mark.parametrize('kind', sorted(SIGNERS))
@pytest.mark.parametrize('junk', ['\u00e9' * 64, '\u00b2' * 28, 'a' * 63 + '\u00e9', '\x00', '\xff' * 40])
def test_non_ascii_signatures_do_not_match(kind, junk):
    env = signed(SIGNERS[kind](), '/bucket/key')
    if 'HTTP_AUTHORIZATION' in env:
        head, sep, _ = env['HTTP_AUTHORIZATION'].rpartition('Signature=' if kind == 'v4' else ':')
        env['HTTP_AUTHORIZATION'] = head + sep + junk
    else:
        from urllib.parse import parse_qsl, urlencode
        query = dict(parse_qsl(env['QUERY_STRING']))
        query['X-Amz-Signature' if kind == 'v4-query' else 'Signature'] = junk
        env['QUERY_STRING'] = urlencode(query)
    assert parse(env).auth.check('testing') is False
    assert sigv2.matches('testing', 'text', junk) is False


@pytest.mark.parametrize('day', ['2024\u0661\u0662\u0660\u0661', '\u00b2' * 8, '2024120', '202412011'])
def test_a_credential_day_of_other_digits_is_malformed(day):
    env = signed(SIGNERS['v4'](), '/bucket')
    head, _, rest = env['HTTP_AUTHORIZATION'].partition('/')
    env['HTTP_AUTHORIZATION'] = f'{head}/{day}/{rest.partition("/")[2]}'
    with pytest.raises(errors.AuthorizationHeaderMalformed):
        parse(env)


# -- aws-chunked ----------------------------------------------------------------------------------------


class FixedSigner:
    """Takes one signature, ``'good'``, for every chunk and trailer."""

    def check(self, data: bytes, given: str) -> bool:
        return given == 'good'

    def check_trailer(self, trailer: bytes, given: str) -> bool:
        return given == 'good'

    def mismatch(self, given: str) -> errors.S3Error:
        return errors.signature_mismatch('key', 'AWS4-HMAC-SHA256-PAYLOAD\n', given)


def decode(raw: bytes, length: int = 5, signed_chunks: bool = True) -> bytes:
    stream = chunked.AwsChunkedInput(io.BytesIO(raw), decoded_length=length,
                                     signer=FixedSigner() if signed_chunks else None, trailer=None,
                                     read_timeout=lambda: _NoTimeout())
    try:
        return stream.read()
    except chunked.ChunkError:
        assert stream.failure is not None
        raise stream.failure from None


class _NoTimeout:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def test_a_good_frame_decodes():
    assert decode(b'5;chunk-signature=good\r\nhello\r\n0;chunk-signature=good\r\n\r\n') == b'hello'


@pytest.mark.parametrize('size', [b'zz', '\u00b2'.encode(), b'-5', b'9' * 100, b'+5', b' 5', b'0x5', b'0_5',
                                  b'', b'7fffffff', b'3', b'6'])
def test_a_bad_chunk_size_is_incomplete_body(size):
    with pytest.raises(errors.IncompleteBody):
        decode(size + b';chunk-signature=good\r\nhello\r\n0;chunk-signature=good\r\n\r\n')


@pytest.mark.parametrize('raw', [b'5;chunk-signature=good\r\nhello\r\n', b'5;chunk-signature=good\r\nhel',
                                 b'5;chunk-signature=good\r\nhello', b'', b'\xff\xfe\x00\r\n' * 4])
def test_a_cut_body_or_no_last_chunk_is_incomplete_body(raw):
    with pytest.raises(errors.IncompleteBody):
        decode(raw)


@pytest.mark.parametrize('ext', [b';chunk-signature=bad', ';chunk-signature=\u00e9'.encode(),
                                 b';x=1;chunk-signature=good'])
def test_a_wrong_chunk_signature_does_not_match(ext):
    with pytest.raises(errors.SignatureDoesNotMatch):
        decode(b'5' + ext + b'\r\nhello\r\n0;chunk-signature=good\r\n\r\n')


@pytest.mark.parametrize('ext', [b'', b';', b';chunk-signature=', b';chunk-signature= ',
                                 b';chunk-signature=good;x=1', b';chunk-signature', b';\x00',
                                 b';' + b'a' * 5000])
def test_a_missing_or_blank_chunk_signature_is_incomplete_body(ext):
    # AWS: a frame without a signature is a malformed body, not a bad signature
    with pytest.raises(errors.IncompleteBody):
        decode(b'5' + ext + b'\r\nhello\r\n0;chunk-signature=good\r\n\r\n')


def test_a_body_longer_or_shorter_than_announced_is_incomplete():
    frame = b'5;chunk-signature=good\r\nhello\r\n0;chunk-signature=good\r\n\r\n'
    for length in (3, 9):
        with pytest.raises(errors.IncompleteBody):
            decode(frame, length)


# -- XML in and out, names ------------------------------------------------------------------------------


@pytest.mark.parametrize('body', [b'<a>', b'not xml', b'\xff\xfe<\x00a\x00/\x00>\x00', b'<a>\x00</a>',
                                  b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>', '<\u00e9/>'.encode('latin-1'),
                                  b'<a/>' + b' ' * xmlio.MAX_BODY])
def test_malformed_xml_bodies(body):
    with pytest.raises(errors.MalformedXML):
        xmlio.parse(body)


def test_a_declared_encoding_cannot_hide_a_declaration():
    hidden = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>'
    with pytest.raises(errors.MalformedXML):
        xmlio.parse(hidden.encode('utf-16'))
    assert xmlio.parse(b'<?xml version="1.0" encoding="bogus"?><a/>').tag == 'a'


def test_error_responses_are_xml_whatever_they_quote():
    resp = errors.InvalidBucketName(BucketName='b\x00\udcff<&\x1b').response('/b\x00', 'tx')
    root = ET.fromstring(resp.body)
    assert root.findtext('Code') == 'InvalidBucketName'
    assert root.findtext('BucketName') == 'b\\x00\\udcff<&\\x1b'


@pytest.mark.parametrize('name', ['bucket\n', 'bucket\x00', 'b\u00fcck', '1.2.3.4', '1.2.3.\u0664',
                                  'bucket..x', 'Bucket', 'ab', 'a' * 64])
def test_bucket_names(name):
    with pytest.raises(errors.InvalidBucketName):
        bucket.check_name(name)


def test_upload_ids_and_part_names_match_whole():
    good = 'A' * 32
    assert segments.is_upload_id(good)
    assert not segments.is_upload_id(good + '\n') and not segments.is_upload_id('\u00b2' * 32)


# -- the catch-all --------------------------------------------------------------------------------------


def test_an_unexpected_error_is_s3_xml_internal_error_logged_once(caplog):
    def broken(environ, start_response):
        raise RuntimeError('a bug')

    env = Request.blank('/').environ
    env.update(signed(SIGNERS['v4'](), '/'))
    env['swiftlike.trans_id'] = 'tx-test'
    with caplog.at_level(logging.ERROR):
        resp = Request(env).get_response(S3Api(broken, S3Conf()))
    assert resp.status_int == 500 and resp.content_type == 'application/xml'
    assert ET.fromstring(resp.body).findtext('Code') == 'InternalError'
    assert b'Traceback' not in resp.body and b'a bug' not in resp.body
    logged = [r for r in caplog.records if r.name == 'swiftlike.s3api.middleware']
    assert len(logged) == 1 and logged[0].exc_info is not None


def test_endless_trailers_are_refused():
    raw = b'0\r\n' + b'x-amz-checksum-crc32:AAAAAA==\r\n' * 1000 + b'\r\n'
    stream = chunked.AwsChunkedInput(io.BytesIO(raw), decoded_length=0, signer=None, trailing=True,
                                     trailer='crc32', read_timeout=lambda: _NoTimeout())
    with pytest.raises(chunked.ChunkError):
        stream.read()
    assert isinstance(stream.failure, errors.MalformedTrailerError)

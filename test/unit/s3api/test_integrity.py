"""The checksum, trailer and Content-MD5 headers as s3api reads them before a
body (integrity.py), and the chunk-extension parser of aws-chunked frames:
AWS's error for each malformed request, and hostile values refused with a 4xx
error, never an exception of another kind."""

from __future__ import annotations

import base64
import io
import zlib

import pytest

from swiftlike.s3api import chunked, errors, integrity

CRC = base64.b64encode(zlib.crc32(b'hello').to_bytes(4, 'big')).decode()
SHA1 = base64.b64encode(b'\x01' * 20).decode()


def claim(streaming: bool = False, **headers: str) -> integrity.Claim | None:
    return integrity.claim({k.replace('_', '-'): v for k, v in headers.items()}, streaming=streaming)


def message(err: pytest.ExceptionInfo[errors.S3Error]) -> str:
    return str(err.value)


def test_one_checksum_header_is_the_claim():
    assert claim(x_amz_checksum_crc32=CRC) == integrity.Claim('crc32', CRC)
    declared = claim(x_amz_checksum_crc32=CRC, x_amz_sdk_checksum_algorithm='CRC32')
    assert declared == integrity.Claim('crc32', CRC)
    assert claim(x_amz_checksum_mode='ENABLED', x_amz_checksum_type='FULL_OBJECT') is None


def test_a_trailer_is_a_claim_only_on_a_streaming_body():
    assert claim(True, x_amz_trailer='x-amz-checksum-crc32') == integrity.Claim('crc32', trailing=True)
    with pytest.raises(errors.MalformedTrailerError):
        claim(x_amz_trailer='x-amz-checksum-crc32')


@pytest.mark.parametrize('headers', [
    {'x-amz-checksum-crc32': CRC, 'x-amz-checksum-sha1': SHA1},
    {'x-amz-checksum-crc32': CRC, 'x-amz-trailer': 'x-amz-checksum-crc32, x-amz-checksum-crc32'},
    {'x-amz-trailer': 'x-amz-checksum-crc32,x-amz-checksum-sha1'},
    {'x-amz-checksum-crc32': CRC, 'x-amz-checksum-sha1': SHA1, 'x-amz-sdk-checksum-algorithm': 'nonsense'},
])
def test_several_checksums_are_refused(headers):
    with pytest.raises(errors.InvalidRequest) as err:
        integrity.claim(headers, streaming=True)
    assert message(err) == integrity.MULTIPLE


def test_a_header_and_a_trailer_are_refused():
    with pytest.raises(errors.InvalidRequest) as err:
        claim(True, x_amz_checksum_crc32=CRC, x_amz_trailer='x-amz-checksum-crc32c')
    assert message(err) == 'Expecting a single x-amz-checksum- header'


@pytest.mark.parametrize('value', ['bad', 'short===', 'toolong=', '^^^^^^==', 'y^/^Q5^J^g==', '', 'AAAAAAAA',
                                   CRC[:5] + chr(ord(CRC[5]) + 1) + CRC[6:], CRC.rstrip('='),
                                   '\x00' * 8, '\u00e9' * 8, 'A' * 10000])
def test_a_value_that_is_no_checksum_is_invalid(value):
    with pytest.raises(errors.InvalidRequest) as err:
        claim(x_amz_checksum_crc32=value)
    assert message(err) == 'Value for x-amz-checksum-crc32 header is invalid.'
    assert value not in message(err) or not value


@pytest.mark.parametrize('name', ['x-amz-checksum-bad', 'x-amz-checksum-', 'x-amz-checksum-\u00e9',
                                  'x-amz-checksum-' + 'x' * 500, 'x-amz-checksum-md5'])
def test_an_unknown_algorithm_is_invalid(name):
    with pytest.raises(errors.InvalidRequest) as err:
        integrity.claim({name: CRC}, streaming=False)
    assert message(err) == 'The algorithm type you specified in x-amz-checksum- header is invalid.'


def test_sdk_checksum_algorithm_must_agree_and_have_a_checksum():
    with pytest.raises(errors.InvalidRequest) as err:
        claim(x_amz_sdk_checksum_algorithm='CRC32')
    assert message(err).startswith('x-amz-sdk-checksum-algorithm specified, but no corresponding')
    for declared in ('CRC32C', 'sha256', '', '\x00', '\u00e9', 'CRC32' * 1000):
        with pytest.raises(errors.InvalidRequest) as err:
            claim(x_amz_sdk_checksum_algorithm=declared, x_amz_checksum_crc32=CRC)
        assert message(err) == 'Value for x-amz-sdk-checksum-algorithm header is invalid.'


@pytest.mark.parametrize('value, names', [
    ('x-amz-checksum-crc32', ['x-amz-checksum-crc32']),
    ('x-amz-checksum-crc32,', ['x-amz-checksum-crc32']),
    ('x-amz-checksum-crc32,,', ['x-amz-checksum-crc32']),
    ('x-amz-checksum-crc32, ', ['x-amz-checksum-crc32']),
    (' X-Amz-Checksum-CRC32 ', ['x-amz-checksum-crc32']),
])
def test_trailer_names_ignore_trailing_commas(value, names):
    assert integrity.trailer_names(value) == names


@pytest.mark.parametrize('value', [', x-amz-checksum-crc32', ',x-amz-checksum-crc32',
                                   'x-amz-checksum-crc32, ,', ', x-amz-checksum-crc32, ,', 'a,,b'])
def test_an_empty_trailer_name_is_unsupported(value):
    with pytest.raises(errors.InvalidRequest) as err:
        integrity.trailer_names(value)
    assert message(err) == 'The value specified in the x-amz-trailer header is not supported'


@pytest.mark.parametrize('trailer', ['foo', 'content-md5', 'x-amz-content-sha256', 'x-amz-checksum-bad',
                                     'x-amz-checksum-crc32, x-amz-foo', '\x00', '\u00e9', 'x' * 5000])
def test_an_unreadable_trailer_is_unsupported(trailer):
    with pytest.raises(errors.InvalidRequest) as err:
        claim(True, x_amz_trailer=trailer)
    assert message(err) == 'The value specified in the x-amz-trailer header is not supported'


@pytest.mark.parametrize('value', ['invalid', '', '=', 'AAAA', '\u00e9' * 24, '1B2M2Y8AsgTpgAmY7PhCfg'])
def test_content_md5_must_be_sixteen_bytes_of_base64(value):
    with pytest.raises(errors.InvalidDigest) as err:
        integrity.content_md5({'content-md5': value})
    assert message(err) == 'The Content-MD5 you specified was invalid.'
    empty = bytes.fromhex('d41d8cd98f00b204e9800998ecf8427e')
    assert integrity.content_md5({'content-md5': base64.b64encode(empty).decode()}) == empty


# -- aws-chunked frames -----------------------------------------------------------------------------


class _NoTimeout:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def unsigned(raw: bytes, length: int = 5, trailer: str | None = 'crc32') -> chunked.AwsChunkedInput:
    return chunked.AwsChunkedInput(io.BytesIO(raw), decoded_length=length, signer=None, trailer=trailer,
                                   trailing=True, read_timeout=lambda: _NoTimeout())


def failure_of(stream: chunked.AwsChunkedInput) -> errors.S3Error:
    with pytest.raises(chunked.ChunkError):
        stream.read()
    assert stream.failure is not None
    return stream.failure


def test_a_trailer_without_an_ending_line_or_with_uppercase_sizes_is_read():
    assert unsigned(b'5\r\nhello\r\n0\r\nx-amz-checksum-crc32:' + CRC.encode() + b'\r\n').read() == b'hello'
    assert unsigned(b'A\r\nhellohello\r\n0\r\n\r\n', 10, None).read() == b'hellohello'


def test_the_last_trailing_checksum_counts_and_a_blank_line_ends_the_trailer():
    good, bad = CRC.encode(), b'AAAAAA=='
    assert unsigned(b'5\r\nhello\r\n0\r\nx-amz-checksum-crc32:%s\r\nx-amz-checksum-crc32:%s\r\n' % (bad, good)
                    ).read() == b'hello'
    failure = failure_of(unsigned(b'5\r\nhello\r\n0\r\nx-amz-checksum-crc32:%s\r\n'
                                  b'x-amz-checksum-crc32:%s\r\n' % (good, bad)))
    assert isinstance(failure, errors.BadDigest) and str(failure).startswith('The CRC32 you specified')
    assert unsigned(b'5\r\nhello\r\n0\r\nx-amz-checksum-crc32:%s\r\n\r\nbonus: x\r\n\xff\xfe' % good
                    ).read() == b'hello'


@pytest.mark.parametrize('tail, error', [
    (b'', errors.MalformedTrailerError),
    (b'\r\nx-amz-checksum-crc32:' + CRC.encode() + b'\r\n', errors.MalformedTrailerError),
    (b'x-amz-checksum-crc32c:' + CRC.encode() + b'\r\n', errors.MalformedTrailerError),
    (b'x-amz-checksum-crc32:' + CRC.encode() + b'\r\nbonus: trailer\r\n', errors.MalformedTrailerError),
    (b'x-amz-checksum-crc32:not-base-64\r\n', errors.InvalidRequest),
    (b'x-amz-checksum-crc32:' + CRC.encode() + b'\n', errors.IncompleteBody),
    (b'x-amz-checksum-crc32:' + CRC.encode(), errors.IncompleteBody),
    (b'\xff\x00:\xfe\r\n', errors.MalformedTrailerError),
    (b'x-amz-checksum-crc32:' + CRC.encode() + b'\r\n' * 0 + b'x' * 5000, errors.IncompleteBody),
])
def test_a_bad_trailer_is_refused_as_aws_does(tail, error):
    assert isinstance(failure_of(unsigned(b'5\r\nhello\r\n0\r\n' + tail)), error)


def test_bad_values_are_not_echoed():
    failure = failure_of(unsigned(b'5\r\nhello\r\n0\r\nx-amz-checksum-crc32:not-base-64\r\n'))
    assert 'not-base-64' not in failure.response().body.decode()


def test_frame_sizes_that_disagree_with_the_decoded_length_give_the_counts():
    failure = failure_of(unsigned(b'2\r\nhe\r\n0\r\n3\r\nllo\r\n0\r\n\r\n', 5, None))
    assert isinstance(failure, errors.IncompleteBody)
    assert failure.extra == {'NumberBytesExpected': '5', 'NumberBytesProvided': '2'}
    failure = failure_of(unsigned(b'a\r\nhellohello\r\n0\r\n\r\n', 5, None))
    assert failure.extra == {'NumberBytesExpected': '5', 'NumberBytesProvided': '10'}


@pytest.mark.parametrize('ext, signature', [
    (b'chunk-signature=ab', 'ab'), (b' chunk-signature = ab ', 'ab'),
    (b'x=1;chunk-signature=ab', 'x=1;chunk-signature=ab'),
    (b'chunk-signature=ab;x=1', None), (b'chunk-signature=', None), (b'', None), (b'x=1', None),
    (b'\xff\xfe', None), (b'chunk-signature=\xff', '\xff'), (b';;;', None), (b'chunk-signature', None),
])
def test_chunk_signatures_are_read_as_aws_reads_them(ext, signature):
    assert chunked.chunk_signature(ext) == signature


class _Signer:
    """Takes the signature 'good' for every chunk and the trailer."""

    def check(self, data: bytes, given: str) -> bool:
        return given == 'good'

    def check_trailer(self, trailer: bytes, given: str) -> bool:
        return given == 'good'

    def mismatch(self, given: str) -> errors.S3Error:
        return errors.signature_mismatch('key', 'AWS4-HMAC-SHA256-PAYLOAD\nx', given, 'PUT\n/')


def signed(raw: bytes, length: int) -> chunked.AwsChunkedInput:
    return chunked.AwsChunkedInput(io.BytesIO(raw), decoded_length=length, signer=_Signer(),  # type: ignore
                                   trailer=None, read_timeout=lambda: _NoTimeout())


def test_a_small_signed_chunk_before_the_last_is_refused_with_its_size():
    raw = b''.join(b'%x;chunk-signature=good\r\n%s\r\n' % (len(c), c) for c in (b'x' * 100, b'y' * 8192, b''))
    failure = failure_of(signed(raw, 8292))
    assert isinstance(failure, errors.InvalidChunkSizeError) and failure.status == 403
    assert failure.extra == {'Chunk': '2', 'BadChunkSize': '100'}
    raw = b''.join(b'%x;chunk-signature=good\r\n%s\r\n' % (len(c), c) for c in (b'x' * 8192, b'y' * 10, b''))
    assert signed(raw, 8202).read() == b'x' * 8192 + b'y' * 10


def test_a_bad_chunk_signature_names_what_was_signed():
    failure = failure_of(signed(b'5;chunk-signature=bad\r\nhello\r\n0;chunk-signature=good\r\n\r\n', 5))
    body = failure.response().body.decode()
    assert isinstance(failure, errors.SignatureDoesNotMatch)
    for element in ('AWSAccessKeyId', 'StringToSign', 'SignatureProvided', 'StringToSignBytes',
                    'CanonicalRequest', 'CanonicalRequestBytes'):
        assert f'<{element}>' in body
    assert '<StringToSignBytes>41 57 53 34' in body


def test_crc64nvme_where_awscrt_is_installed():
    pytest.importorskip('awscrt')
    from swiftlike.s3api import checksums

    digest = checksums.new('crc64nvme')
    for piece in (b'1234', b'56789'):           # streamed in pieces, as a body is
        digest.update(piece)
    assert checksums.encode(digest) == 'rosUhgp5mIg='      # CRC-64/NVME's check value, 0xAE8B14860A799888
    assert claim(x_amz_checksum_crc64nvme='rosUhgp5mIg=') == integrity.Claim('crc64nvme', 'rosUhgp5mIg=')
    with pytest.raises(errors.InvalidRequest):
        claim(x_amz_checksum_crc64nvme='y/Q5Jg==')              # a CRC-32's size

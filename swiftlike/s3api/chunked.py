"""``Content-Encoding: aws-chunked`` bodies, decoded as they stream.

``STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]``: each chunk is
``<hex size>;chunk-signature=<sig>\\r\\n<data>\\r\\n``, signed in a chain
seeded by the request's signature; ``STREAMING-UNSIGNED-PAYLOAD-TRAILER``:
``<hex size>\\r\\n<data>\\r\\n``. A zero-size chunk ends the data; the
``-TRAILER`` forms then carry trailing headers (``x-amz-checksum-*``, and
``x-amz-trailer-signature`` when signed) and an empty line.

A chunk is handed on only once its signature checked, and the last one only
once the trailer checked, so a body that fails is never stored whole: the
read fails instead (OSError), ``error`` says why and ``failure`` is the S3
error to answer, as AWS words it: IncompleteBody for a malformed or cut
frame (with the byte counts when the frames are well-formed but their sizes
are not x-amz-decoded-content-length), SignatureDoesNotMatch (with what was
signed), InvalidChunkSizeError for a signed chunk under 8 KiB that is not the
last, MalformedTrailerError for a trailer other than the one announced or
none, InvalidRequest for a trailing value that is no checksum, BadDigest.

The trailer is read up to an empty line or the end of the body; of several
lines of the announced checksum the last counts.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, Final

from swiftlike.common.s3_auth import signatures_equal
from swiftlike.s3api import checksums, errors, integrity, sigv4

MAX_CHUNK: Final = 16 * 1024 * 1024
MAX_LINE: Final = 4096
#: The most trailing header lines a body may end with (S3 sends one or two).
MAX_TRAILERS: Final = 16
EMPTY: Final = hashlib.sha256(b'').hexdigest()
#: The smallest a signed chunk may be, but for the last one holding data.
MIN_SIGNED_CHUNK: Final = 8192
#: A chunk size: ASCII hex digits only (no sign, space, 0x or underscore, which int(x, 16) takes).
_SIZE: Final = re.compile(rb'[0-9a-fA-F]{1,8}\Z')


class ChunkError(OSError):
    """The body is not well-formed aws-chunked, or fails a check."""


def chunk_size(text: bytes) -> int | None:
    """The size of a chunk line's ``<hex size>``, or None if it is not one (or above MAX_CHUNK).

    >>> chunk_size(b'10000'), chunk_size(b'0'), chunk_size(b'-5'), chunk_size(b'0x5')
    (65536, 0, None, None)
    """
    if not _SIZE.match(text):
        return None
    size = int(text, 16)
    return size if size <= MAX_CHUNK else None


class ChunkSigner:
    """The chain of chunk signatures (and the trailer's) of a signed stream."""

    def __init__(self, key: bytes, amz_date: str, scope: str, seed: str) -> None:
        self.key, self.amz_date, self.scope, self.previous = key, amz_date, scope, seed
        self.last_text = ''          #: the newest string to sign (for SignatureDoesNotMatch)

    def check(self, data: bytes, given: str) -> bool:
        self.last_text = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', self.amz_date, self.scope, self.previous,
                                    EMPTY, hashlib.sha256(data).hexdigest()])
        self.previous = sigv4.sign(self.key, self.last_text)
        return signatures_equal(self.previous, given)

    def check_trailer(self, trailer: bytes, given: str) -> bool:
        self.last_text = '\n'.join(['AWS4-HMAC-SHA256-TRAILER', self.amz_date, self.scope, self.previous,
                                    hashlib.sha256(trailer).hexdigest()])
        return signatures_equal(sigv4.sign(self.key, self.last_text), given)


class LazySigner:
    """A ChunkSigner made at the first chunk: the signing key is only known
    once the auth filter has checked the request's signature."""

    def __init__(self, keys: list[bytes], signed: sigv4.SignedRequest, canonical: str = '') -> None:
        self.keys = keys
        self.signed = signed
        self.canonical = canonical
        self._signer: ChunkSigner | None = None

    def _get(self) -> ChunkSigner:
        if self._signer is None:
            if not self.keys:
                raise ChunkError('the request signature was not checked')
            self._signer = ChunkSigner(self.keys[0], self.signed.amz_date, self.signed.credential.scope,
                                       self.signed.signature)
        return self._signer

    def check(self, data: bytes, given: str) -> bool:
        return self._get().check(data, given)

    def check_trailer(self, trailer: bytes, given: str) -> bool:
        return self._get().check_trailer(trailer, given)

    def mismatch(self, given: str) -> errors.S3Error:
        """SignatureDoesNotMatch for the newest chunk (or trailer) checked."""
        return errors.signature_mismatch(self.signed.credential.access_key, self._get().last_text, given,
                                         self.canonical)


def chunk_signature(ext: bytes) -> str | None:
    """The ``chunk-signature`` of a chunk line's extensions (after the size's ';'):
    None when it is missing, blank or followed by more; the extensions as they
    are when something else comes first (as AWS, a signature that cannot match).

    >>> chunk_signature(b' chunk-signature = ab '), chunk_signature(b'x=1;chunk-signature=ab')
    ('ab', 'x=1;chunk-signature=ab')
    >>> chunk_signature(b'chunk-signature=ab;x=1') is None, chunk_signature(b'chunk-signature=') is None
    (True, True)
    """
    params = ext.split(b';')
    name, _, value = params[0].partition(b'=')
    if name.strip() != b'chunk-signature':
        found = any(p.partition(b'=')[0].strip() == b'chunk-signature' for p in params)
        return ext.decode('latin-1') if found else None
    if len(params) > 1 or not value.strip():
        return None
    return value.strip().decode('latin-1')


class AwsChunkedInput:
    """A wsgi.input of the decoded body (``decoded_length`` bytes)."""

    def __init__(self, stream: Any, *, decoded_length: int, signer: LazySigner | None,
                 trailer: str | None, read_timeout: Callable[[], Any],
                 header_checksum: integrity.Claim | None = None, trailing: bool = False) -> None:
        self.stream = stream
        self.decoded_length = decoded_length
        self.total = 0
        self.signer = signer
        self.trailer = trailer                 #: the checksum algorithm announced in x-amz-trailer
        self.trailing = trailing               #: a -TRAILER stream (trailing headers may follow the data)
        self.header_checksum = header_checksum
        algorithm = trailer or (header_checksum.algorithm if header_checksum else None)
        self.digest = checksums.new(algorithm) if algorithm else None
        self.read_timeout = read_timeout
        self.ready = b''                        #: checked bytes, to hand on
        self.newest = b''                       #: the newest chunk, held back until the next checks out
        self.chunks = 0
        self.previous_size = -1
        self.done = False
        self.error = ''
        self.failure: errors.S3Error | None = None      #: the S3 error to answer, once a read failed
        self.checksum = ''                      #: the trailer's checksum, once read

    def _readline(self) -> bytes:
        with self.read_timeout():
            line: bytes = self.stream.readline(MAX_LINE)
        return line

    def _line(self) -> bytes:
        line = self._readline()
        if not line.endswith(b'\r\n'):
            raise self._fail('a chunk line is not terminated')
        return line[:-2]

    def _fail(self, why: str, failure: errors.S3Error | None = None) -> ChunkError:
        self.error = why
        self.failure = failure or errors.IncompleteBody()
        return ChunkError(why)

    def _next_chunk(self) -> bytes:
        head = self._line()
        size_text, semicolon, ext = head.partition(b';')
        size = chunk_size(size_text.rstrip(b" \t"))
        if size is None:
            raise self._fail(f'bad chunk size {size_text[:20]!r} (hex, at most {MAX_CHUNK})')
        self.chunks += 1
        if self.total + size > self.decoded_length:
            raise self._fail('the body is longer than x-amz-decoded-content-length',
                             errors.short_body(self.decoded_length, self.total + size))
        given = chunk_signature(ext) if semicolon else None
        if self.signer is not None:
            if given is None:
                raise self._fail('a chunk has no chunk-signature')
            if size and 0 <= self.previous_size < MIN_SIGNED_CHUNK:
                raise self._fail('a chunk before the last is too small', errors.InvalidChunkSizeError(
                    Chunk=str(self.chunks), BadChunkSize=str(self.previous_size)))
        self.previous_size = size
        data = b''
        while len(data) < size:
            with self.read_timeout():
                more = self.stream.read(size - len(data))
            if not more:
                raise self._fail('body ends inside a chunk')
            data += more
        if (size or not self.trailing) and self.stream.read(2) != b'\r\n':
            raise self._fail('chunk data is not terminated')
        if self.signer is not None and given is not None and not self.signer.check(data, given):
            raise self._fail('chunk signature does not match', self.signer.mismatch(given))
        if self.digest is not None:
            self.digest.update(data)
        return data

    def _finish(self) -> None:
        """Read and check the trailer (for -TRAILER streams) after the last chunk."""
        if self.trailing:
            self._read_trailer()
        if self.digest is None:
            return
        expected = self.header_checksum.value if self.header_checksum else self.checksum
        algorithm = self.trailer or (self.header_checksum.algorithm if self.header_checksum else '')
        if checksums.encode(self.digest) != expected:
            raise self._fail(f'x-amz-checksum-{algorithm} does not match the body',
                             errors.bad_checksum(algorithm))

    def _read_trailer(self) -> None:
        """The trailing lines, up to an empty one or the end of the body."""
        lines: list[bytes] = []
        signature = None
        name_wanted = f'x-amz-checksum-{self.trailer}' if self.trailer else None
        while True:
            line = self._readline()
            if not line:
                break
            if not line.endswith(b'\r\n'):
                raise self._fail('a trailing line is not terminated')
            line = line[:-2]
            if not line:
                break
            if len(lines) >= MAX_TRAILERS:
                raise self._fail('too many trailing headers', errors.MalformedTrailerError())
            name, _, value = line.decode('latin-1').partition(':')
            name, value = name.strip().lower(), value.strip()
            if name == 'x-amz-trailer-signature' and self.signer is not None:
                signature = value
                continue
            self._trailing_checksum(name, value, name_wanted)
            lines.append(f'{name}:{value}\n'.encode('latin-1'))
        if self.trailer and not self.checksum:
            raise self._fail('the announced trailer is missing', errors.MalformedTrailerError())
        if self.signer is not None and self.trailer is None:
            raise self._fail('a signed trailer stream without x-amz-trailer')
        if self.signer is not None:
            if signature is None:
                raise self._fail('the trailer has no x-amz-trailer-signature')
            if not self.signer.check_trailer(b''.join(lines[-1:]) or b'\n', signature):
                raise self._fail('trailer signature does not match', self.signer.mismatch(signature))

    def _early_end(self) -> errors.S3Error:
        """The error for a last chunk before x-amz-decoded-content-length bytes: with the
        counts when frames follow it, plain IncompleteBody when the body ends there."""
        self._readline()
        with self.read_timeout():
            more = self.stream.read(1)
        return errors.short_body(self.decoded_length, self.total) if more else errors.IncompleteBody()

    def _trailing_checksum(self, name: str, value: str, name_wanted: str | None) -> None:
        """Take one trailing line (the newest of the announced checksum counts)."""
        if name != name_wanted:
            raise self._fail(f'unexpected trailing header {name[:40]!r}', errors.MalformedTrailerError())
        if not integrity.valid_value(self.trailer or '', value):
            raise self._fail('a trailing checksum is no checksum', errors.InvalidRequest(
                f'Value for {name} trailing header is invalid.'))
        self.checksum = value

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` decoded bytes; the newest chunk is held back until
        the next one (or the end, with its trailer) has checked out."""
        want = size if size is not None and size > 0 else None
        while not self.done and (want is None or len(self.ready) < want):
            chunk = self._next_chunk()
            self.ready += self.newest
            self.newest = chunk
            self.total += len(chunk)
            if not chunk:
                if self.total != self.decoded_length:
                    raise self._fail('the body is shorter than x-amz-decoded-content-length',
                                     self._early_end())
                self._finish()
                self.done = True
        cut = len(self.ready) if want is None else want
        out, self.ready = self.ready[:cut], self.ready[cut:]
        return out

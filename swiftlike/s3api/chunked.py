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
error to answer (IncompleteBody for a malformed or cut frame,
SignatureDoesNotMatch, BadDigest).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any, Final

from swiftlike.common.s3_auth import signatures_equal
from swiftlike.s3api import checksums, errors, sigv4

MAX_CHUNK: Final = 16 * 1024 * 1024
MAX_LINE: Final = 4096
#: The most trailing header lines a body may end with (S3 sends one or two).
MAX_TRAILERS: Final = 16
EMPTY: Final = hashlib.sha256(b'').hexdigest()
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

    def check(self, data: bytes, given: str) -> bool:
        text = '\n'.join(['AWS4-HMAC-SHA256-PAYLOAD', self.amz_date, self.scope, self.previous, EMPTY,
                          hashlib.sha256(data).hexdigest()])
        self.previous = sigv4.sign(self.key, text)
        return signatures_equal(self.previous, given)

    def check_trailer(self, trailer: bytes, given: str) -> bool:
        text = '\n'.join(['AWS4-HMAC-SHA256-TRAILER', self.amz_date, self.scope, self.previous,
                          hashlib.sha256(trailer).hexdigest()])
        return signatures_equal(sigv4.sign(self.key, text), given)


class LazySigner:
    """A ChunkSigner made at the first chunk: the signing key is only known
    once the auth filter has checked the request's signature."""

    def __init__(self, keys: list[bytes], signed: sigv4.SignedRequest) -> None:
        self.keys = keys
        self.signed = signed
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


class AwsChunkedInput:
    """A wsgi.input of the decoded body (``decoded_length`` bytes)."""

    def __init__(self, stream: Any, *, decoded_length: int, signer: ChunkSigner | LazySigner | None,
                 trailer: str | None, read_timeout: Callable[[], Any]) -> None:
        self.stream = stream
        self.decoded_length = decoded_length
        self.total = 0
        self.signer = signer
        self.trailer = trailer                 #: the x-amz-checksum-* name announced in x-amz-trailer
        self.digest = checksums.new(trailer[len('x-amz-checksum-'):]) if trailer else None
        self.read_timeout = read_timeout
        self.ready = b''                        #: checked bytes, to hand on
        self.newest = b''                       #: the newest chunk, held back until the next checks out
        self.done = False
        self.error = ''
        self.failure: errors.S3Error | None = None      #: the S3 error to answer, once a read failed
        self.checksum = ''                      #: the trailer's checksum, once read

    def _line(self) -> bytes:
        with self.read_timeout():
            line: bytes = self.stream.readline(MAX_LINE)
        if not line.endswith(b'\r\n'):
            raise self._fail('a chunk line is not terminated')
        return line[:-2]

    def _fail(self, why: str, error: type[errors.S3Error] = errors.IncompleteBody) -> ChunkError:
        self.error = why
        self.failure = error(why)
        return ChunkError(why)

    def _next_chunk(self) -> bytes:
        head = self._line()
        size_text, _, ext = head.partition(b';')
        size = chunk_size(size_text)
        if size is None:
            raise self._fail(f'bad chunk size {size_text[:20]!r} (hex, at most {MAX_CHUNK})')
        if self.total + size > self.decoded_length:
            raise self._fail('the body is longer than x-amz-decoded-content-length')
        data = b''
        while len(data) < size:
            with self.read_timeout():
                more = self.stream.read(size - len(data))
            if not more:
                raise self._fail('body ends inside a chunk')
            data += more
        if size and self.stream.read(2) != b'\r\n':
            raise self._fail('chunk data is not terminated')
        if self.signer is not None:
            given = ext.partition(b'chunk-signature=')[2].decode('latin-1')
            if not self.signer.check(data, given):
                raise self._fail('chunk signature does not match', errors.SignatureDoesNotMatch)
        if self.digest is not None:
            self.digest.update(data)
        return data

    def _finish(self) -> None:
        """Read and check the trailer (for -TRAILER streams) after the last chunk."""
        if self.trailer is None:
            if self.signer is None or self.stream.read(2) == b'\r\n':
                return
            raise self._fail('the final chunk is not terminated')
        lines: list[bytes] = []
        signature = ''
        while True:
            line = self._line()
            if not line:
                break
            if len(lines) >= MAX_TRAILERS:
                raise self._fail('too many trailing headers')
            name, _, value = line.decode('latin-1').partition(':')
            if name.strip().lower() == 'x-amz-trailer-signature':
                signature = value.strip()
            else:
                lines.append(line + b'\n')
                if name.strip().lower() == self.trailer:
                    self.checksum = value.strip()
        if self.signer is not None and not self.signer.check_trailer(b''.join(lines), signature):
            raise self._fail('trailer signature does not match', errors.SignatureDoesNotMatch)
        if self.digest is None or checksums.encode(self.digest) != self.checksum:
            raise self._fail(f'{self.trailer} does not match the body', errors.BadDigest)

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` decoded bytes; the newest chunk is held back until
        the next one (or the end, with its trailer) has checked out."""
        want = size if size is not None and size > 0 else None
        while not self.done and (want is None or len(self.ready) < want):
            chunk = self._next_chunk()
            self.ready += self.newest
            self.newest = chunk
            self.total += len(chunk)
            if self.total > self.decoded_length:
                raise self._fail('the body is longer than x-amz-decoded-content-length')
            if not chunk:
                self._finish()
                if self.total != self.decoded_length:
                    raise self._fail('the body is shorter than x-amz-decoded-content-length')
                self.done = True
        cut = len(self.ready) if want is None else want
        out, self.ready = self.ready[:cut], self.ready[cut:]
        return out

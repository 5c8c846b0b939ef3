"""S3's flexible checksums (``x-amz-checksum-crc32``, ``-crc32c``, ``-sha1``,
``-sha256``, and ``-crc64nvme`` where the C-backed ``awscrt`` package is
installed: base64 of the big-endian digest), checked as a body streams.
With awscrt, CRC-32C is computed by it too (the pure-Python one is slow)."""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from swiftlike.s3api import errors

try:                                   # optional: AWS's C runtime (CRC-64/NVME, fast CRC-32C)
    from awscrt import checksums as _crt
except ImportError:                    # pragma: no cover - depends on the installation
    _crt = None


class _Digest(Protocol):
    def update(self, data: bytes) -> None: ...

    def digest(self) -> bytes: ...


class _Crc32:
    def __init__(self) -> None:
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = zlib.crc32(data, self.value)

    def digest(self) -> bytes:
        return self.value.to_bytes(4, 'big')


def _crc32c_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


class _Crc32c:
    """CRC-32C (Castagnoli), in pure Python: fine for the sizes it is asked for here."""

    def __init__(self) -> None:
        self.value = 0xFFFFFFFF

    def update(self, data: bytes) -> None:
        crc = self.value
        for byte in data:
            crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
        self.value = crc

    def digest(self) -> bytes:
        return (self.value ^ 0xFFFFFFFF).to_bytes(4, 'big')


class _CrtCrc:
    """A CRC of awscrt (``crc32c`` or ``crc64nvme``), ``size`` bytes long."""

    def __init__(self, name: str, size: int) -> None:
        self.function = getattr(_crt, name)
        self.size = size
        self.value = 0

    def update(self, data: bytes) -> None:
        self.value = self.function(data, self.value)

    def digest(self) -> bytes:
        return int(self.value).to_bytes(self.size, 'big')


def _sha1() -> _Digest:
    return hashlib.sha1(usedforsecurity=False)


ALGORITHMS: dict[str, Callable[[], _Digest]] = {'crc32': _Crc32, 'crc32c': _Crc32c, 'sha1': _sha1,
                                                'sha256': hashlib.sha256}
if _crt is not None:
    ALGORITHMS['crc32c'] = lambda: _CrtCrc('crc32c', 4)
    ALGORITHMS['crc64nvme'] = lambda: _CrtCrc('crc64nvme', 8)
#: Algorithms whose multipart checksum is of the whole object, not of the parts' checksums
#: (S3's FULL_OBJECT type); s3api keeps no checksum for such a multipart object.
FULL_OBJECT_ONLY = frozenset({'crc64nvme'})


#: x-amz-checksum-* headers that are not a checksum of the body.
NOT_CHECKSUMS = frozenset({'x-amz-checksum-mode', 'x-amz-checksum-algorithm', 'x-amz-checksum-type'})


def new(algorithm: str) -> _Digest:
    """A digest of ``algorithm`` (crc32, crc32c, sha1, sha256)."""
    digest: _Digest = ALGORITHMS[algorithm]()
    return digest


def encode(digest: _Digest) -> str:
    """
    >>> d = new('crc32'); d.update(b'hello'); encode(d)
    'NhCmhg=='
    """
    return base64.b64encode(digest.digest()).decode('ascii')


def requested(headers: Mapping[str, str]) -> tuple[str, str] | None:
    """(algorithm, expected base64 value) of the request's x-amz-checksum-* header, if any.

    :raises InvalidRequest: for two of them, or an algorithm this server does not know
    """
    found = [(k[len('x-amz-checksum-'):], v) for k, v in headers.items()
             if k.startswith('x-amz-checksum-') and k not in NOT_CHECKSUMS]
    if not found:
        return None
    if len(found) > 1:
        raise errors.InvalidRequest('Expecting a single x-amz-checksum- header')
    if found[0][0] not in ALGORITHMS:
        raise errors.InvalidRequest(f'checksum algorithm {found[0][0]} is not supported')
    return found[0]


class VerifyingInput:
    """A wsgi.input that digests the body as it is read and fails the read
    that would deliver the last bytes if ``render(digest)`` is not
    ``expected``, so a body that does not match is never stored whole."""

    def __init__(self, stream: Any, length: int, digest: _Digest, expected: str,
                 render: Callable[[Any], str] = encode) -> None:
        self.stream = stream
        self.remaining = length
        self.digest = digest
        self.expected = expected
        self.render = render
        self.mismatch = False

    def read(self, size: int = -1) -> bytes:
        if self.remaining <= 0:
            return b''
        want = self.remaining if size is None or size < 0 else min(size, self.remaining)
        chunk: bytes = self.stream.read(want)
        self.remaining -= len(chunk)
        self.digest.update(chunk)
        if (self.remaining <= 0 or not chunk) and self.render(self.digest) != self.expected:
            self.mismatch = True
            raise OSError('the body does not match its digest')
        return chunk

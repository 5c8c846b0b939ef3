"""What a request says about its body's integrity, read and checked before
the body is: the one flexible checksum it may carry (an
``x-amz-checksum-<algorithm>`` header, or one announced in ``x-amz-trailer``
for an aws-chunked body), ``x-amz-sdk-checksum-algorithm``, and Content-MD5.
Each refusal is the error AWS answers, with its wording; the values a
client sent are never echoed. Pure: no I/O."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from swiftlike.s3api import checksums, errors

PREFIX: Final = 'x-amz-checksum-'
MULTIPLE: Final = 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.'
#: Digest sizes (bytes) of each algorithm: a value must be the base64 of that many.
SIZES: Final = {'crc32': 4, 'crc32c': 4, 'crc64nvme': 8, 'sha1': 20, 'sha256': 32}


@dataclass(frozen=True)
class Claim:
    """The body's checksum as the request gives it."""

    algorithm: str          #: crc32, crc32c, sha1, sha256 (lower case)
    value: str = ''         #: its base64 value ('' when it comes in the trailer)
    trailing: bool = False  #: announced in x-amz-trailer, sent after the body


def valid_value(algorithm: str, value: str) -> bool:
    """Whether ``value`` is the canonical base64 of a digest of ``algorithm``'s size
    (as AWS, a value whose padding bits are not zero is no checksum).

    >>> valid_value('crc32', 'NhCmhg=='), valid_value('crc32', 'bad'), valid_value('crc32', 'AAAAAAAA')
    (True, False, False)
    >>> valid_value('crc32', 'NhCmhh==')
    False
    """
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) == SIZES.get(algorithm, -1) and base64.b64encode(raw).decode('ascii') == value


def trailer_names(value: str) -> list[str]:
    """The header names ``x-amz-trailer`` announces, lower case: trailing commas
    (and blanks) are ignored, an empty name anywhere else is not.

    >>> trailer_names('x-amz-checksum-crc32,, '), trailer_names('X-Amz-Checksum-Crc32')
    (['x-amz-checksum-crc32'], ['x-amz-checksum-crc32'])

    :raises InvalidRequest: for an empty name before the last comma
    """
    names = [n.strip().lower() for n in value.strip().rstrip(',').split(',')]
    if not all(names):
        raise unsupported_trailer()
    return names


def unsupported_trailer() -> errors.S3Error:
    return errors.InvalidRequest('The value specified in the x-amz-trailer header is not supported')


def _count(found: list[tuple[str, str]], trailers: list[str]) -> None:
    """:raises InvalidRequest: unless the request names one checksum at most"""
    if len(found) > 1 or (len(trailers) > 1 and all(t.startswith(PREFIX) for t in trailers)):
        raise errors.InvalidRequest(MULTIPLE)
    if found and trailers:
        single = 'Expecting a single x-amz-checksum- header'
        raise errors.InvalidRequest(MULTIPLE if len(trailers) > 1 else single)


def _from_header(algorithm: str, value: str) -> Claim:
    if algorithm not in SIZES:
        raise errors.InvalidRequest('The algorithm type you specified in x-amz-checksum- header is '
                                    'invalid.')
    if not valid_value(algorithm, value):
        raise errors.InvalidRequest(f'Value for {PREFIX}{algorithm[:20]} header is invalid.')
    return Claim(algorithm, value)


def _from_trailer(trailers: list[str]) -> Claim:
    if len(trailers) > 1 or not trailers[0].startswith(PREFIX) or trailers[0][len(PREFIX):] not in SIZES:
        raise unsupported_trailer()
    return Claim(trailers[0][len(PREFIX):], trailing=True)


def claim(headers: Mapping[str, str], *, streaming: bool) -> Claim | None:
    """The request's checksum claim, checked as AWS checks it.

    :raises InvalidRequest: for several checksums, an unknown algorithm, a value that is no
        digest, an announced trailer it cannot read, or x-amz-sdk-checksum-algorithm that
        disagrees
    :raises MalformedTrailerError: for a trailer announced on a body that is not aws-chunked
    """
    found = [(k[len(PREFIX):], v) for k, v in headers.items()
             if k.startswith(PREFIX) and k not in checksums.NOT_CHECKSUMS]
    trailers = trailer_names(headers['x-amz-trailer']) if headers.get('x-amz-trailer', '').strip() else []
    _count(found, trailers)
    if trailers and not streaming:
        raise errors.MalformedTrailerError()
    result = _from_header(*found[0]) if found else _from_trailer(trailers) if trailers else None
    declared = headers.get('x-amz-sdk-checksum-algorithm')
    if declared is not None:
        if result is None:
            raise errors.InvalidRequest('x-amz-sdk-checksum-algorithm specified, but no corresponding '
                                        'x-amz-checksum-* or x-amz-trailer headers were found.')
        if declared.strip().lower() != result.algorithm:
            raise errors.InvalidRequest('Value for x-amz-sdk-checksum-algorithm header is invalid.')
    if result is not None and result.algorithm not in checksums.ALGORITHMS:
        raise errors.NotImplemented_(f'The {result.algorithm.upper()} checksum is not supported here.')
    return result


def content_md5(headers: Mapping[str, str]) -> bytes | None:
    """The binary MD5 of ``Content-MD5``, if sent.

    :raises InvalidDigest: unless it is the base64 of 16 bytes
    """
    raw = headers.get('content-md5')
    if raw is None:
        return None
    try:
        digest = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidDigest() from None
    if len(digest) != 16:
        raise errors.InvalidDigest()
    return digest

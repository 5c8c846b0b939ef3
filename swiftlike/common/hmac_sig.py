"""HMAC signatures of temporary URLs and form posts, as Swift computes them.
Pure: no webob, no clock, no I/O (the caller passes ``now`` and the keys).

A signature is ``<hex>`` (40 hex digits: sha1, 64: sha256, 128: sha512) or
``<algorithm>:<base64>`` (standard or URL-safe alphabet, padding optional).
What is signed is a few lines joined by ``\\n``, encoded as UTF-8:

- temp URL: ``[ip=<range>\\n]<METHOD>\\n<expires>\\n<path>`` (``path`` is
  ``/v1/a/c/o``, or ``prefix:/v1/a/c/<prefix>`` for a prefix URL);
- form post: ``<path>\\n<redirect>\\n<max_file_size>\\n<max_file_count>\\n<expires>``.

Every parser here raises :class:`SignatureError` (a ValueError) for any
text a client may send, never anything else.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import hashlib
import hmac
import re
from collections.abc import Iterable
from typing import Final

from swiftlike.common.numbers import NumberError, parse_int

#: Digest algorithms a signature may use (Swift's defaults).
SUPPORTED_DIGESTS: Final = ('sha1', 'sha256', 'sha512')
#: Hex signature length -> algorithm.
_HEX_LENGTHS: Final = {40: 'sha1', 64: 'sha256', 128: 'sha512'}
_HEX: Final = re.compile(r'[0-9a-fA-F]+\Z', re.ASCII)
_B64: Final = re.compile(r'[A-Za-z0-9+/_-]+={0,2}\Z', re.ASCII)
_ISO8601: Final = re.compile(r'([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})Z\Z',
                             re.ASCII)
#: The latest expiry taken: 9999-12-31T23:59:59Z (an HTTP date can still say it).
MAX_EXPIRES: Final = 253402300799
#: Longest signature text looked at (a base64 sha512 is 88 characters).
_MAX_SIG: Final = 200


class SignatureError(ValueError):
    """A signature, an expiry or a digest list is malformed."""


def parse_digests(text: str) -> tuple[str, ...]:
    """The configured ``allowed_digests`` (whitespace-separated), sorted.

    >>> parse_digests('SHA512 sha1'), parse_digests('')
    (('sha1', 'sha512'), ('sha1', 'sha256', 'sha512'))

    :raises SignatureError: if one is not supported
    """
    names = {name.lower() for name in text.split()} or set(SUPPORTED_DIGESTS)
    unknown = names - set(SUPPORTED_DIGESTS)
    if unknown:
        raise SignatureError(f'unsupported digest(s): {", ".join(sorted(unknown))}')
    return tuple(sorted(names))


def parse_signature(text: str, allowed: Iterable[str] = SUPPORTED_DIGESTS) -> tuple[str, bytes]:
    """``(algorithm, digest bytes)`` of a client's signature.

    >>> parse_signature('ab' * 20)[0], parse_signature('sha256:' + 'A' * 43)[0]
    ('sha1', 'sha256')

    :raises SignatureError: if it is not hex of a known length nor
        ``<algorithm>:<base64>`` of the algorithm's length, or its
        algorithm is not in ``allowed``
    """
    if len(text) > _MAX_SIG:
        raise SignatureError('signature too long')
    if ':' in text:
        algo, _, encoded = text.partition(':')
        digest = _b64(encoded)
    elif _HEX.match(text) and len(text) in _HEX_LENGTHS:
        algo, digest = _HEX_LENGTHS[len(text)], binascii.unhexlify(text)
    else:
        raise SignatureError('signature is neither hex of a known length nor <digest>:<base64>')
    if algo not in allowed or algo not in SUPPORTED_DIGESTS:
        raise SignatureError(f'digest {algo[:20]!r} not allowed')
    if len(digest) != hashlib.new(algo).digest_size:
        raise SignatureError(f'wrong length for a {algo} signature')
    return algo, digest


def _b64(encoded: str) -> bytes:
    """Bytes of standard or URL-safe base64, padded or not."""
    if not _B64.match(encoded):
        raise SignatureError('signature is not base64')
    standard = encoded.rstrip('=').replace('-', '+').replace('_', '/')
    try:
        return base64.b64decode(standard + '=' * (-len(standard) % 4), validate=True)
    except binascii.Error as err:
        raise SignatureError(f'signature is not base64: {err}') from None


def parse_expires(text: str) -> int:
    """Epoch seconds of ``temp_url_expires``: ASCII digits, or an ISO 8601
    UTC time ``YYYY-MM-DDThh:mm:ssZ``.

    >>> parse_expires('1700000000'), parse_expires('2026-12-02T10:00:00Z')
    (1700000000, 1796205600)

    :raises SignatureError: if it is neither, or after year 9999
    """
    found = _ISO8601.match(text)
    if found is None:
        try:
            return parse_int(text, what='expires', maximum=MAX_EXPIRES)
        except NumberError as err:
            raise SignatureError(str(err)) from None
    year, month, day, hour, minute, second = (int(group) for group in found.groups())
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year or 1, month)[1]
            and hour < 24 and minute < 60 and second < 61 and year >= 1970):
        raise SignatureError('expires is not a valid date')
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


def tempurl_message(method: str, expires: int, path: str, ip_range: str = '') -> str:
    """What a temp URL's signature covers.

    >>> tempurl_message('GET', 10, '/v1/a/c/o', '1.2.3.4')
    'ip=1.2.3.4\\nGET\\n10\\n/v1/a/c/o'
    """
    lines = [method, str(expires), path]
    if ip_range:
        lines.insert(0, f'ip={ip_range}')
    return '\n'.join(lines)


def formpost_message(path: str, redirect: str, max_file_size: str, max_file_count: str,
                     expires: str) -> str:
    """What a form's signature covers (the fields as the form sent them).

    >>> formpost_message('/v1/a/c/', '', '10', '1', '99')
    '/v1/a/c/\\n\\n10\\n1\\n99'
    """
    return '\n'.join((path, redirect, max_file_size, max_file_count, expires))


def sign(key: bytes, message: str, algo: str) -> bytes:
    """The HMAC digest of ``message`` (UTF-8, surrogates passed) with ``key``."""
    return hmac.new(key, message.encode('utf-8', 'surrogatepass'), algo).digest()


def first_match(digest: bytes, algo: str, keys: Iterable[tuple[bytes, str]],
                messages: Iterable[str]) -> str | None:
    """The scope of the first ``(key, scope)`` that signs one of ``messages``
    to ``digest`` (compared in constant time), or None.

    >>> key = [(b'k', 'account')]
    >>> first_match(sign(b'k', 'x', 'sha1'), 'sha1', key, ['y', 'x']), first_match(b'', 'sha1', key, ['x'])
    ('account', None)
    """
    texts = list(messages)
    for key, scope in keys:
        for message in texts:
            if hmac.compare_digest(sign(key, message, algo), digest):
                return scope
    return None


def key_bytes(value: str) -> bytes:
    """A key from a metadata header value (UTF-8 bytes carried as latin-1).

    >>> key_bytes('caf\\xc3\\xa9'), key_bytes('é€')
    (b'caf\\xc3\\xa9', b'\\xc3\\xa9\\xe2\\x82\\xac')
    """
    try:
        return value.encode('latin-1')
    except UnicodeEncodeError:
        return value.encode('utf-8', 'surrogatepass')

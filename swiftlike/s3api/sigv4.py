"""AWS Signature Version 4, as S3 uses it: the canonical request, the
string to sign, the signing key, and reading the signature from an
``Authorization`` header or from a presigned URL's query. Pure functions
of the request's parts; no I/O."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote

from swiftlike.common.numbers import NumberError, parse_int
from swiftlike.common.s3_auth import signatures_equal
from swiftlike.s3api.values import amz_epoch

ALGORITHM: Final = 'AWS4-HMAC-SHA256'
UNSIGNED: Final = 'UNSIGNED-PAYLOAD'
EMPTY_SHA256: Final = hashlib.sha256(b'').hexdigest()
#: The longest a presigned URL may be valid (seconds).
MAX_EXPIRES: Final = 604800
_DAY: Final = re.compile(r'[0-9]{8}\Z', re.ASCII)


class SignatureError(ValueError):
    """A malformed signature or credential (a 400 AuthorizationHeaderMalformed or similar)."""


@dataclass(frozen=True, slots=True)
class Credential:
    """``<access key>/<date>/<region>/<service>/aws4_request``."""

    access_key: str
    date: str
    region: str
    service: str

    @property
    def scope(self) -> str:
        return f'{self.date}/{self.region}/{self.service}/aws4_request'

    @classmethod
    def parse(cls, text: str) -> Credential:
        """:raises SignatureError: unless ``text`` is a credential of five parts"""
        parts = text.rsplit('/', 4)
        if len(parts) != 5 or parts[4] != 'aws4_request' or not all(parts[:4]) \
                or not _DAY.match(parts[1]):
            raise SignatureError(f'malformed credential {text!r}')
        return cls(*parts[:4])


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a request says it signed."""

    credential: Credential
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: str                     #: yyyymmddThhmmssZ
    expires: int | None = None        #: seconds, for a presigned URL


def parse_authorization(value: str, amz_date: str) -> SignedRequest:
    """The parts of ``Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...``.

    :raises SignatureError: if it is malformed
    """
    algorithm, _, rest = value.strip().partition(' ')
    if algorithm != ALGORITHM:
        raise SignatureError('unsupported algorithm')
    fields = {}
    for item in rest.split(','):
        key, eq, val = item.strip().partition('=')
        if eq:
            fields[key] = val
    try:
        credential = Credential.parse(fields['Credential'])
        headers = tuple(fields['SignedHeaders'].split(';'))
        signature = fields['Signature']
    except KeyError as err:
        raise SignatureError(f'Authorization lacks {err.args[0]}') from None
    return SignedRequest(credential, headers, signature, amz_date)


def parse_presigned(query: Mapping[str, str]) -> SignedRequest:
    """The parts of a presigned URL's ``X-Amz-*`` query parameters.

    :raises SignatureError: if they are missing or malformed
    """
    try:
        if query['X-Amz-Algorithm'] != ALGORITHM:
            raise SignatureError('unsupported algorithm')
        credential = Credential.parse(query['X-Amz-Credential'])
        expires = parse_int(query['X-Amz-Expires'], what='X-Amz-Expires', minimum=1, maximum=MAX_EXPIRES)
        signed = SignedRequest(credential, tuple(query['X-Amz-SignedHeaders'].split(';')),
                               query['X-Amz-Signature'], query['X-Amz-Date'], expires)
    except KeyError as err:
        raise SignatureError(f'query lacks {err.args[0]}') from None
    except NumberError:
        raise SignatureError(f'X-Amz-Expires must be 1 to {MAX_EXPIRES} seconds') from None
    amz_time(signed.amz_date)
    return signed


def amz_time(amz_date: str) -> float:
    """Seconds since the epoch of ``yyyymmddThhmmssZ``.

    :raises SignatureError: unless it is one (ASCII digits, a real day and time)
    """
    when = amz_epoch(amz_date)
    if when is None:
        raise SignatureError(f'X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd\'T\'HHmmss\'Z\'" '
                             f'(got {amz_date[:40]!r})')
    return when


def _uri_encode(text: str, safe: str = '') -> str:
    return quote(text, safe='-_.~' + safe)


def canonical_query(pairs: Sequence[tuple[str, str]]) -> str:
    """Encoded names and values sorted, ``X-Amz-Signature`` left out.

    >>> canonical_query([('prefix', 'a b'), ('list-type', '2'), ('acl', '')])
    'acl=&list-type=2&prefix=a%20b'
    """
    encoded = sorted((_uri_encode(k), _uri_encode(v)) for k, v in pairs if k != 'X-Amz-Signature')
    return '&'.join(f'{k}={v}' for k, v in encoded)


def canonical_uri(path: str) -> str:
    """The canonical URI of a decoded path, for a server that has no raw one:
    each byte URI-encoded once (S3 does not normalise or double-encode).

    >>> canonical_uri('/b/a b+c~')
    '/b/a%20b%2Bc~'
    """
    return _uri_encode(path, safe='/') or '/'


def canonical_request(method: str, uri: str, query: Sequence[tuple[str, str]],
                      headers: Mapping[str, str], signed_headers: Sequence[str], *, payload_hash: str) -> str:
    """The canonical request. ``uri`` is the path exactly as the client sent
    it (what S3 clients sign), or :func:`canonical_uri` of the decoded path."""
    lines = [f'{name}:{" ".join(headers.get(name, "").split())}' for name in signed_headers]
    return '\n'.join([method, uri, canonical_query(query), *lines, '', ';'.join(signed_headers),
                      payload_hash])


def string_to_sign(signed: SignedRequest, canonical: str) -> str:
    """``AWS4-HMAC-SHA256 \\n date \\n scope \\n sha256(canonical request)``."""
    digest = hashlib.sha256(canonical.encode('utf-8')).hexdigest()
    return '\n'.join([ALGORITHM, signed.amz_date, signed.credential.scope, digest])


def signing_key(secret: str, credential: Credential) -> bytes:
    """The key derived from the secret for the credential's day, region and service."""
    key = ('AWS4' + secret).encode('utf-8')
    for part in (credential.date, credential.region, credential.service, 'aws4_request'):
        key = hmac.new(key, part.encode('utf-8'), hashlib.sha256).digest()
    return key


def sign(key: bytes, text: str) -> str:
    """Hex HMAC-SHA256 of ``text``."""
    return hmac.new(key, text.encode('utf-8'), hashlib.sha256).hexdigest()


def signature_matches(secret: str, signed: SignedRequest, to_sign: str) -> bool:
    """Whether ``signed.signature`` is the signature of ``to_sign`` with ``secret``."""
    expected = sign(signing_key(secret, signed.credential), to_sign)
    return signatures_equal(expected, signed.signature)

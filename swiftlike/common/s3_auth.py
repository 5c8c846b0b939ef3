"""What the s3api filter hands the auth filter: an S3 access key and a way
to check the request's signature with that key's secret (the secret never
leaves the auth filter). The auth filter records the outcome. Also the one
constant-time comparison of signatures and tokens both filters use."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class S3AuthDetails:
    """In ``environ[env_keys.S3_AUTH]``; ``outcome`` is set by the auth filter."""

    access_key: str
    check: Callable[[str], bool]            #: the secret -> whether the signature matches
    outcome: str = ''                       #: '', 'ok', 'unknown_key' or 'bad_signature'


def signatures_equal(expected: str | bytes, given: str | bytes) -> bool:
    """Whether ``given`` (from a client: any characters) equals ``expected``, in
    constant time. Both are compared as UTF-8 bytes: ``hmac.compare_digest``
    raises TypeError for a str with non-ASCII characters.

    >>> signatures_equal('abc', 'abc'), signatures_equal('abc', 'ab\\u00e9')
    (True, False)
    >>> signatures_equal(b'a', '\\udcff')
    False
    """
    def raw(text: str | bytes) -> bytes:
        return text if isinstance(text, bytes) else text.encode('utf-8', 'surrogatepass')
    return hmac.compare_digest(raw(expected), raw(given))

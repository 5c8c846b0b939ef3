"""What the s3api filter hands the auth filter: an S3 access key and a way
to check the request's signature with that key's secret (the secret never
leaves the auth filter). The auth filter records the outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class S3AuthDetails:
    """In ``environ[env_keys.S3_AUTH]``; ``outcome`` is set by the auth filter."""

    access_key: str
    check: Callable[[str], bool]            #: the secret -> whether the signature matches
    outcome: str = ''                       #: '', 'ok', 'unknown_key' or 'bad_signature'

"""Version ids and where object versioning keeps versions. Pure: no requests.

Every version of ``/<account>/<container>/<object>`` is an object of the
hidden account ``.versions_<account>``, container ``<container>``, named
``<object>\\x01<inverted timestamp>``: a version's name sorts right after
its object's (only NUL, which names may not hold, sorts before ``\\x01``)
and newest first. Its version id is the timestamp (``1700000000.12345``).

The object in the versioned container is then a pointer: an empty object
whose sysmeta names the version it stands for, and whose listing row shows
the version's size, type and ETag (with ``; s_vid=<id>`` after the ETag,
and ``; s_bytes=<size>``: the filter takes them off listings, and reads
them in ``?versions`` ones)."""

from __future__ import annotations

import re
from typing import Final

from swiftlike.common.numbers import is_int
from swiftlike.common.timestamp import Timestamp

#: Objects written while versioning was off (or before) are this version.
NULL: Final = 'null'
#: Sysmeta of a pointer: the version id it stands for.
POINTER: Final = 'X-Object-Sysmeta-Versions-Pointer'
#: What separates an object's name from a version's inverted timestamp.
SEP: Final = '\x01'
#: The listing ETag parameter of a pointer that names its version.
VID_PARAM: Final = 's_vid'
BYTES_PARAM: Final = 's_bytes'
_ID: Final = re.compile(r'[0-9]{10}\.[0-9]{5}', re.ASCII)
_TOP: Final = 999999999999999   # 9999999999.99999, in units of 10 µs


def hidden_account(account: str) -> str:
    """The hidden account versions of ``account``'s objects are kept in.

    >>> hidden_account('AUTH_test')
    '.versions_AUTH_test'
    """
    return f'.versions_{account}'


def parse_id(value: str) -> str:
    """A version id as given by a client (``null`` or ``<10 digits>.<5 digits>``).

    >>> parse_id('1700000000.12345'), parse_id('null')
    ('1700000000.12345', 'null')

    :raises ValueError: for anything else (other digits, signs, lengths...)
    """
    if value == NULL or _ID.fullmatch(value):
        return value
    raise ValueError('Invalid version-id')


def new_id(now: float) -> str:
    """The version id of a version written at ``now``.

    >>> new_id(1700000000.123456)
    '1700000000.12346'
    """
    return Timestamp(now).normal


def _invert(stamp: str) -> str:
    """``9999999999.99999 - stamp``, exactly (both ``<10 digits>.<5 digits>``)."""
    units = _TOP - int(stamp.replace('.', ''))
    return f'{units // 100000:010d}.{units % 100000:05d}'


def version_name(obj: str, vid: str) -> str:
    """The hidden object name of version ``vid`` of ``obj``.

    >>> version_name('a', '1700000000.00000')
    'a\\x018299999999.99999'
    """
    return f'{obj}{SEP}{_invert(vid)}'


def split_version(name: str) -> tuple[str, str] | None:
    """``(object, version id)`` of a hidden object name, or None.

    >>> split_version('a/b\\x018299999999.99999')
    ('a/b', '1700000000.00000')
    """
    obj, sep, inverted = name.rpartition(SEP)
    if not sep or not _ID.fullmatch(inverted):
        return None
    return obj, _invert(inverted)


def listing_etag(etag: str, vid: str, size: str) -> str:
    """The ETag a pointer's listing row carries (its own row counts 0 bytes:
    the version's size goes along here, for listings to show).

    >>> listing_etag('abc', '1700000000.00000', '5')
    'abc; s_vid=1700000000.00000; s_bytes=5'
    """
    return f'{etag}; {VID_PARAM}={vid}; {BYTES_PARAM}={size}'


def split_listing_etag(value: str) -> tuple[str, str | None, int | None]:
    """``(hash, version id, size)`` of a listing row's hash: the hash without
    this module's parameters (others' stay), and what they said, if there.

    >>> split_listing_etag('abc; x=1; s_vid=1700000000.00000; s_bytes=5')
    ('abc; x=1', '1700000000.00000', 5)
    >>> split_listing_etag('abc')
    ('abc', None, None)
    """
    kept: list[str] = []
    vid: str | None = None
    size: int | None = None
    for param in value.split('; '):
        key, eq, found = param.partition('=')
        if eq and key == VID_PARAM:
            vid = found
        elif eq and key == BYTES_PARAM and is_int(found):
            size = int(found)
        else:
            kept.append(param)
    return '; '.join(kept), vid, size

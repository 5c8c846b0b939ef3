"""The one parser for whole numbers that come from outside: headers, query
parameters, XML and JSON fields, paths, internal verbs. Pure; no webob.

Python's ``str.isdigit`` is true for '²' and '٣', which ``int()`` then
rejects or reads as another digit, and ``int()`` itself takes '+5', ' 5',
'5_000' and '٣'. Every number from a request goes through :func:`parse_int`
instead: ASCII digits only, an optional '-' only where negatives are allowed,
and a range check, so a bad value is a clear 400 and never a 500.
"""

from __future__ import annotations

import re
from typing import Final

from swiftlike.common.constraints import ConstraintError

#: The largest value any field may carry unless the caller narrows it (signed 64-bit).
INT64_MAX: Final = 2 ** 63 - 1
_DIGITS: Final = re.compile(r'-?[0-9]+\Z', re.ASCII)
_ALL_DIGITS: Final = re.compile(r'[0-9]+\Z', re.ASCII)
#: Longer texts are refused before they are read (int() is quadratic in their length).
_MAX_DIGITS: Final = 20


class NumberError(ConstraintError):
    """A number from a request is malformed or out of range (400 by default)."""


def parse_int(text: str | bytes | None, *, what: str = 'value', minimum: int = 0,
              maximum: int = INT64_MAX, status: int = 400) -> int:
    """``text`` as an int in ``[minimum, maximum]``.

    >>> parse_int('42'), parse_int('-3', minimum=-5), parse_int(b'007')
    (42, -3, 7)
    >>> for bad in ('²', '٣', '+5', ' 5', '5 ', '5_0', '0x1f', '1e3', '5.0', '', '-', '10', '-1', '-0'):
    ...     try:
    ...         parse_int(bad, maximum=9)
    ...     except NumberError:
    ...         pass
    ...     else:
    ...         print('accepted', repr(bad))

    :param what: how the value is named in the error message
    :param status: the HTTP status of the error (e.g. 416 for a range)
    :raises NumberError: if ``text`` is missing, not ASCII digits (with one
        leading '-' when ``minimum`` is negative), or out of range
    """
    if isinstance(text, bytes):
        text = text.decode('latin-1')
    if text is None or len(text) > _MAX_DIGITS or not _DIGITS.match(text) \
            or (minimum >= 0 and text.startswith('-')):
        raise NumberError(f'invalid {what}: {_shown(text)}', status)
    value = int(text)
    if not minimum <= value <= maximum:
        raise NumberError(f'{what} out of range ({minimum} to {maximum}): {_shown(text)}', status)
    return value


def parse_optional_int(text: str | bytes | None, *, what: str = 'value', minimum: int = 0,
                       maximum: int = INT64_MAX, status: int = 400) -> int | None:
    """:func:`parse_int`, or None when ``text`` is None (absent).

    >>> parse_optional_int(None), parse_optional_int('3')
    (None, 3)
    """
    if text is None:
        return None
    return parse_int(text, what=what, minimum=minimum, maximum=maximum, status=status)


def is_int(text: str | None, *, minimum: int = 0, maximum: int = INT64_MAX) -> bool:
    """Whether :func:`parse_int` would accept ``text`` (for names on disk,
    such as partition directories, where a bad one is skipped, not refused).

    >>> is_int('12'), is_int('²'), is_int('.lock')
    (True, False, False)
    """
    try:
        parse_int(text, minimum=minimum, maximum=maximum)
    except NumberError:
        return False
    return True


def clamped_digits(text: str | None, ceiling: int) -> int | None:
    """ASCII digits of any length as an int no larger than ``ceiling`` (a longer number
    stands for "more than anything"), or None if ``text`` is not ASCII digits: for values
    Swift clamps or ignores rather than refuses (a listing's limit, an expiry time).

    >>> clamped_digits('0042', 99), clamped_digits('9' * 5000, 99), clamped_digits('\u00b2', 99)
    (42, 99, None)
    >>> clamped_digits('', 99), clamped_digits('-1', 99), clamped_digits('+1', 99), clamped_digits(' 1', 99)
    (None, None, None, None)
    """
    if text is None or not text.isascii() or not _ALL_DIGITS.match(text):
        return None
    significant = text.lstrip('0') or '0'
    if len(significant) > len(str(ceiling)):
        return ceiling
    return min(int(significant), ceiling)


def _shown(text: str | None) -> str:
    """The value for an error message: quoted, printable, at most 40 characters."""
    if text is None:
        return 'missing'
    shown = text[:40].encode('ascii', 'backslashreplace').decode('ascii')
    return repr(shown) + ('...' if len(text) > 40 else '')

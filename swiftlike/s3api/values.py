"""Values of an S3 request read strictly: numbers (through
:func:`swiftlike.common.numbers.parse_int`: ASCII digits, range-checked),
``X-Amz-Date`` and HTTP dates, and byte ranges. A bad value is the S3 error
AWS answers (or None where AWS ignores it), never a ValueError that would
end as a 500. Pure: no I/O, no webob."""

from __future__ import annotations

import calendar
import datetime
import email.utils
import re
from typing import Final

from swiftlike.common.numbers import INT64_MAX, NumberError, parse_int
from swiftlike.s3api import errors

#: ``yyyymmddThhmmssZ``, ASCII digits only.
_AMZ_DATE: Final = re.compile(r'([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z\Z', re.ASCII)
_RANGE_SPEC: Final = re.compile(r'([0-9]*)-([0-9]*)\Z', re.ASCII)
_COPY_RANGE: Final = re.compile(r'bytes=([0-9]+)-([0-9]+)\Z', re.ASCII)
#: The most ranges a Range header handed on may have (the proxy caps them again).
MAX_RANGES: Final = 100


def number(text: str | None, *, name: str, minimum: int = 0, maximum: int = INT64_MAX,
           error: type[errors.S3Error] = errors.InvalidArgument) -> int:
    """``text`` as an int in ``[minimum, maximum]``.

    >>> number('12', name='max-keys')
    12
    >>> number('\\u00b2', name='max-keys')
    Traceback (most recent call last):
    swiftlike.s3api.errors.InvalidArgument: invalid max-keys: '\\\\xb2'

    :raises S3Error: ``error`` (InvalidArgument naming the argument by default)
    """
    try:
        return parse_int(text, what=name, minimum=minimum, maximum=maximum)
    except NumberError as err:
        extra = {'ArgumentName': name, 'ArgumentValue': (text or '')[:100]} \
            if error is errors.InvalidArgument else {}
        raise error(str(err), **extra) from None


def amz_epoch(text: str) -> float | None:
    """Seconds since the epoch of an ``X-Amz-Date`` (``yyyymmddThhmmssZ``), or None
    unless it is one, in ASCII digits, of a real day and time.

    >>> amz_epoch('19700102T000000Z'), amz_epoch('20241399T256199Z')
    (86400.0, None)
    >>> amz_epoch('2024\\u0661\\u0662\\u0660\\u0661T000000Z') is None
    True
    """
    found = _AMZ_DATE.match(text)
    if not found:
        return None
    try:
        year, month, day, hour, minute, second = (int(part) for part in found.groups())
        when = datetime.datetime(year, month, day, hour, minute, second, tzinfo=datetime.UTC)
    except ValueError:
        return None
    return float(calendar.timegm(when.timetuple()))


def http_epoch(text: str) -> float | None:
    """Seconds since the epoch of an HTTP date (any form ``email.utils`` reads), or None.

    >>> http_epoch('Thu, 01 Jan 1970 00:01:00 GMT'), http_epoch('Mon, 99 Foo 2024 99:99:99 GMT')
    (60.0, None)
    """
    try:
        return email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, OverflowError, IndexError):
        return None


def byte_range(text: str | None) -> str | None:
    """A Range header to hand on, or None to serve the whole object: like S3,
    a Range that is not ``bytes=`` and ASCII-digit ranges is ignored.

    >>> byte_range('bytes=0-4,-3'), byte_range('bytes=\\u00b2-3'), byte_range('bytes=-'), byte_range(None)
    ('bytes=0-4,-3', None, None, None)
    """
    if text is None:
        return None
    unit, _, specs = text.strip().partition('=')
    if unit.strip().lower() != 'bytes' or not specs:
        return None
    parts = [spec.strip() for spec in specs.split(',')]
    if len(parts) > MAX_RANGES:
        return None
    for spec in parts:
        found = _RANGE_SPEC.match(spec)
        if not found or not any(found.groups()) or not all(
                len(n) <= 19 for n in found.groups()):     # fits in 64 bits
            return None
    return 'bytes=' + ','.join(parts)


def copy_source_range(text: str, size: int) -> tuple[int, int]:
    """(first, last) byte of ``x-amz-copy-source-range: bytes=first-last`` in an object of ``size`` bytes.

    >>> copy_source_range('bytes=2-5', 10)
    (2, 5)

    :raises InvalidArgument: unless it is of that form, first <= last
    :raises InvalidRange: if ``last`` is beyond the object
    """
    found = _COPY_RANGE.match(text.strip())
    first = last = -1
    if found:
        try:
            first, last = (parse_int(n, what='x-amz-copy-source-range') for n in found.groups())
        except NumberError:
            found = None
    if not found or first > last:
        raise errors.InvalidArgument('The x-amz-copy-source-range value must be of the form bytes=first-last '
                                     'where first and last are the zero-based offsets of the first and last '
                                     'bytes to copy', ArgumentName='x-amz-copy-source-range',
                                     ArgumentValue=text[:100])
    if last >= size:
        raise errors.InvalidRange(f'Range specified is not valid for source object of size: {size}')
    return first, last

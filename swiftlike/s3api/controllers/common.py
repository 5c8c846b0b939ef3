"""What the controllers share: the controller signature and S3 time formats."""

from __future__ import annotations

import calendar
import datetime
import time
from collections.abc import Callable
from dataclasses import dataclass

from webob import Response

from swiftlike.common.wsgi import WsgiApp
from swiftlike.s3api.request import S3Request


@dataclass(frozen=True)
class S3Conf:
    """Options of the s3api filter."""

    location: str = 'us-east-1'
    storage_domain: str = ''
    max_skew: float = 900.0
    max_keys: int = 1000
    min_part_size: int = 5 * 1024 * 1024
    #: the longest key (UTF-8 bytes) a request may create: S3's limit, and Swift's default one
    max_key_length: int = 1024


Controller = Callable[[WsgiApp, S3Request, S3Conf], Response]


def iso_time(swift_time: str) -> str:
    """A listing's ``2026-11-22T03:12:05.123456`` as S3's ``2026-11-22T03:12:06.000Z``: rounded up
    to the second, as Last-Modified is, so a listing and a HEAD of the same object agree.

    >>> iso_time('2026-11-22T03:12:05.123456'), iso_time('2026-12-31T23:59:59.5')
    ('2026-11-22T03:12:06.000Z', '2027-01-01T00:00:00.000Z')
    >>> iso_time('2026-01-01T00:00:00')
    '2026-01-01T00:00:00.000Z'
    >>> iso_time('not a time')
    'not a time'
    """
    seconds, _, fraction = swift_time.partition('.')
    try:
        when = datetime.datetime.strptime(seconds, '%Y-%m-%dT%H:%M:%S')
    except ValueError:
        return swift_time
    if fraction.strip('0'):
        when += datetime.timedelta(seconds=1)
    return when.strftime('%Y-%m-%dT%H:%M:%S.000Z')


def iso_of_epoch(epoch: float) -> str:
    """S3's time in XML bodies.

    >>> iso_of_epoch(0)
    '1970-01-01T00:00:00.000Z'
    """
    return time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(epoch))


def http_time(epoch: float) -> str:
    """An HTTP date.

    >>> http_time(0)
    'Thu, 01 Jan 1970 00:00:00 GMT'
    """
    return time.strftime('%a, %d %b %Y %H:%M:%S GMT', time.gmtime(epoch))


def epoch_of_http(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, '%a, %d %b %Y %H:%M:%S GMT')))

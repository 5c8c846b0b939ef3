"""Conditional requests (If-Match, If-None-Match, If-Modified-Since,
If-Unmodified-Since) evaluated against an ETag and a last-modified time. Pure."""

from __future__ import annotations

import math
from collections.abc import Mapping
from email.utils import parsedate_to_datetime


def etags(value: str) -> set[str]:
    """The entity tags of an If-Match / If-None-Match value, unquoted, weak or not.

    >>> sorted(etags('"a", W/"b" ,*'))
    ['*', 'a', 'b']
    """
    return {tag.strip().removeprefix('W/').strip('"') for tag in value.split(',') if tag.strip()}


def http_date(value: str) -> float | None:
    """Seconds since the epoch of an HTTP date, or None if it is not one."""
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def evaluate(headers: Mapping[str, str], etag: str | None, last_modified: float | None,
             method: str) -> int | None:
    """The status a conditional request gets (304 or 412), or None to proceed.

    ``etag`` None means the resource does not exist.

    >>> evaluate({'If-None-Match': '*'}, 'abc', 0, 'GET')
    304
    >>> evaluate({'If-Match': '"x"'}, 'abc', 0, 'GET')
    412
    """
    if_match = headers.get('If-Match')
    if if_match is not None:
        tags = etags(if_match)
        if etag is None or ('*' not in tags and etag not in tags):
            return 412
    if_none_match = headers.get('If-None-Match')
    if if_none_match is not None and etag is not None:
        tags = etags(if_none_match)
        if '*' in tags or etag in tags:
            return 304 if method in ('GET', 'HEAD') else 412
    modified = math.ceil(last_modified) if last_modified is not None else None
    since = headers.get('If-Unmodified-Since')
    if if_match is None and since and modified is not None:
        when = http_date(since)
        if when is not None and modified > when:
            return 412
    since = headers.get('If-Modified-Since')
    if if_none_match is None and since and modified is not None and method in ('GET', 'HEAD'):
        when = http_date(since)
        if when is not None and modified <= when:
            return 304
    return None

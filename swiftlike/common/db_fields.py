"""Checks of the fields of database rows and stat that come from elsewhere
(another replica, a pending file, a SYNC copy): each returns the value in
the form it is stored, or raises ValueError. No SQL and no I/O here."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from swiftlike.common.numbers import INT64_MAX, NumberError
from swiftlike.common.timestamp import Timestamp


def text_field(item: Mapping[str, Any], key: str, *, name: bool = False) -> str:
    """``item[key]`` if it is a str SQLite can store (UTF-8, no lone
    surrogates); a ``name`` must also be non-empty and without NUL.

    :raises ValueError: otherwise
    """
    value = item.get(key)
    if not isinstance(value, str) or (name and (not value or '\x00' in value)):
        raise ValueError(f'{key} must be a {"name" if name else "string"}')
    try:
        value.encode('utf-8')
    except UnicodeEncodeError:
        raise ValueError(f'{key} is not valid Unicode') from None
    return value


def int_field(item: Mapping[str, Any], key: str, *, minimum: int = 0, maximum: int = INT64_MAX) -> int:
    """``item[key]`` if it is an int (not a bool) in ``[minimum, maximum]``.

    :raises ValueError: otherwise
    """
    value = item.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise NumberError(f'{key} must be a whole number from {minimum} to {maximum}')
    return value


def timestamp_field(item: Mapping[str, Any], key: str) -> str:
    """``item[key]`` as an internal timestamp, if it is one (a str or a number).

    :raises ValueError: otherwise
    """
    value = item.get(key)
    if not isinstance(value, (str, int, float)):
        raise ValueError(f'{key} must be a timestamp')
    return Timestamp(value).internal


def check_metadata(raw: object) -> dict[str, tuple[str, str]]:
    """Stored metadata (JSON text of ``{key: [value, timestamp]}``), checked.

    :raises ValueError: if it is not that
    """
    if raw is not None and not isinstance(raw, str):
        raise ValueError('metadata must be JSON text')
    try:
        parsed = json.loads(raw or '{}')
    except RecursionError:
        raise ValueError('metadata nested too deep') from None
    if not isinstance(parsed, dict):
        raise ValueError('metadata must be a JSON object')
    out = {}
    for key, pair in parsed.items():
        if not isinstance(pair, list) or len(pair) != 2:
            raise ValueError('metadata values are [value, timestamp]')
        entry = {'key': key, 'value': pair[0], 'timestamp': pair[1]}
        out[text_field(entry, 'key', name=True)] = (text_field(entry, 'value'),
                                                      timestamp_field(entry, 'timestamp'))
    return out

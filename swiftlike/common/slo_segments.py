"""What a static large object's manifest lists, as Swift has it: object
segments (whole, or a byte ``range`` of one), sub-manifests (another static
large object, ``sub_slo``, nested up to :data:`MAX_DEPTH` deep), and data
segments (``data``: bytes inline, base64). Pure: each entry's length, and what
it adds to the joined ETag (the MD5 of, per entry, its ETag, or
``<etag>:<first>-<last>;`` for a range, or the MD5 of its data).

>>> entries = [{'hash': 'a' * 32, 'bytes': 10}, {'hash': 'b' * 32, 'bytes': 10, 'range': '2-4'},
...            {'data': 'eHl6'}]
>>> [entry_length(e) for e in entries]
[10, 3, 3]
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

#: Most levels of manifests within manifests a read follows.
MAX_DEPTH: Final = 10
_RANGE: Final = re.compile(r'([0-9]{0,19})-([0-9]{0,19})\Z', re.ASCII)


def normal_range(text: str, size: int) -> tuple[int, int]:
    """A segment's ``range`` (``first-last``, ``first-`` or ``-suffix``) within ``size`` bytes,
    as inclusive ``(first, last)``.

    >>> normal_range('-3', 10), normal_range('4-', 10), normal_range('2-99', 10)
    ((7, 9), (4, 9), (2, 9))

    :raises ValueError: if it is malformed or selects no byte
    """
    match = _RANGE.match(text)
    if match is None or not (match[1] or match[2]):
        raise ValueError(f'malformed range {text!r}')
    if not match[1]:
        count = int(match[2])
        if not count or not size:
            raise ValueError(f'unsatisfiable range {text!r}')
        return max(0, size - count), size - 1
    first = int(match[1])
    last = min(int(match[2]), size - 1) if match[2] else size - 1
    if first > last or first >= size:
        raise ValueError(f'unsatisfiable range {text!r}')
    return first, last


def stored_range(entry: Mapping[str, Any]) -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` of a stored entry's range, or None."""
    if 'range' not in entry:
        return None
    first, _, last = str(entry['range']).partition('-')
    return int(first), int(last)


def data_of(entry: Mapping[str, Any]) -> bytes:
    """A data segment's bytes.

    :raises ValueError: if its base64 is malformed
    """
    try:
        return base64.b64decode(str(entry['data']), validate=True)
    except (binascii.Error, ValueError) as err:
        raise ValueError(f'malformed data segment: {err}') from None


def entry_length(entry: Mapping[str, Any]) -> int:
    """Bytes an entry adds to the joined object."""
    if 'data' in entry:
        return len(data_of(entry))
    span = stored_range(entry)
    return span[1] - span[0] + 1 if span else int(entry['bytes'])


def joined_etag(entries: Sequence[Mapping[str, Any]]) -> str:
    """The joined object's ETag."""
    parts = []
    for entry in entries:
        if 'data' in entry:
            parts.append(hashlib.md5(data_of(entry), usedforsecurity=False).hexdigest())
        elif 'range' in entry:
            parts.append(f'{entry["hash"]}:{entry["range"]};')
        else:
            parts.append(str(entry['hash']))
    return hashlib.md5(''.join(parts).encode('ascii'), usedforsecurity=False).hexdigest()

"""HTTP Range requests: parsing ``bytes=`` specs into satisfiable ranges,
and the multipart/byteranges body for several. Pure.

Byte positions are ASCII digits only (``²`` is not a digit here). As RFC
9110 section 14.2 allows and Swift does, a request for egregiously many or
overlapping ranges is answered with the whole body instead: more than
``MAX_RANGES`` satisfiable ranges, more than ``MAX_OVERLAPS`` overlapping
pairs, or ``MAX_NONASCENDING`` or more ranges out of order. So 1,000
one-byte ranges of a 1 KB object cost 1 KB, not a 100 KB multipart body.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Final

MAX_RANGES: Final = 50
MAX_OVERLAPS: Final = 2
MAX_NONASCENDING: Final = 8
_SPEC: Final = re.compile(r'\s*([0-9]*)\s*-\s*([0-9]*)\s*\Z', re.ASCII)   # spaces around '-', as Swift
#: A position with more digits than this is past the end of any object.
_MAX_DIGITS: Final = 19


class RangeNotSatisfiable(ValueError):
    """No requested range overlaps the body (416)."""


def _position(digits: str) -> int:
    return int(digits) if len(digits) <= _MAX_DIGITS else 10 ** _MAX_DIGITS


class _MalformedRange(ValueError):
    """A spec that is not ``first-last``, ``first-`` or ``-suffix``."""


def _spec(spec: str, length: int) -> tuple[int, int] | None:
    """One ``first-last`` spec: its ``(start, stop)``, or None if it is not satisfiable.

    :raises _MalformedRange: if it is malformed
    """
    match = _SPEC.match(spec)
    if match is None or not (match[1] or match[2]):
        raise _MalformedRange(spec)
    first, last = match[1], match[2]
    if not first:                                  # suffix range: the last N bytes
        count = _position(last)
        return (max(0, length - count), length) if count else None
    start = _position(first)
    if last and _position(last) < start:
        raise _MalformedRange(spec)
    if start >= length:
        return None
    return start, min(length, _position(last) + 1) if last else length


def parse_range(header: str | None, length: int) -> list[tuple[int, int]] | None:
    """``(start, stop)`` pairs for a Range header over ``length`` bytes.

    Returns None when the header is absent or malformed, or asks for too
    many or too tangled ranges (the whole body is sent, as RFC 9110 says to
    ignore an invalid Range).

    >>> parse_range('bytes=0-9,-5,90-', 100)
    [(0, 10), (95, 100), (90, 100)]
    >>> parse_range('bytes=5-2', 100) is None, parse_range('bytes=\\u00b2-\\u00b3', 100) is None
    (True, True)
    >>> parse_range('bytes=' + ','.join(f'{n}-{n}' for n in range(51)), 100) is None
    True
    >>> parse_range('bytes=-5', 0) is None        # no '0--1/0': the whole empty body
    True
    >>> parse_range(' BYTES = 0 - 9 ', 100), parse_range('bytes = 1 2-3', 100), parse_range('bites=0-1', 100)
    ([(0, 10)], None, None)

    :raises RangeNotSatisfiable: if every range starts past the end
    """
    units, equals, specs = (header or '').partition('=')
    if not equals or units.strip(' \t').lower() != 'bytes':   # 'BYTES = 0 - 9' too, as Swift
        return None
    ranges = []
    for spec in specs.split(','):
        try:
            found = _spec(spec, length)
        except _MalformedRange:
            return None
        if found is not None:
            ranges.append(found)
        if len(ranges) > MAX_RANGES:
            return None
    if not ranges:
        raise RangeNotSatisfiable(f'no range of {str(header)[:100]!r} is within {length} bytes')
    if not length:          # a suffix range of an empty body: the whole (empty) body, as Swift
        return None
    return None if _egregious(ranges) else ranges


def _egregious(ranges: list[tuple[int, int]]) -> bool:
    """Too many overlapping pairs, or too many ranges out of order."""
    overlaps = 0
    for (start1, stop1), (start2, stop2) in itertools.combinations(ranges, 2):
        if start1 < stop2 and start2 < stop1:
            overlaps += 1
            if overlaps > MAX_OVERLAPS:
                return True
    ascending = all(a[0] <= b[0] for a, b in itertools.pairwise(ranges))
    return not ascending and len(ranges) >= MAX_NONASCENDING


def multipart_body(ranges: list[tuple[int, int]], length: int, content_type: str,
                   read: Callable[[int, int], Iterable[bytes]]) -> tuple[str, Iterator[bytes]]:
    """The boundary and body of a multipart/byteranges response."""
    boundary = uuid.uuid4().hex

    def body() -> Iterator[bytes]:
        for start, stop in ranges:
            yield (f'--{boundary}\r\nContent-Type: {content_type}\r\n'
                   f'Content-Range: bytes {start}-{stop - 1}/{length}\r\n\r\n').encode('latin-1')
            yield from read(start, stop)
            yield b'\r\n'
        yield f'--{boundary}--\r\n'.encode('ascii')

    return boundary, body()


def multipart_length(ranges: list[tuple[int, int]], length: int, content_type: str, boundary: str) -> int:
    """Content-Length of :func:`multipart_body`'s output."""
    total = len(f'--{boundary}--\r\n')
    for start, stop in ranges:
        total += len((f'--{boundary}\r\nContent-Type: {content_type}\r\n'
                      f'Content-Range: bytes {start}-{stop - 1}/{length}\r\n\r\n').encode('latin-1'))
        total += stop - start + 2
    return total

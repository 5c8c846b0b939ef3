"""HTTP Range requests: parsing ``bytes=`` specs into satisfiable ranges,
and the multipart/byteranges body for several. Pure."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator


class RangeNotSatisfiable(ValueError):
    """No requested range overlaps the body (416)."""


def parse_range(header: str | None, length: int) -> list[tuple[int, int]] | None:
    """``(start, stop)`` pairs for a Range header over ``length`` bytes.

    Returns None when the header is absent or malformed (the whole body is
    sent, as RFC 9110 says to ignore an invalid Range).

    >>> parse_range('bytes=0-9,-5,90-', 100)
    [(0, 10), (95, 100), (90, 100)]
    >>> parse_range('bytes=5-2', 100) is None
    True

    :raises RangeNotSatisfiable: if every range starts past the end
    """
    if not header or not header.strip().lower().startswith('bytes='):
        return None
    ranges = []
    for spec in header.strip()[6:].split(','):
        first, dash, last = spec.strip().partition('-')
        if not dash or not (first.isdigit() or last.isdigit()) or \
                (first and not first.isdigit()) or (last and not last.isdigit()):
            return None
        if not first:                      # suffix range: the last N bytes
            if int(last) == 0:
                continue
            ranges.append((max(0, length - int(last)), length))
        elif last and int(last) < int(first):
            return None
        elif int(first) < length:
            ranges.append((int(first), min(length, int(last) + 1) if last else length))
    if not ranges:
        raise RangeNotSatisfiable(f'no range of {header!r} is within {length} bytes')
    return ranges


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

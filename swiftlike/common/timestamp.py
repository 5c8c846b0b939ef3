"""Swift's timestamps: seconds since the epoch in a fixed-width normal form
(``1700000000.00000``), optionally with an offset (``..._000000000000000a``)
that orders writes made at the same instant. Newest timestamp wins
everywhere: data, tombstones, metadata and database rows."""

from __future__ import annotations

import functools
import math
import re
import time
from typing import Final

from swiftlike.common.numbers import parse_int

#: Resolution of a timestamp: 10 microseconds, as Swift.
PRECISION: Final = 5
_MAX_SECONDS: Final = 9999999999.99999


@functools.total_ordering
class Timestamp:
    """A point in time with an optional offset.

    :param value: seconds (float, int, or a str/bytes in either Swift form)
    :param offset: added to an offset already in ``value``
    :raises ValueError: if ``value`` is not a valid timestamp

    >>> Timestamp('1700000000.5').internal
    '1700000000.50000'
    >>> Timestamp(1700000000.5, offset=10).internal
    '1700000000.50000_000000000000000a'
    >>> Timestamp('1700000000.50000_000000000000000a') > Timestamp(1700000000.5)
    True
    """

    __slots__ = ('offset', 'ticks')
    ticks: int
    offset: int

    def __init__(self, value: float | str | bytes | Timestamp, offset: int = 0) -> None:
        if isinstance(value, Timestamp):
            ticks, base_offset = value.ticks, value.offset
        else:
            ticks, base_offset = _parse(value)
        if offset < 0 or base_offset + offset >= 1 << 64:
            raise ValueError(f'bad timestamp offset {offset}')
        self.ticks = ticks
        self.offset = base_offset + offset

    @classmethod
    def now(cls, clock: float | None = None) -> Timestamp:
        """The current time (or ``clock``)."""
        return cls(time.time() if clock is None else clock)

    @property
    def normal(self) -> str:
        """``1700000000.50000``: the form in X-Timestamp headers and file names."""
        return f'{self.ticks // 10 ** PRECISION:010d}.{self.ticks % 10 ** PRECISION:05d}'

    @property
    def internal(self) -> str:
        """The normal form, plus ``_<16 hex digits>`` when there is an offset."""
        return f'{self.normal}_{self.offset:016x}' if self.offset else self.normal

    @property
    def seconds(self) -> float:
        """The time as a float."""
        return self.ticks / 10 ** PRECISION

    @property
    def isoformat(self) -> str:
        """``2023-11-14T22:13:20.500000``, as in listings' last_modified."""
        secs, frac = divmod(self.ticks, 10 ** PRECISION)
        return time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(secs)) + f'.{frac:05d}0'

    def __repr__(self) -> str:
        return f'Timestamp({self.internal!r})'

    def __str__(self) -> str:
        return self.internal

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Timestamp):
            try:
                other = Timestamp(other)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                return NotImplemented
        return (self.ticks, self.offset) == (other.ticks, other.offset)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Timestamp):
            other = Timestamp(other)  # type: ignore[arg-type]
        return (self.ticks, self.offset) < (other.ticks, other.offset)

    def __hash__(self) -> int:
        return hash((self.ticks, self.offset))


#: A timestamp as text: whole seconds (ASCII digits), an optional fraction
#: and an optional ``_<hex>`` offset. No sign, exponent, spaces, underscores
#: between digits or non-ASCII digits (which float() would take).
_TEXT: Final = re.compile(r'([0-9]{1,10}(?:\.[0-9]{0,20})?)(?:_([0-9a-fA-F]{1,16}))?\Z', re.ASCII)


def _parse(value: float | str | bytes) -> tuple[int, int]:
    offset = 0
    if isinstance(value, bytes):
        value = value.decode('ascii', 'replace')
    if isinstance(value, str):
        match = _TEXT.match(value)
        if match is None:
            raise ValueError(f'bad timestamp {value[:40]!r}')
        seconds = float(match.group(1))
        offset = int(match.group(2) or '0', 16)
    elif isinstance(value, bool):
        raise ValueError(f'bad timestamp {value!r}')
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or not 0 <= seconds <= _MAX_SECONDS:
        raise ValueError(f'timestamp out of range: {value!r}')
    return round(seconds * 10 ** PRECISION), offset


#: The latest X-Delete-At: ten digits, as the latest timestamp.
MAX_DELETE_AT: Final = 9999999999


def normalize_delete_at(value: str | None) -> int:
    """An ``X-Delete-At`` value: whole seconds since the epoch, at most ten digits.

    >>> normalize_delete_at('1700000000')
    1700000000

    :raises NumberError: (a ValueError, 400) if it is not such a number
    """
    return parse_int(value, what='X-Delete-At', maximum=MAX_DELETE_AT)

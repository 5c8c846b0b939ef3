"""Range parsing: ASCII digits only, and egregious requests get the whole body."""

from __future__ import annotations

import pytest

from swiftlike.common.ranges import RangeNotSatisfiable, parse_range


@pytest.mark.parametrize('header', ['bytes=²-³', 'bytes=٣-', 'bytes=-１', 'bytes=+1-2', 'bytes=0x1-2',
                                    'bytes=1_0-20', 'bytes=5-2', 'bytes=a-b', 'bytes=-', 'bytes=1-2-3',
                                    'bytes=0-1,\x00', 'bits=0-1'])
def test_malformed_ranges_are_ignored(header):
    assert parse_range(header, 100) is None


def test_a_thousand_one_byte_ranges_are_ignored():
    assert parse_range('bytes=' + ','.join(f'{n}-{n}' for n in range(1000)), 1024) is None


def test_fifty_ascending_ranges_are_served():
    ranges = parse_range('bytes=' + ','.join(f'{2 * n}-{2 * n}' for n in range(50)), 1024)
    assert ranges is not None and len(ranges) == 50


def test_more_than_two_overlaps_are_ignored():
    assert parse_range('bytes=0-10,5-15', 100) == [(0, 11), (5, 16)]
    assert parse_range('bytes=0-10,5-15,8-20', 100) is None


def test_many_ranges_out_of_order_are_ignored():
    assert parse_range('bytes=' + ','.join(f'{n}-{n}' for n in range(7, 0, -1)), 100) is not None
    assert parse_range('bytes=' + ','.join(f'{n}-{n}' for n in range(8, 0, -1)), 100) is None


def test_huge_positions_are_clamped_or_unsatisfiable():
    assert parse_range('bytes=0-' + '9' * 5000, 100) == [(0, 100)]
    assert parse_range('bytes=-' + '9' * 5000, 100) == [(0, 100)]
    with pytest.raises(RangeNotSatisfiable):
        parse_range('bytes=' + '9' * 5000 + '-', 100)

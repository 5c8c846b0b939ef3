"""Per-block checksums: however a body is chunked when written, and whatever
range is read, the bytes served are the body's, and a flipped byte in any
block read stops the read before that block's bytes are served."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from swiftlike.obj import blocks


def reader(body: bytes):
    return lambda start, stop: iter([body[start:stop]])


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=600), cuts=st.lists(st.integers(0, 600)), size=st.integers(1, 64))
def test_the_table_does_not_depend_on_chunking(body, cuts, size):
    summer = blocks.BlockSummer(block_size=size)
    edges = sorted({0, len(body), *(c for c in cuts if c <= len(body))})
    for a, b in zip(edges, edges[1:], strict=False):
        summer.update(body[a:b])
    assert summer.table() == blocks.checksums(body, size)
    table, got = blocks.table_of(summer.metadata(), len(body))
    assert (table, got) == (blocks.checksums(body, size), size)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(min_size=1, max_size=600), size=st.integers(1, 64), data=st.data())
def test_any_range_reads_the_bodys_bytes(body, size, data):
    start = data.draw(st.integers(0, len(body) - 1))
    stop = data.draw(st.integers(start + 1, len(body)))
    got = b''.join(blocks.verified(reader(body), blocks.checksums(body, size), block_size=size,
                                   length=len(body), start=start, stop=stop))
    assert got == body[start:stop]


@settings(max_examples=200, deadline=None)
@given(body=st.binary(min_size=1, max_size=600), size=st.integers(1, 64), data=st.data())
def test_a_flipped_byte_in_a_block_read_is_never_served(body, size, data):
    flip = data.draw(st.integers(0, len(body) - 1))
    start = data.draw(st.integers(0, flip))
    stop = data.draw(st.integers(flip + 1, len(body)))
    corrupt = body[:flip] + bytes([body[flip] ^ 0x01]) + body[flip + 1:]
    served = b''
    with pytest.raises(blocks.CorruptBlockError):
        for chunk in blocks.verified(reader(corrupt), blocks.checksums(body, size), block_size=size,
                                     length=len(body), start=start, stop=stop):
            served += chunk
    assert served == body[start:start + len(served)]          # what came before is the body's own
    assert len(served) <= flip - start


@pytest.mark.parametrize('meta', [{blocks.META_KEY: '!!', blocks.SIZE_KEY: '4'},
                                  {blocks.META_KEY: 'AAAAAA==', blocks.SIZE_KEY: '4'},
                                  {blocks.META_KEY: 'AAAAAA==', blocks.SIZE_KEY: '²'}])
def test_an_unreadable_or_ill_fitting_table_is_corrupt(meta):
    with pytest.raises(blocks.CorruptBlockError):
        blocks.table_of(meta, 100)


def test_an_object_without_a_table_is_read_unchecked():
    assert blocks.table_of({'ETag': 'x'}, 100) is None

"""The object server in-process, built by ``app_factory`` over a tmp devices
dir (real xattrs, no network): timestamp ordering of PUT/POST/DELETE,
conditional and ranged reads, per-block checksums that keep a corrupt byte
from ever being served, conditional PUTs, expiry, container updates and
their async pendings, and hostile values, each refused with a 4xx."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
from email.utils import formatdate

import pytest

from swiftlike.common import expiring
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj import blocks
from test.unit.obj.fakes import (
    HangUpInput,
    InProcessSender,
    ObjectNode,
    UnreadInput,
    dead_port,
    read_until_error,
)

BASE = int(time.time())                # tombstones older than reclaim_age would vanish


def ts(offset: float) -> str:
    """A timestamp ``offset`` seconds after BASE, in its normal form."""
    return Timestamp(BASE + offset).internal


def wsgi(text: str) -> str:
    """``text`` as a WSGI server hands it over: its UTF-8 bytes, one latin-1 character each."""
    return text.encode('utf-8').decode('latin-1')


@pytest.fixture
def node(tmp_path) -> ObjectNode:
    return ObjectNode(tmp_path, BASE)


# --- timestamp ordering ---------------------------------------------------------------------

def test_put_get_head_delete_round_trip(node):
    assert node.put(b'hello', ts(1), X_Object_Meta_Color='blue').status_int == 201
    got = node.call('GET')
    assert (got.status_int, got.body) == (200, b'hello')
    assert got.headers['ETag'] == hashlib.md5(b'hello').hexdigest()
    assert got.headers['X-Object-Meta-Color'] == 'blue'
    assert got.headers['X-Timestamp'] == ts(1)
    head = node.call('HEAD')
    assert head.status_int == 200 and head.body == b'' and head.content_length == 5
    assert node.call('DELETE', X_Timestamp=ts(2)).status_int == 204
    gone = node.call('GET')
    assert gone.status_int == 404 and gone.headers['X-Backend-Timestamp'] == ts(2)
    assert [p.suffix for p in node.files()] == ['.ts']


def test_older_put_after_newer_delete_is_409_and_changes_nothing(node):
    node.put(b'v1', ts(1))
    assert node.call('DELETE', X_Timestamp=ts(3)).status_int == 204
    older = node.put(b'v0', ts(2))
    assert older.status_int == 409 and older.headers['X-Backend-Timestamp'] == ts(3)
    assert node.put(b'v0', ts(3)).status_int == 409              # equal to the tombstone
    assert node.call('GET').status_int == 404
    assert node.put(b'v2', ts(4)).status_int == 201
    assert node.call('GET').body == b'v2'


def test_equal_timestamp_put_is_409_and_keeps_the_first(node):
    assert node.put(b'first', ts(1)).status_int == 201
    again = node.put(b'second', ts(1))
    assert again.status_int == 409 and again.headers['X-Backend-Timestamp'] == ts(1)
    assert node.call('GET').body == b'first'
    assert len(node.files('.data')) == 1


def test_timestamp_offsets_order_writes_at_the_same_instant(node):
    base = Timestamp(BASE + 1)
    node.put(b'plain', base.internal)
    assert node.put(b'offset', Timestamp(base, offset=1).internal).status_int == 201
    assert node.call('GET').body == b'offset'
    assert node.call('DELETE', X_Timestamp=base.internal).status_int == 409


def test_the_largest_timestamp_outranks_everything(node):
    top = '9999999999.99999_ffffffffffffffff'
    assert node.put(b'last word', top).status_int == 201
    assert node.put(b'x', '9999999999.99999_fffffffffffffffe').status_int == 409
    assert node.call('DELETE', X_Timestamp='9999999999.99999').status_int == 409
    assert node.call('POST', X_Timestamp=top).status_int == 409
    assert node.call('GET').headers['X-Timestamp'] == top


def test_delete_older_than_data_is_409_and_keeps_it(node):
    node.put(b'keep', ts(5))
    assert node.call('DELETE', X_Timestamp=ts(4)).status_int == 409
    assert node.call('DELETE', X_Timestamp=ts(5)).status_int == 409
    assert node.call('GET').body == b'keep'


def test_delete_of_a_missing_object_is_404_but_leaves_a_tombstone(node):
    assert node.call('DELETE', X_Timestamp=ts(5)).status_int == 404
    assert [p.suffix for p in node.files()] == ['.ts']
    assert node.put(b'late', ts(4)).status_int == 409            # the tombstone still orders writes


def test_post_replaces_user_metadata_and_keeps_the_data(node):
    node.put(b'body', ts(1), X_Object_Meta_A='1', Content_Disposition='inline')
    assert node.call('POST', X_Timestamp=ts(2), X_Object_Meta_B='2').status_int == 202
    got = node.call('GET')
    assert got.body == b'body' and got.headers['X-Object-Meta-B'] == '2'
    assert 'X-Object-Meta-A' not in got.headers
    assert 'Content-Disposition' not in got.headers   # a header a POST sets, replaced as Swift's are
    assert got.headers['Content-Type'] == 'text/plain'                    # the data's, kept
    assert got.headers['X-Timestamp'] == ts(2)
    assert got.headers['X-Backend-Data-Timestamp'] == ts(1)


def test_post_sets_content_type_manifest_and_swifts_allowed_headers(node):
    node.put(b'body', ts(1), X_Object_Meta_A='1', Content_Disposition='inline', Cache_Control='no-cache')
    assert node.call('POST', X_Timestamp=ts(2), Content_Type='text/x-new', X_Object_Manifest='segs/p',
                     Expires='Wed, 21 Oct 2037 07:28:00 GMT', X_Robots_Tag='noindex',
                     Content_Language='fr').status_int == 202
    got = node.call('HEAD')
    assert got.headers['Content-Type'] == 'text/x-new' and got.headers['X-Object-Manifest'] == 'segs/p'
    assert got.headers['Expires'] == 'Wed, 21 Oct 2037 07:28:00 GMT'
    assert got.headers['X-Robots-Tag'] == 'noindex'
    assert got.headers['Content-Language'] == 'fr'
    assert 'Cache-Control' not in got.headers and 'Content-Disposition' not in got.headers
    assert got.headers['ETag'] == hashlib.md5(b'body').hexdigest()
    assert node.call('POST', X_Timestamp=ts(3)).status_int == 202       # no Content-Type: it stays
    got = node.call('HEAD')
    assert got.headers['Content-Type'] == 'text/x-new' and 'X-Object-Manifest' not in got.headers


@pytest.mark.parametrize('when', [0.5, 1], ids=['older', 'equal'])
def test_post_not_newer_than_the_data_is_409(node, when):
    node.put(b'body', ts(1), X_Object_Meta_A='1')
    resp = node.call('POST', X_Timestamp=ts(when), X_Object_Meta_B='2')
    assert resp.status_int == 409 and resp.headers['X-Backend-Timestamp'] == ts(1)
    assert node.call('HEAD').headers['X-Object-Meta-A'] == '1'


def test_a_delete_between_the_data_and_a_newer_post_is_taken(node):
    """As Swift: a DELETE is ordered against the data's timestamp, not a later POST's."""
    node.put(b'data', ts(1))
    node.call('POST', X_Timestamp=ts(3), X_Object_Meta_A='1')
    assert node.call('DELETE', X_Timestamp=ts(2)).status_int == 204
    assert node.call('GET').status_int == 404
    assert node.put(b'again', ts(2)).status_int == 409


def test_post_to_a_missing_or_deleted_object_is_404(node):
    assert node.call('POST', X_Timestamp=ts(1)).status_int == 404
    node.put(b'x', ts(2))
    node.call('DELETE', X_Timestamp=ts(3))
    assert node.call('POST', X_Timestamp=ts(4)).status_int == 404
    assert not node.files('.meta')


def test_a_newer_post_outranks_the_user_metadata_of_an_older_later_put(node):
    """As Swift: a .meta newer than the data it is read with supplies the user metadata."""
    node.put(b'one', ts(1), X_Object_Meta_A='1')
    node.call('POST', X_Timestamp=ts(3), X_Object_Meta_B='2')
    assert node.put(b'two', ts(2), X_Object_Meta_C='3').status_int == 201
    got = node.call('GET')
    assert got.body == b'two' and got.headers['X-Object-Meta-B'] == '2'
    assert 'X-Object-Meta-C' not in got.headers and got.headers['X-Backend-Data-Timestamp'] == ts(2)


# --- conditional GET / HEAD -------------------------------------------------------------------

ETAG = hashlib.md5(b'conditional').hexdigest()
LAST_MODIFIED = BASE + 2                       # ts(1.5) rounded up to whole seconds


@pytest.mark.parametrize(('headers', 'status'), [
    ({'If-Match': ETAG}, 200),
    ({'If-Match': f'"{ETAG}"'}, 200),
    ({'If-Match': '*'}, 200),
    ({'If-Match': '"nope", ' + f'"{ETAG}"'}, 200),
    ({'If-Match': '"nope"'}, 412),
    ({'If-None-Match': f'"{ETAG}"'}, 304),
    ({'If-None-Match': '*'}, 304),
    ({'If-None-Match': '"other"'}, 200),
    ({'If-Modified-Since': formatdate(LAST_MODIFIED, usegmt=True)}, 304),
    ({'If-Modified-Since': formatdate(LAST_MODIFIED - 1, usegmt=True)}, 200),
    ({'If-Unmodified-Since': formatdate(LAST_MODIFIED - 1, usegmt=True)}, 412),
    ({'If-Unmodified-Since': formatdate(LAST_MODIFIED, usegmt=True)}, 200),
    ({'If-None-Match': '"other"', 'If-Modified-Since': formatdate(LAST_MODIFIED, usegmt=True)}, 200),
    ({'If-Match': ETAG, 'If-Unmodified-Since': formatdate(0, usegmt=True)}, 200),
], ids=lambda v: str(v) if isinstance(v, int) else '-'.join(v))
@pytest.mark.parametrize('method', ['GET', 'HEAD'])
def test_conditional_reads(node, method, headers, status):
    node.put(b'conditional', ts(1.5))
    resp = node.call(method, **{k.replace('-', '_'): v for k, v in headers.items()})
    assert resp.status_int == status
    assert resp.headers['ETag'] == ETAG
    if status == 200 and method == 'GET':
        assert resp.body == b'conditional'
    if status != 200:
        assert resp.body in (b'', b'412 Precondition Failed\n') and b'conditional' not in resp.body


@pytest.mark.parametrize('date', [
    'garbage', 'Mon, 99 Foo 2023 25:61:61 GMT', 'Mon, 01 Jan 99999 00:00:00 GMT', '', '\x00',
    'Mon, 01 Jan 2023 99:99:99 GMT', 'Sun, 31 Feb 2023 08:49:37 GMT', 'Sun, 06 Nov -1994 08:49:37 GMT',
    '１２', '-1', '1' * 5000,
])
@pytest.mark.parametrize('header', ['If_Modified_Since', 'If_Unmodified_Since'])
def test_malformed_dates_are_ignored(node, header, date):
    node.put(b'conditional', ts(1.5))
    resp = node.call('GET', **{header: date})
    assert (resp.status_int, resp.body) == (200, b'conditional')


def test_conditions_on_a_missing_object_are_404(node):
    assert node.call('GET', If_Match='*').status_int == 404
    assert node.call('HEAD', If_None_Match='*').status_int == 404


# --- ranges -----------------------------------------------------------------------------------

BODY = bytes(range(256)) * 4                   # 1024 bytes, every offset's byte known


@pytest.mark.parametrize(('spec', 'start', 'stop'), [
    ('bytes=0-0', 0, 1), ('bytes=10-19', 10, 20), ('bytes=1000-', 1000, 1024), ('bytes=-24', 1000, 1024),
    ('bytes=-5000', 0, 1024), ('bytes=1020-99999', 1020, 1024), (' Bytes=5-6 ', 5, 7),
    ('BYTES = 5 - 6', 5, 7), ('bytes=1023-' + '9' * 40, 1023, 1024),
])
def test_single_ranges(node, spec, start, stop):
    node.put(BODY, ts(1))
    resp = node.call('GET', Range=spec)
    assert resp.status_int == 206, spec
    assert resp.headers['Content-Range'] == f'bytes {start}-{stop - 1}/1024'
    assert resp.body == BODY[start:stop] and resp.content_length == stop - start


def _parts(resp) -> list[tuple[str, bytes]]:
    boundary = re.fullmatch(r'multipart/byteranges;\s*boundary=(\w+)', resp.headers['Content-Type'])[1]
    chunks = resp.body.split(f'--{boundary}'.encode())
    assert chunks[0] == b'' and chunks[-1] == b'--\r\n'
    parts = []
    for chunk in chunks[1:-1]:
        head, _, data = chunk.partition(b'\r\n\r\n')
        parts.append((re.search(rb'Content-Range: (.*)', head)[1].decode().strip(), data[:-2]))
    return parts


def test_multiple_ranges_are_a_multipart_body(node):
    node.put(BODY, ts(1))
    resp = node.call('GET', Range='bytes=0-1,100-103,-2,5000-6000')
    assert resp.status_int == 206 and len(resp.body) == resp.content_length
    assert _parts(resp) == [('bytes 0-1/1024', BODY[0:2]), ('bytes 100-103/1024', BODY[100:104]),
                            ('bytes 1022-1023/1024', BODY[1022:])]


@pytest.mark.parametrize('spec', ['bytes=1024-', 'bytes=5000-6000,2000-', 'bytes=-0',
                                  'bytes=' + '9' * 30 + '-'])
def test_unsatisfiable_ranges_are_416(node, spec):
    node.put(BODY, ts(1))
    resp = node.call('GET', Range=spec)
    assert resp.status_int == 416 and resp.headers['Content-Range'] == 'bytes */1024'
    assert BODY[:16] not in resp.body


@pytest.mark.parametrize('spec', [
    'bytes=5-2', 'bytes=x-y', 'bytes=²-³', 'bytes=１-２', 'bytes=-', 'bytes=0-1;2-3', 'items=0-1', 'bytes',
    'bytes=' + ','.join(f'{n}-{n}' for n in range(60)),               # too many: whole body
    'bytes=0-500,1-501,2-502,3-503',                                  # overlapping: whole body
    'bytes=' + ','.join(f'{n}-{n}' for n in range(20, 10, -1)),       # out of order: whole body
    'bytes=0-1\x00', 'bytes=+1-2', 'bytes=1_0-20', '', 'bytes = 1 2-3', 'bites=0-1',
])
def test_hostile_or_egregious_ranges_get_the_whole_body(node, spec):
    node.put(BODY, ts(1))
    resp = node.call('GET', Range=spec)
    assert (resp.status_int, resp.body) == (200, BODY)


@pytest.mark.parametrize(('spec', 'status'), [
    ('bytes=-5', 200), ('bytes=-5,-3', 200), ('bytes=0-', 416), ('bytes=0-0', 416), ('bytes=-0', 416),
])
def test_ranges_of_an_empty_object(node, spec, status):
    """As Swift: a suffix range of nothing is the whole (empty) body, never '206 bytes 0--1/0'."""
    node.put(b'', ts(1))
    resp = node.call('GET', Range=spec)
    assert resp.status_int == status, resp.headers.get('Content-Range')
    if status == 200:
        assert resp.body == b'' and 'Content-Range' not in resp.headers
    else:
        assert resp.headers['Content-Range'] == 'bytes */0'


def test_a_huge_range_header_is_not_a_5xx(node):
    node.put(BODY, ts(1))
    resp = node.call('GET', Range='bytes=' + ','.join(['0-0'] * 20000))
    assert resp.status_int == 200 and resp.body == BODY


def test_range_and_conditions_together(node):
    node.put(BODY, ts(1))
    assert node.call('GET', Range='bytes=0-9', If_None_Match='*').status_int == 304
    assert node.call('GET', Range='bytes=0-9', If_Match='"x"').status_int == 412
    resp = node.call('HEAD', Range='bytes=0-9')
    assert resp.status_int == 200 and resp.content_length == 1024


# --- per-block checksums ------------------------------------------------------------------------

BIG = bytes((i * 7 + i // 251) % 256 for i in range(300 * 1024))     # ~300 KiB: blocks 0..4
BAD_BLOCK = 2
BAD_OFFSET = BAD_BLOCK * blocks.BLOCK_SIZE + 1234


def _corrupt(node: ObjectNode) -> None:
    """Flip one byte of the stored body, inside block BAD_BLOCK."""
    (data,) = node.files('.data')
    with open(data, 'r+b') as fh:
        fh.seek(BAD_OFFSET)
        byte = fh.read(1)
        fh.seek(BAD_OFFSET)
        fh.write(bytes([byte[0] ^ 0xFF]))


@pytest.fixture
def corrupt_node(tmp_path) -> ObjectNode:
    """A node with BIG stored and corrupted, whose whole GETs stream (no verify-first)."""
    node = ObjectNode(tmp_path, BASE, verify_get_max_bytes='0')
    assert node.put(BIG, ts(1)).status_int == 201
    _corrupt(node)
    return node


def test_a_whole_get_verified_first_is_404_and_quarantines(tmp_path):
    node = ObjectNode(tmp_path, BASE)                     # verify_get_max_bytes 1 MiB > BIG
    node.put(BIG, ts(1))
    _corrupt(node)
    resp = node.call('GET')
    assert resp.status_int == 404 and BIG[:100] not in resp.body
    assert len(node.quarantined()) == 1 and not node.files()
    assert node.call('GET').status_int == 404


def test_a_streamed_whole_get_stops_before_the_bad_block(corrupt_node):
    resp = corrupt_node.call('GET')
    assert resp.status_int == 200 and resp.content_length == len(BIG)
    served, err = read_until_error(resp)
    assert err is not None
    assert served == BIG[:BAD_BLOCK * blocks.BLOCK_SIZE]           # every good block, not a byte more
    assert len(corrupt_node.quarantined()) == 1 and not corrupt_node.files()


@pytest.mark.parametrize('spec', [
    f'bytes={BAD_OFFSET}-{BAD_OFFSET}',
    f'bytes={BAD_BLOCK * blocks.BLOCK_SIZE}-{BAD_BLOCK * blocks.BLOCK_SIZE + 10}',
    f'bytes={BAD_OFFSET + 100}-',
    f'bytes=-{len(BIG) - BAD_OFFSET + 1}',
])
def test_a_ranged_get_touching_the_bad_block_serves_none_of_it(corrupt_node, spec):
    resp = corrupt_node.call('GET', Range=spec)
    assert resp.status_int == 206
    served, err = read_until_error(resp)
    assert err is not None and served == b''
    assert len(corrupt_node.quarantined()) == 1


@pytest.mark.parametrize('spec', ['bytes=5-2', 'items=0-1',
                                  'bytes=' + ','.join(f'{n}-{n}' for n in range(60))])
def test_a_range_ignored_for_the_whole_body_is_still_checked(tmp_path, spec):
    """A Range header the server ignores (malformed, egregious) skips verify-first;
    the body still stops short at the bad block."""
    node = ObjectNode(tmp_path, BASE)                 # verify_get_max_bytes covers BIG, but a Range is sent
    node.put(BIG, ts(1))
    _corrupt(node)
    resp = node.call('GET', Range=spec)
    assert resp.status_int == 200
    served, err = read_until_error(resp)
    assert err is not None and served == BIG[:BAD_BLOCK * blocks.BLOCK_SIZE]
    assert len(node.quarantined()) == 1


def test_a_range_spanning_blocks_stops_at_the_bad_one(corrupt_node):
    start = blocks.BLOCK_SIZE + 10
    resp = corrupt_node.call('GET', Range=f'bytes={start}-{BAD_OFFSET + 10}')
    served, err = read_until_error(resp)
    assert err is not None and served == BIG[start:BAD_BLOCK * blocks.BLOCK_SIZE]
    assert len(corrupt_node.quarantined()) == 1


def test_a_multirange_get_stops_at_the_part_in_the_bad_block(corrupt_node):
    resp = corrupt_node.call('GET', Range=f'bytes=0-9,{BAD_OFFSET}-{BAD_OFFSET + 9}')
    served, err = read_until_error(resp)
    assert err is not None
    assert BIG[0:10] in served and BIG[BAD_OFFSET + 1:BAD_OFFSET + 9] not in served
    assert not served.rstrip().endswith(b'--')                     # no closing boundary: cut short


def test_a_range_away_from_the_bad_block_is_served_and_nothing_quarantined(corrupt_node):
    """Only blocks read are checked: a range elsewhere is whole and correct, and the
    damage is found by the first read (or audit) that reaches it."""
    for spec, start, stop in ((f'bytes=0-{blocks.BLOCK_SIZE * 2 - 1}', 0, blocks.BLOCK_SIZE * 2),
                              ('bytes=-1000', len(BIG) - 1000, len(BIG))):
        resp = corrupt_node.call('GET', Range=spec)
        served, err = read_until_error(resp)
        assert (resp.status_int, err, served) == (206, None, BIG[start:stop])
    assert corrupt_node.quarantined() == [] and len(corrupt_node.files('.data')) == 1
    head = corrupt_node.call('HEAD')                               # reads no block
    assert head.status_int == 200 and not corrupt_node.quarantined()


def test_unreadable_block_checksums_quarantine_at_open(tmp_path):
    from swiftlike.obj import metadata
    node = ObjectNode(tmp_path, BASE)
    node.put(BIG, ts(1))
    (data,) = node.files('.data')
    with open(data, 'r+b') as fh:
        meta, length = metadata.read(fh.fileno())
        metadata.write(fh.fileno(), {**meta, blocks.META_KEY: '!!not base64!!'}, length)
    assert node.call('GET', Range='bytes=0-0').status_int == 404
    assert len(node.quarantined()) == 1


# --- conditional PUT and Expect: 100-continue -------------------------------------------------

def _put_with_input(node: ObjectNode, body: UnreadInput | io.BytesIO, length: int, timestamp: str,
                    **headers: str):
    return node.call('PUT', environ={'wsgi.input': body, 'CONTENT_LENGTH': str(length)},
                     X_Timestamp=timestamp, Content_Type='text/plain', **headers)


@pytest.mark.parametrize('headers', [
    {'If_None_Match': '*'}, {'If_None_Match': hashlib.md5(b'old').hexdigest()},
    {'If_Match': '"not-it"'},
])
def test_a_failed_conditional_put_is_412_before_reading_the_body(node, headers):
    node.put(b'old', ts(1))
    body = UnreadInput(b'new body')
    resp = _put_with_input(node, body, 8, ts(2), Expect='100-continue', **headers)
    assert resp.status_int == 412 and body.taken == 0
    assert node.call('GET').body == b'old'


def test_conditional_puts_that_hold(node):
    assert node.put(b'first', ts(1), If_None_Match='*').status_int == 201
    assert node.put(b'second', ts(2), If_Match=hashlib.md5(b'first').hexdigest()).status_int == 201
    assert node.put(b'third', ts(3), If_None_Match='"something-else"').status_int == 201
    assert node.call('GET').body == b'third'


def test_if_match_put_of_a_missing_object_is_412(node):
    assert node.put(b'x', ts(1), If_Match='*').status_int == 412
    assert not node.files()


def test_an_older_put_is_refused_before_its_body_is_read(node):
    node.put(b'newer', ts(5))
    body = UnreadInput(b'x' * 100)
    resp = _put_with_input(node, body, 100, ts(4), Expect='100-continue')
    assert resp.status_int == 409 and body.taken == 0


# --- bodies that do not match their length ----------------------------------------------------

def _nothing_stored(node: ObjectNode) -> None:
    assert node.call('GET').status_int == 404
    assert not node.files() and not node.tmp_files()


def test_a_body_shorter_than_content_length_is_499_and_stores_nothing(node):
    resp = _put_with_input(node, io.BytesIO(b'only five'), 100, ts(1))
    assert resp.status_int == 499
    _nothing_stored(node)


def test_a_client_hanging_up_mid_body_is_499_and_stores_nothing(node):
    resp = _put_with_input(node, HangUpInput(b'x' * 70000), 200000, ts(1))
    assert resp.status_int == 499
    _nothing_stored(node)


def test_a_malformed_chunked_body_is_400_and_stores_nothing(node):
    class BadChunks(io.BytesIO):
        def read(self, size=-1):
            raise ValueError('invalid chunk size')       # eventlet's ChunkReadError is a ValueError
    resp = node.call('PUT', environ={'wsgi.input': BadChunks()}, X_Timestamp=ts(1),
                     Content_Type='text/plain', Transfer_Encoding='chunked')
    assert resp.status_int == 400
    _nothing_stored(node)


def test_bytes_past_content_length_are_not_stored(node):
    assert _put_with_input(node, io.BytesIO(b'0123456789extra'), 10, ts(1)).status_int == 201
    assert node.call('GET').body == b'0123456789'


def test_a_chunked_body_without_length_is_stored_whole(node):
    resp = node.call('PUT', environ={'wsgi.input': io.BytesIO(b'a' * 70000)}, X_Timestamp=ts(1),
                     Content_Type='text/plain', Transfer_Encoding='chunked')
    assert resp.status_int == 201
    assert node.call('GET').body == b'a' * 70000


@pytest.mark.parametrize('length', ['-5', '-1', 'abc', '\xef\xbc\x91', ''])
def test_bad_content_lengths_are_4xx_and_store_nothing(node, length):
    resp = node.call('PUT', environ={'wsgi.input': io.BytesIO(b'abcde'), 'CONTENT_LENGTH': length},
                     X_Timestamp=ts(1), Content_Type='text/plain')
    assert 400 <= resp.status_int < 500, resp.status
    _nothing_stored(node)


def test_etag_mismatch_is_422_and_stores_nothing(node):
    assert node.put(b'body', ts(1), ETag='0' * 32).status_int == 422
    _nothing_stored(node)
    assert node.put(b'body', ts(1), ETag=f'"{hashlib.md5(b"body").hexdigest().upper()}"').status_int == 201


def test_put_needs_length_and_content_type(node):
    no_length = node.call('PUT', environ={'wsgi.input': io.BytesIO(b'x')}, X_Timestamp=ts(1),
                          Content_Type='text/plain')
    assert no_length.status_int == 411
    assert node.call('PUT', body=b'x', X_Timestamp=ts(1)).status_int == 400
    assert node.call('PUT', body=b'x', X_Timestamp=ts(1), Content_Type='a/b\r\nX: y').status_int == 400
    too_big = node.call('PUT', environ={'wsgi.input': io.BytesIO(b''), 'CONTENT_LENGTH': '9' * 30},
                        X_Timestamp=ts(1), Content_Type='text/plain')
    assert too_big.status_int == 413
    _nothing_stored(node)


# --- hostile values -----------------------------------------------------------------------------

@pytest.mark.parametrize('value', [
    '１２３', '\xef\xbc\x91\xef\xbc\x92', '٣', '-1', '-1700000000', '1e9', 'nan', 'inf', '0x10', '9' * 11,
    '9' * 400, '1700000000.5\x00', '\x00', '', ' 1700000000', '1700000000 ', '+1700000000', '1_700_000_000',
    '1700000000.00000_' + 'f' * 17, '1700000000.00000_xyz', '1.2.3', 'é',
])
@pytest.mark.parametrize('method', ['PUT', 'POST', 'DELETE'])
def test_hostile_timestamps_are_400_and_change_nothing(node, method, value):
    node.put(b'orig', ts(1), X_Object_Meta_A='1')
    before = node.files()
    resp = node.call(method, body=b'new' if method == 'PUT' else None, X_Timestamp=value,
                     Content_Type='text/plain')
    assert resp.status_int == 400, (value, resp.status)
    assert node.files() == before


def test_a_missing_timestamp_is_400(node):
    assert node.call('PUT', body=b'x', Content_Type='text/plain').status_int == 400
    assert node.call('DELETE').status_int == 400
    assert node.call('POST').status_int == 400
    assert not node.files()


@pytest.mark.parametrize('path', [
    '/sda/1/a/c/\xff', '/sda/1/a/c/\xc3', '/sda/1/\xed\xa0\x80/c/o', '/sda/1/a/c/o\x00', '/sda/1/a/\x00/o',
])
@pytest.mark.parametrize('method', ['PUT', 'GET', 'HEAD', 'DELETE', 'POST'])
def test_invalid_utf8_or_nul_in_names_is_412(node, method, path):
    resp = node.call(method, environ={'PATH_INFO': path}, body=b'x' if method == 'PUT' else None,
                     X_Timestamp=ts(1), Content_Type='text/plain')
    assert resp.status_int == 412, resp.status
    assert not node.files()


@pytest.mark.parametrize(('path', 'status'), [
    ('/sda/1/a/c', 400), ('/sda/1/a', 400), ('/sda/1', 400), ('/sda/x/a/c/o', 400), ('/sda/-1/a/c/o', 400),
    ('/sda/99999999999/a/c/o', 400), ('/sda/1//c/o', 400), ('/sda/1/a//o', 400), ('/../1/a/c/o', 400),
    ('/sdz/1/a/c/o', 507), ('/sda/1/a/c/' + 'o' * 1025, 400), ('/sda/1/' + 'a' * 257 + '/c/o', 400),
    ('/sda/1/a/./o', 400), ('/sda/1/a/c/' + 'é' * 512, 200),
])
def test_malformed_paths(node, path, status):
    raw = path.encode('utf-8').decode('latin-1')
    resp = node.call('GET', environ={'PATH_INFO': raw})
    assert resp.status_int == (404 if status == 200 else status), resp.status


def test_an_object_name_with_slashes_and_unicode_round_trips(node):
    name = '/sda/1/a/c/dir/sub/é☃ .txt'
    raw = name.encode('utf-8').decode('latin-1')
    assert node.call('PUT', environ={'PATH_INFO': raw}, body=b'x', X_Timestamp=ts(1),
                     Content_Type='text/plain').status_int == 201
    assert node.call('GET', environ={'PATH_INFO': raw}).body == b'x'
    assert node.call('GET', '/sda/1/a/c/dir/sub').status_int == 404


@pytest.mark.parametrize('headers', [
    {'X-Object-Meta-' + 'k' * 129: 'v'},                                   # name too long
    {'X-Object-Meta-Big': 'v' * 257},                                      # value too long
    {f'X-Object-Meta-K{n}': 'v' for n in range(91)},                       # too many
    {f'X-Object-Meta-K{n}': 'v' * 250 for n in range(17)},                 # too much overall
    {'X-Object-Meta-': 'v'},                                               # empty name
    {'X-Object-Meta-Wide': wsgi('é' * 129)},                               # 258 bytes in UTF-8
])
@pytest.mark.parametrize('method', ['PUT', 'POST'])
def test_metadata_too_large_is_400_and_stores_nothing(node, method, headers):
    node.put(b'orig', ts(1), X_Object_Meta_A='1')
    resp = node.call(method, body=b'new' if method == 'PUT' else None, X_Timestamp=ts(2),
                     Content_Type='text/plain', **{k.replace('-', '_'): v for k, v in headers.items()})
    assert resp.status_int == 400, resp.status
    got = node.call('GET')
    assert got.body == b'orig' and got.headers['X-Object-Meta-A'] == '1'
    assert len(node.files()) == 1


def test_metadata_at_the_limits_is_stored(node):
    headers = {f'X_Object_Meta_K{n:02d}': 'v' * 100 for n in range(36)}   # 36 * 103 = 3708 bytes
    headers['X_Object_Meta_' + 'n' * 128] = wsgi('é' * 128)             # + 128 + 256 = 4092 of 4096
    assert node.put(b'x', ts(1), **headers).status_int == 201
    got = node.call('HEAD')
    assert got.headers['X-Object-Meta-K35'] == 'v' * 100
    assert got.headers['X-Object-Meta-' + 'n' * 128] == wsgi('é' * 128)        # the same bytes back
    assert sum(k.lower().startswith('x-object-meta-') for k in got.headers) == 37


def test_unknown_verbs_are_405(node):
    resp = node.call('PATCH')
    assert resp.status_int == 405 and 'GET' in resp.headers['Allow']


# --- expiry (X-Delete-At) ----------------------------------------------------------------------

def test_an_object_expires_at_its_delete_at(node):
    assert node.put(b'short-lived', ts(1), X_Delete_At=str(BASE + 100)).status_int == 201
    assert node.call('GET').headers['X-Delete-At'] == str(BASE + 100)
    node.clock.now = BASE + 99
    assert node.call('GET').status_int == 200
    node.clock.now = BASE + 100
    assert node.call('GET').status_int == 404
    assert node.call('HEAD').status_int == 404
    assert node.call('POST', X_Timestamp=ts(101)).status_int == 404
    assert len(node.files('.data')) == 1                 # still there: the expirer deletes it


def test_the_expirer_delete_needs_the_matching_x_if_delete_at(node):
    node.put(b'x', ts(1), X_Delete_At=str(BASE + 100))
    node.clock.now = BASE + 200
    wrong = node.call('DELETE', X_Timestamp=ts(150), X_If_Delete_At=str(BASE + 101))
    assert wrong.status_int == 412
    assert node.call('DELETE', X_Timestamp=ts(150), X_If_Delete_At='１００').status_int == 400
    assert node.call('DELETE', X_Timestamp=ts(150), X_If_Delete_At=str(BASE + 100)).status_int == 204
    assert [p.suffix for p in node.files()] == ['.ts']


def test_x_if_delete_at_on_a_missing_object_is_404(node):
    assert node.call('DELETE', X_Timestamp=ts(1), X_If_Delete_At=str(BASE + 5)).status_int == 404
    assert not node.files()


def test_a_post_can_set_and_clear_the_delete_at(node):
    node.put(b'x', ts(1))
    assert node.call('POST', X_Timestamp=ts(2), X_Delete_At=str(BASE + 50)).status_int == 202
    node.clock.now = BASE + 60
    assert node.call('GET').status_int == 404
    node.clock.now = BASE + 10
    assert node.call('POST', X_Timestamp=ts(3)).status_int == 202       # no X-Delete-At: cleared
    node.clock.now = BASE + 60
    assert node.call('GET').status_int == 200


@pytest.mark.parametrize('value', [
    str(BASE - 61), '-1', '１７００', '\xef\xbc\x91', '1e10', '9' * 11, '1.5', '', 'x', '\x00', '+5',
    str(BASE + 100) + '\x00',
])
@pytest.mark.parametrize('method', ['PUT', 'POST'])
def test_hostile_delete_at_is_400(node, method, value):
    node.put(b'orig', ts(1))
    resp = node.call(method, body=b'new' if method == 'PUT' else None, X_Timestamp=ts(2),
                     Content_Type='text/plain', X_Delete_At=value)
    assert resp.status_int == 400, (value, resp.status)
    assert node.call('GET').body == b'orig' and 'X-Delete-At' not in node.call('GET').headers


def test_a_delete_at_just_past_within_the_slack_is_taken(node):
    assert node.put(b'x', ts(1), X_Delete_At=str(BASE - 30)).status_int == 201
    assert node.call('GET').status_int == 404


# --- container updates and async pendings -----------------------------------------------------

def _update(host: str, device: str | None = 'sdb', part: str | None = '7',
            kind: str = 'Container') -> dict[str, str]:
    """X-<kind>-Host, -Device and -Partition headers (as call() keywords); None leaves one out."""
    prefix = f'X_{kind.replace("-", "_")}_'
    values = {'Host': host, 'Device': device, 'Partition': part}
    return {prefix + k: v for k, v in values.items() if v is not None}


def _targets(port: int, kind: str = 'Container') -> dict[str, str]:
    return _update(f'127.0.0.1:{port}', kind=kind)


def test_an_unreachable_container_server_leaves_an_async_pending(node):
    port = dead_port()
    assert node.put(b'hello', ts(1), X_Trans_Id='tx1', **_targets(port)).status_int == 201
    (pending,) = node.async_pendings()
    assert (pending.op, pending.account, pending.container, pending.obj) == ('PUT', 'a', 'c', 'o')
    target = ('127.0.0.1', port, 'sdb', 7)
    assert [(t.host, t.port, t.device, t.partition) for t in pending.targets] == [target]
    assert pending.headers['X-Size'] == '5' and pending.headers['X-Timestamp'] == ts(1)
    assert pending.headers['X-Etag'] == hashlib.md5(b'hello').hexdigest()
    assert pending.headers['X-Content-Type'] == 'text/plain' and pending.headers['X-Trans-Id'] == 'tx1'
    assert node.call('DELETE', X_Timestamp=ts(2), **_targets(port)).status_int == 204
    ops = sorted((p.op, p.headers['X-Timestamp']) for p in node.async_pendings())
    assert ops == [('DELETE', ts(2)), ('PUT', ts(1))]


def test_a_delete_at_queues_the_expirer_entry_even_when_unreachable(node):
    at = BASE + 86400 * 3 + 7
    port = dead_port()
    assert node.put(b'x', ts(1), X_Delete_At=str(at), **_targets(port, kind='Delete-At')).status_int == 201
    (pending,) = node.async_pendings()
    assert (pending.op, pending.account) == ('PUT', expiring.ACCOUNT)
    assert pending.container == expiring.container_for(at)
    assert pending.obj == expiring.entry_name(at, 'a', 'c', 'o')
    assert pending.targets[0].port == port
    later = at + 86400
    assert node.call('POST', X_Timestamp=ts(2), X_Delete_At=str(later),
                     **_targets(port, kind='Delete-At')).status_int == 202
    assert sorted(p.container for p in node.async_pendings()) == sorted(
        [expiring.container_for(at), expiring.container_for(later)])


def _container_app(tmp_path):
    from swiftlike.container.server import app_factory as container_factory
    (tmp_path / 'cnode' / 'sdb').mkdir(parents=True)
    return container_factory({}, devices=str(tmp_path / 'cnode'), swift_dir=str(tmp_path / 'swift'),
                             mount_check='false')


def test_updates_reach_a_container_server_and_only_failures_are_kept(node, tmp_path):
    from webob import Request
    container = _container_app(tmp_path)
    Request.blank('/sdb/7/a/c', method='PUT', headers={'X-Timestamp': ts(0)}).get_response(container)
    sender = node.app.updater.send = InProcessSender(container)
    assert node.put(b'hello', ts(1), **_update('127.0.0.1:1,127.0.0.1:2', 'sdb,sdz')).status_int == 201
    assert sorted(sender.sent) == [('PUT', '/sdb/7/a/c/o'), ('PUT', '/sdz/7/a/c/o')]
    (pending,) = node.async_pendings()                        # sdz is no device there: 507
    assert [t.device for t in pending.targets] == ['sdz']
    listing = Request.blank('/sdb/7/a/c?format=json').get_response(container).json
    assert [(e['name'], e['bytes'], e['hash']) for e in listing] == [('o', 5, node.call('HEAD').etag)]
    node.call('DELETE', X_Timestamp=ts(2), **_update('127.0.0.1:1'))
    assert Request.blank('/sdb/7/a/c?format=json').get_response(container).json == []


@pytest.mark.parametrize('headers', [
    _update('127.0.0.1:6201,127.0.0.1:6202'), _update('127.0.0.1:0'), _update('127.0.0.1:70000'),
    _update('127.0.0.1:６２０１'), _update('127.0.0.1'), _update('bad host:6201'), _update('\x00:1'),
    _update('127.0.0.1:6201', device='..'), _update('127.0.0.1:6201', part='-1'),
    _update('127.0.0.1:6201', part='１'), _update('127.0.0.1:6201', part=None),
    _update('127.0.0.1:6201', part='9' * 30),
], ids=repr)
@pytest.mark.parametrize('method', ['PUT', 'DELETE'])
def test_hostile_update_targets_are_400_before_anything_is_stored(node, method, headers):
    node.put(b'orig', ts(1))
    resp = node.call(method, body=b'new' if method == 'PUT' else None, X_Timestamp=ts(2),
                     Content_Type='text/plain', **headers)
    assert resp.status_int == 400, resp.status
    assert node.call('GET').body == b'orig' and len(node.files()) == 1
    assert node.async_pendings() == []


@pytest.mark.parametrize('headers', [
    {**_update('127.0.0.1:6201', part='x', kind='Delete-At'), 'X_Delete_At': str(BASE + 100)},
    {**_update('127.0.0.1:6201,127.0.0.1:1', kind='Delete-At'), 'X_Delete_At': str(BASE + 100)},
    {'X_Object_Sysmeta_Container_Update_Override_Size': '-1'},
    {'X_Object_Sysmeta_Container_Update_Override_Size': '１'},
])
def test_hostile_put_only_headers_are_400(node, headers):
    resp = node.put(b'new', ts(2), **headers)
    assert resp.status_int == 400, resp.status
    assert not node.files() and node.async_pendings() == []


# --- more damage on disk -----------------------------------------------------------------------

def test_a_truncated_data_file_is_quarantined_not_served(node):
    node.put(BIG, ts(1))
    (data,) = node.files('.data')
    os.truncate(data, len(BIG) - 5)
    resp = node.call('GET', Range='bytes=0-9')
    assert resp.status_int == 404 and BIG[:10] not in resp.body
    assert len(node.quarantined()) == 1 and not node.files()


def test_the_last_short_block_is_checked_too(corrupt_node):
    (data,) = corrupt_node.files('.data')
    with open(data, 'r+b') as fh:                         # block 4 holds bytes 262144..307199
        fh.seek(len(BIG) - 3)
        fh.write(bytes([BIG[-3] ^ 1]))
    resp = corrupt_node.call('GET', Range='bytes=-10')
    served, err = read_until_error(resp)
    assert err is not None and served == b''


def _drop_checksums(node: ObjectNode) -> None:
    """Make the stored object look like one written before block checksums existed."""
    from swiftlike.obj import metadata
    (data,) = node.files('.data')
    with open(data, 'r+b') as fh:
        meta, length = metadata.read(fh.fileno())
        stripped = {k: v for k, v in meta.items() if k not in (blocks.META_KEY, blocks.SIZE_KEY)}
        metadata.write(fh.fileno(), stripped, length)


def test_an_object_without_checksums_is_read_and_its_whole_body_still_md5_checked(node):
    node.put(BIG, ts(1))
    _drop_checksums(node)
    assert node.call('GET').body == BIG                   # read unchecked, as stored by older versions
    _corrupt(node)
    resp = node.call('GET')                               # whole and under verify_get_max_bytes: MD5 first
    assert resp.status_int == 404 and len(node.quarantined()) == 1


def test_a_range_past_the_body_never_serves_trailer_metadata(node):
    """Large metadata is kept after the body (see swiftlike.obj.metadata); the body ends where it starts."""
    headers = {f'X_Object_Meta_K{n:02d}': 'v' * 100 for n in range(36)}
    node.put(b'short body', ts(1), **headers)
    (data,) = node.files('.data')
    assert data.stat().st_size > 3000                     # the trailer is there
    cases = (('bytes=0-99999', b'short body'), ('bytes=5-', b' body'), ('bytes=-99999', b'short body'))
    for spec, want in cases:
        resp = node.call('GET', Range=spec)
        assert (resp.status_int, resp.body) == (206, want), spec
    assert node.call('GET', Range='bytes=10-').status_int == 416
    assert node.call('GET').body == b'short body'


# --- more refusals before the body is read ------------------------------------------------------

@pytest.mark.parametrize('headers', [
    {'X_Delete_At': '１'}, {'X_Object_Meta_Big': 'v' * 257}, {'Content_Type': 'a\x00b'},
    {'X_Timestamp': '-1'}, {'X_Container_Host': 'h:1'},
], ids=repr)
def test_bad_headers_are_400_before_reading_the_body(node, headers):
    body = UnreadInput(b'x' * 10)
    sent = {'X_Timestamp': ts(1), 'Content_Type': 'text/plain', 'Expect': '100-continue', **headers}
    resp = node.call('PUT', environ={'wsgi.input': body, 'CONTENT_LENGTH': '10'}, **sent)
    assert resp.status_int == 400 and body.taken == 0
    assert not node.files()


def test_a_sysmeta_only_post_keeps_user_metadata_and_delete_at(node):
    node.put(b'x', ts(1), X_Object_Meta_A='1', X_Delete_At=str(BASE + 500), X_Object_Sysmeta_S='old')
    resp = node.call('POST', X_Timestamp=ts(2), X_Backend_Sysmeta_Only='true', X_Object_Sysmeta_S='new',
                     X_Object_Meta_A='ignored')
    assert resp.status_int == 202
    head = node.call('HEAD')
    assert head.headers['X-Object-Meta-A'] == '1' and head.headers['X-Delete-At'] == str(BASE + 500)
    assert head.headers['X-Object-Sysmeta-S'] == 'new'


# --- REPLICATE and SYNC bodies -----------------------------------------------------------------

@pytest.mark.parametrize('body', [
    b'nope', b'\xff', b'[]', b'{"op": "sync"}', b'{"suffixes": "abc"}', b'{"suffixes": ["ABC"]}',
    b'{"suffixes": ["../"]}', b'{"suffixes": [1]}', b'[' * 100000,
], ids=lambda b: b[:30].decode('latin-1'))
def test_replicate_refuses_bad_bodies_with_400(node, body):
    node.put(b'x', ts(1))
    assert node.call('REPLICATE', '/sda/1', body=body).status_int == 400


@pytest.mark.parametrize('path', ['/sda/1/xyz', '/sda/1/abc-../', '/sda/x', '/sda/1/ab', '/sda'])
def test_replicate_refuses_bad_paths_with_400(node, path):
    assert node.call('REPLICATE', path).status_int == 400


def test_replicate_lists_suffixes_of_stored_objects(node):
    node.put(b'x', ts(1))
    hashes = node.call('REPLICATE', '/sda/1').json
    (suffix,) = hashes
    assert node.files()[0].parent.parent.name == suffix
    files = node.call('REPLICATE', '/sda/1', body=json.dumps({'suffixes': [suffix]}).encode()).json
    assert list(files.values()) == [[f'{ts(1)}.data']]


def _sync(node: ObjectNode, meta: dict | bytes, data: bytes = b'', kind: str = 'data', **headers: str):
    raw = meta if isinstance(meta, bytes) else json.dumps(meta).encode()
    sent = {'X_Backend_Sync_Kind': kind, 'X_Backend_Sync_Meta_Length': str(len(raw)), **headers}
    return node.call('SYNC', body=raw + data, **sent)


@pytest.mark.parametrize(('meta', 'headers'), [
    (b'not json', {}), ({'name': '/a/c/other', 'X-Timestamp': ts(1)}, {}), ({'name': '/a/c/o'}, {}),
    ({'name': '/a/c/o', 'X-Timestamp': '１'}, {}), ({'name': '/a/c/o', 'X-Timestamp': ts(1), 'n': 5}, {}),
    ({'name': '/a/c/o', 'X-Timestamp': ts(1), 'Content-Length': '-1'}, {}),
    ({'name': '/a/c/o', 'X-Timestamp': ts(1), 'Content-Length': '1'}, {'X_Backend_Sync_Kind': 'nope'}),
    ({'name': '/a/c/o', 'X-Timestamp': ts(1), 'Content-Length': '1'}, {'X_Backend_Sync_Meta_Length': '-1'}),
    ({'name': '/a/c/o', 'X-Timestamp': ts(1), 'Content-Length': '1'}, {'X_Backend_Sync_Meta_Length': '１'}),
    ({'name': '/a/c/o', 'X-Timestamp': ts(1), 'Content-Length': '1'},
     {'X_Backend_Sync_Meta_Length': '99999'}),
    ({'name': '/a/c/o', 'X-Timestamp': ts(1), 'ETag': 'x'}, {'X_Backend_Sync_Kind': 'meta'}),
], ids=repr)
def test_sync_refuses_bad_metadata_with_400(node, meta, headers):
    assert _sync(node, meta, b'x', **headers).status_int == 400
    assert not node.files()


def test_sync_stores_a_file_that_matches_and_refuses_one_that_does_not(node):
    meta = {'name': '/a/c/o', 'X-Timestamp': ts(1), 'Content-Length': '5', 'Content-Type': 'a/b',
            'ETag': hashlib.md5(b'hello').hexdigest()}
    assert _sync(node, {**meta, 'ETag': '0' * 32}, b'hello').status_int == 422
    assert not node.files()
    assert _sync(node, meta, b'hello').status_int == 201
    assert node.call('GET', Range='bytes=1-3').body == b'ell'           # its own block checksums work
    assert _sync(node, meta, b'hello').status_int == 409

"""The ?versions listing merge (versioning_listing) and the version names it
reads (versioning_ids): pure functions, fed with container rows as the
container servers list them."""

from __future__ import annotations

import pytest

from swiftlike.common import versioning_ids as ids
from swiftlike.common.versioning_listing import Window, merge
from swiftlike.common.versioning_names import DELETE_MARKER_TYPE

V1, V2, V3 = '1700000001.00000', '1700000002.00000', '1700000003.00000'


def hidden(obj: str, vid: str, *, marker: bool = False) -> dict:
    return {'name': ids.version_name(obj, vid), 'bytes': 0 if marker else 5, 'hash': f'h{vid[9]}',
            'content_type': DELETE_MARKER_TYPE if marker else 'text/plain',
            'last_modified': '2023-11-14T22:13:20.000000'}


def pointer(obj: str, vid: str) -> dict:
    return {'name': obj, 'bytes': 0, 'hash': ids.listing_etag(f'h{vid[9]}', vid, '5'),
            'content_type': 'text/plain', 'last_modified': '2023-11-14T22:13:30.000000'}


def plain(obj: str, when: str = '2023-11-14T22:13:25.000000') -> dict:
    return {'name': obj, 'bytes': 3, 'hash': 'n', 'content_type': 'text/plain', 'last_modified': when}


def sorted_hidden(*rows: dict, reverse: bool = False) -> list[dict]:
    return sorted(rows, key=lambda r: r['name'], reverse=reverse)


def ids_of(rows: list[dict]) -> list[tuple]:
    return [(r.get('name', r.get('subdir')), r.get('version_id'), r.get('is_latest')) for r in rows]


def test_version_names_round_trip_and_sort_newest_first():
    names = [ids.version_name('a', v) for v in (V1, V2, V3)]
    assert sorted(names) == names[::-1]
    assert [ids.split_version(n) for n in names] == [('a', V1), ('a', V2), ('a', V3)]
    # every version of 'a' sorts before any version of a longer name starting with 'a'
    assert max(names) < ids.version_name('a/b', V1) < ids.version_name('ab', V1)


@pytest.mark.parametrize('bad', ['', 'null ', '1700000000.0000', '1700000000.000000', '-700000000.00000',
                                 '\u0661700000000.00000', '1700000000,00000', '17000000000.0000', 'NULL'])
def test_only_exact_version_ids_parse(bad):
    with pytest.raises(ValueError):
        ids.parse_id(bad)


def test_listing_etag_keeps_other_filters_parameters():
    value = ids.listing_etag('e; symlink_target=c/o', V1, '7')
    assert ids.split_listing_etag(value) == ('e; symlink_target=c/o', V1, 7)
    assert ids.split_listing_etag('e; s_vid=x; s_bytes=-1') == ('e; s_bytes=-1', 'x', None)


def test_latest_is_what_the_pointer_names_not_the_newest():
    theirs = sorted_hidden(hidden('a', V1), hidden('a', V2), hidden('a', V3))
    rows = merge([pointer('a', V2)], theirs, Window())
    assert ids_of(rows) == [('a', V3, False), ('a', V2, True), ('a', V1, False)]
    assert rows[1]['hash'] == 'h2' and rows[1]['bytes'] == 5


def test_a_deleted_object_has_its_newest_marker_as_latest():
    rows = merge([], sorted_hidden(hidden('a', V1), hidden('a', V2, marker=True)), Window())
    assert ids_of(rows) == [('a', V2, True), ('a', V1, False)]
    rows = merge([], sorted_hidden(hidden('a', V1, marker=True), hidden('a', V2)), Window())
    assert ids_of(rows) == [('a', V2, False), ('a', V1, False)]


def test_null_versions_sort_by_their_time_among_versions():
    # written at :25, between V? (:20 listed times are the versions' ids) -- ids order by id time
    rows = merge([plain('b', '2023-11-14T22:13:21.500000')],
                 sorted_hidden(hidden('b', '1700000000.00000'), hidden('b', '1700000003.00000')), Window())
    assert ids_of(rows) == [('b', '1700000003.00000', False), ('b', 'null', True),
                            ('b', '1700000000.00000', False)]


def test_names_interleave_and_reverse_reverses_everything():
    own = [plain('a'), pointer('c', V1)]
    theirs = sorted_hidden(hidden('b', V1, marker=True), hidden('c', V1), hidden('c', V2))
    assert ids_of(merge(own, theirs, Window())) == [
        ('a', 'null', True), ('b', V1, True), ('c', V2, False), ('c', V1, True)]
    backwards = merge(own[::-1], sorted_hidden(*theirs, reverse=True), Window(reverse=True))
    assert ids_of(backwards) == [('c', V1, True), ('c', V2, False), ('b', V1, True), ('a', 'null', True)]


def test_limit_and_version_marker():
    theirs = sorted_hidden(hidden('a', V1), hidden('a', V2), hidden('a', V3), hidden('b', V1))
    assert ids_of(merge([pointer('a', V3)], theirs, Window(limit=2))) == [('a', V3, True), ('a', V2, False)]
    after = merge([], theirs, Window(marker='a', version_marker=V2))
    assert ids_of(after) == [('a', V1, False), ('b', V1, False)]
    # (the container servers list only what the marker lets through: here names before 'b')
    older_first = sorted_hidden(*theirs[:3], reverse=True)
    before = merge([], older_first, Window(marker='a', version_marker=V2, reverse=True))
    assert ids_of(before) == [('a', V3, False)]


def test_delimiter_rolls_names_up_once():
    own = [plain('d/1'), plain('d/2'), plain('e')]
    theirs = sorted_hidden(hidden('d/3', V1, marker=True))
    assert ids_of(merge(own, theirs, Window(delimiter='/'))) == [('d/', None, None), ('e', 'null', True)]
    assert ids_of(merge(own[:2], theirs, Window(prefix='d/', delimiter='/'))) == [
        ('d/1', 'null', True), ('d/2', 'null', True), ('d/3', V1, True)]

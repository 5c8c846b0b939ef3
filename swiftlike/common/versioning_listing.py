"""The ``?versions`` listing of a container, merged from two sorted streams
of listing rows: the container's own (pointers, and ``null`` versions:
objects written without versioning) and its hidden versions container's.
Pure: the caller fetches the rows (see ``versioning_ids`` for the names).

Rows come grouped by object name, newest version first (``reverse``:
last name first, oldest first). A version is the latest if the container's
pointer names it; an object without a row in the container (deleted) has
its newest version as the latest only if that is a delete marker. With
``version_marker``, the marker object's versions after that one are
listed (its own row is not read again: Swift lists the same)."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from swiftlike.common.versioning_ids import NULL, split_listing_etag, split_version
from swiftlike.common.versioning_names import DELETE_MARKER_TYPE

Row = dict[str, Any]
#: Keys of a row a versions listing shows.
SHOWN: Final = ('name', 'bytes', 'content_type', 'hash', 'last_modified')


@dataclass(frozen=True)
class Window:
    """What part of the listing a request wants."""

    marker: str = ''
    version_marker: str = ''
    reverse: bool = False
    limit: int = 10000
    prefix: str = ''
    delimiter: str = ''

    def subdir(self, name: str) -> str | None:
        """The ``subdir`` a name is listed under (with a delimiter), or None."""
        rest = name[len(self.prefix):]
        if not self.delimiter or self.delimiter not in rest:
            return None
        return self.prefix + rest[:rest.index(self.delimiter) + len(self.delimiter)]


def _stamp(row: Row) -> float:
    """When a container row was written (its ``last_modified``)."""
    try:
        when = datetime.fromisoformat(str(row.get('last_modified', '')))
    except ValueError:
        return 0.0
    return when.replace(tzinfo=UTC).timestamp() if when.tzinfo is None else when.timestamp()


def _grouped(rows: Iterable[Row], name_of: Callable[[Row], str | None]) -> Iterator[tuple[str, list[Row]]]:
    named = ((name_of(row), row) for row in rows)
    for name, group in itertools.groupby((pair for pair in named if pair[0] is not None), key=lambda p: p[0]):
        yield str(name), [row for _, row in group]


def _entries(name: str, own: list[Row], hidden: list[Row]) -> list[tuple[float, Row]]:
    """Every version of ``name``, with the time to order it by."""
    pointed = None
    entries: list[tuple[float, Row]] = []
    for row in own:
        etag, vid, _ = split_listing_etag(str(row.get('hash', '')))
        if vid is not None:
            pointed = vid
            continue
        entries.append((_stamp(row), {**{k: row.get(k) for k in SHOWN}, 'hash': etag,
                                      'version_id': NULL, 'is_latest': True}))
    newest = max((split_version(row['name']) or ('', '0'))[1] for row in hidden) if hidden else ''
    for row in hidden:
        vid = (split_version(row['name']) or ('', '0'))[1]
        latest = vid == pointed if own else (vid == newest and row.get('content_type') == DELETE_MARKER_TYPE)
        entries.append((float(vid), {**{k: row.get(k) for k in SHOWN}, 'name': name,
                                     'version_id': vid, 'is_latest': latest}))
    return entries


def _after_marker(entries: list[tuple[float, Row]], window: Window) -> list[tuple[float, Row]]:
    if window.version_marker in ('', NULL):
        return entries
    mark = float(window.version_marker)
    return [e for e in entries if (e[0] > mark if window.reverse else e[0] < mark)]


def merge(own: Iterable[Row], hidden: Iterable[Row], window: Window) -> list[Row]:
    """The listing: at most ``window.limit`` versions."""
    mine = _grouped(own, lambda row: str(row['name']) if 'name' in row else None)
    theirs = _grouped(hidden, lambda row: (split_version(str(row.get('name', ''))) or (None, ''))[0])
    a, b = next(mine, None), next(theirs, None)
    out: list[Row] = []
    while (a is not None or b is not None) and len(out) < window.limit:
        if a is None or (b is not None and (b[0] > a[0] if window.reverse else b[0] < a[0])):
            name, own_rows, hidden_rows = b[0], [], b[1]      # type: ignore[index]
            b = next(theirs, None)
        elif b is None or a[0] != b[0]:
            name, own_rows, hidden_rows = a[0], a[1], []
            a = next(mine, None)
        else:
            name, own_rows, hidden_rows = a[0], a[1], b[1]
            a, b = next(mine, None), next(theirs, None)
        subdir = window.subdir(name)
        if subdir is not None:
            if not out or out[-1].get('subdir') != subdir:
                out.append({'subdir': subdir})
            continue
        entries = sorted(_entries(name, own_rows, hidden_rows), key=lambda e: e[0],
                         reverse=not window.reverse)
        if name == window.marker:
            entries = _after_marker(entries, window)
        out.extend(row for _, row in entries)
    return out[:window.limit]

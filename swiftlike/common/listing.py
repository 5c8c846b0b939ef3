"""Listings of a container's objects or an account's containers: the
query (prefix, delimiter, marker, end_marker, limit, reverse) over an item
table ordered by name (SQLite compares UTF-8 bytes, i.e. code points), and
the json / xml / plain formats."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from xml.sax.saxutils import escape, quoteattr

#: Highest code point: names sort below ``prefix + MAX_CHAR``.
MAX_CHAR = '\U0010ffff'


@dataclass(frozen=True, slots=True)
class ListingParams:
    """What a listing asks for."""

    limit: int
    marker: str = ''
    end_marker: str = ''
    prefix: str = ''
    delimiter: str = ''
    reverse: bool = False
    #: ``?path=``: only the names directly under this "directory" (names with no
    #: further ``/`` after it, and directory markers ending in one), none deeper
    path: str | None = None

    def effective(self) -> ListingParams:
        """``path`` turned into the prefix and ``/`` delimiter it stands for."""
        if self.path is None:
            return self
        prefix = self.path.rstrip('/') + '/' if self.path else ''
        return replace(self, prefix=prefix, delimiter='/')


def _after(text: str) -> str:
    """The least string greater than every string starting with ``text``."""
    return text[:-1] + chr(ord(text[-1]) + 1) if text and text[-1] != MAX_CHAR else text + MAX_CHAR


class _Window:
    """The name range still to list: ``lower < name < upper`` (``lower``
    inclusive when ``lower_incl``); it shrinks as entries are taken."""

    def __init__(self, params: ListingParams) -> None:
        self.params = params
        self.lower, self.upper = params.marker, params.end_marker
        if params.reverse:
            self.lower, self.upper = params.end_marker, params.marker
        self.lower_incl = False
        if params.prefix:
            if not self.lower or self.lower < params.prefix:
                self.lower, self.lower_incl = params.prefix, True
            if not self.upper or self.upper > _after(params.prefix):
                self.upper = _after(params.prefix)

    def query(self, conn: sqlite3.Connection, table: str, fields: str, limit: int) -> list[sqlite3.Row]:
        where, args = ['deleted = 0'], []
        if self.lower:
            where.append('name >= ?' if self.lower_incl else 'name > ?')
            args.append(self.lower)
        if self.upper:
            where.append('name < ?')
            args.append(self.upper)
        order = 'DESC' if self.params.reverse else 'ASC'
        return conn.execute(f'SELECT {fields} FROM {table} WHERE {" AND ".join(where)} '
                            f'ORDER BY name {order} LIMIT ?', [*args, limit]).fetchall()

    def took(self, name: str) -> None:
        """Move past a listed name."""
        if self.params.reverse:
            self.upper = name
        else:
            self.lower, self.lower_incl = name, False

    def skipped(self, subdir: str, *, keep_marker: bool = False) -> None:
        """Move past every name under ``subdir`` (but not ``subdir`` itself, a
        directory marker, when ``keep_marker`` and listing in reverse)."""
        if self.params.reverse:
            # every name under it sorts at or above it; names never hold NUL
            self.upper = subdir + '\x00' if keep_marker else subdir
        else:
            self.lower, self.lower_incl = _after(subdir), True


def list_rows(conn: sqlite3.Connection, table: str, columns: Sequence[str],
              params: ListingParams) -> list[dict[str, Any]]:
    """Rows (dicts of ``columns``) and ``{'subdir': ...}`` entries, in order."""
    by_path, params = params.path is not None, params.effective()
    window = _Window(params)
    out: list[dict[str, Any]] = []
    fields = ', '.join(columns)
    while len(out) < params.limit:
        rows = window.query(conn, table, fields, params.limit - len(out))
        if not rows:
            break
        for row in rows:
            rest = row['name'][len(params.prefix):]
            cut = rest.find(params.delimiter) if params.delimiter else -1
            if by_path and (not rest or 0 <= cut < len(rest) - 1):
                # the directory itself, or a name deeper down: never listed
                if rest:
                    window.skipped(params.prefix + rest[:cut + 1], keep_marker=True)
                    break
                window.took(row['name'])
                continue
            if cut >= 0 and not by_path:
                subdir = params.prefix + rest[:cut + len(params.delimiter)]
                out.append({'subdir': subdir})
                window.skipped(subdir)
                break               # the window jumped: query again from there
            out.append(dict(row))
            window.took(row['name'])
    return out[:params.limit]


def listed_etag(stored: str) -> dict[str, str]:
    """The ``hash`` (and ``slo_etag``) of a listing entry from the ETag a container
    holds: a static large object's is ``<manifest md5>; slo_etag=<joined etag>``, listed
    as two keys, as Swift lists it (other parameters stay for the filters that read them).

    >>> listed_etag('abc; slo_etag=def'), listed_etag('abc; symlink_target=c/o')
    ({'hash': 'abc', 'slo_etag': '"def"'}, {'hash': 'abc; symlink_target=c/o'})
    """
    base, sep, rest = stored.partition('; slo_etag=')
    if not sep:
        return {'hash': stored}
    value, _, more = rest.partition(';')
    return {'hash': base + (';' + more if more else ''), 'slo_etag': f'"{value.strip()}"'}


def format_listing(entries: list[dict[str, Any]], fmt: str, kind: str, name: str) -> tuple[bytes, str]:
    """(body, content type) of a listing in ``json``, ``xml`` or ``plain``."""
    if fmt == 'json':
        return json.dumps(entries, ensure_ascii=False).encode('utf-8'), 'application/json; charset=utf-8'
    if fmt == 'xml':
        item = 'object' if kind == 'container' else 'container'
        parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<{kind} name={quoteattr(name)}>']
        for entry in entries:
            if 'subdir' in entry:
                parts.append(f'<subdir name={quoteattr(entry["subdir"])}>'
                             f'<name>{escape(entry["subdir"])}</name></subdir>')
                continue
            fields = ''.join(f'<{k}>{escape(str(v))}</{k}>' for k, v in entry.items())
            parts.append(f'<{item}>{fields}</{item}>')
        parts.append(f'</{kind}>')
        # as Swift's: an account's entries one a line, a container's with nothing between
        # them (clients walk its child nodes expecting elements only)
        head, *rest = parts
        sep = '\n' if kind == 'account' else ''
        return (head + sep + sep.join(rest)).encode('utf-8'), 'application/xml; charset=utf-8'
    names = [e.get('subdir') or e['name'] for e in entries]
    return ''.join(n + '\n' for n in names).encode('utf-8'), 'text/plain; charset=utf-8'

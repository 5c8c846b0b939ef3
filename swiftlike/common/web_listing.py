"""The HTML page staticweb shows for a container (or a pseudo-directory in
it): subdirectories first, then objects, each a relative link; names are
HTML-escaped in text and percent-encoded in links. Pure: the listing rows
come in, the page goes out."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any, Final
from urllib.parse import quote

_STYLE: Final = ('  <style type="text/css">\n'
                 '   h1 {font-size: 1em; font-weight: bold;}\n'
                 '   th {text-align: left; padding: 0px 1em 0px 1em;}\n'
                 '   td {padding: 0px 1em 0px 1em;}\n'
                 '   a {text-decoration: none;}\n'
                 '  </style>\n')


def css_href(css: str, prefix: str) -> str:
    """Where the page links its style sheet: an absolute path or URL as given,
    else relative to the container (one ``../`` per directory level).

    >>> css_href('style.css', 'a/b/'), css_href('/s.css', 'a/'), css_href('http://x/s.css', '')
    ('../../style.css', '/s.css', 'http://x/s.css')
    """
    if css.startswith('/') or '://' in css:
        return css
    return '../' * prefix.count('/') + quote(css)


def human_size(size: int) -> str:
    """Bytes the way the page shows them.

    >>> human_size(512), human_size(2048), human_size(5 * 1024 ** 3)
    ('512', '2K', '5G')
    """
    value = float(size)
    for suffix in ('', 'K', 'M', 'G', 'T', 'P'):
        if value < 1024 or suffix == 'P':
            return f'{value:.0f}{suffix}' if suffix else str(size)
        value /= 1024
    return str(size)


def _row(kind: str, href: str, text: str, size: str, date: str) -> str:
    return (f'   <tr class="item {kind}">\n'
            f'    <td class="colname"><a href="{href}">{escape(text)}</a></td>\n'
            f'    <td class="colsize">{size}</td>\n'
            f'    <td class="coldate">{date}</td>\n'
            '   </tr>\n')


def render(rows: Sequence[dict[str, Any]], *, label: str, prefix: str, css: str = '',
           link_query: str = '', parent: bool = True) -> str:
    """The page for listing ``rows`` (a JSON container listing with
    ``delimiter=/``) under ``prefix``; ``link_query`` (already escaped for
    HTML) is appended to every link (a temp URL's parameters); ``parent``
    links ``../`` (not where a temp URL could not follow)."""
    page = ['<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" '
            '"http://www.w3.org/TR/html4/loose.dtd">\n<html>\n <head>\n',
            f'  <title>Listing of {escape(label)}</title>\n']
    page.append(f'  <link rel="stylesheet" type="text/css" href="{escape(css_href(css, prefix))}" />\n'
                if css else _STYLE)
    page.append(f' </head>\n <body>\n  <h1 id="title">Listing of {escape(label)}</h1>\n'
                '  <table id="listing">\n   <tr id="heading">\n    <th class="colname">Name</th>\n'
                '    <th class="colsize">Size</th>\n    <th class="coldate">Date</th>\n   </tr>\n')
    if prefix and parent:
        page.append(_row('parent', '../', '../', '&nbsp;', '&nbsp;').replace('class="item parent"',
                                                                              'id="parent" class="item"'))
    suffix = f'?{link_query}' if link_query else ''
    for row in rows:
        if isinstance(row.get('subdir'), str):
            name = row['subdir'][len(prefix):]
            page.append(_row('subdir', f'./{quote(name)}{suffix}', name, '&nbsp;', '&nbsp;'))
    for row in rows:
        if isinstance(row.get('name'), str):
            name = row['name'][len(prefix):]
            types = ' '.join('type-' + escape(t.lower(), quote=True)
                             for t in str(row.get('content_type', '')).split(';')[0].split('/'))
            size = row.get('bytes')
            date = escape(str(row.get('last_modified', ''))[:19].replace('T', ' '))
            page.append(_row(types, f'./{quote(name)}{suffix}', name,
                             human_size(size) if isinstance(size, int) else '', date))
    page.append('  </table>\n </body>\n</html>\n')
    return ''.join(page)

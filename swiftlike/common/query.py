"""Query parameters of a client's request, read strictly: webob's
``req.GET`` raises UnicodeDecodeError on invalid UTF-8 (a 500), so
middleware reads parameters here and answers 400 instead."""

from __future__ import annotations

from urllib.parse import parse_qsl

from webob import Request, exc


def param(req: Request, name: str, default: str = '') -> str:
    """The last value of ``name`` in the query string, as text.

    >>> param(Request.blank('/?a=1&b=%C3%A9&a=2'), 'a'), param(Request.blank('/?b=%C3%A9'), 'b')
    ('2', 'é')

    :raises HTTPBadRequest: if the query string is not valid UTF-8 or has a NUL
    """
    try:
        pairs = parse_qsl(req.environ.get('QUERY_STRING', ''), keep_blank_values=True, errors='strict')
    except (UnicodeDecodeError, ValueError):
        raise exc.HTTPBadRequest(body='Query string is not valid UTF-8\n') from None
    value = default
    for key, found in pairs:
        if key == name:
            value = found
    if '\x00' in value:
        raise exc.HTTPBadRequest(body=f'Query parameter {name} contains NUL\n')
    return value

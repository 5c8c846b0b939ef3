"""Query parameters of a client's request, read strictly: webob's
``req.GET`` raises UnicodeDecodeError on invalid UTF-8 (a 500), so
middleware reads parameters here and answers 400 instead."""

from __future__ import annotations

from urllib.parse import parse_qsl

from webob import Request, exc


def _pairs(req: Request) -> list[tuple[str, str]]:
    try:
        return parse_qsl(req.environ.get('QUERY_STRING', ''), keep_blank_values=True, errors='strict')
    except (UnicodeDecodeError, ValueError):
        raise exc.HTTPBadRequest(body='Query string is not valid UTF-8\n') from None


def has(req: Request, name: str) -> bool:
    """Whether the query string names ``name`` (with a value or not).

    >>> has(Request.blank('/?a&b=1'), 'a'), has(Request.blank('/?b=1'), 'a')
    (True, False)

    Invalid UTF-8 elsewhere in the query string does not matter here (a
    filter that only looks for its own parameter must leave the rest to
    whoever reads it, e.g. s3api's own errors).
    """
    pairs = parse_qsl(req.environ.get('QUERY_STRING', ''), keep_blank_values=True, errors='surrogateescape')
    return any(key == name for key, _ in pairs)


def param(req: Request, name: str, default: str = '') -> str:
    """The last value of ``name`` in the query string, as text.

    >>> param(Request.blank('/?a=1&b=%C3%A9&a=2'), 'a'), param(Request.blank('/?b=%C3%A9'), 'b')
    ('2', 'é')

    :raises HTTPBadRequest: if the query string is not valid UTF-8 or has a NUL
    """
    value = default
    for key, found in _pairs(req):
        if key == name:
            value = found
    if '\x00' in value:
        raise exc.HTTPBadRequest(body=f'Query parameter {name} contains NUL\n')
    return value

"""``?part-number=N`` on a GET or HEAD of a static large object: the bytes
of the manifest's N-th entry (1-based), answered as a 206 with the
Content-Range of that part within the joined object and ``X-Parts-Count``,
as Swift (and S3's GetObject partNumber) do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from webob import Request, exc

from swiftlike.common import query, slo_segments
from swiftlike.common.numbers import clamped_digits

PARAM: Final = 'part-number'
#: More than any manifest has parts: a larger number is simply out of range.
_PAST_ANY: Final = 10 ** 9


def requested(req: Request) -> int | None:
    """The part asked for, or None.

    >>> requested(Request.blank('/v1/a/c/o?part-number=2')), requested(Request.blank('/v1/a/c/o'))
    (2, None)

    :raises HTTPBadRequest: if it is not ASCII digits above 0 (Unicode digits, a sign, NUL,
        empty), or comes with a Range
    """
    if not query.has(req, PARAM):
        return None
    part = clamped_digits(query.param(req, PARAM), _PAST_ANY)
    if not part:
        raise _bad(req, 'Part number must be an integer greater than 0')
    if 'Range' in req.headers:
        raise _bad(req, 'Range requests are not supported with part number queries')
    return part


def _bad(req: Request, message: str) -> exc.HTTPBadRequest:
    body = b'' if req.method == 'HEAD' else message.encode()
    return exc.HTTPBadRequest(body=body, content_type='text/plain')


def span(segments: Sequence[Mapping[str, Any]], part: int) -> tuple[int, int] | None:
    """Bytes ``[start, stop)`` of the part within the joined object, or None if there is no such part.

    >>> span([{'data': 'YWI='}, {'data': 'Yw=='}], 2), span([{'data': 'YWI='}], 2)
    ((2, 3), None)
    """
    if part > len(segments):
        return None
    start = sum(slo_segments.entry_length(seg) for seg in segments[:part - 1])
    return start, start + slo_segments.entry_length(segments[part - 1])

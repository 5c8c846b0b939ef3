"""``POST`` or ``DELETE /v1/<account>?bulk-delete``: the body lists
URL-encoded names, one a line (``<container>/<object>`` or
``<container>``, a leading ``/`` allowed), each deleted through the rest of
the pipeline as the client. At most ``max_deletes`` names (413 beyond);
a name that is not UTF-8, holds NUL or is too long is reported, not sent;
the run stops after ``max_failed`` failures, or at the first 401.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO
from urllib.parse import quote, unquote

from webob import Response, exc

from swiftlike.common.bulk_response import BulkResult

#: ``send(method, path)``: a sub-request as the client; ``path`` is text below /v1/<account>.
Send = Callable[[str, str], Response]


@dataclass(frozen=True)
class Limits:
    """How much one bulk delete may do."""

    max_deletes: int
    max_failed: int
    max_name: int           # the longest name a line may hold (container + '/' + object)


def read_names(body: IO[bytes], limits: Limits) -> list[str]:
    """The (still quoted) names of the body, blank lines skipped.

    :raises HTTPRequestEntityTooLarge: for more than ``max_deletes`` names
        (or a body longer than that many names can be)
    """
    most = limits.max_deletes * (3 * limits.max_name + 2)
    data = body.read(most + 1)
    if len(data) > most:
        raise exc.HTTPRequestEntityTooLarge(body=f'Maximum Bulk Deletes: {limits.max_deletes} per request\n')
    names = [line.strip() for line in data.decode('latin-1').split('\n')]
    names = [n for n in names if n]
    if len(names) > limits.max_deletes:
        raise exc.HTTPRequestEntityTooLarge(body=f'Maximum Bulk Deletes: {limits.max_deletes} per request\n')
    return names


def target(line: str, limits: Limits) -> str:
    """The path (text, ``<container>[/<object>]``) a line names.

    >>> target('/c/o%20x', Limits(1, 1, 100)), target('c%2Fo', Limits(1, 1, 100))
    ('c/o x', 'c/o')

    :raises ValueError: with the status to report
    """
    try:
        name = unquote(line.encode('latin-1').decode('utf-8'), errors='strict').lstrip('/')
    except UnicodeError:
        raise ValueError('412 Precondition Failed') from None
    if '\x00' in name:
        raise ValueError('412 Precondition Failed')
    if not name or name.startswith('/') or len(name.encode('utf-8')) > limits.max_name:
        raise ValueError('400 Bad Request')
    return name


def delete_all(lines: list[str], send: Send, limits: Limits) -> BulkResult:
    """Delete what every line names."""
    result = BulkResult({'Number Deleted': 0, 'Number Not Found': 0}, '200 OK')
    for line in lines:
        try:
            path = target(line, limits)
        except ValueError as err:
            result.errors.append([quote(line, safe='/%'), str(err)])
        else:
            resp = send('DELETE', path)
            if resp.status_int // 100 == 2:
                result.counts['Number Deleted'] += 1
            elif resp.status_int == 404:
                result.counts['Number Not Found'] += 1
            else:
                result.errors.append([quote(path, safe='/'), resp.status])
                if resp.status_int == 401:
                    result.status = resp.status
                    return result
        if len(result.errors) >= limits.max_failed:
            break
    if result.errors:
        failed_5xx = any(status.startswith('5') for _, status in result.errors)
        result.status = '502 Bad Gateway' if failed_5xx else '400 Bad Request'
    return result

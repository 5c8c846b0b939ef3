"""HTTP helpers at the edge: status classes webob lacks, and small checks."""

from __future__ import annotations

from webob import exc


class HTTPClientDisconnect(exc.HTTPClientError):  # type: ignore[misc]
    """499: the client went away before sending its whole body."""

    code = 499
    title = 'Client Disconnect'
    explanation = 'The client disconnected before the request body was read.'


def is_success(status: int) -> bool:
    """2xx.

    >>> is_success(201), is_success(404)
    (True, False)
    """
    return 200 <= status < 300


"""Changing an answer's headers on its way out, without making the answer
again: a filter that calls ``req.get_response(app)`` and returns that
Response has webob build a new answer (and turn a relative ``Location`` into
an absolute one, which Swift's clients compare as sent). Wrapping
``start_response`` edits only the header list. Never touches the body."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from swiftlike.common.wsgi import WsgiApp

Headers = list[tuple[str, str]]
#: ``edit(status, headers) -> headers``: called once the app starts its answer.
HeaderEdit = Callable[[str, Headers], Headers]


def call_with(app: WsgiApp, environ: dict[str, Any], start_response: Callable[..., Any],
              edit: HeaderEdit) -> Iterable[bytes]:
    """``app``'s answer, its headers passed through ``edit``."""
    def edited(status: str, headers: Headers, exc_info: Any = None) -> Any:
        headers = edit(status, list(headers))
        return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)
    return app(environ, edited)


def get(headers: Headers, name: str) -> str | None:
    """The first value of header ``name`` (any case), or None."""
    wanted = name.lower()
    return next((v for k, v in headers if k.lower() == wanted), None)

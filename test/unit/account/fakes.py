"""Fakes for the account server's unit tests (STYLE.md C13)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from webob import Request


@dataclass
class Answer:
    """What a report's sender reads of an answer: its status."""

    status: int


class InProcessSender:
    """Stands in for direct_request in swiftlike.container.reporting: each
    request goes to ``app`` (an account server) in-process; ``sent`` records
    ``(host, port, method, path, headers)``."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.sent: list[tuple[str, int, str, str, dict[str, str]]] = []

    def __call__(self, host: str, port: int, method: str, path: str, *,
                 headers: Mapping[str, str], **_: object) -> Answer:
        self.sent.append((host, port, method, path, dict(headers)))
        req = Request.blank(quote(path), method=method, headers=dict(headers))
        return Answer(req.get_response(self.app).status_int)

"""What ``GET /info`` says about the filters in the pipeline: each filter
that has something to tell adds its section to the request's environ on the
way down, and the app at the bottom answers with them all. So /info lists
exactly the filters a proxy was configured with, and no module keeps a
registry of its own."""

from __future__ import annotations

from typing import Any

from swiftlike.common import env_keys


def is_info(environ: dict[str, Any]) -> bool:
    """Whether this is a ``GET`` or ``HEAD`` of ``/info``."""
    return environ.get('PATH_INFO') == '/info' and environ.get('REQUEST_METHOD') in ('GET', 'HEAD')


def add(environ: dict[str, Any], name: str, values: dict[str, Any]) -> None:
    """Add (or replace) the section ``name`` of this /info request."""
    environ.setdefault(env_keys.INFO, {})[name] = values


def sections(environ: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every section filters added."""
    found: dict[str, dict[str, Any]] = environ.get(env_keys.INFO) or {}
    return found

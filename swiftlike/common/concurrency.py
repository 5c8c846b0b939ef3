"""The one seam for concurrency: green threads (eventlet) for fan-out and
timeouts. Monkey-patching happens only in the launcher (swiftlike.common.runner);
callers here work the same without it, just without concurrency."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

with warnings.catch_warnings():
    warnings.simplefilter('ignore')      # eventlet announces its maintenance mode on import
    import eventlet

T = TypeVar('T')

#: Raised when a :func:`timeout` expires.
Timeout = eventlet.Timeout


def timeout(seconds: float) -> eventlet.Timeout:
    """A context manager raising :data:`Timeout` after ``seconds``."""
    return eventlet.Timeout(seconds)


def run_all(calls: Sequence[Callable[[], T]], *, limit: float) -> list[T | BaseException]:
    """Run ``calls`` concurrently; each result or the exception it raised
    (a Timeout for those still running after ``limit`` seconds)."""
    pool = eventlet.GreenPool(max(1, len(calls)))
    threads = [pool.spawn(_capture, call) for call in calls]
    results: list[T | BaseException] = []
    with eventlet.Timeout(limit, False):
        for thread in threads:
            results.append(thread.wait())
    for thread in threads[len(results):]:
        thread.kill()
        results.append(eventlet.Timeout(limit))
    return results


def _capture(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as err:
        return err


def run_batches(calls: Sequence[Callable[[], T]], *, width: int, limit: float) -> list[T | BaseException]:
    """:func:`run_all` over ``width`` calls at a time (``limit`` seconds for each batch)."""
    width = max(1, width)
    results: list[T | BaseException] = []
    for start in range(0, len(calls), width):
        results += run_all(calls[start:start + width], limit=limit)
    return results

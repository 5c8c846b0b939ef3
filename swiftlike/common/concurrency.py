"""The one seam for concurrency: green threads (eventlet) for fan-out and
timeouts. Monkey-patching happens only in the launcher (swiftlike.common.runner);
callers here work the same without it, just without concurrency."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any, Final, TypeVar

with warnings.catch_warnings():
    warnings.simplefilter('ignore')      # eventlet announces its maintenance mode on import
    import eventlet
    import eventlet.event
    import eventlet.patcher
    import eventlet.queue
    import eventlet.tpool

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


class Feeder:
    """Hands chunks to ``send`` in a green thread of its own, with up to
    ``depth`` chunks queued, so one slow receiver does not stall the others
    until its queue is full. After ``send`` fails, further chunks are dropped
    and :attr:`error` holds what it raised."""

    _DONE: Final = object()

    def __init__(self, send: Callable[[bytes], object], *, depth: int = 8) -> None:
        self._send = send
        self._queue: eventlet.queue.Queue = eventlet.queue.Queue(depth)
        self.error: BaseException | None = None
        self._thread = eventlet.spawn(self._run)

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not self._DONE:
            if self.error is None:
                try:
                    self._send(chunk)
                except (Exception, eventlet.Timeout) as err:
                    self.error = err

    def put(self, chunk: bytes) -> bool:
        """Queue ``chunk`` (waiting while the queue is full); False once ``send`` failed."""
        if self.error is not None:
            return False
        self._queue.put(chunk)
        return self.error is None

    def finish(self, limit: float) -> BaseException | None:
        """Wait up to ``limit`` seconds for every queued chunk to be sent; the
        error, if ``send`` failed or the wait ran out."""
        self._queue.put(self._DONE)
        with eventlet.Timeout(limit, False):
            self._thread.wait()
            return self.error
        self._thread.kill()
        return self.error or eventlet.Timeout(limit)

    def abort(self) -> None:
        """Stop at once, dropping what is queued."""
        self._thread.kill()


def green() -> bool:
    """Whether this process runs green threads (the launcher monkey-patched it)."""
    return bool(eventlet.patcher.is_monkey_patched('thread'))


def offload(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in an OS thread of eventlet's pool when the process is
    green, so a call that blocks in the kernel (fsync, a rehash of a whole
    partition) does not stall every other green thread; called directly
    otherwise. Its exception, if any, is raised here. Costs some tens of
    microseconds a call (test/bench/tpool_bench.py): use it for calls that
    may block for milliseconds, not for every small read."""
    if green():
        return eventlet.tpool.execute(fn, *args)  # type: ignore[no-any-return]
    return fn(*args)


def sleep(seconds: float) -> None:
    """Wait ``seconds``: green (other green threads run) when the process is green."""
    if green():
        eventlet.sleep(seconds)
    else:
        time.sleep(seconds)


class Signal:
    """A one-shot event: green threads :meth:`wait` until one :meth:`send`."""

    def __init__(self) -> None:
        self._event = eventlet.event.Event()

    def send(self) -> None:
        """Wake every waiter, now and later."""
        self._event.send(None)

    def wait(self) -> None:
        """Wait (green) for :meth:`send`."""
        self._event.wait()

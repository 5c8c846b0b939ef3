"""Pacing a loop to a rate (files or bytes per second), for auditors."""

from __future__ import annotations

import time
from collections.abc import Callable


class Throttle:
    """``throttle(n)`` sleeps as needed so that amounts average at most
    ``per_second``; 0 means no limit.

    >>> slept = []
    >>> t = Throttle(10, clock=lambda: 0.0, sleep=slept.append)
    >>> t(5); t(5); slept
    [0.5]
    """

    def __init__(self, per_second: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self.per_second = per_second
        self.clock = clock
        self.sleep = sleep
        self._next = 0.0

    def __call__(self, amount: float = 1) -> None:
        if self.per_second <= 0:
            return
        now = self.clock()
        start = max(self._next, now)
        if start > now:
            self.sleep(start - now)
        self._next = start + amount / self.per_second

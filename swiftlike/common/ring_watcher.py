"""A ring that reloads itself when its file changes (checked at most every
``interval`` seconds). Lookups stay in rings.Ring, which does no I/O."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

from rings import Ring


class RingWatcher:
    """Holds the current :class:`rings.Ring` of a file."""

    def __init__(self, path: Path, *, hash_prefix: bytes, hash_suffix: bytes, interval: float = 15.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self._prefix = hash_prefix
        self._suffix = hash_suffix
        self.interval = interval
        self.clock = clock
        self._mtime = os.stat(path).st_mtime
        self._ring = Ring.load(path, hash_prefix=hash_prefix, hash_suffix=hash_suffix)
        self._checked = clock()

    @property
    def ring(self) -> Ring:
        """The ring, reloaded first if the file changed since the last check."""
        now = self.clock()
        if now - self._checked >= self.interval:
            self._checked = now
            mtime = os.stat(self.path).st_mtime
            if mtime != self._mtime:
                self._ring = Ring.load(self.path, hash_prefix=self._prefix, hash_suffix=self._suffix)
                self._mtime = mtime
        return self._ring

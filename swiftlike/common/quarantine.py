"""Setting aside what an auditor or a read found corrupt: its directory
moves to ``<device>/quarantined/<kind>/`` (kept for an operator to look
at), so the replicators restore a good copy from another replica."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path


def move_aside(device_dir: Path, directory: Path, kind: str) -> None:
    """Move ``directory`` to ``<device>/quarantined/<kind>/<name>-<time>``
    (``kind``: objects, containers or accounts); remove it if it cannot move."""
    target = device_dir / 'quarantined' / kind
    target.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(directory, target / f'{directory.name}-{time.time():.5f}')
    except OSError:
        shutil.rmtree(directory, ignore_errors=True)

"""What each daemon's last pass did, for operators: one JSON file per
daemon in ``recon_cache_path`` (``{worker: record}``, changed under an
flock so forked workers do not lose each other's records), served by the
``recon`` filter of the storage servers (swiftlike.common.middleware.recon)."""

from __future__ import annotations

import fcntl
import json
import os
from pathlib import Path
from typing import Any


def record(cache_dir: Path, daemon: str, worker: str, data: dict[str, Any]) -> None:
    """Store ``data`` as ``worker``'s record of ``daemon`` (atomically)."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    path = cache_dir / f'{daemon}.json'
    fd = os.open(cache_dir / f'.{daemon}.lock', os.O_CREAT | os.O_WRONLY, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        records = read(cache_dir, daemon)
        records[worker] = data
        tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
        tmp.write_text(json.dumps(records, sort_keys=True))
        os.replace(tmp, path)
    finally:
        os.close(fd)


def read(cache_dir: Path, daemon: str) -> dict[str, Any]:
    """The records of ``daemon`` (empty if none)."""
    try:
        data = json.loads((cache_dir / f'{daemon}.json').read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def daemons(cache_dir: Path) -> list[str]:
    """Daemons with a record."""
    try:
        return sorted(p.stem for p in cache_dir.glob('*.json'))
    except OSError:
        return []

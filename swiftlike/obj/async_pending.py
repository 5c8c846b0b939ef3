"""Container updates that could not be sent, kept on the device for the
object-updater: ``<device>/async_pending/<suffix>/<hash>-<timestamp>``,
one JSON document each (never pickle), written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Final

from swiftlike.common.request import UpdateTarget as Target

DIR: Final = 'async_pending'


@dataclass(frozen=True, slots=True)
class PendingUpdate:
    """One container listing update (PUT or DELETE of an object row)."""

    op: str
    account: str
    container: str
    obj: str
    headers: dict[str, str]
    targets: list[Target] = field(default_factory=list)

    def to_json(self) -> bytes:
        """Serialize."""
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True).encode('utf-8')

    @classmethod
    def from_json(cls, data: bytes) -> PendingUpdate:
        """Parse.

        :raises ValueError: if ``data`` is not a pending update
        """
        raw = json.loads(data)
        try:
            targets = [Target(**t) for t in raw.pop('targets', [])]
            update = cls(targets=targets, **raw)
        except (TypeError, AttributeError) as err:
            raise ValueError(f'not a pending update: {err}') from err
        texts = (update.op, update.account, update.container, update.obj)
        if not all(isinstance(v, str) for v in texts) or not isinstance(update.headers, dict) \
                or not all(isinstance(t.host, str) and isinstance(t.device, str) and isinstance(t.port, int)
                           and isinstance(t.partition, int) for t in targets):
            raise ValueError('not a pending update: a field has the wrong type')
        return update


def save(device_dir: Path, name_hash: str, timestamp: str, update: PendingUpdate) -> Path:
    """Write ``update`` durably; a newer one for the same object replaces nothing
    (the updater sends them newest first and the container keeps the newest row)."""
    directory = device_dir / DIR / name_hash[-3:]
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f'{name_hash}-{timestamp}'
    fd, tmp = tempfile.mkstemp(dir=directory, prefix='.tmp-')
    try:
        with os.fdopen(fd, 'wb') as fh:
            fh.write(update.to_json())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target

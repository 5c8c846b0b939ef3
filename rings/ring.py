"""Pure partition-ring lookup. No clock and no file access beyond
:meth:`Ring.load`; watching a ring file for changes lives in the services."""

from __future__ import annotations

import os
import random
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

from rings import io
from rings.device import Device, device_from_dict
from rings.errors import RingFileError
from rings.hashing import hash_path, part_from_digest
from rings.tiers import tiers_of


@dataclass(frozen=True, slots=True)
class RingData:
    """What a ring file holds: devices by id and the replica table."""

    devs: tuple[Device | None, ...]
    replica2part2dev: tuple[array[int], ...]
    part_shift: int

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write this ring atomically to ``path``."""
        header = {'part_shift': self.part_shift,
                  'devs': [d.to_dict() if d else None for d in self.devs]}
        io.dump(path, io.RING_MAGIC, header, list(self.replica2part2dev))

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> RingData:
        """Read a ring file.

        :raises RingFileError: if the file is missing, truncated or foreign
        """
        header, arrays = io.load(path, io.RING_MAGIC)
        try:
            devs = tuple(device_from_dict(d) if d else None for d in io.field_list(header, 'devs'))
            part_shift = io.field_int(header, 'part_shift')
        except (KeyError, TypeError, ValueError) as err:
            raise RingFileError(f'{path}: corrupt ring header ({err})') from err
        if not arrays or not 0 <= part_shift < 32:
            raise RingFileError(f'{path}: ring has no replicas or a bad part_shift')
        if any(dev_id >= len(devs) or devs[dev_id] is None for arr in arrays for dev_id in set(arr)):
            raise RingFileError(f'{path}: ring refers to a device it does not list')
        return cls(devs=devs, replica2part2dev=tuple(arrays), part_shift=part_shift)


class Ring:
    """Maps account/container/object names to partitions and devices.

    :param data: the ring's devices and replica table
    :param hash_prefix: the cluster's ``swift_hash_path_prefix``
    :param hash_suffix: the cluster's ``swift_hash_path_suffix``
    """

    def __init__(self, data: RingData, *, hash_prefix: bytes = b'', hash_suffix: bytes = b'') -> None:
        self._data = data
        self._prefix = hash_prefix
        self._suffix = hash_suffix
        self._part_shift = data.part_shift
        self._r2p2d = data.replica2part2dev
        self._devs = data.devs
        self._handoff_devs = [d for d in data.devs if d is not None and d.weight > 0]

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, hash_prefix: bytes = b'',
             hash_suffix: bytes = b'') -> Ring:
        """Load a ring file (see :meth:`RingData.load`)."""
        return cls(RingData.load(path), hash_prefix=hash_prefix, hash_suffix=hash_suffix)

    @property
    def data(self) -> RingData:
        """The ring's data."""
        return self._data

    @property
    def devs(self) -> list[Device | None]:
        """Devices indexed by id; ``None`` where an id was removed."""
        return list(self._devs)

    @property
    def partition_count(self) -> int:
        """Number of partitions (``2 ** part_power``)."""
        return len(self._r2p2d[0])

    @property
    def part_power(self) -> int:
        """The ring's partition power."""
        return 32 - self._part_shift

    @property
    def replica_count(self) -> float:
        """Replicas per partition; fractional when the last replica is partial."""
        return sum(len(a) for a in self._r2p2d) / self.partition_count

    def get_part(self, account: str | bytes, container: str | bytes | None = None,
                 obj: str | bytes | None = None) -> int:
        """The partition of a name (top ``part_power`` bits of its hash)."""
        digest = hash_path(account, container, obj, prefix=self._prefix, suffix=self._suffix)
        return part_from_digest(digest, self._part_shift)

    def get_part_nodes(self, part: int) -> list[Device]:
        """The primary devices of ``part``, one per replica, no repeats."""
        seen: list[Device] = []
        for arr in self._r2p2d:
            if part < len(arr):
                dev = self._devs[arr[part]]
                if dev is not None and dev not in seen:
                    seen.append(dev)
        return seen

    def get_nodes(self, account: str | bytes, container: str | bytes | None = None,
                  obj: str | bytes | None = None) -> tuple[int, list[Device]]:
        """Return ``(partition, primary devices)`` for a name."""
        part = self.get_part(account, container, obj)
        return part, self.get_part_nodes(part)

    def get_more_nodes(self, part: int) -> Iterator[Device]:
        """Yield handoff devices for ``part``, deterministically.

        First one device from each region not used by the primaries, then
        from each unused zone, then each unused server, then every other
        device; within a pass devices come in a per-partition shuffled order
        so that handoff load spreads across the cluster.
        """
        primaries = self.get_part_nodes(part)
        order = list(self._handoff_devs)
        random.Random(part).shuffle(order)
        used_devs = {d.id for d in primaries}
        used = [{tiers_of(d)[level] for d in primaries} for level in range(3)]
        for level in range(3):
            for dev in order:
                if dev.id in used_devs or tiers_of(dev)[level] in used[level]:
                    continue
                used_devs.add(dev.id)
                for lower, tier in enumerate(tiers_of(dev)[:3]):
                    used[lower].add(tier)
                yield dev
        for dev in order:
            if dev.id not in used_devs:
                used_devs.add(dev.id)
                yield dev

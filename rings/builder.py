"""The ring builder: devices, replica count, overload and min_part_hours,
and the replica table they produce. Rebalancing is in rings.rebalance, the
checks in rings.checks; this module keeps the state and its file."""

from __future__ import annotations

import math
import os
import random
import time
from array import array
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from rings import checks, io, rebalance
from rings.device import Device, device_from_dict
from rings.errors import RingBuilderError, RingFileError
from rings.placement import NONE_DEV, Placement
from rings.ring import Ring, RingData
from rings.tiers import plan_tiers


@dataclass(frozen=True, slots=True)
class RebalanceResult:
    """What :meth:`RingBuilder.rebalance` did."""

    moved: int          #: partition-replicas given a new device
    balance: float      #: worst device's deviation from its fair share, percent
    held_back: int      #: replicas above target that min_part_hours kept in place


def _hour(now: float) -> int:
    return int(now // 3600)


class RingBuilder:
    """Builds the replica table of a ring from devices and their weights.

    :param part_power: partitions = 2 ** part_power (1..32)
    :param replicas: replicas per partition, at least 1 (may be fractional)
    :param min_part_hours: hours before another replica of a moved partition may move
    :param clock: returns seconds since the epoch (injected for tests)
    """

    def __init__(self, part_power: int, replicas: float, min_part_hours: int, *,
                 clock: Callable[[], float] = time.time) -> None:
        if not isinstance(part_power, int) or not 1 <= part_power <= 32:
            raise RingBuilderError(f'part power must be an integer in 1..32, not {part_power!r}')
        if min_part_hours < 0 or min_part_hours > 0xFFFF:
            raise RingBuilderError('min_part_hours must be in 0..65535')
        self.part_power = part_power
        self.min_part_hours = int(min_part_hours)
        self.overload = 0.0
        self.devs: list[Device | None] = []
        self.version = 0
        self._replicas = 0.0
        self._removed: set[int] = set()
        self._clock = clock
        self._r2p2d: list[array[int]] = []
        self._last_move = array('I')
        self.dirty = True
        self.set_replicas(replicas)

    @classmethod
    def create(cls, part_power: int, replicas: float, min_part_hours: int, *,
               clock: Callable[[], float] = time.time) -> RingBuilder:
        """A new, empty builder (the same as calling the class)."""
        return cls(part_power, replicas, min_part_hours, clock=clock)

    # -- properties -------------------------------------------------------

    @property
    def parts(self) -> int:
        """Number of partitions."""
        return 1 << self.part_power

    @property
    def replicas(self) -> float:
        """Replicas per partition."""
        return self._replicas

    @property
    def replica2part2dev(self) -> list[array[int]]:
        """The replica table (read-only by convention); empty before a rebalance."""
        return self._r2p2d

    def active_devs(self) -> list[Device]:
        """Devices not removed (weight 0 included)."""
        return [d for d in self.devs if d is not None and d.id not in self._removed]

    def search(self, **criteria: object) -> list[Device]:
        """Devices (not removed) whose fields equal every given criterion."""
        return [d for d in self.active_devs()
                if all(getattr(d, k) == v for k, v in criteria.items())]

    def parts_by_dev(self) -> dict[int, int]:
        """Partition-replicas held by each device id."""
        counts: Counter[int] = Counter(dict.fromkeys((d.id for d in self.devs if d), 0))
        for arr in self._r2p2d:
            counts.update(arr)
        counts.pop(NONE_DEV, None)
        return dict(counts)

    # -- changes ------------------------------------------------------------

    def add_dev(self, dev: Device | dict[str, object]) -> int:
        """Add a device; an id of None or -1 takes the lowest free id.

        :returns: the device id
        :raises RingBuilderError: on a duplicate id or address/device, or bad values
        """
        if isinstance(dev, dict):
            data = dict(dev)
            if data.get('id') in (None, -1):
                data['id'] = self._free_id()
            try:
                dev = device_from_dict(data)
            except ValueError as err:
                raise RingBuilderError(str(err)) from err
        checks.check_new_device(dev, self.devs)
        while len(self.devs) <= dev.id:
            self.devs.append(None)
        self.devs[dev.id] = dev
        self._changed()
        return dev.id

    def _free_id(self) -> int:
        ids = [i for i, d in enumerate(self.devs) if d is None and i not in self._removed]
        return ids[0] if ids else len(self.devs)

    def _get(self, dev_id: int) -> Device:
        if not 0 <= dev_id < len(self.devs) or self.devs[dev_id] is None or dev_id in self._removed:
            raise RingBuilderError(f'no device with id {dev_id}')
        return self.devs[dev_id]  # type: ignore[return-value]

    def remove_dev(self, dev_id: int) -> None:
        """Mark a device for removal; its replicas move at the next rebalance."""
        self._get(dev_id)
        self._removed.add(dev_id)
        self._changed()

    def set_dev_weight(self, dev_id: int, weight: float) -> None:
        """Change a device's weight (0 drains it)."""
        if not math.isfinite(weight) or weight < 0:
            raise RingBuilderError(f'weight must be a finite number >= 0, not {weight}')
        self.devs[dev_id] = self._get(dev_id).evolve(weight=float(weight))
        self._changed()

    def set_dev_info(self, dev_id: int, **changes: object) -> None:
        """Change a device's ip, port, replication ip/port, device name or meta."""
        allowed = {'ip', 'port', 'replication_ip', 'replication_port', 'device', 'meta'}
        if set(changes) - allowed:
            raise RingBuilderError(f'cannot change {sorted(set(changes) - allowed)}')
        new = self._get(dev_id).evolve(**changes)
        checks.check_new_device(new, [d for d in self.devs if d is not None and d.id != dev_id])
        self.devs[dev_id] = new
        self._changed()

    def set_overload(self, overload: float) -> None:
        """Set the overload factor (0.1 = a tier may take 10% beyond its weight)."""
        if not math.isfinite(overload) or overload < 0:
            raise RingBuilderError(f'overload must be a finite number >= 0, not {overload}')
        self.overload = float(overload)
        self._changed()

    def set_min_part_hours(self, hours: int) -> None:
        """Set min_part_hours."""
        if not 0 <= hours <= 0xFFFF:
            raise RingBuilderError('min_part_hours must be in 0..65535')
        self.min_part_hours = int(hours)
        self.version += 1

    def set_replicas(self, replicas: float) -> None:
        """Set the replica count; new replica slots are filled at the next rebalance."""
        if not math.isfinite(replicas) or replicas < 1:
            raise RingBuilderError(f'replicas must be a number >= 1, not {replicas}')
        weighted = [d for d in self.active_devs() if d.weight > 0]
        if weighted:
            checks.check_can_place(weighted, replicas)
        self._replicas = float(replicas)
        if self._r2p2d:
            self._r2p2d = self._resized(self._r2p2d)
        self._changed()

    def _resized(self, arrays: list[array[int]]) -> list[array[int]]:
        lengths = [self.parts] * int(self._replicas)
        tail = round(self.parts * (self._replicas - int(self._replicas)))
        if tail:
            lengths.append(tail)
        out = []
        for i, length in enumerate(lengths):
            arr = arrays[i][:length] if i < len(arrays) else array('I')
            arr.extend([NONE_DEV] * (length - len(arr)))
            out.append(arr)
        return out

    def pretend_min_part_hours_passed(self) -> None:
        """Let every partition move at the next rebalance."""
        self._last_move = array('I', bytes(4 * self.parts))

    def _changed(self) -> None:
        self.version += 1
        self.dirty = True

    # -- rebalance ----------------------------------------------------------

    def rebalance(self, seed: int | None = None) -> RebalanceResult:
        """Assign partitions to devices (see rings.rebalance).

        :param seed: makes the result deterministic
        :raises RingBuilderError: if there are fewer devices than replicas
        """
        devs = self.active_devs()
        weighted = [d for d in devs if d.weight > 0]
        checks.check_can_place(weighted, self._replicas)
        if not self._r2p2d:
            self._r2p2d = self._resized([])
            self._last_move = array('I', bytes(4 * self.parts))
        hour = _hour(self._clock())
        movable = bytearray(hour - last >= self.min_part_hours for last in self._last_move)
        plan = plan_tiers(weighted, self._replicas, self.overload)
        placement = Placement(self._r2p2d, [d for d in self.devs if d is not None], plan,
                              removed=self._removed, movable=movable, rng=random.Random(seed))
        try:
            rebalance.run(placement)
        except ValueError as err:
            raise RingBuilderError(str(err)) from err
        for part in (p for p, t in enumerate(placement.touched) if t):
            self._last_move[part] = hour
        for dev_id in self._removed:
            self.devs[dev_id] = None
        self._removed = set()
        self.dirty = False
        self.version += 1
        held = placement.excess() if 0 in movable else 0
        return RebalanceResult(moved=placement.moved, balance=self.get_balance(), held_back=held)

    # -- checks -------------------------------------------------------------

    def get_balance(self) -> float:
        """The worst device's deviation from its fair (weighted) share, in percent."""
        return checks.balance(self)

    def dispersion(self) -> checks.DispersionReport:
        """Partitions whose replicas share a tier more than they must."""
        return checks.dispersion(self)

    def validate(self) -> None:
        """Check every invariant of the replica table.

        :raises RingValidationError: naming the first broken invariant
        """
        checks.validate(self)

    # -- output -------------------------------------------------------------

    def get_ring(self) -> RingData:
        """The ring data for this builder's current table.

        :raises RingBuilderError: if it has not been rebalanced since a change
        """
        if not self._r2p2d or any(NONE_DEV in arr for arr in self._r2p2d):
            raise RingBuilderError('the builder must be rebalanced before a ring is made')
        code = io.smallest_typecode(max(len(self.devs), 1))
        return RingData(devs=tuple(self.devs),
                        replica2part2dev=tuple(array(code, a) for a in self._r2p2d),
                        part_shift=32 - self.part_power)

    def to_ring(self, **hash_args: bytes) -> Ring:
        """A :class:`Ring` for lookups on this builder's table."""
        return Ring(self.get_ring(), **hash_args)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the builder file atomically."""
        header = {
            'part_power': self.part_power, 'replicas': self._replicas,
            'min_part_hours': self.min_part_hours, 'overload': self.overload,
            'version': self.version, 'dirty': self.dirty, 'removed': sorted(self._removed),
            'devs': [d.to_dict() if d else None for d in self.devs],
        }
        io.dump(path, io.BUILDER_MAGIC, header, [*self._r2p2d, self._last_move])

    @classmethod
    def load(cls, path: str | os.PathLike[str], *,
             clock: Callable[[], float] = time.time) -> RingBuilder:
        """Read a builder file.

        :raises RingFileError: if the file is missing, truncated, foreign or inconsistent
        """
        header, arrays = io.load(path, io.BUILDER_MAGIC)
        try:
            builder = cls(io.field_int(header, 'part_power'), io.field_float(header, 'replicas'),
                          io.field_int(header, 'min_part_hours'), clock=clock)
            builder.overload = io.field_float(header, 'overload')
            builder.devs = [device_from_dict(d) if d else None for d in io.field_list(header, 'devs')]
            builder._removed = {int(str(i)) for i in io.field_list(header, 'removed')}
            builder.version = io.field_int(header, 'version')
            builder.dirty = bool(header['dirty'])
        except (KeyError, TypeError, ValueError) as err:
            raise RingFileError(f'{path}: corrupt builder header ({err})') from err
        if arrays:
            builder._last_move = array('I', arrays.pop())
            builder._r2p2d = [array('I', a) for a in arrays]
        if builder._r2p2d and (builder._resized(builder._r2p2d) != builder._r2p2d
                       or len(builder._last_move) != builder.parts):
            raise RingFileError(f'{path}: builder table does not match its header')
        return builder


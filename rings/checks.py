"""Checks over a builder: input validation, balance, dispersion and the
replica-table invariants. Reads builder state; never changes it."""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final

from rings.device import Device
from rings.errors import RingBuilderError, RingValidationError
from rings.tiers import Tier, plan_tiers, tiers_of

if TYPE_CHECKING:
    from rings.builder import RingBuilder

#: Balance reported for a device that holds partitions it should not.
MAX_BALANCE: Final = 999.99
_NONE_DEV: Final = 0xFFFFFFFF
_LEVELS: Final = ('region', 'zone', 'server')


def check_new_device(dev: Device, existing: Iterable[Device | None]) -> None:
    """Reject a device with bad values or one that clashes with ``existing``.

    :raises RingBuilderError: naming the problem
    """
    if dev.id < 0:
        raise RingBuilderError(f'device id must be >= 0, not {dev.id}')
    if not math.isfinite(dev.weight) or dev.weight < 0:
        raise RingBuilderError(f'weight must be a finite number >= 0, not {dev.weight}')
    if dev.region < 0 or dev.zone < 0:
        raise RingBuilderError('region and zone must be >= 0')
    for port in (dev.port, dev.replication_port):
        if not 1 <= port <= 65535:
            raise RingBuilderError(f'port must be in 1..65535, not {port}')
    if not dev.ip or any(c.isspace() for c in dev.ip):
        raise RingBuilderError(f'bad ip {dev.ip!r}')
    if not dev.device or '/' in dev.device or dev.device in ('.', '..'):
        raise RingBuilderError(f'bad device name {dev.device!r}')
    for other in existing:
        if other is None:
            continue
        if other.id == dev.id:
            raise RingBuilderError(f'device id {dev.id} is already in use')
        if (other.ip, other.port, other.device) == (dev.ip, dev.port, dev.device):
            raise RingBuilderError(f'{dev.ip}:{dev.port}/{dev.device} is already device {other.id}')


def check_can_place(devs: Sequence[Device], replicas: float) -> None:
    """Refuse a rebalance that cannot give each replica its own device."""
    if len(devs) < math.ceil(replicas):
        raise RingBuilderError(f'{len(devs)} devices with weight cannot hold '
                               f'{replicas:g} replicas of each partition')


def balance(builder: 'RingBuilder') -> float:
    """Worst device's deviation from its weighted fair share, in percent."""
    if not builder.replica2part2dev:
        return 0.0
    counts = builder.parts_by_dev()
    devs = [d for d in builder.active_devs() if d.weight > 0]
    plan = plan_tiers(devs, builder.replicas, 0.0)
    worst = 0.0
    for dev in builder.active_devs():
        fair = plan.weighted.get(tiers_of(dev)[3], 0.0) * builder.parts
        held = counts.get(dev.id, 0)
        if fair <= 0:
            worst = max(worst, MAX_BALANCE if held else 0.0)
        else:
            worst = max(worst, abs(held - fair) * 100.0 / fair)
    return min(worst, MAX_BALANCE)


@dataclass(frozen=True, slots=True)
class DispersionReport:
    """Partitions whose replicas share a region, zone or server more than
    the devices' layout requires."""

    parts: int
    undispersed: int                                  #: partitions with any such sharing
    by_level: dict[str, int] = field(default_factory=dict)

    @property
    def percent(self) -> float:
        """Undispersed partitions as a percentage of all partitions."""
        return 100.0 * self.undispersed / self.parts if self.parts else 0.0


def dispersion(builder: 'RingBuilder') -> DispersionReport:
    """Count partitions whose replicas crowd a tier beyond the widest spread."""
    devs = {d.id: d for d in builder.devs if d is not None}
    weighted = [d for d in devs.values() if d.weight > 0]
    widest = plan_tiers(weighted, builder.replicas, math.inf)
    tiers = {i: tiers_of(d)[:3] for i, d in devs.items()}
    most = {t: widest.max_replicas(t) for three in tiers.values() for t in three}
    by_level = dict.fromkeys(_LEVELS, 0)
    undispersed = 0
    arrays = builder.replica2part2dev
    for part in range(builder.parts if arrays else 0):
        held = [a[part] for a in arrays if part < len(a) and a[part] in tiers]
        crowded = False
        for level, name in enumerate(_LEVELS):
            seen: dict[Tier, int] = {}
            for dev_id in held:
                tier = tiers[dev_id][level]
                seen[tier] = seen.get(tier, 0) + 1
            if any(n > most[t] for t, n in seen.items()):
                by_level[name] += 1
                crowded = True
        undispersed += crowded
    return DispersionReport(parts=builder.parts, undispersed=undispersed, by_level=by_level)


def validate(builder: 'RingBuilder') -> None:
    """Check the replica table's invariants.

    :raises RingValidationError: if the table is missing, has an empty slot,
        names an unknown device, or holds a partition twice on one device
    """
    arrays = builder.replica2part2dev
    if not arrays:
        raise RingValidationError('the builder has never been rebalanced')
    if len(arrays[0]) != builder.parts or any(len(a) > builder.parts for a in arrays):
        raise RingValidationError('replica table does not match the part power')
    known = {d.id for d in builder.devs if d is not None}
    for slot, arr in enumerate(arrays):
        used = set(arr)
        if _NONE_DEV in used:
            raise RingValidationError(f'replica {slot} has partitions with no device')
        if used - known:
            raise RingValidationError(f'replica {slot} names unknown devices {sorted(used - known)}')
    for part in range(builder.parts):
        held = [a[part] for a in arrays if part < len(a)]
        if len(set(held)) != len(held):
            raise RingValidationError(f'partition {part} has two replicas on one device')

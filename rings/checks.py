"""Checks over a builder: input validation, balance, dispersion and the
replica-table invariants. Reads builder state; never changes it."""

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Final, TypeVar

from rings.device import Device
from rings.errors import RingBuilderError, RingValidationError
from rings.placement import NONE_DEV
from rings.tiers import Tier, plan_tiers, tiers_of

if TYPE_CHECKING:
    from rings.builder import RingBuilder

#: Balance reported for a device that holds partitions it should not.
MAX_BALANCE: Final = 999.99
_LEVELS: Final = ('region', 'zone', 'server')
T = TypeVar('T')


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


def _rows(columns: Sequence[Sequence[T]]) -> Iterator[tuple[int, tuple[T, ...]]]:
    """(partition, one value per replica) for per-replica columns; the last
    column may be shorter (fractional replicas).

    >>> list(_rows([[1, 2], [3, 4], [5]]))
    [(0, (1, 3, 5)), (1, (2, 4))]
    """
    full = len(columns[-1])
    yield from enumerate(zip(*columns, strict=False))
    if full < len(columns[0]):
        yield from enumerate(zip(*(c[full:] for c in columns[:-1]), strict=True), start=full)


def dispersion(builder: 'RingBuilder') -> DispersionReport:
    """Count partitions whose replicas crowd a tier beyond the widest spread."""
    devs = {d.id: d for d in builder.devs if d is not None}
    weighted = [d for d in devs.values() if d.weight > 0]
    widest = plan_tiers(weighted, builder.replicas, math.inf)
    arrays = builder.replica2part2dev
    by_level = dict.fromkeys(_LEVELS, 0)
    crowded_parts: set[int] = set()
    if not arrays:
        return DispersionReport(parts=builder.parts, undispersed=0, by_level=by_level)
    size = max(devs) + 1 if devs else 0
    for level, name in enumerate(_LEVELS):
        tier_of: list[Tier | None] = [None] * size  # by device id
        for dev_id, dev in devs.items():
            tier_of[dev_id] = tiers_of(dev)[level]
        most = {t: widest.max_replicas(t) for t in tier_of if t is not None}
        if all(m >= len(arrays) for m in most.values()):
            continue        # no tier of this level can be crowded
        columns = [[tier_of[d] if d < size else None for d in arr] for arr in arrays]
        for part, row in _rows(columns):
            if len(set(row)) == len(row):
                continue
            counts: dict[Tier, int] = {}
            for tier in row:
                if tier is not None:
                    counts[tier] = counts.get(tier, 0) + 1
            if any(n > most[t] for t, n in counts.items()):
                by_level[name] += 1
                crowded_parts.add(part)
    return DispersionReport(parts=builder.parts, undispersed=len(crowded_parts), by_level=by_level)


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
        if NONE_DEV in used:
            raise RingValidationError(f'replica {slot} has partitions with no device')
        if used - known:
            raise RingValidationError(f'replica {slot} names unknown devices {sorted(used - known)}')
    for part, held in _rows([list(a) for a in arrays]):
        if len(set(held)) != len(held):
            raise RingValidationError(f'partition {part} has two replicas on one device')

"""The working state of one rebalance: who holds what, what each device
should hold, and the dispersion rules. Pure: in-memory arrays only.

Each device has a fractional target of partition-replicas. Rounding is not a
reason to move anything: a device is *balanced* anywhere in ``[lo, hi]``,
the floor and ceiling of its target. A move is worth making only if it takes
a device out of its band above (``over``) or below (``under``); a replica
placed before this rebalance moves only for a device more than one
partition-replica outside its band (``far_over``, ``far_under``), since one
partition of imbalance is not worth moving data for.
"""

from __future__ import annotations

import math
import random
from array import array
from collections import Counter
from collections.abc import Iterable

from rings.device import Device
from rings.tiers import TierPlan, tiers_of

#: Marks a replica slot that has no device yet.
NONE_DEV = 0xFFFFFFFF


class Placement:
    """One rebalance over ``assignment`` (per-replica arrays of device ids,
    changed in place).

    :param devs: every device the builder knows, including those pending removal
    :param removed: ids of devices whose replicas must move regardless of time
    :param movable: per partition, 1 if min_part_hours allows moving a replica
    """

    def __init__(self, assignment: list[array[int]], devs: Iterable[Device], plan: TierPlan,
                 *, removed: set[int], movable: bytearray, rng: random.Random) -> None:
        devs = list(devs)
        self.arrays = assignment
        self.parts = len(assignment[0]) if assignment else 0
        self.movable = movable
        self.touched = bytearray(self.parts)
        #: per slot, 1 where this rebalance placed the replica: it is moving
        #: anyway, so giving it another device costs no extra movement
        self.fresh = [bytearray(len(a)) for a in assignment]
        self.removed = removed
        self.rng = rng
        self.active = [d.id for d in devs if d.weight > 0 and d.id not in removed]
        size = max([d.id for d in devs] + [0]) + 1
        self._index_tiers(devs, plan, size)
        counts: Counter[int] = Counter()
        for arr in assignment:
            counts.update(arr)
        self.assigned = [counts.get(i, 0) for i in range(size)]
        self.moved = counts.get(NONE_DEV, 0)
        total = sum(len(a) for a in assignment)
        by_id = {d.id: d for d in devs}
        shares = {i: plan.target.get(tiers_of(by_id[i])[3], 0.0) for i in self.active}
        scale = total / (sum(shares.values()) or 1.0)
        self.target = [0.0] * size
        for dev_id, share in shares.items():
            self.target[dev_id] = share * scale
        self.lo = [math.floor(t + 1e-9) for t in self.target]
        self.hi = [math.ceil(t - 1e-9) for t in self.target]

    def _index_tiers(self, devs: list[Device], plan: TierPlan, size: int) -> None:
        """Give every tier an index; a device's keys are its four tier indexes."""
        self.keys: list[tuple[int, ...]] = [()] * size
        self.tier_max: list[int] = []
        index: dict[object, int] = {}
        for dev in devs:
            for tier in tiers_of(dev):
                if tier not in index:
                    index[tier] = len(self.tier_max)
                    self.tier_max.append(plan.max_replicas(tier) if len(tier) < 4 else 1)
            self.keys[dev.id] = tuple(index[t] for t in tiers_of(dev))
        #: zone, server and device keys: the tiers a new replica should avoid sharing
        self.soft_keys = [k[1:] for k in self.keys]
        #: per device, its tiers that take one replica of a partition, and the others
        self.single_keys = [tuple(t for t in k if self.tier_max[t] <= 1) for k in self.keys]
        self.multi_keys = [tuple(t for t in k if self.tier_max[t] > 1) for k in self.keys]

    # -- balance --------------------------------------------------------------

    def deviation(self, dev: int) -> float:
        """Partition-replicas above (+) or below (-) the device's target."""
        return self.assigned[dev] - self.target[dev]

    def over(self, dev: int) -> bool:
        """Above the band: holds more than the ceiling of its target."""
        return self.assigned[dev] > self.hi[dev]

    def under(self, dev: int) -> bool:
        """Below the band: holds less than the floor of its target."""
        return self.assigned[dev] < self.lo[dev]

    def far_over(self, dev: int) -> bool:
        """More than one partition-replica above the band."""
        return self.assigned[dev] > self.hi[dev] + 1

    def far_under(self, dev: int) -> bool:
        """More than one partition-replica below the band."""
        return self.assigned[dev] < self.lo[dev] - 1

    def worth_moving(self, src: int, dst: int) -> bool:
        """Whether moving one replica from ``src`` to ``dst`` fixes a band:
        an over device to one with room, or to an under device from one with some to spare."""
        assigned = self.assigned
        return ((assigned[src] > self.hi[src] and assigned[dst] < self.hi[dst])
                or (assigned[dst] < self.lo[dst] and assigned[src] > self.lo[src]))

    def unbalanced(self) -> bool:
        """Whether any device is outside its band."""
        return any(self.over(d) or self.under(d) for d in range(len(self.assigned)))

    def far_unbalanced(self) -> bool:
        """Whether any device is more than one partition-replica outside its band."""
        return any(self.far_over(d) or self.far_under(d) for d in range(len(self.assigned)))

    def excess(self) -> int:
        """Partition-replicas above the devices' bands."""
        return sum(max(0, a - h) for a, h in zip(self.assigned, self.hi, strict=True))

    # -- dispersion -----------------------------------------------------------

    def part_devs(self, part: int) -> list[int]:
        """Devices now holding replicas of ``part``."""
        return [a[part] for a in self.arrays if part < len(a) and a[part] != NONE_DEV]

    def blocked(self, others: list[int]) -> set[int]:
        """Tier indexes a new replica of a partition held by ``others`` must
        avoid: their devices, and every tier already at its maximum."""
        counts: dict[int, int] = {}
        for other in others:
            for tier in self.keys[other]:
                counts[tier] = counts.get(tier, 0) + 1
        tier_max = self.tier_max
        return {tier for tier, count in counts.items() if count >= tier_max[tier]}

    def crowded_tiers(self, devs: list[int]) -> set[int]:
        """Tiers holding more replicas of one partition than their maximum."""
        counts: dict[int, int] = {}
        for dev in devs:
            for tier in self.keys[dev]:
                counts[tier] = counts.get(tier, 0) + 1
        return {tier for tier, count in counts.items() if count > self.tier_max[tier]}

    # -- changes --------------------------------------------------------------

    def can_move(self, part: int) -> bool:
        """Whether a replica of ``part`` that is not fresh may move now."""
        return bool(self.movable[part]) and not self.touched[part]

    def unassign(self, slot: int, part: int) -> None:
        """Empty one slot; a fresh replica's move was counted already."""
        dev = self.arrays[slot][part]
        self.arrays[slot][part] = NONE_DEV
        self.assigned[dev] -= 1
        self.touched[part] = 1
        if self.fresh[slot][part]:
            self.fresh[slot][part] = 0
        else:
            self.moved += 1

    def move(self, slot: int, part: int, dst: int) -> None:
        """Give one replica another device."""
        src = self.arrays[slot][part]
        self.arrays[slot][part] = dst
        self.assigned[src] -= 1
        self.assigned[dst] += 1
        self.touched[part] = 1
        if not self.fresh[slot][part]:
            self.moved += 1
            self.fresh[slot][part] = 1

    def slots_of(self, devs: Iterable[int]) -> dict[int, list[tuple[int, int]]]:
        """(slot, partition) pairs held by each of ``devs``, shuffled, fresh first."""
        found: dict[int, list[tuple[int, int]]] = {d: [] for d in devs}
        for slot, arr in enumerate(self.arrays):
            for part, dev in enumerate(arr):
                if dev in found:
                    found[dev].append((slot, part))
        for pairs in found.values():
            self.rng.shuffle(pairs)
            pairs.sort(key=lambda pair: not self.fresh[pair[0]][pair[1]])
        return found

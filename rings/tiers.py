"""Replica targets per failure-domain tier. Pure arithmetic, no I/O.

A tier is a tuple: ``(region,)``, ``(region, zone)``, ``(region, zone, ip)``
or ``(region, zone, ip, device_id)``. For each tier we compute three numbers,
in replicas of one partition (they sum to the replica count at each level):

* *weighted*: the tier's share by weight alone;
* *wanted*: the share that spreads replicas as widely as possible (each
  child of a tier gets whole replicas in turn before any gets a second);
* *target*: weighted, raised toward wanted by at most ``overload``, with
  the other siblings shrunk so the level still sums to its parent.

The target of a device times the partition count is how many
partition-replicas it should hold; ``ceil(target)`` of a tier is the most
replicas of any one partition that tier may hold.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass

from rings.device import Device

Tier = tuple[int | str, ...]

_EPS = 1e-9


@dataclass(frozen=True, slots=True)
class TierPlan:
    """Targets per tier and per device for one rebalance."""

    target: dict[Tier, float]
    #: device tier -> replicas by weight alone (the fair share for balance)
    weighted: dict[Tier, float]

    def max_replicas(self, tier: Tier) -> int:
        """The most replicas of one partition ``tier`` may hold."""
        return max(1, math.ceil(self.target.get(tier, 0.0) - 1e-6))


def tiers_of(dev: Device) -> tuple[Tier, Tier, Tier, Tier]:
    """Return the region, zone, server and device tiers of ``dev``."""
    return ((dev.region,), (dev.region, dev.zone), (dev.region, dev.zone, dev.ip),
            (dev.region, dev.zone, dev.ip, dev.id))


def spread(total: float, capacity: dict[Tier, int]) -> dict[Tier, float]:
    """Share ``total`` replicas among children as evenly as possible.

    Each child takes one whole replica per round (up to its capacity) while
    a whole round can be served; what is left is split evenly.

    >>> spread(3, {('a',): 1, ('b',): 4})
    {('a',): 1.0, ('b',): 2.0}
    >>> spread(3, {('a',): 5, ('b',): 5})
    {('a',): 1.5, ('b',): 1.5}
    """
    alloc = dict.fromkeys(capacity, 0.0)
    remaining = float(total)
    active = [c for c in capacity if capacity[c] > 0]
    while remaining > _EPS and active:
        share = 1.0 if remaining >= len(active) - _EPS else remaining / len(active)
        for child in active:
            step = min(share, capacity[child] - alloc[child])
            alloc[child] += step
            remaining -= step
        active = [c for c in active if capacity[c] - alloc[c] > _EPS]
    return alloc


def _cap(values: dict[Tier, float], capacity: dict[Tier, int], total: float) -> dict[Tier, float]:
    """Cap each value at its capacity and hand the excess to the others,
    in proportion to their values, keeping the sum at ``total``."""
    values = dict(values)
    for _ in range(len(values) + 1):
        over = [c for c in values if values[c] > capacity[c] + _EPS]
        if not over:
            break
        for child in over:
            values[child] = float(capacity[child])
        free = [c for c in values if values[c] < capacity[c] - _EPS]
        left = total - sum(values.values())
        base = sum(values[c] for c in free)
        for child in free:
            values[child] += left * (values[child] / base if base else 1 / len(free))
    return values


def _children_targets(parent_target: float, weights: dict[Tier, float],
                      capacity: dict[Tier, int], overload: float) -> dict[Tier, float]:
    """Targets of the children of one tier."""
    total_weight = sum(weights.values())
    weighted = {c: parent_target * w / total_weight for c, w in weights.items()}
    weighted = _cap(weighted, capacity, parent_target)
    wanted = spread(parent_target, capacity)
    target = {}
    for child in weights:
        if wanted[child] > weighted[child]:
            target[child] = min(wanted[child], weighted[child] * (1 + overload))
        else:
            target[child] = weighted[child]
    excess = sum(target.values()) - parent_target
    if excess > _EPS:
        shrink = [c for c in target if wanted[c] <= weighted[c]]
        room = sum(target[c] - wanted[c] for c in shrink)
        if room >= excess:
            # the heavy tiers give up replicas, never below their wanted share
            for child in shrink:
                target[child] -= excess * (target[child] - wanted[child]) / room
        else:
            target = {c: v * parent_target / (parent_target + excess) for c, v in target.items()}
    return _cap(target, capacity, parent_target)


def plan_tiers(devs: Iterable[Device], replicas: float, overload: float) -> TierPlan:
    """Compute the :class:`TierPlan` for ``devs`` (weight > 0 only).

    :param devs: the devices that may hold partitions
    :param replicas: replicas per partition (may be fractional)
    :param overload: fraction (0.1 = 10%) a tier may take beyond its weight
        to improve dispersion
    """
    devs = [d for d in devs if d.weight > 0]
    children: dict[Tier, list[Tier]] = {}
    weight: dict[Tier, float] = {}
    ndevs: dict[Tier, int] = {}
    for dev in devs:
        parent: Tier = ()
        for tier in tiers_of(dev):
            weight[tier] = weight.get(tier, 0.0) + dev.weight
            ndevs[tier] = ndevs.get(tier, 0) + 1
            if tier not in children:
                children[tier] = []
                children.setdefault(parent, []).append(tier)
            parent = tier
    target: dict[Tier, float] = {(): float(replicas)}
    level: list[Tier] = [()]
    while level:
        next_level: list[Tier] = []
        for parent in level:
            kids = children.get(parent, [])
            if not kids:
                continue
            target.update(_children_targets(target[parent], {k: weight[k] for k in kids},
                                            {k: ndevs[k] for k in kids}, overload))
            next_level.extend(kids)
        level = next_level
    total_weight = sum(d.weight for d in devs) or 1.0
    by_weight = {tiers_of(d)[3]: replicas * d.weight / total_weight for d in devs}
    weighted = _cap(by_weight, dict.fromkeys(by_weight, 1), float(replicas))
    return TierPlan(target=target, weighted=weighted)


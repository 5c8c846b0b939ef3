"""The phases of one rebalance, over a :class:`~rings.placement.Placement`.

1. Gather: free replicas on removed devices (always), on zero-weight devices
   and one replica of each partition crowding a tier (when min_part_hours
   allows).
2. Place: every empty slot gets the emptiest device that keeps the
   partition within each tier's maximum, preferring a zone and server the
   partition does not use yet (heap of devices by fullness).
3. Balance: move replicas from devices above their band to devices below
   it, first replicas placed by this rebalance (free), then chains of them
   (rings.chains), then others; what cannot move directly is gathered and
   placed again.

At most one replica of a partition moves per rebalance, and none of a
partition that moved within ``min_part_hours``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Final

from rings import chains
from rings.placement import NONE_DEV, Placement

#: Most gather-and-place rounds of the balance phase.
_ROUNDS: Final = 4
#: Most devices tried past the emptiest fitting one in search of an unused zone.
_PATIENCE: Final = 10
#: Most passes of crowding-victim swaps.
_SWAP_PASSES: Final = 8

HeapEntry = tuple[float, float, int]


def run(p: Placement) -> None:
    """Do the whole rebalance."""
    gather_misplaced(p)
    place_unassigned(p)
    for _ in range(_ROUNDS):
        if not p.unbalanced():
            return
        direct_moves(p, fresh_only=True)
        chains.balance_fresh(p)
        if not p.far_unbalanced():
            return
        direct_moves(p)
        if not gather_excess(p):
            return
        place_unassigned(p)


# -- gather ---------------------------------------------------------------------

def gather_misplaced(p: Placement) -> None:
    """Free replicas on removed or zero-weight devices, and one replica of
    each partition that crowds a tier beyond its maximum."""
    if not any(p.assigned):
        return
    active = set(p.active)
    choices: list[tuple[int, int, int, list[tuple[int, int]]]] = []
    for part in range(p.parts):
        held = [(slot, a[part]) for slot, a in enumerate(p.arrays)
                if part < len(a) and a[part] != NONE_DEV]
        for slot, dev in held:
            if dev in p.removed or (dev not in active and p.can_move(part)):
                p.unassign(slot, part)
        if not p.can_move(part):
            continue
        held = [(slot, dev) for slot, dev in held if p.arrays[slot][part] == dev]
        if p.crowded_tiers([dev for _, dev in held]):
            choices.append(_free_one_crowding(p, part, held))
    _swap_crowding_victims(p, choices)


def _free_one_crowding(p: Placement, part: int, held: list[tuple[int, int]]
                       ) -> tuple[int, int, int, list[tuple[int, int]]]:
    """Free the replica of ``part`` whose leaving uncrowds it, on the device
    furthest over its target; return the choice and its alternatives."""
    options = [(slot, dev) for slot, dev in held
               if not p.crowded_tiers([d for s, d in held if s != slot])] or held
    slot, dev = max(options, key=lambda pair: p.deviation(pair[1]))
    p.unassign(slot, part)
    return part, slot, dev, [o for o in options if o[0] != slot]


def _swap_crowding_victims(p: Placement, choices: list[tuple[int, int, int, list[tuple[int, int]]]]
                           ) -> None:
    """Where an alternative replica of a crowded partition sits on a device
    at least two further over target than the freed one's, free it instead:
    the same number of moves, closer to balance. Each swap lowers the sum of
    squared deviations, so repeating until nothing changes ends."""
    assigned, arrays = p.assigned, p.arrays
    for _ in range(_SWAP_PASSES):
        swapped = False
        for i, (part, slot, dev, options) in enumerate(choices):
            for alt_slot, alt_dev in options:
                if p.deviation(alt_dev) - p.deviation(dev) >= 2 and arrays[alt_slot][part] == alt_dev:
                    arrays[slot][part] = dev
                    arrays[alt_slot][part] = NONE_DEV
                    assigned[dev] += 1
                    assigned[alt_dev] -= 1
                    rest = [o for o in options if o[0] != alt_slot]
                    choices[i] = (part, alt_slot, alt_dev, [(slot, dev), *rest])
                    swapped = True
                    break
        if not swapped:
            return


# -- place ----------------------------------------------------------------------

def _heap_entry(p: Placement, dev: int) -> HeapEntry:
    # fullness after one more replica; a fresh random tie-break each time
    # keeps equal devices from cycling in lockstep, which would pair the same
    # devices in partition after partition
    return (p.assigned[dev] + 1) / (p.target[dev] or 1e-3), p.rng.random(), dev


def place_unassigned(p: Placement) -> None:
    """Give every empty slot a device (see :func:`_pop_fitting`)."""
    heap = [_heap_entry(p, d) for d in p.active]
    heapq.heapify(heap)
    arrays, fresh, assigned, target = p.arrays, p.fresh, p.assigned, p.target
    keys, soft_keys, single_keys, multi_keys, tier_max = (
        p.keys, p.soft_keys, p.single_keys, p.multi_keys, p.tier_max)
    heapreplace, rand = heapq.heapreplace, p.rng.random
    for part in range(p.parts):
        held = [a[part] for a in arrays if part < len(a)]
        empty = held.count(NONE_DEV)
        if not empty:
            continue
        others = [d for d in held if d != NONE_DEV]
        tally = _Tally()
        for dev in others:
            tally.add(dev, p)
        for slot, dev in enumerate(held):
            if dev != NONE_DEV:
                continue
            dev = heap[0][2]
            if not others or (tally.blocked.isdisjoint(keys[dev]) and tally.used.isdisjoint(soft_keys[dev])):
                # the common case: the emptiest device is also the best one
                assigned[dev] += 1
                heapreplace(heap, ((assigned[dev] + 1) / (target[dev] or 1e-3), rand(), dev))
            else:
                dev = _pop_fitting(p, heap, tally, others)
            arrays[slot][part] = dev
            fresh[slot][part] = 1
            empty -= 1
            if empty:
                others.append(dev)
                tally.blocked.update(single_keys[dev])
                tally.used.update(soft_keys[dev])
                for tier in multi_keys[dev]:
                    count = tally.counts[tier] = tally.counts.get(tier, 0) + 1
                    if count >= tier_max[tier]:
                        tally.blocked.add(tier)
        p.touched[part] = 1


class _Tally:
    """The tiers one partition's replicas use, and those at their maximum."""

    __slots__ = ('blocked', 'counts', 'used')

    def __init__(self) -> None:
        self.blocked: set[int] = set()      # tiers at their maximum (devices included)
        self.used: set[int] = set()         # zone, server and device tiers in use
        self.counts: dict[int, int] = {}    # replicas per tier whose maximum exceeds 1

    def add(self, dev: int, p: Placement) -> None:
        """Count one more replica, on ``dev``."""
        self.blocked.update(p.single_keys[dev])
        self.used.update(p.soft_keys[dev])
        for tier in p.multi_keys[dev]:
            count = self.counts[tier] = self.counts.get(tier, 0) + 1
            if count >= p.tier_max[tier]:
                self.blocked.add(tier)


def _pop_fitting(p: Placement, heap: list[HeapEntry], tally: _Tally, others: list[int]) -> int:
    """Take a device for a new replica of a partition on ``others`` (whose
    tiers ``tally`` holds) and update its heap entry.

    Among the first few emptiest devices, one in a zone and server the
    partition does not use yet is preferred; otherwise the emptiest that
    keeps every tier within its maximum; failing that (an impossible layout),
    the emptiest not holding the partition already.
    """
    stash: list[HeapEntry] = []
    chosen = _pop_preferred(p, heap, tally, stash)
    if chosen is None:
        spare = [i for i, entry in enumerate(stash) if entry[2] not in others]
        if not spare:
            raise ValueError('more replicas than devices to hold them')
        chosen = stash.pop(spare[0])
    dev = chosen[2]
    p.assigned[dev] += 1
    heapq.heappush(heap, _heap_entry(p, dev))
    for entry in stash:
        heapq.heappush(heap, entry)
    return dev


def _pop_preferred(p: Placement, heap: list[HeapEntry], tally: _Tally,
                   stash: list[HeapEntry]) -> HeapEntry | None:
    """Pop entries into ``stash`` until the preferred one; return it."""
    keys, soft_keys = p.keys, p.soft_keys
    blocked, used = tally.blocked, tally.used
    first_fit = None
    while heap:
        entry = heapq.heappop(heap)
        dev = entry[2]
        if blocked.isdisjoint(keys[dev]):
            if used.isdisjoint(soft_keys[dev]):
                if first_fit is not None:
                    stash.append(first_fit)
                return entry
            if first_fit is None:
                first_fit = entry
                continue
        stash.append(entry)
        if first_fit is not None and len(stash) >= _PATIENCE:
            break
    return first_fit


# -- balance --------------------------------------------------------------------

def direct_moves(p: Placement, *, fresh_only: bool = False) -> None:
    """Move replicas straight from devices above their band toward devices
    below it: with ``fresh_only``, only replicas this rebalance placed;
    otherwise others too, for devices more than one outside their band.

    In order: from over devices to under ones, then from over devices to any
    with room, then from devices with some to spare to under ones. Done the
    other way round, over devices would shed into in-band devices that do
    not need replicas, and those moves would be wasted.
    """
    assigned, lo, hi = p.assigned, p.lo, p.hi
    over, under = (p.over, p.under) if fresh_only else (p.far_over, p.far_under)
    has_room: Callable[[int], bool] = lambda d: assigned[d] < hi[d]     # noqa: E731
    has_spare: Callable[[int], bool] = lambda d: assigned[d] > lo[d]    # noqa: E731
    for give, take in ((over, under), (over, has_room), (has_spare, under)):
        _moves(p, give, take, fresh_only=fresh_only)


def _moves(p: Placement, give: Callable[[int], bool], take: Callable[[int], bool], *,
           fresh_only: bool) -> None:
    sources = sorted((d for d in range(len(p.assigned)) if give(d)), key=p.deviation, reverse=True)
    dests = sorted((d for d in p.active if take(d)), key=p.deviation)
    if not sources or not dests:
        return
    for src, pairs in p.slots_of(sources).items():
        for slot, part in pairs:
            if not give(src) or not any(take(d) for d in dests):
                break
            fresh = p.fresh[slot][part]
            if not fresh and (fresh_only or not p.can_move(part)):
                continue
            blocked = p.blocked([d for d in p.part_devs(part) if d != src])
            for dst in dests:
                if take(dst) and blocked.isdisjoint(p.keys[dst]):
                    p.move(slot, part, dst)
                    break


def gather_excess(p: Placement) -> int:
    """Free movable replicas of devices more than one above their band (or,
    while some device is more than one below its band, above its floor);
    return how many."""
    under = sum(max(0, p.lo[d] - 1 - p.assigned[d]) for d in p.active)
    size = len(p.assigned)
    sources = [d for d in range(size) if p.far_over(d) or (under and p.assigned[d] > p.lo[d])]
    freed = 0
    for src, pairs in p.slots_of(sources).items():
        for slot, part in pairs:
            if not (p.far_over(src) or (under > freed and p.assigned[src] > p.lo[src])):
                break
            if p.fresh[slot][part] or p.can_move(part):
                p.unassign(slot, part)
                freed += 1
    return freed

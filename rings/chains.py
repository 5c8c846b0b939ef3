"""Balancing by chains of fresh replicas: when no replica can move straight
from a device above its band to one below it, shift replicas placed by this
rebalance along a path of devices instead. Moving a fresh replica again
costs no movement, so a chain of any length is free. Pure."""

from __future__ import annotations

from collections import deque

from rings.placement import Placement

Step = tuple[int, int, int, int]    # from device, to device, slot, partition


def balance_fresh(p: Placement) -> None:
    """Shift fresh replicas along paths from devices above their band to
    devices below it (or with room, for an over device) while paths exist."""
    if not p.unbalanced():
        return
    by_dev: dict[int, list[tuple[int, int]]] = {}
    for slot, flags in enumerate(p.fresh):
        arr = p.arrays[slot]
        for part in (q for q, flag in enumerate(flags) if flag):
            by_dev.setdefault(arr[part], []).append((slot, part))
    for src in sorted(range(len(p.assigned)), key=p.deviation, reverse=True):
        while p.assigned[src] > p.lo[src] and p.unbalanced():
            path = _augmenting_path(p, src, by_dev)
            if not path or not _shift(p, path, by_dev):
                break


def _augmenting_path(p: Placement, src: int, by_dev: dict[int, list[tuple[int, int]]]
                     ) -> list[Step] | None:
    """Breadth-first search for steps leading from ``src`` to a device that
    it is worth moving a replica to, each step a fresh replica."""
    parent: dict[int, tuple[int, int, int] | None] = {src: None}
    queue = deque([src])
    while queue:
        dev = queue.popleft()
        for slot, part in by_dev.get(dev, ()):
            blocked = p.blocked([d for d in p.part_devs(part) if d != dev])
            for nxt in p.active:
                if nxt in parent or not blocked.isdisjoint(p.keys[nxt]):
                    continue
                parent[nxt] = (dev, slot, part)
                if p.worth_moving(src, nxt):
                    return _path_to(nxt, parent)
                queue.append(nxt)
    return None


def _path_to(dev: int, parent: dict[int, tuple[int, int, int] | None]) -> list[Step]:
    steps = []
    while (link := parent[dev]) is not None:
        steps.append((link[0], dev, link[1], link[2]))
        dev = link[0]
    return steps[::-1]


def _shift(p: Placement, steps: list[Step], by_dev: dict[int, list[tuple[int, int]]]) -> bool:
    """Apply a path; undo it (and say so) if it broke a partition's spread."""
    for _, dst, slot, part in steps:
        p.arrays[slot][part] = dst
    parts = {part for _, _, _, part in steps}
    if any(len(set(devs)) < len(devs) or p.crowded_tiers(devs)
           for devs in (p.part_devs(q) for q in parts)):
        for src, _, slot, part in steps:
            p.arrays[slot][part] = src
        return False
    for src, dst, slot, part in steps:
        by_dev[src].remove((slot, part))
        by_dev.setdefault(dst, []).append((slot, part))
        p.touched[part] = 1
    p.assigned[steps[0][0]] -= 1
    p.assigned[steps[-1][1]] += 1
    return True

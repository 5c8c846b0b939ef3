"""Small builders of test rings, shared by the rings tests."""

from array import array

from rings import RingBuilder


def add_devices(builder: RingBuilder, layout: list[tuple[int, int, int, float]]) -> list[int]:
    """Add devices given as (region, zone, server, weight); the server number
    becomes the last octet of the IP. Returns the new ids."""
    ids = []
    for n, (region, zone, server, weight) in enumerate(layout):
        ids.append(builder.add_dev({'region': region, 'zone': zone, 'ip': f'10.{region}.{zone}.{server}',
                                    'port': 6200, 'device': f'd{n}', 'weight': weight}))
    return ids


def grid(servers: int, disks: int, zones: int, weight: float = 100.0) -> list[tuple[int, int, int, float]]:
    """``servers`` x ``disks`` devices, servers spread round-robin over ``zones``."""
    return [(1, s % zones + 1, s, weight) for s in range(servers) for _ in range(disks)]


def snapshot(builder: RingBuilder) -> list[array]:
    return [array('I', a) for a in builder.replica2part2dev]


def changed(before: list[array], after: list[array]) -> int:
    """Partition-replica slots whose device differs."""
    return sum(1 for old, new in zip(before, after, strict=True)
               for a, b in zip(old, new, strict=True) if a != b)


def changed_per_part(before: list[array], after: list[array]) -> list[int]:
    counts = [0] * len(before[0])
    for old, new in zip(before, after, strict=True):
        for part, (a, b) in enumerate(zip(old, new, strict=True)):
            counts[part] += a != b
    return counts


class Clock:
    """A settable clock for min_part_hours tests."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

"""Property tests of the rebalance over random device layouts (issue: rings)."""

import math
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rings import Ring, RingBuilder
from rings.tiers import plan_tiers, tiers_of

from .helpers import add_devices, changed, snapshot

PART_POWER = 8
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def layouts(draw, equal_weights=False):
    """(replicas, devices as (region, zone, server, weight))."""
    replicas = draw(st.sampled_from([1, 2, 3]))
    regions = draw(st.integers(1, 2))
    devs = []
    server = 0
    for region in range(1, regions + 1):
        for zone in range(1, draw(st.integers(1, 4)) + 1):
            for _ in range(draw(st.integers(1, 3))):
                server += 1
                for _ in range(draw(st.integers(1, 3))):
                    weight = 100.0 if equal_weights else draw(st.sampled_from([50.0, 100.0, 200.0]))
                    devs.append((region, zone, server, weight))
    if len(devs) < replicas:
        devs += [(1, 9, 90 + i, 100.0) for i in range(replicas - len(devs))]
    return replicas, devs


def build(replicas, devs, seed=0, min_part_hours=0):
    b = RingBuilder(PART_POWER, replicas, min_part_hours)
    add_devices(b, devs)
    b.rebalance(seed=seed)
    return b


@SETTINGS
@given(layouts(), st.integers(0, 2**16))
def test_every_partition_has_distinct_devices(layout, seed):
    b = build(*layout, seed=seed)
    b.validate()
    ring = b.to_ring()
    for part in range(ring.partition_count):
        assert len(ring.get_part_nodes(part)) == layout[0]


def weights_allow_balance(b):
    """True when no tier's dispersion limit fights its weight: every tier's
    weighted share is at most its per-partition replica cap."""
    devs = [d for d in b.active_devs() if d.weight > 0]
    plan = plan_tiers(devs, b.replicas, 0.0)
    total = sum(d.weight for d in devs)
    for dev in devs:
        for level, tier in enumerate(tiers_of(dev)):
            share = b.replicas * sum(d.weight for d in devs if tiers_of(d)[level] == tier) / total
            cap = 1 if level == 3 else plan.max_replicas(tier)    # a device holds one replica
            if share > cap or (share > 1 and share != int(share)):
                return False
    return True


@SETTINGS
@given(layouts(), st.integers(0, 2**16))
def test_devices_get_their_weighted_share(layout, seed):
    b = build(*layout, seed=seed)
    if not weights_allow_balance(b):
        return
    counts = b.parts_by_dev()
    total_weight = sum(d.weight for d in b.active_devs())
    for dev in b.active_devs():
        fair = b.parts * b.replicas * dev.weight / total_weight
        # 1% of the fair share; in these small test rings 1% can be less than
        # one partition, where the band (floor..ceiling of the share) plus the
        # one partition-replica a rebalance leaves rather than move data is allowed
        assert abs(counts[dev.id] - fair) <= max(0.01 * fair, 2.0), (dev, counts[dev.id], fair)


@SETTINGS
@given(st.integers(1, 3), st.integers(0, 4), st.integers(1, 3), st.integers(0, 2**16))
def test_replicas_in_distinct_zones_when_zones_allow(replicas, extra_zones, per_zone, seed):
    zones = replicas + extra_zones
    devs = [(1, z, z * 10 + s, 100.0) for z in range(1, zones + 1) for s in range(per_zone)]
    ring = build(replicas, devs, seed=seed).to_ring()
    for part in range(ring.partition_count):
        assert len({d.zone for d in ring.get_part_nodes(part)}) == replicas


def crowded_replicas(b, before):
    """Replicas in ``before`` that crowd a tier beyond the maxima of the
    builder's current devices: they must move whatever the balance."""
    devs = {d.id: d for d in b.active_devs() if d.weight > 0}
    plan = plan_tiers(list(devs.values()), b.replicas, b.overload)
    forced = 0
    for part in range(b.parts):
        held = [devs[arr[part]] for arr in before if arr[part] in devs]
        worst = 0
        for level in range(3):
            tiers = Counter(tiers_of(d)[level] for d in held)
            worst = max([worst, *(n - plan.max_replicas(t) for t, n in tiers.items())])
        forced += worst
    return forced


@SETTINGS
@given(st.integers(3, 24), st.integers(1, 5), st.integers(0, 2**16))
def test_adding_one_device_moves_little(n, zones, seed):
    """At most 1.1 x the new device's share moves, plus the replicas that
    the new device's arrival makes crowd a zone (when the addition lowers a
    zone's maximum, e.g. a third zone catching up with the others, those
    must move for dispersion whatever the balance)."""
    replicas = 3
    devs = [(1, i % zones + 1, i, 100.0) for i in range(n)]
    b = build(replicas, devs, seed=seed)
    before = snapshot(b)
    add_devices(b, [(1, n % zones + 1, 1000, 100.0)])
    forced = crowded_replicas(b, before)
    b.rebalance(seed=seed + 1)
    b.validate()
    ideal = replicas * b.parts / (n + 1)
    assert changed(before, snapshot(b)) <= math.ceil(1.1 * ideal) + forced


@SETTINGS
@given(st.integers(3, 24), st.integers(0, 2**16))
def test_adding_one_device_to_equal_zones_moves_its_share(servers_per_zone, seed):
    """Zones of equal size before and after (the new device joins a server
    of its own in a zone that is then no larger than the others' weight
    share allows): no dispersion change, so only the share moves."""
    replicas, zones = 3, 4
    devs = [(1, z, z * 100 + s, 100.0) for z in range(1, zones + 1) for s in range(servers_per_zone)]
    b = build(replicas, devs, seed=seed)
    before = snapshot(b)
    add_devices(b, [(1, 1, 999, 100.0)])
    assert crowded_replicas(b, before) == 0
    b.rebalance(seed=seed + 1)
    b.validate()
    ideal = replicas * b.parts / (len(devs) + 1)
    assert changed(before, snapshot(b)) <= math.ceil(1.1 * ideal)


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 5), st.integers(1, 3), st.integers(1, 3),
       st.integers(0, 2**16), st.data())
def test_removing_a_device_moves_only_its_replicas(replicas, zones, servers, disks, seed, data):
    """On a uniform layout (equal zones, servers and disks) with at least as
    many zones as replicas, removal moves exactly the removed device's
    replicas. Elsewhere it may not: on a lopsided layout the removed
    device's partitions may all pair with one server, whose new replicas
    cannot go there; with fewer zones than replicas, a removal changes how
    many replicas each zone must hold of a partition (3 replicas in 2 zones:
    1.5/1.5 becomes 1.2/1.8), and the freed replicas alone cannot always
    make that up, so a few more move (seen in about 2% of such removals)."""
    devs = [(1, z, z * 10 + s, 100.0) for z in range(1, zones + 1)
            for s in range(servers) for _ in range(disks)]
    if len(devs) <= replicas or zones < replicas or (zones == replicas and servers * disks < 2):
        return
    b = build(replicas, devs, seed=seed)
    victim = data.draw(st.sampled_from([d.id for d in b.active_devs()]))
    held = b.parts_by_dev()[victim]
    before = snapshot(b)
    b.remove_dev(victim)
    b.rebalance(seed=seed + 1)
    b.validate()
    assert changed(before, snapshot(b)) == held


@SETTINGS
@given(layouts(), st.integers(0, 2**16), st.lists(st.text(min_size=1, max_size=20), min_size=1, max_size=10))
def test_written_ring_answers_identically(tmp_path_factory, layout, seed, names):
    b = build(*layout, seed=seed)
    path = tmp_path_factory.mktemp('ring') / 'object.ring.gz'
    b.get_ring().save(path)
    loaded, direct = Ring.load(path, hash_prefix=b'p'), b.to_ring(hash_prefix=b'p')
    assert all(loaded.get_part_nodes(p) == direct.get_part_nodes(p) for p in range(b.parts))
    for name in names:
        part, nodes = loaded.get_nodes('AUTH_x', 'c', name)
        assert (part, nodes) == direct.get_nodes('AUTH_x', 'c', name)
        assert list(loaded.get_more_nodes(part)) == list(direct.get_more_nodes(part))
    assert Counter(len(loaded.get_part_nodes(p)) for p in range(b.parts)) == {layout[0]: b.parts}

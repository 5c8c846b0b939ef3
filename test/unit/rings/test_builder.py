import pytest

from rings import RingBuilder, RingBuilderError, RingFileError, RingValidationError

from .helpers import Clock, add_devices, changed, changed_per_part, grid, snapshot


def balanced(part_power=8, replicas=3, layout=None, min_part_hours=1, clock=None):
    b = RingBuilder(part_power, replicas, min_part_hours, clock=clock or Clock())
    add_devices(b, layout or grid(servers=6, disks=2, zones=3))
    b.rebalance(seed=1)
    return b


@pytest.mark.parametrize('power', [0, 33, -1])
def test_part_power_range(power):
    with pytest.raises(RingBuilderError):
        RingBuilder(power, 3, 1)


def test_bad_devices_are_refused():
    b = RingBuilder(4, 3, 1)
    add_devices(b, [(1, 1, 1, 100)])
    base = {'region': 1, 'zone': 1, 'ip': '10.0.0.9', 'port': 6200, 'device': 'x', 'weight': 1}
    for bad in ({'weight': -1}, {'weight': float('nan')}, {'port': 0}, {'port': 70000},
                {'device': '../etc'}, {'device': ''}, {'ip': ''}, {'id': 0},
                {'ip': '10.1.1.1', 'device': 'd0'}):
        with pytest.raises(RingBuilderError):
            b.add_dev({**base, **bad})
    assert len(b.active_devs()) == 1


def test_rebalance_is_deterministic_for_a_seed():
    tables = []
    for _ in range(2):
        b = RingBuilder(8, 3, 1)
        add_devices(b, grid(servers=5, disks=3, zones=5))
        b.rebalance(seed=42)
        tables.append(snapshot(b))
    assert tables[0] == tables[1]


def test_more_replicas_than_devices_is_refused():
    b = RingBuilder(4, 3, 1)
    add_devices(b, [(1, 1, 1, 1), (1, 2, 1, 1)])
    with pytest.raises(RingBuilderError, match='cannot hold 3 replicas'):
        b.rebalance()


def test_validate_catches_broken_tables():
    b = balanced()
    b.validate()
    b.replica2part2dev[1][5] = b.replica2part2dev[0][5]
    with pytest.raises(RingValidationError, match='two replicas on one device'):
        b.validate()
    b.replica2part2dev[1][5] = 999
    with pytest.raises(RingValidationError, match='unknown devices'):
        b.validate()
    with pytest.raises(RingValidationError):
        RingBuilder(4, 3, 1).validate()


def test_min_part_hours_moves_at_most_one_replica_per_partition():
    clock = Clock()
    b = balanced(clock=clock)
    before = snapshot(b)
    add_devices(b, [(1, 4, 90, 100), (1, 4, 91, 100), (1, 4, 92, 100)])
    b.pretend_min_part_hours_passed()
    b.rebalance(seed=2)
    assert max(changed_per_part(before, snapshot(b))) == 1
    # within the hour, partitions just moved stay put, and the builder says so
    middle = snapshot(b)
    add_devices(b, [(1, 5, 93, 300)])
    result = b.rebalance(seed=3)
    moved = changed_per_part(middle, snapshot(b))
    moved_before = changed_per_part(before, middle)
    assert not any(m and mb for m, mb in zip(moved, moved_before, strict=True))
    assert result.held_back > 0
    clock.now += 3600
    assert b.rebalance(seed=4).moved > 0


def test_removed_devices_move_even_within_min_part_hours():
    b = balanced()
    held = b.parts_by_dev()
    before = snapshot(b)
    b.remove_dev(0)
    b.remove_dev(1)
    b.rebalance(seed=2)
    assert changed(before, snapshot(b)) == held[0] + held[1]
    assert b.devs[0] is None and b.devs[1] is None
    b.validate()


def test_weight_zero_drains_a_device():
    b = balanced(min_part_hours=0)
    b.set_dev_weight(3, 0)
    b.rebalance(seed=2)
    assert b.parts_by_dev()[3] == 0


def test_set_replicas_up_and_down():
    b = balanced(min_part_hours=0, layout=grid(servers=8, disks=1, zones=4))
    b.set_replicas(3.5)
    b.rebalance(seed=2)
    b.validate()
    assert sum(map(len, b.replica2part2dev)) == 256 * 3.5
    b.set_replicas(2)
    b.rebalance(seed=3)
    b.validate()
    assert len(b.replica2part2dev) == 2


def test_overload_trades_balance_for_dispersion():
    layout = [(1, 1, 1, 100), (1, 1, 2, 100), (1, 2, 3, 100), (1, 2, 4, 100), (1, 3, 5, 20)]
    strict = balanced(layout=layout)
    assert strict.dispersion().undispersed > 0
    assert strict.get_balance() < 2
    loose = RingBuilder(8, 3, 1)
    add_devices(loose, layout)
    loose.set_overload(10)
    loose.rebalance(seed=1)
    assert loose.dispersion().undispersed == 0
    assert loose.get_balance() > 100


def test_builder_file_roundtrip(tmp_path):
    b = balanced()
    b.set_overload(0.25)
    b.remove_dev(2)
    path = tmp_path / 'o.builder'
    b.save(path)
    loaded = RingBuilder.load(path)
    assert snapshot(loaded) == snapshot(b)
    assert (loaded.overload, loaded.version, loaded.devs, loaded.dirty) == (0.25, b.version, b.devs, True)
    assert loaded.search(id=2) == []
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(RingFileError):
        RingBuilder.load(path)


def test_get_ring_needs_a_rebalance():
    b = RingBuilder(4, 1, 1)
    add_devices(b, [(1, 1, 1, 1)])
    with pytest.raises(RingBuilderError, match='rebalanced'):
        b.get_ring()

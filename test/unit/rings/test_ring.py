import gzip
from collections import Counter

import pytest

from rings import Ring, RingBuilder, RingFileError
from rings.ring import RingData

from .helpers import add_devices, grid


@pytest.fixture
def builder():
    b = RingBuilder(8, 3, 1)
    add_devices(b, grid(servers=6, disks=2, zones=3))
    b.rebalance(seed=7)
    return b


def test_roundtrip_answers_every_lookup_identically(builder, tmp_path):
    path = tmp_path / 'object.ring.gz'
    builder.get_ring().save(path)
    loaded = Ring.load(path, hash_suffix=b'x')
    direct = builder.to_ring(hash_suffix=b'x')
    assert loaded.partition_count == 256 and loaded.replica_count == 3
    for part in range(loaded.partition_count):
        assert loaded.get_part_nodes(part) == direct.get_part_nodes(part)
        assert list(loaded.get_more_nodes(part)) == list(direct.get_more_nodes(part))
    for name in ('o', '\u2603 snow', 'a/b/c'):
        assert loaded.get_nodes('AUTH_t', 'c', name) == direct.get_nodes('AUTH_t', 'c', name)


def test_nodes_are_distinct_and_expose_fields(builder):
    ring = builder.to_ring()
    part, nodes = ring.get_nodes('AUTH_test', 'cont', 'obj')
    assert 0 <= part < 256
    assert len({n.id for n in nodes}) == 3
    node = nodes[0]
    assert node['ip'] == node.ip and node['port'] == 6200 and node['device'].startswith('d')
    assert {n.zone for n in nodes} == {1, 2, 3}


def test_handoffs_cover_other_devices_preferring_unused_zones():
    b = RingBuilder(6, 2, 1)
    add_devices(b, grid(servers=8, disks=2, zones=4))
    b.rebalance(seed=1)
    ring = b.to_ring()
    for part in range(ring.partition_count):
        primaries = ring.get_part_nodes(part)
        handoffs = list(ring.get_more_nodes(part))
        assert len(handoffs) == 16 - 2
        assert not {d.id for d in handoffs} & {d.id for d in primaries}
        used_zones = {d.zone for d in primaries}
        # the first handoffs are in the two zones the primaries do not use
        assert {d.zone for d in handoffs[:2]} == {1, 2, 3, 4} - used_zones


def test_handoffs_spread_across_devices():
    b = RingBuilder(8, 3, 1)
    add_devices(b, grid(servers=6, disks=2, zones=3))
    b.rebalance(seed=1)
    ring = b.to_ring()
    first = Counter(next(ring.get_more_nodes(p)).id for p in range(ring.partition_count))
    assert len(first) == 12 and max(first.values()) < 3 * min(first.values())


def test_fractional_replicas():
    b = RingBuilder(8, 2.5, 1)
    add_devices(b, grid(servers=5, disks=1, zones=5))
    b.rebalance(seed=3)
    ring = b.to_ring()
    counts = Counter(len(ring.get_part_nodes(p)) for p in range(256))
    assert counts == {3: 128, 2: 128}
    assert ring.replica_count == 2.5


def test_bad_files_give_clear_errors(builder, tmp_path):
    good = tmp_path / 'r.ring.gz'
    builder.get_ring().save(good)
    data = good.read_bytes()
    cases = {
        'missing': None,
        'truncated': data[: len(data) // 2],
        'not gzip': b'hello world, not a ring',
        'foreign gzip': gzip.compress(b'{"devs": []}'),
    }
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(RingFileError):
            Ring.load(path)
    builder_file = tmp_path / 'object.builder'
    builder.save(builder_file)
    with pytest.raises(RingFileError, match='not a ring file'):
        RingData.load(builder_file)


def test_save_is_atomic_and_leaves_no_temp_files(builder, tmp_path):
    path = tmp_path / 'r.ring.gz'
    builder.get_ring().save(path)
    builder.get_ring().save(path)
    assert [p.name for p in tmp_path.iterdir()] == ['r.ring.gz']

"""A wiped device comes back whole after one round of each replicator:
every object's data, tombstone and newest .meta (a POST made while
another object server was down included), and every container and account
database, on all of their primaries; HEAD on each primary gives the newest
metadata."""

from __future__ import annotations

import os
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

pytestmark = pytest.mark.probe

CONTAINERS = 4
PER_CONTAINER = 20
STOPPED = 'object-2'                    # down while some POSTs are made (its device is not wiped)


def plan() -> dict[tuple[str, str], str]:
    """What happens to each object: 'plain', 'posted' (while all are up),
    'posted-twice' (again while one object server is down), 'posted-down'
    (only while it is down), or 'deleted'."""
    fates = ('plain', 'posted', 'posted-twice', 'posted-down', 'deleted')
    return {(f'wipe-{c}', f'o-{c}-{i}'): fates[(c + i) % len(fates)]
            for c in range(CONTAINERS) for i in range(PER_CONTAINER)}


def for_each(probe, method: str, names, headers=None, expect=(202,)) -> None:
    def one(key):
        status, _, body = probe.proxy(method, probe.obj_path(*key), headers)
        assert status in expect, (method, key, status, body)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, names))


def expected_meta(fate: str) -> str | None:
    return {'posted': 'first', 'posted-twice': 'second', 'posted-down': 'second'}.get(fate)


def fill(probe, fates: dict[tuple[str, str], str]) -> None:
    """PUT, POST (some with STOPPED down) and DELETE, as ``fates`` says."""
    assert probe.proxy('POST', f'/{probe.storage}', {'X-Account-Meta-Probe': 'acct'})[0] == 204
    for c in range(CONTAINERS):
        headers = {'X-Container-Meta-Probe': f'cont-{c}'}
        assert probe.proxy('PUT', probe.obj_path(f'wipe-{c}'), headers)[0] == 201
        probe.put_many(f'wipe-{c}', {o: os.urandom(50) for (cont, o) in fates if cont == f'wipe-{c}'})
    for_each(probe, 'POST', [k for k, f in fates.items() if f in ('posted', 'posted-twice')],
             {'X-Object-Meta-Round': 'first'})
    for_each(probe, 'DELETE', [k for k, f in fates.items() if f == 'deleted'], expect=(204,))
    probe.stop(STOPPED)
    try:
        for_each(probe, 'POST', [k for k, f in fates.items() if f in ('posted-twice', 'posted-down')],
                 {'X-Object-Meta-Round': 'second'})
    finally:
        probe.start(STOPPED)


def missed_posts(probe, fates) -> int:
    """Objects whose stopped primary lacks its newest .meta (the case to heal)."""
    device = f'd{STOPPED[-1]}'
    return sum(1 for (c, o), f in fates.items() if f in ('posted-twice', 'posted-down')
               and device in {n.device for n in probe.nodes('object', probe.account(), c, o)[1]})


def pick_wiped(probe) -> str:
    """A device (not the stopped server's) that holds the account and the most containers."""
    candidates = [n.device for n in probe.nodes('account', probe.account())[1] if n.device[1:] != STOPPED[-1]]
    holders = [{n.device for n in probe.nodes('container', probe.account(), f'wipe-{c}')[1]}
               for c in range(CONTAINERS)]
    return max(candidates, key=lambda device: sum(device in h for h in holders))


def assert_objects_whole(probe, fates) -> None:
    for (container, obj), fate in fates.items():
        part, nodes = probe.nodes('object', probe.account(), container, obj)
        files = {node.device: probe.object_files(node.device, container, obj) for node in nodes}
        kinds = {d: sorted(os.path.splitext(f)[1] for f in names) for d, names in files.items()}
        want = ['.ts'] if fate == 'deleted' else ['.data', '.meta'] if expected_meta(fate) else ['.data']
        assert all(k == want for k in kinds.values()), (container, obj, fate, files)
        assert len({tuple(names) for names in files.values()}) == 1, (container, obj, files)  # same versions
        for node in nodes:
            status, headers, _ = probe.direct(node, 'HEAD', f'/{part}/{probe.account()}/{container}/{obj}')
            if fate == 'deleted':
                assert status == 404, (container, obj, node.device)
            else:
                assert (status, headers.get('x-object-meta-round')) == (200, expected_meta(fate)), \
                    (container, obj, fate, node.device)


def assert_databases_whole(probe, fates) -> None:
    for c in range(CONTAINERS):
        container = f'wipe-{c}'
        live = sorted(o for (cont, o), f in fates.items() if cont == container and f != 'deleted')
        part, nodes = probe.nodes('container', probe.account(), container)
        for node in nodes:
            assert probe.db_file(node.device, container).is_file(), (container, node.device)
            assert probe.listing(node, part, container) == live, (container, node.device)
            status, headers, _ = probe.direct(node, 'HEAD', f'/{part}/{probe.account()}/{container}')
            assert headers.get('x-container-meta-probe') == f'cont-{c}', (container, node.device)
    part, nodes = probe.nodes('account', probe.account())
    for node in nodes:
        assert probe.db_file(node.device).is_file(), node.device
        status, headers, _ = probe.direct(node, 'HEAD', f'/{part}/{probe.account()}')
        assert status == 204 and headers['x-account-container-count'] == str(CONTAINERS), node.device
        assert headers.get('x-account-meta-probe') == 'acct', node.device


def test_a_wiped_device_gets_back_data_tombstones_meta_and_databases_in_one_round(probe):
    fates = plan()
    fill(probe, fates)
    assert missed_posts(probe, fates) > 3          # the stopped server holds stale metadata
    wiped = probe.device_dir(pick_wiped(probe))
    on_wiped = {kind: len(list((wiped / kind).rglob('*'))) for kind in ('objects', 'containers', 'accounts')}
    assert all(on_wiped.values()), on_wiped        # the wiped device held some of each
    for entry in wiped.iterdir():
        shutil.rmtree(entry) if entry.is_dir() else entry.unlink()

    stats = {daemon: probe.once(daemon)
             for daemon in ('object-replicator', 'container-replicator', 'account-replicator')}

    assert all(s['errors'] == 0 for s in stats.values()), stats
    assert stats['object-replicator']['files_pushed'] >= missed_posts(probe, fates)
    assert_objects_whole(probe, fates)
    assert_databases_whole(probe, fates)

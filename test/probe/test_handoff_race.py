"""A handoff partition is pushed home and removed while a stream of writes
keeps landing on it: nothing acknowledged is lost (#11).

One primary of a partition is stopped, so the proxy writes that partition's
objects to a handoff; the primary comes back, and the object replicator runs
on every node while a writer keeps PUTting new objects of the same partition
straight to the handoff (as a proxy does while it still counts the primary as
down). After one more replicator pass, every acknowledged object is on all
of its primaries with its right bytes, and none is left on the handoff."""

from __future__ import annotations

import os
import threading
import time
from urllib.parse import quote

import pytest

from .conftest import md5, request

pytestmark = pytest.mark.probe

CONTAINER = 'race'


def names_in_one_partition(probe, count: int) -> tuple[int, list[str]]:
    """``count`` object names of one partition that has d2 as a primary."""
    by_part: dict[int, list[str]] = {}
    for i in range(200_000):
        name = f'r-{i}'
        part, nodes = probe.nodes('object', probe.account(), CONTAINER, name)
        if 'd2' in {n.device for n in nodes}:
            by_part.setdefault(part, []).append(name)
            if len(by_part[part]) == count:
                return part, by_part[part]
    raise AssertionError('no partition with enough names')


class Writer(threading.Thread):
    """PUTs objects of ``names`` straight to ``node`` (the handoff), round and round
    (each round a newer version), until stopped; ``acked`` holds each name's last
    body answered 201, ``writes`` counts those."""

    def __init__(self, probe, node, part: int, names: list[str]) -> None:
        super().__init__(daemon=True)
        self.probe, self.node, self.part, self.names = probe, node, part, names
        self.acked: dict[str, bytes] = {}
        self.writes = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            for name in self.names:
                if self.stop.is_set():
                    return
                self._write(name)

    def _write(self, name: str) -> None:
        body = os.urandom(512)
        headers = {'X-Timestamp': f'{time.time():016.5f}', 'Content-Type': 'application/octet-stream',
                   'Content-Length': str(len(body))}
        path = quote(f'/{self.node.device}/{self.part}/{self.probe.account()}/{CONTAINER}/{name}')
        status, _, _ = request(self.node.ip, self.node.port, 'PUT', path, headers, body, quoted=True)
        if status == 201:
            self.acked[name] = body
            self.writes += 1


def on_primaries(probe, part: int, name: str, body: bytes) -> list[str]:
    """The primaries (devices) that do not have ``name`` with ``body``'s ETag."""
    _, nodes = probe.nodes('object', probe.account(), CONTAINER, name)
    missing = []
    for node in nodes:
        status, headers, _ = probe.direct(node, 'HEAD', f'/{part}/{probe.account()}/{CONTAINER}/{name}')
        if (status, headers.get('etag')) != (200, md5(body)):
            missing.append(node.device)
    return missing


def test_a_handoff_removed_while_written_to_loses_nothing(probe):
    assert probe.proxy('PUT', probe.obj_path(CONTAINER))[0] == 201
    part, names = names_in_one_partition(probe, 100)
    handoff = next(iter(probe.rings['object'].get_more_nodes(part)))
    probe.stop('object-2')
    first = {name: os.urandom(300) for name in names[:30]}
    probe.put_many(CONTAINER, first)
    handoff_dir = probe.device_dir(handoff.device) / 'objects' / str(part)
    assert handoff_dir.is_dir()
    probe.start('object-2')

    writer = Writer(probe, handoff, part, names[30:])
    writer.start()
    try:
        while writer.writes < 20 and writer.is_alive():
            time.sleep(0.01)
        racing = probe.once('object-replicator')       # pushes and removes while the writer writes
    finally:
        writer.stop.set()
        writer.join(60)
    settle = probe.once('object-replicator')

    acked = {**first, **writer.acked}
    print(f'\n{writer.writes} writes to the handoff during the race; passes: {racing}, then {settle}')
    assert writer.writes >= 20 and racing['handoff_files_removed'] > 0   # removed while written to
    assert settle['errors'] == 0, settle
    lost = {name: devices for name, body in acked.items()
            if (devices := on_primaries(probe, part, name, body))}
    assert not lost, f'{len(lost)} of {len(acked)} acknowledged objects missing from primaries: {lost}'
    for name in list(acked)[::25]:
        status, _, got = probe.proxy('GET', probe.obj_path(CONTAINER, name))
        assert (status, got) == (200, acked[name]), name
    assert not handoff_dir.exists() or not list(handoff_dir.glob('*/*/*.data'))

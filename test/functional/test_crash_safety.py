"""kill -9 the object server (parent and workers) in the middle of 200
concurrent PUTs; after a restart every PUT that got a 201 reads back
byte-identical, no PUT is visible half-written, and no temp file sits
among the objects."""

from __future__ import annotations

import hashlib
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from .cluster import StorageNode, request

PUTS = 200


def test_kill_9_during_concurrent_puts(tmp_path):
    node = StorageNode(tmp_path, devices=('sda',), workers=2).setup()
    server = node.servers['object']
    server.start()
    rng = random.Random(7)
    bodies = {f'obj-{i}': rng.randbytes(rng.randrange(1, 300_000)) for i in range(PUTS)}
    acked: dict[str, bytes] = {}
    finished = threading.Event()
    done_count = [0]
    lock = threading.Lock()

    def put(name: str) -> None:
        try:
            status, headers, _ = request('127.0.0.1', server.port, 'PUT', f'/sda/1/AUTH_c/c/{name}',
                                         {'X-Timestamp': f'{time.time():016.5f}', 'Content-Type': 'a/b'},
                                         bodies[name], timeout=20)
            if status == 201:
                assert headers['etag'].strip('"') == hashlib.md5(bodies[name]).hexdigest()
                with lock:
                    acked[name] = bodies[name]
        except OSError:
            pass                                 # the server died under this request
        finally:
            with lock:
                done_count[0] += 1
                if done_count[0] >= PUTS // 3:
                    finished.set()

    with ThreadPoolExecutor(32) as pool:
        futures = [pool.submit(put, name) for name in bodies]
        assert finished.wait(60)
        server.kill()                            # SIGKILL to the whole process group
        for future in futures:
            future.result()
    assert 0 < len(acked) < PUTS, 'the kill should land in the middle of the PUTs'

    server.start()
    try:
        for name, body in bodies.items():
            status, _, got = request('127.0.0.1', server.port, 'GET', f'/sda/1/AUTH_c/c/{name}')
            if name in acked:
                assert (status, got) == (200, body), name
            else:
                assert status == 404 or (status == 200 and got == body), name
    finally:
        node.stop()
    objects = tmp_path / 'node' / 'sda' / 'objects'
    stray = [p for p in objects.rglob('*') if p.is_file()
             and not p.name.endswith(('.data', '.ts', '.meta'))
             and p.name not in ('hashes.json', 'hashes.invalid', '.lock')]
    assert stray == []
    assert all(os.path.getsize(p) > 0 for p in objects.rglob('*.data'))

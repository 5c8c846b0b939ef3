"""``bin/cluster start`` runs every node's daemons: each makes a pass at
once, the storage servers serve its record at /recon, and swiftlike-recon
summarises them; ``bin/cluster stop`` stops them too."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from swiftlike.daemons import DAEMONS

from .cluster import request
from .devcluster_fixture import start_cluster

RECON = str(Path(sys.executable).parent / 'swiftlike-recon')


def recon_json(cluster) -> dict:
    out = subprocess.run([RECON, '--swift-dir', str(cluster.swift_dir), '--json'], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_started_daemons_report_their_passes(tmp_path):
    cluster = start_cluster(tmp_path / 'cluster', daemons=True)
    try:
        assert all(cluster.pid(name) for name, _, _ in cluster.daemon_groups())
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            records = recon_json(cluster)['records']
            if set(records) == set(DAEMONS) and all(len(r) == 4 for r in records.values()):
                break
            time.sleep(1)
        assert set(records) == set(DAEMONS)
        assert {name: len(r) for name, r in records.items()} == {name: 4 for name in DAEMONS}
        assert all(r['stats']['errors'] == 0 for recs in records.values() for r in recs)

        port = cluster.servers()[-2][2]                  # an object server
        status, _, body = request('127.0.0.1', port, 'GET', '/recon/')
        assert status == 200 and 'object-replicator' in json.loads(body)
        status, _, body = request('127.0.0.1', port, 'GET', '/recon/object-replicator')
        assert status == 200 and json.loads(body)['worker-0']['devices'] == ['d4']
        assert request('127.0.0.1', port, 'GET', '/recon/no-such-daemon')[0] == 404
        assert request('127.0.0.1', port, 'GET', '/recon/../etc')[0] in (400, 404)
        assert request('127.0.0.1', port, 'PUT', '/recon/object-replicator')[0] == 405

        summary = subprocess.run([RECON, '--swift-dir', str(cluster.swift_dir)], capture_output=True,
                                 text=True, timeout=60)
        lines = {line.split()[0]: line for line in summary.stdout.splitlines()[1:]}
        assert set(lines) == set(DAEMONS) and ' 4 ' in lines['object-auditor']
    finally:
        cluster.stop()
    assert not any(cluster.pid(name) for name in cluster.processes())

"""A daemon's console script run for real: with ``workers = 2`` it forks two
workers that split the devices and each record their passes; SIGTERM stops
them all."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def test_forked_workers_split_the_devices_and_stop_on_sigterm(tmp_path):
    (tmp_path / 'swift').mkdir()
    (tmp_path / 'swift' / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = x\n')
    for device in ('sda', 'sdb', 'sdc'):
        (tmp_path / 'node' / device).mkdir(parents=True)
    conf = tmp_path / 'object-server.conf'
    conf.write_text(f'[DEFAULT]\ndevices = {tmp_path / "node"}\nmount_check = false\n'
                    f'swift_dir = {tmp_path / "swift"}\nrecon_cache_path = {tmp_path / "recon"}\n'
                    '[object-auditor]\nworkers = 2\ninterval = 0.2\n')
    proc = subprocess.Popen([str(BIN / 'swiftlike-object-auditor'), str(conf)], stderr=subprocess.PIPE)
    try:
        record = tmp_path / 'recon' / 'object-auditor.json'
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if record.exists() and len(json.loads(record.read_text())) == 2:
                break
            time.sleep(0.1)
        records = json.loads(record.read_text())
        assert {w: r['devices'] for w, r in records.items()} == {'worker-0': ['sda', 'sdc'],
                                                                 'worker-1': ['sdb']}
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    assert code == 0, proc.stderr.read() if proc.stderr else ''
    out = subprocess.run(['pgrep', '-f', str(conf)], capture_output=True, text=True)
    assert out.stdout == ''


def test_a_bad_config_is_refused_with_a_message(tmp_path):
    conf = tmp_path / 'bad.conf'
    conf.write_text('[object-replicator]\ninterval = soon\n')
    out = subprocess.run([str(BIN / 'swiftlike-object-replicator'), str(conf), '--once'],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and 'interval' in out.stderr and 'Traceback' not in out.stderr

"""DaemonRunner: a pass is recorded for recon, a failing pass counts as an
error instead of killing the daemon, and a node config's section overrides
[DEFAULT] with unknown keys warned about."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from swiftlike.common import recon
from swiftlike.common.daemon import Daemon, DaemonConf, DaemonRunner, PassStats, load_conf


@dataclass
class CountStats(PassStats):
    seen: int = 0


class Counting(Daemon):
    section = 'counting'

    def __init__(self, conf, *, fail=False):
        super().__init__(conf)
        self.fail = fail

    def run_once(self, devices):
        if self.fail:
            raise RuntimeError('boom')
        return CountStats(seen=len(devices))


@pytest.fixture
def conf(tmp_path):
    (tmp_path / 'swift').mkdir()
    (tmp_path / 'swift' / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = x\n')
    for device in ('sda', 'sdb'):
        (tmp_path / 'node' / device).mkdir(parents=True)
    (tmp_path / 'node' / 'not-a-dir').write_text('')
    return DaemonConf(devices=tmp_path / 'node', mount_check=False, swift_dir=tmp_path / 'swift',
                      recon_cache_path=tmp_path / 'recon')


def test_a_pass_is_recorded_for_recon(conf):
    assert DaemonRunner(lambda: Counting(conf), conf).run(once=True) == 0
    record = recon.read(conf.recon_cache_path, 'counting')['once']
    assert record['stats'] == {'errors': 0, 'seen': 2} and record['devices'] == ['sda', 'sdb']
    assert record['duration'] >= 0 and record['cpu'] >= 0
    assert recon.daemons(conf.recon_cache_path) == ['counting']


def test_a_failing_pass_is_an_error_not_a_crash(conf):
    assert DaemonRunner(lambda: Counting(conf, fail=True), conf).run(once=True) == 1
    assert recon.read(conf.recon_cache_path, 'counting')['once']['stats'] == {'errors': 1}


def test_mount_check_skips_unmounted_devices(conf):
    from dataclasses import replace
    assert Counting(replace(conf, mount_check=True)).devices() == []
    assert Counting(conf).devices() == ['sda', 'sdb']


def test_stats_add_up():
    total = CountStats(errors=1, seen=2)
    total.add(CountStats(errors=0, seen=5))
    assert total == CountStats(errors=1, seen=7)


def test_section_overrides_default_and_unknown_keys_are_warned(tmp_path, caplog):
    path = tmp_path / 'node.conf'
    path.write_text('[DEFAULT]\ninterval = 5\nmax_clients = 9\n[counting]\ninterval = 7\nintervall = 8\n')
    with caplog.at_level(logging.WARNING):
        loaded = load_conf(DaemonConf, path, 'counting')
    assert loaded.interval == 7.0
    assert "'intervall'" in caplog.text and 'max_clients' not in caplog.text

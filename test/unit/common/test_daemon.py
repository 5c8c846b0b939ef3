"""DaemonRunner: a pass is recorded for recon, a failing pass counts as an
error instead of killing the daemon, and a node config's section overrides
[DEFAULT] with unknown keys warned about."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pytest

from swiftlike.common import recon
from swiftlike.common.daemon import (
    Daemon,
    DaemonConf,
    DaemonRunner,
    PassStats,
    isolated,
    load_conf,
    partitions,
)


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


def test_the_first_error_of_a_pass_is_recorded_with_its_path(conf):
    class Failing(Counting):
        def run_once(self, devices):
            stats = CountStats(seen=len(devices))
            stats.error(conf.devices / 'sda' / 'objects' / '7', OSError(5, 'EIO'))
            stats.error(conf.devices / 'sdb', 'second')
            return stats

    assert DaemonRunner(lambda: Failing(conf), conf).run(once=True) == 1
    record = recon.read(conf.recon_cache_path, 'counting')['once']
    assert record['stats'] == {'errors': 2, 'seen': 2}
    assert record['first_error'] == {'path': str(conf.devices / 'sda' / 'objects' / '7'),
                                     'error': "OSError(5, 'EIO')"}


def test_a_failing_pass_records_its_error(conf):
    DaemonRunner(lambda: Counting(conf, fail=True), conf).run(once=True)
    record = recon.read(conf.recon_cache_path, 'counting')['once']
    assert record['first_error'] == {'path': 'counting pass', 'error': "RuntimeError('boom')"}


def test_stats_keep_the_first_error_when_added():
    total = CountStats()
    total.add(CountStats(errors=1, first_error={'path': 'a', 'error': 'x'}))
    total.add(CountStats(errors=1, first_error={'path': 'b', 'error': 'y'}))
    assert (total.errors, total.first_error) == (2, {'path': 'a', 'error': 'x'})


def test_isolated_logs_and_counts_an_item_and_lets_the_pass_go_on(caplog):
    stats = CountStats()
    done = []
    with caplog.at_level(logging.ERROR):
        for item in ('one', 'two', 'three'):
            with isolated(stats, f'/srv/{item}', logging.getLogger('test')):
                if item == 'two':
                    raise KeyError('name')
                done.append(item)
    assert done == ['one', 'three']
    assert stats.errors == 1 and stats.first_error == {'path': '/srv/two', 'error': "KeyError('name')"}
    assert '/srv/two' in caplog.text and 'Traceback' in caplog.text


def test_isolated_lets_what_the_caller_keeps_through():
    stats = CountStats()
    with pytest.raises(ConnectionError):
        with isolated(stats, 'x', logging.getLogger('test'), keep=(ConnectionError,)):
            raise ConnectionError('peer down')
    assert stats.errors == 0


def test_partitions_are_the_whole_numbers_only(tmp_path):
    for name in ('7', '12', '²', '٣', '+5', 'lost+found', '.lock'):
        (tmp_path / name).mkdir()
    assert partitions(tmp_path) == [7, 12]
    assert partitions(tmp_path / 'missing') == []

"""The ring-builder CLI, run as a real process (bin/ring-builder) for exit
codes and output, and through main() where only the logic is of interest."""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from rings import Ring, RingBuilder
from rings.cli import main

TOP = Path(__file__).resolve().parents[3]
DEVICES = ['r1z1-127.0.0.1:6210/d1', '100', 'r1z2-127.0.0.1:6220/d2', '100',
           'r1z3-127.0.0.1:6230/d3', '100', 'r1z4-127.0.0.1:6240/d4', '100']


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(TOP / 'bin' / 'ring-builder'), *args],
                          capture_output=True, text=True, timeout=60)


def call(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def builder_file(tmp_path) -> Path:
    path = tmp_path / 'object.builder'
    assert call(str(path), 'create', '8', '3', '1')[0] == 0
    assert call(str(path), 'add', *DEVICES)[0] == 0
    return path


def test_create_add_rebalance_summary_as_a_process(tmp_path):
    path = str(tmp_path / 'object.builder')
    assert run(path, 'create', '8', '3', '1').returncode == 0
    added = run(path, 'add', *DEVICES)
    assert added.returncode == 0 and added.stdout.count('got id') == 4
    rebalanced = run(path, 'rebalance', '--seed', '3')
    assert rebalanced.returncode == 0, rebalanced.stderr
    assert 'balance is now 0.00%' in rebalanced.stdout
    summary = run(path)
    assert summary.returncode == 0
    assert '256 partitions, 3.000000 replicas, 1 regions, 4 zones, 4 devices' in summary.stdout
    assert summary.stdout.count('127.0.0.1:62') == 8          # address + replication per device
    ring = Ring.load(tmp_path / 'object.ring.gz')
    assert ring.partition_count == 256 and len(ring.devs) == 4


def test_flag_form_and_ipv6(builder_file):
    code, out, _ = call(str(builder_file), 'add', '--region', '2', '--zone', '5', '--ip', '::1',
                        '--port', '6250', '--device', 'd5', '--weight', '50', '--meta', 'fast')
    assert code == 0 and 'got id 4' in out
    code, out, _ = call(str(builder_file), 'search', 'r2z5-[::1]:6250/d5_fast')
    assert code == 0 and 'd4r2z5-[::1]:6250/d5' in out


@pytest.mark.parametrize('args, message', [
    (['add', 'r1z1-127.0.0.1:6210/d1', '100'], 'already device 0'),
    (['add', 'nonsense', '100'], 'bad device string'),
    (['add', 'r1z9-127.0.0.1:6299/d9', '-3'], 'bad weight'),
    (['add', 'r1z9-127.0.0.1:6299/d9'], 'expected pairs'),
    (['add', 'r1z9-127.0.0.1:99999/d9', '1'], 'port must be'),
    (['remove', 'd42'], 'no device matches'),
    (['remove', 'z1-127.0.0.1'], None),
    (['set_weight', 'd1', 'heavy'], 'bad weight'),
    (['set_weight', 'r1', '5'], 'matches 4 devices'),
    (['set_info', 'd0', '127.0.0.1:6220/d2'], 'already device 1'),
    (['set_overload', 'lots'], 'bad overload'),
    (['set_replicas', '5'], 'cannot hold 5 replicas'),
    (['set_replicas', '0.5'], 'replicas must be'),
    (['create', '8', '3', '1'], 'already exists'),
    (['frobnicate'], 'invalid choice'),
    (['rebalance', '--seed', 'x'], 'invalid int'),
])
def test_bad_input_is_one_line_exit_2_and_leaves_the_file_alone(builder_file, args, message):
    before = builder_file.read_bytes()
    result = run(str(builder_file), *args)
    if message is None:      # valid: removes the one matching device
        assert result.returncode == 0, result.stderr
        return
    assert result.returncode == 2, result
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and 'Traceback' not in result.stderr
    assert builder_file.read_bytes() == before


@pytest.mark.parametrize('power', ['0', '33', 'x'])
def test_part_power_out_of_range(tmp_path, power):
    result = run(str(tmp_path / 'x.builder'), 'create', power, '3', '1')
    assert result.returncode == 2 and 'Traceback' not in result.stderr
    assert not (tmp_path / 'x.builder').exists()


def test_missing_and_corrupt_files(tmp_path):
    missing = run(str(tmp_path / 'none.builder'))
    assert missing.returncode == 2 and 'no such file' in missing.stderr
    junk = tmp_path / 'junk.builder'
    junk.write_bytes(b'\x1f\x8b garbage')
    result = run(str(junk), 'rebalance')
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1


def test_more_replicas_than_devices_at_rebalance(tmp_path):
    path = str(tmp_path / 'o.builder')
    call(path, 'create', '4', '3', '1')
    call(path, 'add', *DEVICES[:4])
    code, _, err = call(path, 'rebalance')
    assert code == 2 and 'cannot hold 3 replicas' in err


def test_min_part_hours_warning_then_pretend(tmp_path):
    builder_file = tmp_path / 'big.builder'
    call(str(builder_file), 'create', '11', '3', '1')      # 1% of a device's share > 2 partitions
    call(str(builder_file), 'add', *DEVICES)
    assert call(str(builder_file), 'rebalance', '--seed', '1')[0] == 0
    call(str(builder_file), 'add', 'r1z5-127.0.0.1:6250/d5', '100')
    code, out, _ = call(str(builder_file), 'rebalance')
    assert code == 1 and 'held back by min_part_hours' in out
    assert call(str(builder_file), 'pretend_min_part_hours_passed')[0] == 0
    code, out, _ = call(str(builder_file), 'rebalance')
    assert code == 0, out
    code, out, _ = call(str(builder_file), 'rebalance')
    assert code == 1 and 'nothing written' in out


def test_remove_set_weight_set_info_and_list_parts(builder_file):
    path = str(builder_file)
    call(path, 'rebalance', '--seed', '1')
    code, out, _ = call(path, 'list_parts', 'd0')
    assert code == 0 and len(out.splitlines()) == 1 + 192
    assert call(path, 'set_info', 'd0', '127.0.0.9:7000/sdz_ssd')[0] == 0
    assert call(path, 'set_weight', 'd1', '50')[0] == 0
    assert call(path, 'remove', 'd3')[0] == 0
    assert call(path, 'add', 'r1z5-127.0.0.1:6250/d5', '100')[0] == 0
    call(path, 'pretend_min_part_hours_passed')
    assert call(path, 'rebalance', '--seed', '2')[0] in (0, 1)
    b = RingBuilder.load(builder_file)
    assert b.devs[3] is None or b.devs[3].device == 'd5'
    dev0 = b.devs[0]
    assert (dev0.ip, dev0.port, dev0.device, dev0.meta) == ('127.0.0.9', 7000, 'sdz', 'ssd')
    assert call(path, 'validate')[0] == 0
    code, out, _ = call(path, 'dispersion')
    assert code == 0 and 'Dispersion is' in out
    assert call(path, 'write_ring')[0] == 0


def test_set_overload_and_replicas(builder_file):
    path = str(builder_file)
    assert call(path, 'set_overload', '10%')[0] == 0
    assert RingBuilder.load(builder_file).overload == pytest.approx(0.1)
    assert call(path, 'set_replicas', '2.5')[0] == 0
    assert call(path, 'rebalance')[0] == 0
    assert Ring.load(builder_file.with_name('object.ring.gz')).replica_count == 2.5

"""Device failures on real filesystems: a full device and an unmounted one
are reported as device errors (507 at the HTTP edge), and a failed write
leaves nothing behind."""

from __future__ import annotations

import os
import subprocess

import pytest

from swiftlike.common.exceptions import DeviceUnavailableError, DiskFileNoSpaceError, DiskFileNotExistError
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj.diskfile import ObjectName
from swiftlike.obj.fs_diskfile import FsObjectStore

NAME = ObjectName('sda', 1, 'AUTH_a', 'c', 'o')


@pytest.fixture
def tiny_device(tmp_path):
    """A 1 MiB tmpfs mounted as device sda (needs root, as CI has)."""
    device = tmp_path / 'sda'
    device.mkdir()
    if os.geteuid() != 0:
        pytest.skip('mounting a tmpfs needs root')
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', str(device)], check=True)
    yield tmp_path
    subprocess.run(['umount', str(device)], check=True)


def test_full_device_is_a_device_error_and_leaves_nothing(tiny_device):
    store = FsObjectStore(tiny_device, mount_check=True, hash_prefix=b'', hash_suffix=b's')
    with pytest.raises(DiskFileNoSpaceError):
        with store.diskfile(NAME).writer() as writer:
            for _ in range(40):
                writer.write(b'x' * 65536)                # 2.5 MiB into 1 MiB
            writer.put({'X-Timestamp': Timestamp(1e9).internal, 'name': '/AUTH_a/c/o'})
    with pytest.raises(DiskFileNotExistError):
        store.diskfile(NAME).open(2e9)
    leftovers = [p for p in (tiny_device / 'sda').rglob('*') if p.is_file() and p.name != '.lock']
    assert leftovers == []


def test_unmounted_device_with_mount_check(tmp_path):
    (tmp_path / 'sda').mkdir()
    store = FsObjectStore(tmp_path, mount_check=True, hash_prefix=b'', hash_suffix=b's')
    with pytest.raises(DeviceUnavailableError, match='not mounted'):
        store.diskfile(NAME)
    assert FsObjectStore(tmp_path, mount_check=False, hash_prefix=b'', hash_suffix=b's').diskfile(NAME)

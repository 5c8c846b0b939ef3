"""A partition whose lock another process holds past the store's lock timeout
is a 503 (try another node), never a 500 or a worker stuck waiting."""

from __future__ import annotations

import fcntl

from webob import Request

from swiftlike.common.swift_conf import SwiftConf
from swiftlike.common.timestamp import Timestamp
from swiftlike.obj.conf import ObjectServerConf
from swiftlike.obj.fs_diskfile import FsObjectStore
from swiftlike.obj.server import ObjectServer
from swiftlike.obj.updates import ContainerUpdater


def test_a_partition_locked_past_the_timeout_is_503(tmp_path):
    (tmp_path / 'swift.conf').write_text('[swift-hash]\nswift_hash_path_suffix = test\n')
    devices = tmp_path / 'srv'
    (devices / 'sda' / 'objects' / '3').mkdir(parents=True)
    swift_conf = SwiftConf.load(tmp_path)
    store = FsObjectStore(devices, mount_check=False, hash_prefix=swift_conf.hash_prefix,
                          hash_suffix=swift_conf.hash_suffix, fsync=False, lock_timeout=0.05)
    app = ObjectServer(ObjectServerConf(devices=devices, mount_check=False, swift_dir=tmp_path), store=store,
                       swift_conf=swift_conf,
                       updater=ContainerUpdater(conn_timeout=0.1, node_timeout=0.1, update_timeout=0.1))
    with open(devices / 'sda' / 'objects' / '3' / '.lock', 'w') as held:
        fcntl.flock(held, fcntl.LOCK_EX)             # another holder (a separate open file)
        resp = Request.blank('/sda/3/a/c/o', method='PUT', body=b'x',
                             headers={'X-Timestamp': Timestamp.now().internal,
                                      'Content-Type': 'a/b'}).get_response(app)
    assert resp.status_int == 503, resp.body

"""The two caches: in-process, and memcached (a real one, started here)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from swiftlike.common.middleware.cache import MemcacheCache, MemoryCache


def test_memory_cache_expires():
    now = [0.0]
    cache = MemoryCache(clock=lambda: now[0])
    cache.set('container/AUTH_a/c', {'read_acl': '.r:*'}, ttl=10)
    assert cache.get('container/AUTH_a/c') == {'read_acl': '.r:*'} and not cache.shared
    now[0] = 11
    assert cache.get('container/AUTH_a/c') is None


@pytest.fixture
def memcached():
    binary = shutil.which('memcached')
    if binary is None:
        pytest.skip('memcached is not installed (.ci/run installs it)')
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([binary, '-l', '127.0.0.1', '-p', str(port), '-U', '0', '-u', 'root'])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(('127.0.0.1', port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f'127.0.0.1:{port}'
    proc.terminate()
    proc.wait()


def test_memcache_roundtrip_with_awkward_keys(memcached):
    cache = MemcacheCache([memcached], timeout=1.0)
    key = 'container/AUTH_a/snow \u2603 man\n' + 'x' * 1000
    cache.set(key, {'read_acl': 'test:tester'}, ttl=60)
    assert cache.get(key) == {'read_acl': 'test:tester'} and cache.shared
    cache.delete(key)
    assert cache.get(key) is None

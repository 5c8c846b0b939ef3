from __future__ import annotations

import itertools
import time

import pytest

from .cluster import StorageNode, request
from .devcluster_fixture import start_cluster


@pytest.fixture(scope='session')
def node(tmp_path_factory):
    node = StorageNode(tmp_path_factory.mktemp('node'), workers=2).setup().start()
    yield node
    node.stop()


_clock = itertools.count()


@pytest.fixture
def ts():
    """A fresh, strictly increasing X-Timestamp each call."""
    base = time.time()

    def make() -> str:
        return f'{base + next(_clock) * 0.001:016.5f}'
    return make


@pytest.fixture
def call(node):
    def do(kind: str, method: str, path: str, headers=None, body=None, **kw):
        return request('127.0.0.1', node.port(kind), method, path, headers, body, **kw)
    return do


@pytest.fixture(scope='module')
def cluster(tmp_path_factory, request):
    """A whole dev cluster (proxy, 4 nodes, no daemons) for one test module."""
    cluster = start_cluster(tmp_path_factory.mktemp(request.module.__name__.rpartition('.')[2]))
    yield cluster
    cluster.stop()

"""What every SQLite broker promises: creation, deleted model, metadata,
replication rows and sync points, reclaim. Run for containers and accounts."""

from __future__ import annotations

import pytest

from swiftlike.account.backend import AccountBroker
from swiftlike.common.exceptions import DatabaseNotFoundError
from swiftlike.common.timestamp import Timestamp
from swiftlike.container.backend import ContainerBroker


def put_item(broker, name: str, ts: float, *, deleted: bool = False) -> bool:
    if isinstance(broker, ContainerBroker):
        return broker.put_object(name, Timestamp(ts), 5, 'a/b', 'e', deleted=deleted)
    put, gone = (Timestamp(0), Timestamp(ts)) if deleted else (Timestamp(ts), Timestamp(0))
    return broker.put_container(name, put, gone, 1, 5)


def live_count(broker) -> int:
    info = broker.get_info()
    return int(info['object_count'] if isinstance(broker, ContainerBroker) else info['container_count'])


@pytest.fixture(params=['container', 'account'])
def broker(request, tmp_path):
    if request.param == 'container':
        b = ContainerBroker(tmp_path / 'x' / 'c.db', account='a', container='c')
        assert b.initialize(Timestamp(100), account='a', container='c')
    else:
        b = AccountBroker(tmp_path / 'x' / 'a.db', account='a')
        assert b.initialize(Timestamp(100), account='a')
    return b


def test_missing_database(tmp_path):
    with pytest.raises(DatabaseNotFoundError):
        ContainerBroker(tmp_path / 'none.db', account='a', container='c').get_info()


def test_initialize_once(broker):
    assert not broker.initialize(Timestamp(200), account='a')
    assert broker.get_info()['put_timestamp'] == Timestamp(100).internal


def test_rows_newest_wins(broker):
    assert put_item(broker, 'x', 10)
    assert not put_item(broker, 'x', 5)
    assert live_count(broker) == 1
    assert put_item(broker, 'x', 20, deleted=True)
    assert live_count(broker) == 0
    put_item(broker, 'x', 15)                     # older than the delete: stays deleted
    assert live_count(broker) == 0


def test_deleted_model(broker):
    assert not broker.is_deleted()
    broker.mark_deleted(Timestamp(150))
    assert broker.is_deleted()
    broker.update_put_timestamp(Timestamp(160))
    assert not broker.is_deleted()


def test_metadata_newest_per_key(broker):
    broker.update_metadata({'X-Meta-A': ('1', Timestamp(10).internal)})
    broker.update_metadata({'X-Meta-A': ('0', Timestamp(5).internal),
                            'X-Meta-B': ('2', Timestamp(5).internal)})
    assert {k: v for k, (v, _) in broker.metadata().items()} == {'X-Meta-A': '1', 'X-Meta-B': '2'}


def test_replication_rows_and_sync_points(broker, tmp_path):
    for i, name in enumerate(['a', 'b', 'c']):
        put_item(broker, name, 10 + i)
    put_item(broker, 'a', 20)                     # a newer version gets a new row id
    items = broker.get_items_since(-1, 100)
    assert [i['name'] for i in items] == ['b', 'c', 'a']
    assert [i['name'] for i in broker.get_items_since(items[0]['ROWID'], 100)] == ['c', 'a']
    other = type(broker)(tmp_path / 'other.db', account='a', container='c')
    other.initialize(Timestamp(100), account='a', container='c') if isinstance(broker, ContainerBroker) \
        else other.initialize(Timestamp(100), account='a')
    other.merge_items(items, source_id='peer-1')
    assert live_count(other) == 3 and other.get_sync('peer-1') == items[-1]['ROWID']
    other.merge_items(items, source_id='peer-1')          # idempotent
    assert live_count(other) == 3 and other.get_sync('unknown') == -1


def test_reclaim_removes_only_old_deleted_rows(broker):
    put_item(broker, 'old', 10, deleted=True)
    put_item(broker, 'new', 1000, deleted=True)
    put_item(broker, 'live', 10)
    assert broker.reclaim(Timestamp(500)) == 1
    assert sorted(i['name'] for i in broker.get_items_since(-1, 10)) == ['live', 'new']


def queue_item(broker, name: str, ts: float) -> None:
    if isinstance(broker, ContainerBroker):
        broker.queue_object(name, Timestamp(ts), 5, 'a/b', 'e')
    else:
        broker.enqueue_item({'name': name, 'put_timestamp': Timestamp(ts).internal,
                             'delete_timestamp': '0', 'object_count': 1, 'bytes_used': 5})


def test_queued_rows_are_merged_before_any_read(broker):
    queue_item(broker, 'q1', 10)
    queue_item(broker, 'q2', 11)
    put_item(broker, 'q1', 5)                     # older than the queued one, merged directly
    assert broker.pending.size() > 0
    assert live_count(broker) == 2 and broker.pending.size() == 0
    assert [i['name'] for i in broker.get_items_since(-1, 10)] == ['q1', 'q2']

"""A deleted account or container loses its metadata: created again under
the same name it starts without the old ACLs (a public read ACL, a web site
setting) instead of inheriting them, as Swift's databases do."""

from __future__ import annotations

from swiftlike.common.timestamp import Timestamp
from swiftlike.container.backend import ContainerBroker


def test_delete_clears_metadata_set_before_it(tmp_path):
    broker = ContainerBroker(tmp_path / 'c.db', account='a', container='c')
    broker.initialize(Timestamp(100), account='a', container='c')
    broker.update_metadata({'X-Container-Read': ('.r:*', Timestamp(101).internal),
                            'X-Container-Meta-Web-Index': ('index.html', Timestamp(101).internal),
                            'X-Container-Meta-Later': ('kept', Timestamp(105).internal)})
    broker.mark_deleted(Timestamp(103))
    broker.update_put_timestamp(Timestamp(104))
    values = {k: v for k, (v, _) in broker.metadata().items()}
    assert values['X-Container-Read'] == '' and values['X-Container-Meta-Web-Index'] == ''
    assert values['X-Container-Meta-Later'] == 'kept'        # newer than the delete: stays
    broker.mark_deleted(Timestamp(102))                       # an older delete (replication) changes nothing
    assert {k: v for k, (v, _) in broker.metadata().items()}['X-Container-Meta-Later'] == 'kept'

"""A container's stats reported to its account servers (X-Account-Host,
-Device, -Partition). What was last acknowledged is kept in the container's
``reported_*`` columns: a container whose current stats differ is still to
be reported, by the next change or by the container-updater daemon."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any

from swiftlike.common.concurrency import run_all
from swiftlike.common.direct_client import direct_request
from swiftlike.common.http import is_success
from swiftlike.common.http_client import Answer
from swiftlike.common.request import UpdateTarget
from swiftlike.container.backend import ContainerBroker

logger = logging.getLogger(__name__)


def report_headers(info: Mapping[str, Any]) -> dict[str, str]:
    """The headers of a container report."""
    return {'X-Put-Timestamp': info['put_timestamp'], 'X-Delete-Timestamp': info['delete_timestamp'],
            'X-Object-Count': str(info['object_count']), 'X-Bytes-Used': str(info['bytes_used'])}


def report(broker: ContainerBroker, targets: list[UpdateTarget], *, trans_id: str,
           conn_timeout: float, node_timeout: float,
           send: Callable[..., Answer] = direct_request) -> bool:
    """Send the container's stats to every target; mark them reported if all took them."""
    info = broker.get_info()
    headers = {**report_headers(info), 'X-Trans-Id': trans_id}
    path = f'/{broker.account}/{broker.container}'
    calls = [functools.partial(send, t.host, t.port, 'PUT', f'/{t.device}/{t.partition}{path}',
                               headers=headers, conn_timeout=conn_timeout, node_timeout=node_timeout)
             for t in targets]
    results = run_all(calls, limit=conn_timeout + node_timeout)
    ok = all(isinstance(r, Answer) and is_success(r.status) for r in results)
    if ok:
        broker.mark_reported(info)
    else:
        logger.warning('account update for %s failed: %r', path, results, extra={'txn_id': trans_id})
    return ok

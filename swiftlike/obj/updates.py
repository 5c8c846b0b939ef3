"""After an object PUT or DELETE, tell the container servers named in the
request's X-Container-* headers; keep an async pending for any that fails."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path

from swiftlike.common.concurrency import run_all
from swiftlike.common.direct_client import direct_request
from swiftlike.common.http import is_success
from swiftlike.common.http_client import Answer
from swiftlike.common.request import UpdateTarget as Target
from swiftlike.obj import async_pending
from swiftlike.obj.async_pending import PendingUpdate

logger = logging.getLogger(__name__)

Sender = Callable[..., Answer]


class ContainerUpdater:
    """Sends listing updates, falling back to async pendings.

    :param send: the HTTP sender (direct_request; a fake in unit tests)
    """

    def __init__(self, *, conn_timeout: float, node_timeout: float, update_timeout: float,
                 send: Sender = direct_request) -> None:
        self.conn_timeout = conn_timeout
        self.node_timeout = node_timeout
        self.update_timeout = update_timeout
        self.send = send

    def _send_one(self, update: PendingUpdate, target: Target) -> bool:
        path = f'/{target.device}/{target.partition}/{update.account}/{update.container}/{update.obj}'
        resp = self.send(target.host, target.port, update.op, path, headers=update.headers,
                         conn_timeout=self.conn_timeout, node_timeout=self.node_timeout)
        return is_success(resp.status)

    def deliver(self, update: PendingUpdate) -> list[Target]:
        """Send ``update`` to its targets; those that failed."""
        calls = [functools.partial(self._send_one, update, t) for t in update.targets]
        results = run_all(calls, limit=self.update_timeout)
        failed = [t for t, ok in zip(update.targets, results, strict=True) if ok is not True]
        for target, result in zip(update.targets, results, strict=True):
            if result is not True:
                logger.warning('container update %s %s/%s/%s to %s:%s failed: %r', update.op,
                               update.account, update.container, update.obj, target.host,
                               target.port, result)
        return failed

    def update(self, update: PendingUpdate, *, device_dir: Path, name_hash: str, timestamp: str) -> int:
        """Send ``update`` to its targets; save one async pending for those that failed.

        :returns: how many targets failed
        """
        failed = self.deliver(update)
        if failed:
            pending = PendingUpdate(update.op, update.account, update.container, update.obj,
                                    update.headers, failed)
            async_pending.save(device_dir, name_hash, timestamp, pending)
        return len(failed)

"""Listing and deleting through the rings, straight to the storage servers
(no proxy, no auth): what the object-expirer and the account-reaper do.
A delete goes to every primary with the listing updates a proxy would add,
and counts as done on a quorum of answers that leave nothing behind."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

from rings import Device, Ring
from swiftlike.common.concurrency import Timeout
from swiftlike.common.direct_client import direct_request
from swiftlike.common.http_client import Answer
from swiftlike.common.request import update_targets
from swiftlike.common.timestamp import Timestamp

logger = logging.getLogger(__name__)
PAGE = 10000


class ClusterClient:
    """Direct requests to the servers the rings name."""

    def __init__(self, rings: dict[str, Ring], *, conn_timeout: float, node_timeout: float) -> None:
        self.rings = rings
        self.conn_timeout = conn_timeout
        self.node_timeout = node_timeout

    def _request(self, node: Device, method: str, path: str, headers: dict[str, str],
                 query: str = '') -> Answer | None:
        try:
            return direct_request(node.ip, node.port, method, f'/{node.device}{path}', headers=headers,
                                  conn_timeout=self.conn_timeout, node_timeout=self.node_timeout,
                                  query=query)
        except (OSError, Timeout) as err:
            logger.warning('%s %s:%s/%s%s: %r', method, node.ip, node.port, node.device, path, err)
            return None

    def listing(self, account: str, container: str | None = None) -> Iterator[dict[str, Any]]:
        """Every entry of an account or container listing, from the first
        primary that answers each page.

        :raises OSError: if no primary answers a page
        """
        kind = 'account' if container is None else 'container'
        part, nodes = self.rings[kind].get_nodes(account, container)
        path = f'/{part}/{account}' + ('' if container is None else f'/{container}')
        marker = ''
        while True:
            page = self._page(nodes, path, marker)
            yield from page
            if len(page) < PAGE:
                return
            marker = page[-1]['name']

    def _page(self, nodes: Sequence[Device], path: str, marker: str) -> list[dict[str, Any]]:
        query = urlencode({'format': 'json', 'limit': PAGE, 'marker': marker})
        for node in nodes:
            resp = self._request(node, 'GET', path, {}, query)
            if resp is not None and resp.status == 204:
                return []
            if resp is not None and resp.status == 200:
                page = json.loads(resp.body)
                return page if isinstance(page, list) else []
            if resp is not None and resp.status == 404:
                return []
        raise OSError(f'no primary answered GET {path}')

    def delete_object(self, account: str, container: str, obj: str, timestamp: Timestamp,
                      headers: dict[str, str] | None = None) -> list[int]:
        """DELETE on every primary, telling the container servers; the statuses (0: no answer)."""
        ring = self.rings['object']
        part, nodes = ring.get_nodes(account, container, obj)
        cpart, cnodes = self.rings['container'].get_nodes(account, container)
        targets = update_targets(cnodes, len(nodes), 'Container', cpart)
        statuses = []
        for node, target in zip(nodes, targets, strict=True):
            resp = self._request(node, 'DELETE', f'/{part}/{account}/{container}/{obj}',
                                 {'X-Timestamp': timestamp.internal, **(headers or {}), **target})
            statuses.append(resp.status if resp else 0)
        return statuses

    def delete_row(self, account: str, container: str, obj: str, timestamp: Timestamp) -> list[int]:
        """Mark an object row deleted in a container's listing, on every primary."""
        part, nodes = self.rings['container'].get_nodes(account, container)
        return [getattr(self._request(n, 'DELETE', f'/{part}/{account}/{container}/{obj}',
                                      {'X-Timestamp': timestamp.internal}), 'status', 0) for n in nodes]

    def delete_container(self, account: str, container: str, timestamp: Timestamp) -> list[int]:
        """DELETE a container on every primary, telling the account servers."""
        part, nodes = self.rings['container'].get_nodes(account, container)
        apart, anodes = self.rings['account'].get_nodes(account)
        targets = update_targets(anodes, len(nodes), 'Account', apart)
        return [getattr(self._request(n, 'DELETE', f'/{part}/{account}/{container}',
                                      {'X-Timestamp': timestamp.internal, **t}), 'status', 0)
                for n, t in zip(nodes, targets, strict=True)]


def quorum(statuses: Sequence[int], ok: Sequence[int]) -> bool:
    """Whether a majority of ``statuses`` are among ``ok`` (or 2xx).

    >>> quorum([204, 404, 0], [404]), quorum([204, 0, 0], [])
    (True, False)
    """
    good = sum(1 for s in statuses if 200 <= s < 300 or s in ok)
    return good >= len(statuses) // 2 + 1

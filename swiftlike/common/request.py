"""Parsing of request paths. Raises ConstraintError; no webob."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rings import Device
from swiftlike.common.constraints import ConstraintError


def wsgi_path_to_str(path_info: str) -> str:
    """PATH_INFO (bytes carried as latin-1 per PEP 3333) as a UTF-8 str.

    :raises ConstraintError: 412 if it is not valid UTF-8, as Swift answers
    """
    try:
        return path_info.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise ConstraintError('Invalid UTF8 in path', status=412) from None


def split_path(path: str, minsegs: int = 1, maxsegs: int | None = None,
               rest_with_last: bool = False) -> list[str | None]:
    """Split ``/a/b/c`` into segments, as Swift does.

    With ``rest_with_last``, the last segment keeps any further slashes
    (object names may contain '/'). Missing optional segments are None.

    >>> split_path('/d/1/a/c/o/x', 5, 5, True)
    ['d', '1', 'a', 'c', 'o/x']
    >>> split_path('/d/1/a', 3, 5, True)
    ['d', '1', 'a', None, None]

    :raises ConstraintError: 400 if there are too few or too many segments,
        or an empty one where a name is required
    """
    maxsegs = maxsegs or minsegs
    if not path.startswith('/'):
        raise ConstraintError(f'invalid path {path!r}')
    segs: list[str | None] = list(path[1:].split('/', maxsegs - 1) if rest_with_last
                                  else path[1:].split('/'))
    if len(segs) > minsegs and segs[-1] == '':
        segs[-1] = None                       # a trailing slash after the required part
    if len(segs) > maxsegs or len(segs) < minsegs:
        raise ConstraintError(f'invalid path {path!r}')
    named = [s for s in segs if s is not None]
    if '' in named:
        raise ConstraintError(f'invalid path {path!r}')
    return segs + [None] * (maxsegs - len(segs))


@dataclass(frozen=True, slots=True)
class StoragePath:
    """``/<device>/<partition>/<account>[/<container>[/<object>]]`` on a storage server."""

    device: str
    partition: int
    account: str
    container: str | None = None
    obj: str | None = None

    @classmethod
    def parse(cls, path_info: str, *, min_names: int, max_names: int) -> StoragePath:
        """Parse a backend path with between ``min_names`` and ``max_names``
        of account/container/object.

        :raises ConstraintError: 400 for a bad device, partition or shape;
            412 for invalid UTF-8
        """
        path = wsgi_path_to_str(path_info)
        segs = split_path(path, 2 + min_names, 2 + max_names, rest_with_last=max_names == 3)
        device, part = segs[0] or '', segs[1] or ''
        if device in ('.', '..') or '\x00' in device or not device:
            raise ConstraintError(f'invalid device {device!r}')
        if not part.isdigit() or not part.isascii() or len(part) > 10:
            raise ConstraintError(f'invalid partition {part!r}')
        return cls(device, int(part), segs[2] or '', segs[3], segs[4] if max_names == 3 else None)


@dataclass(frozen=True, slots=True)
class UpdateTarget:
    """A listing server to tell about a change: where, and which partition."""

    host: str
    port: int
    device: str
    partition: int


def parse_update_targets(headers: Mapping[str, str], kind: str) -> list[UpdateTarget]:
    """Targets from ``X-<kind>-Host`` / ``-Device`` / ``-Partition``: hosts and
    devices comma-separated, in pairs (``kind`` is Container or Account).

    >>> parse_update_targets({'X-Container-Host': '10.0.0.1:6201,[::1]:6201',
    ...                       'X-Container-Device': 'sda,sdb', 'X-Container-Partition': '7'},
    ...                      'Container')[1]
    UpdateTarget(host='::1', port=6201, device='sdb', partition=7)

    :raises ValueError: if they are malformed
    """
    hosts = [h.strip() for h in headers.get(f'X-{kind}-Host', '').split(',') if h.strip()]
    devices = [d.strip() for d in headers.get(f'X-{kind}-Device', '').split(',') if d.strip()]
    if not hosts:
        return []
    partition = headers.get(f'X-{kind}-Partition', '')
    if len(hosts) != len(devices) or not partition.isdigit():
        raise ValueError(f'X-{kind}-Host, -Device and -Partition do not match')
    targets = []
    for host, device in zip(hosts, devices, strict=True):
        address, _, port = host.rpartition(':')
        if not port.isdigit() or not address:
            raise ValueError(f'bad X-{kind}-Host {host!r}')
        targets.append(UpdateTarget(address.strip('[]'), int(port), device, int(partition)))
    return targets


def update_targets(nodes: Sequence[Device], count: int, prefix: str, part: int) -> list[dict[str, str]]:
    """Headers telling each of ``count`` backends which listing servers to
    update: the nodes are dealt round-robin so every listing replica is told."""
    targets: list[dict[str, str]] = [{} for _ in range(count)]
    for i, node in enumerate(nodes):
        target = targets[i % count] if count else {}
        host = f'[{node.ip}]:{node.port}' if ':' in node.ip else f'{node.ip}:{node.port}'
        for key, value in ((f'X-{prefix}-Host', host), (f'X-{prefix}-Device', node.device)):
            target[key] = f'{target[key]},{value}' if key in target else value
        target[f'X-{prefix}-Partition'] = str(part)
    return targets

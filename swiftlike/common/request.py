"""Parsing of request paths. Raises ConstraintError; no webob."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from rings import Device
from swiftlike.common.constraints import ConstraintError
from swiftlike.common.numbers import parse_int

#: The highest partition number (a ring has at most 2**32 partitions).
MAX_PARTITION: Final = 2 ** 32 - 1
#: Longest device name, in UTF-8 bytes (a directory name).
MAX_DEVICE: Final = 255


def wsgi_path_to_str(path_info: str) -> str:
    """PATH_INFO (bytes carried as latin-1 per PEP 3333) as a UTF-8 str.

    :raises ConstraintError: 412 if it is not valid UTF-8, as Swift answers
    """
    try:
        return path_info.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise ConstraintError('Invalid UTF8 or contains NULL', status=412) from None


def header_to_str(value: str) -> str:
    """A header value (bytes carried as latin-1 per PEP 3333) as a UTF-8 str.

    >>> header_to_str('caf\xc3\xa9')
    'café'

    :raises ConstraintError: 412 if it is not valid UTF-8
    """
    try:
        return value.encode('latin-1').decode('utf-8')
    except (UnicodeEncodeError, UnicodeDecodeError):
        raise ConstraintError('Invalid UTF8 in a header', status=412) from None


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
        device = check_device(segs[0] or '')
        partition = parse_partition(segs[1])
        return cls(device, partition, segs[2] or '', segs[3], segs[4] if max_names == 3 else None)


def check_device(device: str) -> str:
    """``device`` if it can name a device directory.

    >>> check_device('sda1')
    'sda1'

    :raises ConstraintError: 400 if it is empty, '.', '..', too long, or
        holds a slash or a control character
    """
    too_long = len(device.encode('utf-8', 'surrogatepass')) > MAX_DEVICE
    control = any(ord(c) < 32 or ord(c) == 127 for c in device)
    if device in ('', '.', '..') or '/' in device or too_long or control:
        raise ConstraintError(f'invalid device {device[:40]!r}')
    return device


def parse_partition(text: str | None) -> int:
    """A partition number from a path or header (ASCII digits, at most 2**32 - 1).

    :raises NumberError: 400 otherwise
    """
    return parse_int(text, what='partition', maximum=MAX_PARTITION)


def parse_replicate_path(path_info: str) -> tuple[str, int, list[str]]:
    """``/<device>/<partition>[/<suffix>-<suffix>...]`` of an object REPLICATE:
    (device, partition, suffixes).

    >>> parse_replicate_path('/sda/7/abc-f00')
    ('sda', 7, ['abc', 'f00'])

    :raises ConstraintError: 400 for a bad shape, device, partition or suffix;
        412 for invalid UTF-8
    """
    segs = wsgi_path_to_str(path_info).strip('/').split('/')
    if len(segs) not in (2, 3):
        raise ConstraintError('expected /<device>/<partition>[/<suffix>-<suffix>...]')
    suffixes = check_suffixes(segs[2].split('-')) if len(segs) == 3 else []
    return check_device(segs[0]), parse_partition(segs[1]), suffixes


def check_suffixes(suffixes: object) -> list[str]:
    """``suffixes`` if it is a list of suffixes (three lower-case hex digits each).

    :raises ConstraintError: 400 otherwise
    """
    if not isinstance(suffixes, list) or not all(
            isinstance(s, str) and len(s) == 3 and all(c in '0123456789abcdef' for c in s) for s in suffixes):
        raise ConstraintError('suffixes are three lower-case hex digits each')
    return suffixes


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
    if len(hosts) != len(devices):
        raise ValueError(f'X-{kind}-Host and -Device do not match')
    partition = parse_int(headers.get(f'X-{kind}-Partition'), what=f'X-{kind}-Partition',
                          maximum=MAX_PARTITION)
    targets = []
    for host, device in zip(hosts, devices, strict=True):
        address, _, port = host.rpartition(':')
        address = address.strip('[]')
        if not address or any(ord(c) <= 32 or ord(c) >= 127 for c in address):
            raise ValueError(f'bad X-{kind}-Host {host[:60]!r}')
        port_number = parse_int(port, what=f'X-{kind}-Host port', minimum=1, maximum=65535)
        targets.append(UpdateTarget(address, port_number, check_device(device), partition))
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

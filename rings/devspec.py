"""Parsing of the CLI's device strings and search values. Pure.

A device string, as ``swift-ring-builder add`` takes it::

    r1z1-127.0.0.1:6200R127.0.0.1:6400/sdb1_some meta

A search value has the same parts, each optional, behind an id::

    d3r1z2-10.0.0.5:6200/sdb1
"""

import re
from typing import Final

from rings.errors import RingBuilderError

_HOST: Final = r'\[[^\]]+\]|[^:/\[\]R_\s]+'
_DEVICE_RE: Final = re.compile(
    rf'^(?:r(?P<region>\d+))?z(?P<zone>\d+)-(?P<ip>{_HOST}):(?P<port>\d+)'
    rf'(?:R(?P<replication_ip>{_HOST}):(?P<replication_port>\d+))?'
    r'/(?P<device>[^_/\s]+)(?:_(?P<meta>.*))?$')
_SEARCH_RE: Final = re.compile(
    r'^(?:d(?P<id>\d+))?(?:r(?P<region>\d+))?(?:z(?P<zone>\d+))?'
    rf'(?:-(?P<ip>{_HOST}))?(?::(?P<port>\d+))?'
    rf'(?:R(?P<replication_ip>{_HOST}))?(?::(?P<replication_port>\d+))?'
    r'(?:/(?P<device>[^_/\s]+))?(?:_(?P<meta>.*))?$')
_CHANGE_RE: Final = re.compile(
    rf'^(?P<ip>{_HOST})?(?::(?P<port>\d+))?'
    rf'(?:R(?P<replication_ip>{_HOST}))?(?::(?P<replication_port>\d+))?'
    r'(?:/(?P<device>[^_/\s]+))?(?:_(?P<meta>.*))?$')
_INT_FIELDS: Final = ('id', 'region', 'zone', 'port', 'replication_port')


def _unbracket(host: str) -> str:
    return host[1:-1] if host.startswith('[') and host.endswith(']') else host


def _typed(match: re.Match[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in match.groupdict().items():
        if value is None:
            continue
        if key in _INT_FIELDS:
            out[key] = int(value)
        elif key in ('ip', 'replication_ip'):
            out[key] = _unbracket(value)
        else:
            out[key] = value
    return out


def parse_device(text: str) -> dict[str, object]:
    """Parse ``r1z1-ip:port[Rrip:rport]/device[_meta]`` (region defaults to 1).

    >>> parse_device('r1z2-[::1]:6200/sdb_fast')['ip']
    '::1'

    :raises RingBuilderError: if ``text`` is not of that form
    """
    match = _DEVICE_RE.match(text)
    if not match:
        raise RingBuilderError(f'bad device string {text!r}; expected r<region>z<zone>-<ip>:<port>/<device>')
    dev = _typed(match)
    dev.setdefault('region', 1)
    return dev


def parse_search(text: str) -> dict[str, object]:
    """Parse a search value into field criteria.

    >>> parse_search('d3z2-10.0.0.5')
    {'id': 3, 'zone': 2, 'ip': '10.0.0.5'}

    :raises RingBuilderError: if ``text`` is empty or not of that form
    """
    match = _SEARCH_RE.match(text)
    criteria = _typed(match) if match else {}
    if not criteria:
        raise RingBuilderError(f'bad search value {text!r}; expected e.g. d3r1z2-10.0.0.5:6200/sdb1')
    return criteria


def parse_change(text: str) -> dict[str, object]:
    """Parse a ``set_info`` change: ``<ip>:<port>/<device>_<meta>``, each part optional.

    >>> parse_change(':6201/sdc')
    {'port': 6201, 'device': 'sdc'}

    :raises RingBuilderError: if nothing would change or the form is wrong
    """
    match = _CHANGE_RE.match(text)
    change = _typed(match) if match else {}
    if not change:
        raise RingBuilderError(f'bad change {text!r}; expected <ip>:<port>/<device>_<meta>')
    return change


def parse_weight(text: str) -> float:
    """A weight: a finite number >= 0.

    :raises RingBuilderError: otherwise
    """
    try:
        weight = float(text)
    except ValueError:
        weight = -1.0
    if not 0 <= weight < float('inf'):
        raise RingBuilderError(f'bad weight {text!r}; expected a number >= 0')
    return weight

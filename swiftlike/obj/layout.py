"""Where objects live on a device and how a hash directory's files are
read. Pure functions of names and file lists; no I/O.

``<device>/objects/<partition>/<suffix>/<hash>/<timestamp>.data|.ts|.meta``
where ``hash`` is the hex md5 of the object's path (with the cluster's
prefix and suffix) and ``suffix`` its last three hex digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from rings import hash_path
from swiftlike.common.exceptions import DiskFileDeletedError, DiskFileExpiredError, DiskFileNotExistError
from swiftlike.common.numbers import is_int
from swiftlike.common.timestamp import Timestamp

DATA: Final = '.data'
TOMBSTONE: Final = '.ts'
META: Final = '.meta'
EXTENSIONS: Final = (DATA, TOMBSTONE, META)


#: Request headers kept with an object besides user metadata and sysmeta, which a POST
#: replaces as it does user metadata (Swift's default ``allowed_headers``).
POSTED: Final = ('Cache-Control', 'Content-Disposition', 'Content-Encoding', 'Content-Language', 'Expires',
                 'X-Delete-At', 'X-Object-Manifest', 'X-Robots-Tag')
#: All request headers kept with an object besides user metadata and sysmeta (and Content-Type).
STORED: Final = (*POSTED, 'X-Static-Large-Object')


def object_hash(account: str, container: str, obj: str, *, prefix: bytes, suffix: bytes) -> str:
    """Hex md5 naming an object's hash directory."""
    return hash_path(account, container, obj, prefix=prefix, suffix=suffix).hex()


def file_metadata(meta: Mapping[str, str], path: str) -> dict[str, str]:
    """``meta`` as every object file (.data, .ts, .meta) stores it: with the
    object's ``name`` (``/account/container/object``, which the replicator
    sends the file under) and an X-Timestamp (which names the file).

    >>> file_metadata({'X-Timestamp': '1.00000'}, '/a/c/o')
    {'X-Timestamp': '1.00000', 'name': '/a/c/o'}

    :raises ValueError: if ``meta`` has no X-Timestamp
    """
    if 'X-Timestamp' not in meta:
        raise ValueError(f'metadata of {path} lacks X-Timestamp')
    return {**meta, 'name': path}


def split_name(name: str) -> tuple[str, str, str]:
    """(account, container, object) of a stored ``name``.

    >>> split_name('/a/c/o/with/slashes')
    ('a', 'c', 'o/with/slashes')

    :raises ValueError: if it is not ``/account/container/object``
    """
    parts = name.split('/', 3)
    if len(parts) != 4 or parts[0] or not all(parts[1:]):
        raise ValueError(f'not an object name: {name!r}')
    return parts[1], parts[2], parts[3]


def suffix_of(name_hash: str) -> str:
    """The suffix directory of a hash: its last three hex digits.

    >>> suffix_of('d41d8cd98f00b204e9800998ecf8427e')
    '27e'
    """
    return name_hash[-3:]


@dataclass(frozen=True, slots=True)
class HashDirState:
    """What a hash directory's file names say."""

    data: str | None = None          #: newest .data file, if it is the newest data/tombstone
    tombstone: str | None = None     #: newest .ts file, if it is the newest data/tombstone
    meta: str | None = None          #: newest .meta newer than the data file
    obsolete: tuple[str, ...] = ()   #: files superseded by newer ones

    @property
    def timestamp(self) -> Timestamp | None:
        """Timestamp of the newest data or tombstone."""
        name = self.data or self.tombstone
        return file_timestamp(name) if name else None


def live_data(state: HashDirState) -> str:
    """The data file of a live object.

    :raises DiskFileDeletedError: if a tombstone is newest
    :raises DiskFileNotExistError: if there is no data
    """
    if state.tombstone:
        raise DiskFileDeletedError(state.timestamp)
    if not state.data:
        raise DiskFileNotExistError()
    return state.data


def check_delete_at(meta: dict[str, str], now: float) -> None:
    """:raises DiskFileExpiredError: if the object's X-Delete-At has passed"""
    delete_at = meta.get('X-Delete-At')
    if delete_at and is_int(delete_at) and int(delete_at) <= now:
        raise DiskFileExpiredError(Timestamp(meta['X-Timestamp']), meta)


def file_timestamp(name: str) -> Timestamp:
    """The timestamp a file is named by.

    :raises ValueError: if the name is not ``<timestamp>.<ext>``
    """
    stem, dot, ext = name.rpartition('.')
    if not dot or '.' + ext not in EXTENSIONS:
        raise ValueError(f'not an object file: {name!r}')
    return Timestamp(stem)


def read_state(names: list[str]) -> HashDirState:
    """Classify a hash directory's files, newest first.

    The newest .data or .ts wins; a .meta counts only if newer than a
    winning .data; everything older (and unknown names) is obsolete.

    >>> read_state(['1.00000.data', '2.00000.meta', '0.50000.ts']).meta
    '2.00000.meta'
    """
    dated = []
    obsolete = []
    for name in names:
        try:
            dated.append((file_timestamp(name), name))
        except ValueError:
            obsolete.append(name)
    dated.sort(reverse=True)
    data = tombstone = meta = None
    for _, name in dated:
        if data or tombstone:
            obsolete.append(name)
        elif name.endswith(META):
            if meta:
                obsolete.append(name)
            else:
                meta = name
        elif name.endswith(DATA):
            data = name
        else:
            tombstone = name
    if meta and not data:
        obsolete.append(meta)
        meta = None
    return HashDirState(data, tombstone, meta, tuple(sorted(obsolete)))

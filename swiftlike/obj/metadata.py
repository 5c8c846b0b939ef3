"""Object metadata on disk: JSON (never pickle) in one xattr when it fits,
otherwise appended to the file after the body, with a small xattr pointing
at it.

ext4 fits all of a file's xattrs into one 4 KiB block, and full-size user
metadata (4 KiB of it, plus system keys) does not fit there. So metadata
up to ``XATTR_BUDGET`` bytes goes in ``user.swiftlike.meta`` as
``{...}``; larger metadata (or any that the filesystem refuses with E2BIG
or ENOSPC) is written as a trailer after the body and the xattr holds
``@<offset>``, where the trailer starts (the body's length).
"""

from __future__ import annotations

import errno
import json
import os
from typing import Final

import xattr

from swiftlike.common.exceptions import DeviceUnavailableError, DiskFileNoSpaceError
from swiftlike.common.numbers import NumberError, parse_int

XATTR_KEY: Final = 'user.swiftlike.meta'
#: Largest metadata kept in the xattr itself; ext4 leaves ~4 KiB for all xattrs.
XATTR_BUDGET: Final = 2048


class MetadataError(ValueError):
    """Metadata on disk is missing or unreadable (the file is corrupt)."""


def encode(metadata: dict[str, str]) -> bytes:
    """Serialize metadata."""
    return json.dumps(metadata, ensure_ascii=False, separators=(',', ':'),
                      sort_keys=True).encode('utf-8', 'surrogatepass')


def _set(fd: int, value: bytes) -> None:
    xattr.setxattr(fd, XATTR_KEY, value)


def write(fd: int, metadata: dict[str, str], body_length: int) -> None:
    """Attach ``metadata`` to the open file ``fd`` whose body is
    ``body_length`` bytes long (the file position must be at its end).

    :raises DiskFileNoSpaceError: the device is full
    :raises DeviceUnavailableError: the filesystem refused the xattr
    """
    data = encode(metadata)
    try:
        if len(data) <= XATTR_BUDGET:
            try:
                _set(fd, data)
                return
            except OSError as err:
                if err.errno not in (errno.E2BIG, errno.ENOSPC, errno.ERANGE):
                    raise
        os.pwrite(fd, data, body_length)
        _set(fd, b'@%d' % body_length)
    except OSError as err:
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFileNoSpaceError(str(err)) from err
        raise DeviceUnavailableError(f'cannot write metadata: {err}') from err


def read(fd: int) -> tuple[dict[str, str], int]:
    """Read metadata of the open file ``fd``.

    :returns: (metadata, body length)
    :raises MetadataError: if it is missing or corrupt
    """
    try:
        raw = xattr.getxattr(fd, XATTR_KEY)
    except OSError as err:
        if err.errno in (errno.ENODATA, errno.ENOENT):
            raise MetadataError('no metadata') from err
        raise
    size = os.fstat(fd).st_size
    if raw.startswith(b'@'):
        try:
            body_length = parse_int(raw[1:], what='metadata pointer', maximum=size)
        except NumberError as err:
            raise MetadataError(str(err)) from err
        raw = os.pread(fd, size - body_length, body_length)
    else:
        body_length = size
    try:
        metadata = json.loads(raw.decode('utf-8', 'surrogatepass'))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise MetadataError(f'corrupt metadata: {err}') from err
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise MetadataError('metadata is not a map of strings')
    return metadata, body_length

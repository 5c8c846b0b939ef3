"""Ring and builder files: gzip of a magic, a version, a JSON header and
packed little-endian integer arrays. No pickle. Writes are atomic
(temp file + fsync + rename + directory fsync).

Layout of the uncompressed stream::

    magic (8 bytes) | version (uint16 BE) | header length (uint32 BE)
    | header (UTF-8 JSON) | array 0 bytes | array 1 bytes | ...

The header lists the arrays as ``{"typecode": "H", "length": n}``.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import sys
import tempfile
import zlib
from array import array
from pathlib import Path
from typing import Final

from rings.errors import RingFileError

RING_MAGIC: Final = b'SLKRING\n'
BUILDER_MAGIC: Final = b'SLKBLDR\n'
FORMAT_VERSION: Final = 1
_PREFIX: Final = struct.Struct('>8sHI')
_ITEM_TYPES: Final = ('B', 'H', 'I', 'Q')


def field_int(header: dict[str, object], key: str) -> int:
    """``header[key]`` as an int.

    :raises KeyError: if missing
    :raises ValueError: if not a number
    """
    value = header[key]
    if not isinstance(value, int | float | str) or isinstance(value, bool):
        raise ValueError(f'{key} is not a number')
    return int(value)


def field_float(header: dict[str, object], key: str) -> float:
    """``header[key]`` as a float (see :func:`field_int`)."""
    value = header[key]
    if not isinstance(value, int | float | str) or isinstance(value, bool):
        raise ValueError(f'{key} is not a number')
    return float(value)


def field_list(header: dict[str, object], key: str) -> list[object]:
    """``header[key]`` as a list.

    :raises ValueError: if it is not one
    """
    value = header[key]
    if not isinstance(value, list):
        raise ValueError(f'{key} is not a list')
    return value


def smallest_typecode(max_value: int) -> str:
    """The narrowest unsigned array typecode that holds ``max_value``.

    >>> smallest_typecode(65535), smallest_typecode(65536)
    ('H', 'I')
    """
    for code in _ITEM_TYPES:
        if max_value < 1 << (8 * array(code).itemsize):
            return code
    raise ValueError(f'{max_value} does not fit an unsigned 64-bit array')


def _to_le(arr: array[int]) -> bytes:
    if sys.byteorder == 'little':
        return arr.tobytes()
    copy = array(arr.typecode, arr)
    copy.byteswap()
    return copy.tobytes()


def dump(path: str | os.PathLike[str], magic: bytes, header: dict[str, object],
         arrays: list[array[int]]) -> None:
    """Write ``header`` and ``arrays`` to ``path`` atomically.

    :raises OSError: if the file cannot be written; the old file is untouched
    """
    header = dict(header, arrays=[{'typecode': a.typecode, 'length': len(a)} for a in arrays])
    body = json.dumps(header, sort_keys=True).encode('utf-8')
    target = Path(path)
    fd, tmp = tempfile.mkstemp(dir=target.parent or '.', prefix='.' + target.name + '.')
    try:
        with os.fdopen(fd, 'wb') as raw:
            with gzip.GzipFile(fileobj=raw, mode='wb', mtime=0, compresslevel=6) as gz:
                gz.write(_PREFIX.pack(magic, FORMAT_VERSION, len(body)))
                gz.write(body)
                for arr in arrays:
                    gz.write(_to_le(arr))
            raw.flush()
            os.fsync(raw.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent or '.', os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _read_exact(stream: gzip.GzipFile, size: int, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise RingFileError(f'truncated file: {what} is short')
    return data


def load(path: str | os.PathLike[str], magic: bytes) -> tuple[dict[str, object], list[array[int]]]:
    """Read a file written by :func:`dump`.

    :raises RingFileError: if it is missing, not gzip, not of ``magic``'s
        kind, of an unknown version, or truncated
    """
    kind = 'ring' if magic == RING_MAGIC else 'builder'
    try:
        with gzip.open(path, 'rb') as stream:
            got_magic, version, size = _PREFIX.unpack(_read_exact(stream, _PREFIX.size, 'prefix'))
            if got_magic != magic:
                raise RingFileError(f'{path}: not a {kind} file of this format')
            if version != FORMAT_VERSION:
                raise RingFileError(f'{path}: unsupported {kind} file version {version}')
            header = json.loads(_read_exact(stream, size, 'header'))
            arrays = []
            for spec in header.pop('arrays'):
                arr = array(spec['typecode'])
                arr.frombytes(_read_exact(stream, spec['length'] * arr.itemsize, 'array'))
                if sys.byteorder != 'little':
                    arr.byteswap()
                arrays.append(arr)
            if stream.read(1):
                raise RingFileError(f'{path}: trailing data after the last array')
    except FileNotFoundError as err:
        raise RingFileError(f'{path}: no such file') from err
    except IsADirectoryError as err:
        raise RingFileError(f'{path}: is a directory') from err
    except (gzip.BadGzipFile, EOFError, zlib.error) as err:
        raise RingFileError(f'{path}: not a gzip {kind} file or truncated ({err})') from err
    except (ValueError, KeyError, TypeError) as err:
        if isinstance(err, RingFileError):
            raise
        raise RingFileError(f'{path}: corrupt {kind} header ({err})') from err
    return header, arrays

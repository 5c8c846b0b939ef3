"""Per-block checksums of an object's body: a CRC32C (hardware-accelerated,
from the ``crc32c`` package) of every 64 KiB block, computed while the body
is written and kept in the object's metadata, and checked for every block a
GET reads, whole or ranged. A block that does not match stops the stream:
the caller quarantines the file, and the proxy, seeing the body end short,
reads the rest from another replica. So no corrupt byte reaches a client,
whatever range it asks for (an MD5 of the whole body, which Swift checks
only after sending it, cannot tell a ranged read anything).

Pure: no I/O beyond the reader it is given."""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable, Iterator
from typing import Final

import crc32c

from swiftlike.common.numbers import parse_int

#: Bytes covered by one checksum.
BLOCK_SIZE: Final = 65536
#: Metadata key of the checksums: base64 of big-endian CRC32Cs, one per block (the last may be short).
META_KEY: Final = 'Block-Crc32c'
#: Metadata key of the block size they were computed with.
SIZE_KEY: Final = 'Block-Size'


class CorruptBlockError(Exception):
    """A block's bytes do not match its checksum (or the table does not fit the body)."""


class BlockSummer:
    """Checksums of a body fed in chunks of any size.

    >>> s = BlockSummer(block_size=4)
    >>> for chunk in (b'abc', b'defgh', b'ij'):
    ...     s.update(chunk)
    >>> table = s.table()
    >>> len(table), table == checksums(b'abcdefghij', block_size=4)
    (3, True)
    """

    def __init__(self, block_size: int = BLOCK_SIZE) -> None:
        self.block_size = block_size
        self._sums: list[int] = []
        self._crc = 0
        self._filled = 0

    def update(self, chunk: bytes | memoryview) -> None:
        view = memoryview(chunk)
        while view:
            take = min(len(view), self.block_size - self._filled)
            self._crc = crc32c.crc32c(view[:take], self._crc)
            self._filled += take
            view = view[take:]
            if self._filled == self.block_size:
                self._sums.append(self._crc)
                self._crc, self._filled = 0, 0

    def table(self) -> list[int]:
        """Every block's checksum (the last block's too, if short)."""
        return self._sums + ([self._crc] if self._filled else [])

    def metadata(self) -> dict[str, str]:
        """The metadata keys that record these checksums."""
        packed = struct.pack(f'>{len(self.table())}I', *self.table())
        return {META_KEY: base64.b64encode(packed).decode('ascii'), SIZE_KEY: str(self.block_size)}


def checksums(body: bytes, block_size: int = BLOCK_SIZE) -> list[int]:
    """The checksum table of a whole body."""
    return [crc32c.crc32c(body[i:i + block_size]) for i in range(0, len(body), block_size)]


def table_of(metadata: dict[str, str], length: int) -> tuple[list[int], int] | None:
    """``(checksums, block size)`` recorded in ``metadata``, or None for an
    object stored without them.

    :raises CorruptBlockError: if they are recorded but unreadable or do not fit ``length``
    """
    if META_KEY not in metadata:
        return None
    try:
        size = parse_int(metadata.get(SIZE_KEY), what='block size', minimum=1)
        raw = base64.b64decode(metadata[META_KEY], validate=True)
        table = list(struct.unpack(f'>{len(raw) // 4}I', raw))
    except (ValueError, struct.error) as err:
        raise CorruptBlockError(f'unreadable block checksums: {err}') from None
    if size <= 0 or len(raw) % 4 or len(table) != -(-length // size):
        raise CorruptBlockError(f'{len(table)} block checksums do not fit {length} bytes')
    return table, size


def verified(read: Callable[[int, int], Iterator[bytes]], table: list[int], *, block_size: int,
             length: int, start: int, stop: int) -> Iterator[bytes]:
    """Bytes ``[start, stop)`` of a body of ``length`` bytes, read with
    ``read(first, last)`` a whole block at a time and each block checked
    before any byte of it is yielded.

    >>> body = b'0123456789'
    >>> read = lambda a, b: iter([body[a:b]])
    >>> b''.join(verified(read, checksums(body, 4), block_size=4, length=10, start=3, stop=9))
    b'345678'

    :raises CorruptBlockError: at the first block that does not match
    """
    first = start // block_size
    for index in range(first, -(-stop // block_size)):
        offset = index * block_size
        block = b''.join(read(offset, min(offset + block_size, length)))
        if crc32c.crc32c(block) != table[index]:
            raise CorruptBlockError(f'block {index} (bytes {offset}-{offset + len(block) - 1}) is corrupt')
        yield block[max(start - offset, 0):stop - offset]

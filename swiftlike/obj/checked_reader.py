"""An object reader whose every block is checked against the checksums
stored with it (see swiftlike.obj.blocks) before a byte of it is served.
At the first corrupt block the object is quarantined, so the replicator
restores it, and the body stops: the HTTP layer cuts the connection short
and the proxy reads the rest from another replica."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

from swiftlike.common.timestamp import Timestamp
from swiftlike.obj import blocks
from swiftlike.obj.diskfile import ObjectReader

logger = logging.getLogger(__name__)


class CorruptBodyError(IOError):
    """The body being served turned out corrupt; it is cut short here."""


class CheckedReader:
    """An :class:`ObjectReader` that checks blocks (objects stored without
    checksums, by older versions, are read unchecked)."""

    def __init__(self, reader: ObjectReader, quarantine: Callable[[], None], name: str) -> None:
        self._reader = reader
        self._quarantine = quarantine
        self._name = name
        self.metadata: dict[str, str] = reader.metadata
        self.data_timestamp: Timestamp = reader.data_timestamp
        self.content_length: int = reader.content_length
        self._table = blocks.table_of(reader.metadata, reader.content_length)

    def iter_range(self, start: int, stop: int, chunk_size: int = 65536) -> Iterator[bytes]:
        """Bytes ``[start, stop)``, each block checked.

        :raises CorruptBodyError: at the first corrupt block (the object is quarantined)
        """
        if self._table is None:
            yield from self._reader.iter_range(start, stop, chunk_size)
            return
        table, size = self._table
        try:
            yield from blocks.verified(self._reader.iter_range, table, block_size=size,
                                       length=self.content_length, start=start, stop=stop)
        except blocks.CorruptBlockError as err:
            self.corrupt(err)
            raise CorruptBodyError(f'{self._name}: {err}') from None

    def corrupt(self, err: Exception) -> None:
        """Quarantine the object (once its file is closed)."""
        logger.error('%s: %s; quarantined, the body is cut short', self._name, err)
        self._reader.close()
        self._quarantine()

    def close(self) -> None:
        self._reader.close()

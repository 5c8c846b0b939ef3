"""A streaming reader of ``multipart/form-data`` bodies (RFC 7578, 2046):
parts one after the other, each part's content read in chunks, so a file
of any size passes through in bounded memory. Pure: reads through a
``read(size) -> bytes`` callable, knows nothing of WSGI or webob.

Every malformed body (no opening boundary, a header block too long or
without its blank line, a body that ends inside a part) raises
:class:`MultipartError` (a ValueError), never anything else.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

#: RFC 2046 boundary characters (1 to 70 of them, not ending in a space).
_BOUNDARY: Final = re.compile(r"[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]\Z", re.ASCII)
_PARAM: Final = re.compile(r';\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
MAX_HEADER_BLOCK: Final = 8192
MAX_PREAMBLE: Final = 65536


class MultipartError(ValueError):
    """The body is not well-formed multipart."""


def parse_header_params(value: str) -> tuple[str, dict[str, str]]:
    """A header like Content-Type or Content-Disposition: its lower-case
    value and its parameters (quoted strings unquoted).

    >>> parse_header_params('form-data; name="f"; filename="a \\\\"b\\\\".txt"')
    ('form-data', {'name': 'f', 'filename': 'a "b".txt'})
    >>> parse_header_params('multipart/form-data; boundary=xyz')
    ('multipart/form-data', {'boundary': 'xyz'})
    """
    main, _, rest = value.partition(';')
    params: dict[str, str] = {}
    for name, raw in _PARAM.findall(';' + rest):
        if raw.startswith('"'):
            raw = re.sub(r'\\(.)', r'\1', raw[1:-1])
        params.setdefault(name.lower(), raw)
    return main.strip().lower(), params


def check_boundary(boundary: str) -> bytes:
    """The boundary as bytes.

    :raises MultipartError: if it is not 1 to 70 RFC 2046 characters
    """
    if not _BOUNDARY.match(boundary):
        raise MultipartError('invalid multipart boundary')
    return boundary.encode('ascii')


class Part:
    """One part: its headers (names lower-case, values latin-1 text) and its
    content, read with :meth:`read` until it returns b''."""

    def __init__(self, reader: MultipartReader, headers: dict[str, str]) -> None:
        self.headers = headers
        self._reader = reader
        self.done = False

    def read(self, size: int = 65536) -> bytes:
        """Up to ``size`` bytes of the content (b'' at its end).

        :raises MultipartError: if the body ends inside this part
        """
        if self.done:
            return b''
        data, self.done = self._reader.content(max(1, size))
        return data

    def read_all(self, limit: int) -> bytes | None:
        """The whole content, or None if it is longer than ``limit`` bytes
        (the rest of it is then skipped)."""
        data = b''
        while len(data) <= limit:
            chunk = self.read(limit + 1 - len(data))
            if not chunk:
                return data
            data += chunk
        self.skip()
        return None

    def skip(self) -> None:
        """Read past the rest of the content."""
        while self.read():
            pass


class MultipartReader:
    """Yields the parts of a multipart body read through ``read``."""

    def __init__(self, read: Callable[[int], bytes], boundary: str, *, chunk_size: int = 65536) -> None:
        self._read = read
        self._delimiter = b'\r\n--' + check_boundary(boundary)
        self._buffer = b'\r\n'          # so the first boundary line looks like every other
        self._eof = False
        self._chunk = chunk_size

    def _fill(self, wanted: int) -> bool:
        """Read until the buffer holds ``wanted`` bytes; False if the body ends first."""
        while len(self._buffer) < wanted and not self._eof:
            chunk = self._read(self._chunk)
            if not chunk:
                self._eof = True
            self._buffer += chunk
        return len(self._buffer) >= wanted

    def parts(self) -> Iterator[Part]:
        """The parts in order; each is skipped if not read to its end before the next.

        :raises MultipartError: for a malformed body
        """
        self._skip_preamble()
        while self._after_delimiter():
            part = Part(self, self._headers())
            yield part
            part.skip()

    def _skip_preamble(self) -> None:
        while True:
            found = self._buffer.find(self._delimiter)
            if found >= 0:
                self._buffer = self._buffer[found + len(self._delimiter):]
                return
            if len(self._buffer) > MAX_PREAMBLE or not self._fill(len(self._buffer) + 1):
                raise MultipartError('no opening multipart boundary')

    def _after_delimiter(self) -> bool:
        """After a boundary: True if a part follows, False after the closing one."""
        if not self._fill(2):
            raise MultipartError('body ends after a boundary')
        if self._buffer.startswith(b'--'):
            return False
        while True:
            line_end = self._buffer.find(b'\r\n')
            if line_end >= 0:
                break
            if len(self._buffer) > 1024 or not self._fill(len(self._buffer) + 1):
                raise MultipartError('boundary line does not end')
        if self._buffer[:line_end].strip(b' \t'):
            raise MultipartError('garbage after a boundary')
        self._buffer = self._buffer[line_end + 2:]
        return True

    def _headers(self) -> dict[str, str]:
        while True:
            end = b'\r\n' if self._buffer.startswith(b'\r\n') else None
            found = 0 if end else self._buffer.find(b'\r\n\r\n')
            if found >= 0:
                break
            if len(self._buffer) > MAX_HEADER_BLOCK or not self._fill(len(self._buffer) + 1):
                raise MultipartError('part headers too long or not ended')
        block, self._buffer = self._buffer[:found], self._buffer[found + (2 if end else 4):]
        headers: dict[str, str] = {}
        for line in block.split(b'\r\n') if block else ():
            name, sep, value = line.decode('latin-1').partition(':')
            if not sep or not name.strip():
                raise MultipartError('malformed part header')
            headers[name.strip().lower()] = value.strip()
        return headers

    def content(self, size: int) -> tuple[bytes, bool]:
        """Up to ``size`` bytes of the current part, and whether it has ended."""
        keep = len(self._delimiter) - 1
        while True:
            found = self._buffer.find(self._delimiter)
            if found >= 0:
                data = self._buffer[:min(found, size)]
                if len(data) == found:
                    self._buffer = self._buffer[found + len(self._delimiter):]
                    return data, True
                self._buffer = self._buffer[len(data):]
                return data, False
            if len(self._buffer) - keep >= min(size, self._chunk) or (self._eof and self._buffer):
                if self._eof:
                    raise MultipartError('body ends inside a part')
                data = self._buffer[:min(size, len(self._buffer) - keep)]
                self._buffer = self._buffer[len(data):]
                return data, False
            if not self._fill(len(self._buffer) + 1):
                raise MultipartError('body ends inside a part')

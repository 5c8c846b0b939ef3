"""``PUT /v1/<account>[/<container>[/<prefix>]]?extract-archive=tar|tar.gz|tar.bz2``:
every regular file of the (streamed, never stored whole) archive becomes an
object, PUT through the rest of the pipeline as the client. Under an account
alone, an entry's first path segment is its container (created as needed, at
most ``max_containers`` of them). Directories, links and devices are
skipped. An entry with an absolute path, a ``..`` segment, invalid UTF-8 or
NUL is refused and reported (never written elsewhere); extraction stops
after ``max_failed`` failures, or at the first 401.
"""

from __future__ import annotations

import tarfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Final, Literal, Protocol
from urllib.parse import quote

from webob import Response

from swiftlike.common.bulk_response import BulkResult

#: ``?extract-archive=`` values and tarfile's stream modes for them.
Mode = Literal['r|', 'r|gz', 'r|bz2']
MODES: Final[dict[str, Mode]] = {'tar': 'r|', 'tar.gz': 'r|gz', 'tar.bz2': 'r|bz2'}
#: Errors a broken or hostile archive raises while it is read.
ARCHIVE_ERRORS: Final = (tarfile.TarError, EOFError, zlib.error, ValueError, OSError)



class Body(Protocol):
    """A sub-request's body."""

    def read(self, size: int = -1) -> bytes: ...


#: ``send(method, path, body, length)``: a sub-request as the client; ``path`` is text below /v1.
Send = Callable[[str, str, Body | None, int | None], Response]


@dataclass(frozen=True)
class Limits:
    """How much one extraction may do."""

    max_containers: int
    max_failed: int


class _RefusedError(Exception):
    """An entry that is not extracted; ``args[0]`` is its status."""


class _MemberBody:
    """An entry's bytes as a PUT body: a broken archive fails the read
    with OSError (which the proxy answers as a client disconnect)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        try:
            return self.stream.read(size)
        except (tarfile.TarError, EOFError, zlib.error) as err:
            raise OSError(f'archive unreadable: {err}') from err


def entry_path(name: str, base: str) -> str:
    """Where an entry goes: ``<account path>/<base>/<name>`` (text, after the account).

    >>> entry_path('./a/b.txt', 'c/pre'), entry_path('c2/x', '')
    ('c/pre/a/b.txt', 'c2/x')

    :raises _RefusedError: absolute, ``..``, NUL, invalid UTF-8, or no object name
    """
    if name.startswith('/'):
        raise _RefusedError('400 Bad Request')
    while name.startswith('./'):
        name = name[2:]
    segments = name.split('/')
    if '..' in segments:
        raise _RefusedError('400 Bad Request')
    if '\x00' in name:
        raise _RefusedError('412 Precondition Failed')
    try:
        name.encode('utf-8')
    except UnicodeEncodeError:
        raise _RefusedError('412 Precondition Failed') from None
    path = f'{base}/{name}' if base else name
    container, _, obj = path.partition('/')
    if not container or not obj or container == '.':
        raise _RefusedError('400 Bad Request')
    return path


class Extraction:
    """One archive's extraction into an account."""

    def __init__(self, send: Send, limits: Limits) -> None:
        self.send = send
        self.limits = limits
        self.result = BulkResult({'Number Files Created': 0}, '201 Created')
        self.containers: set[str] = set()
        self.created = 0

    def run(self, body: IO[bytes], mode: Mode, base: str) -> BulkResult:
        """Extract every entry of ``body`` below ``base`` (``[<container>[/<prefix>]]``)."""
        try:
            with tarfile.open(mode=mode, fileobj=body) as tar:
                for member in tar:
                    if member.isfile() and not self._one(tar, member, base):
                        break
        except ARCHIVE_ERRORS as err:
            self.result.status, self.result.body = '400 Bad Request', f'Invalid Tar File: {err}'
            return self.result
        if self.result.errors and self.result.status == '201 Created':
            failed_5xx = any(status.startswith('5') for _, status in self.result.errors)
            self.result.status = '502 Bad Gateway' if failed_5xx else '400 Bad Request'
        elif not self.result.errors and not self.result.counts['Number Files Created'] \
                and self.result.status == '201 Created':
            self.result.status, self.result.body = '400 Bad Request', 'Invalid Tar File: No Valid Files'
        return self.result

    def _one(self, tar: tarfile.TarFile, member: tarfile.TarInfo, base: str) -> bool:
        """Extract one entry; False to stop."""
        try:
            path = entry_path(member.name, base)
        except _RefusedError as err:
            return self._failed(member.name, str(err.args[0]))
        resp = self._container(path.partition('/')[0])
        if self.result.status != '201 Created':
            return False
        if resp is None:
            stream = tar.extractfile(member)
            resp = self.send('PUT', path, _MemberBody(stream) if stream else None, member.size)
            if resp.status_int // 100 == 2:
                self.result.counts['Number Files Created'] += 1
                return True
        if resp.status_int == 401:
            self.result.status = resp.status
        return self._failed(path, resp.status) and resp.status_int != 401

    def _container(self, container: str) -> Response | None:
        """Create ``container`` unless it exists (at most ``max_containers``):
        None, or the answer that refused it."""
        if container in self.containers:
            return None
        if self.send('HEAD', container, None, None).status_int // 100 != 2:
            if self.created >= self.limits.max_containers:
                self.result.status = '400 Bad Request'
                self.result.body = f'More than {self.limits.max_containers} containers to create from tar.'
                return None
            resp = self.send('PUT', container, None, 0)
            if resp.status_int // 100 != 2:
                return resp
            self.created += 1
        self.containers.add(container)
        return None

    def _failed(self, name: str, status: str) -> bool:
        """Note a failure; False once there are ``max_failed`` of them."""
        self.result.errors.append([quote(name.encode('utf-8', 'surrogateescape'), safe='/'), status])
        return len(self.result.errors) < self.limits.max_failed

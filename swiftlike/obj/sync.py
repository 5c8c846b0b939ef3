"""Object replication over HTTP, between object servers.

The replicator asks a peer for its suffix hashes (``REPLICATE
/<dev>/<part>[/<suffix>-...]``), for the file names of the suffixes that
differ (``REPLICATE`` with a JSON body ``{"op": "list", "suffixes": [...]}``)
and pushes each file the peer lacks with ``SYNC /<dev>/<part>/<a>/<c>/<o>``:

* ``X-Backend-Sync-Kind``: ``data``, ``ts`` (tombstone) or ``meta``;
* ``X-Backend-Sync-Meta-Length``: the body starts with that many bytes of
  the file's metadata (JSON), followed by the object's bytes (data only).

Every object file stores the object's ``name`` and X-Timestamp (see
layout.file_metadata); for files written before that, the sender derives
them (:func:`sendable_meta`) or skips the file, counted as an error.

The receiver writes through its DiskFile like any PUT (temp file, fsync,
rename), checks the body against the metadata's ETag and answers 409 when it
already has the file or something newer. Only the kinds of file an object
server writes can be pushed, under names it checks, so nothing escapes the
device directory.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Final
from urllib.parse import quote

from rings import Device
from swiftlike.common.http_client import Client
from swiftlike.obj import blocks, layout, metadata

KINDS: Final = {'.data': 'data', '.ts': 'ts', '.meta': 'meta'}
CHUNK: Final = 65536
#: Most bytes of metadata a SYNC may carry.
MAX_META: Final = 65536


class SyncError(Exception):
    """A peer could not be reached (status 0) or answered badly."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


def parse_meta(raw: bytes, path: str) -> dict[str, str]:
    """The metadata at the start of a SYNC body.

    :raises ValueError: if it is not a map of strings naming ``path`` with an X-Timestamp
    """
    meta = json.loads(raw.decode('utf-8', 'surrogatepass'))
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise ValueError('metadata must be a JSON map of strings')
    if meta.get('name') != path:
        raise ValueError('metadata names another object')
    if 'X-Timestamp' not in meta:
        raise ValueError('metadata lacks X-Timestamp')
    return meta


class UnsendableError(ValueError):
    """A file cannot be pushed: its metadata lacks what SYNC needs and it cannot be derived."""


def sendable_meta(path: Path, meta: dict[str, str], *, hash_prefix: bytes,
                  hash_suffix: bytes) -> dict[str, str]:
    """The metadata to push the object file at ``path`` with: its own,
    completed where it lacks what SYNC needs (files written before every
    object file carried them): X-Timestamp from the file's name, and
    ``name`` from another file of the same hash directory, if that name
    hashes to this directory.

    :raises UnsendableError: if no name can be found
    """
    meta = dict(meta)
    meta.setdefault('X-Timestamp', layout.file_timestamp(path.name).internal)
    if 'name' not in meta:
        name = _sibling_name(path, hash_prefix=hash_prefix, hash_suffix=hash_suffix)
        if name is None:
            raise UnsendableError('its metadata names no object, nor does another file of its directory')
        meta['name'] = name
    return meta


def _sibling_name(path: Path, *, hash_prefix: bytes, hash_suffix: bytes) -> str | None:
    """The object name another file of ``path``'s hash directory stores, if it hashes there."""
    for sibling in sorted(path.parent.iterdir()):
        if sibling == path or sibling.suffix not in KINDS:
            continue
        try:
            fd = os.open(sibling, os.O_RDONLY)
        except FileNotFoundError:
            continue
        try:
            name = metadata.read(fd)[0].get('name', '')
        except metadata.MetadataError:
            continue
        finally:
            os.close(fd)
        try:
            parts = layout.split_name(name)
        except ValueError:
            continue
        if layout.object_hash(*parts, prefix=hash_prefix, suffix=hash_suffix) == path.parent.name:
            return name
    return None


class SyncClient:
    """Talks to one peer object server (on kept-alive connections)."""

    def __init__(self, node: Device, *, conn_timeout: float, node_timeout: float) -> None:
        self.node = node
        self.client = Client(conn_timeout=conn_timeout, node_timeout=node_timeout)

    def _request(self, method: str, path: str, headers: dict[str, str],
                 body: bytes | Iterator[bytes] = b'') -> tuple[int, bytes]:
        """Status and body of the peer's answer; one it gave before taking the
        whole body (a 409 for a file it has, then a hang-up) is that answer.

        :raises SyncError: if there is no answer
        """
        try:
            answer = self.client.request(self.node.ip, self.node.port, method,
                                         quote(f'/{self.node.device}{path}'), headers=headers, body=body)
        except Exception as err:
            raise SyncError(f'{self.node.ip}:{self.node.port}/{self.node.device}: {err!r}') from err
        return answer.status, answer.body

    def _json(self, path: str, body: bytes = b'') -> dict[str, object]:
        status, data = self._request('REPLICATE', path, {'Content-Length': str(len(body))}, body)
        if status != 200:
            raise SyncError(f'REPLICATE {self.node.device}{path}: {status}', status)
        try:
            result = json.loads(data)
        except ValueError:
            result = None
        if not isinstance(result, dict):
            raise SyncError(f'REPLICATE {self.node.device}{path} answered no JSON map', status)
        return result

    def hashes(self, part: int, suffixes: list[str] | None = None) -> dict[str, str]:
        """The peer's suffix hashes of ``part``, recalculating ``suffixes``."""
        path = f'/{part}' + (f'/{"-".join(suffixes)}' if suffixes else '')
        return {str(k): str(v) for k, v in self._json(path).items()}

    def files(self, part: int, suffixes: list[str]) -> dict[str, list[str]]:
        """The peer's file names by hash directory, in ``suffixes`` of ``part``."""
        body = json.dumps({'op': 'list', 'suffixes': suffixes}).encode()
        return {str(k): [str(n) for n in v] for k, v in self._json(f'/{part}', body).items()
                if isinstance(v, list)}

    def push(self, part: int, file_path: os.PathLike[str] | str, kind: str,
             meta: dict[str, str], body_length: int) -> int:
        """SYNC one file to the peer; its status (201, or 409 if it has it or newer).
        Block checksums stay behind: the peer computes its own as it writes (and a
        large object's would not fit the metadata a SYNC may carry)."""
        meta = {k: v for k, v in meta.items() if k not in (blocks.META_KEY, blocks.SIZE_KEY)}
        raw = json.dumps(meta, ensure_ascii=False).encode('utf-8', 'surrogatepass')
        headers = {'X-Backend-Sync-Kind': kind, 'X-Backend-Sync-Meta-Length': str(len(raw)),
                   'Content-Length': str(len(raw) + body_length), 'X-Timestamp': meta['X-Timestamp'],
                   'Content-Type': 'application/octet-stream'}
        status, _ = self._request('SYNC', f'/{part}/{meta["name"].lstrip("/")}', headers,
                                  _file_body(raw, file_path, body_length))
        return status


def _file_body(meta: bytes, file_path: os.PathLike[str] | str, body_length: int) -> Iterator[bytes]:
    yield meta
    if not body_length:
        return
    with open(file_path, 'rb') as fh:
        remaining = body_length
        while remaining > 0:
            chunk = fh.read(min(CHUNK, remaining))
            if not chunk:
                raise SyncError(f'{file_path} shrank while being sent')
            remaining -= len(chunk)
            yield chunk

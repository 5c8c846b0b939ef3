"""Hostile values and a raw HTTP client for the fuzz, denial and probe tests.

The client writes the request bytes itself (``http.client`` refuses some of
the values we want to send, such as raw non-ASCII header bytes), so what the
servers see is exactly what a hostile client would send. Nothing here knows
the product's internals except the public HTTP interface.
"""

from __future__ import annotations

import hashlib
import http.client
import random
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as ET

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

#: A header line a little under the servers' 8 KiB limit (name, ': ' and CRLF included).
HEADER_LIMIT = 8192

#: Values that are not plain whole numbers but look like one to str.isdigit(), int() or float().
NUMBERS: tuple[str, ...] = (
    '²', '³²', '٣', '１', '১', '½', '9' * 100, '-1', '-0', '+5', ' 5', '5 ', '5.0', '1e3', '0x10',
    '', '\x00', '1\x00', '\x01', '\x7f', 'NaN', 'inf', '5_000', '٣٣', '0' * 30 + '1',
)

#: Query-string tokens sent verbatim (already percent-encoded): invalid UTF-8, NUL, a Unicode digit.
RAW_QUERY_VALUES: tuple[str, ...] = ('%ff', '%fe%ff', '%00', '%C2%B2', '%C0%80', '%ED%A0%80', '%', '%zz')

#: Raw header bytes: invalid UTF-8, a UTF-8 Unicode digit, NUL, control characters.
RAW_HEADER_VALUES: tuple[bytes, ...] = (b'\xff\xfe', b'\xc2\xb2', b'\xb2', b'a\x00b', b'\x01\x02', b'\x7f')


def seeded_numbers(seed: int = 10, count: int = 8) -> list[str]:
    """More number-like junk, reproducible: digits of many scripts, signs,
    spaces and dots mixed."""
    rng = random.Random(seed)
    alphabet = '0123456789²³¹٠١٢٣٤٥٦٧٨٩０１２３４５６７８９०१२३-+. _eE\x00\t'
    return [''.join(rng.choice(alphabet) for _ in range(rng.randint(1, 6))) for _ in range(count)]


def long_value(name: str, char: str = 'a') -> str:
    """A value that makes ``name: value`` just fit under the header limit."""
    return char * (HEADER_LIMIT - len(name) - 4 - 200)


def qv(value: str) -> str:
    """A query value: percent-encoded UTF-8 of ``value``."""
    return quote(value.encode('utf-8'), safe='')


def header_bytes(value: str | bytes) -> bytes:
    """A header value as a client sends it: latin-1 where it fits (so '²'
    reaches the server as '²'), else UTF-8."""
    if isinstance(value, bytes):
        return value
    try:
        return value.encode('latin-1')
    except UnicodeEncodeError:
        return value.encode('utf-8')


Headers = Sequence[tuple[str | bytes, str | bytes]]


@dataclass
class Answer:
    status: int               # 0: no answer (the reason is in ``error``)
    headers: dict[str, str]
    body: bytes
    error: str = ''


def send(port: int, method: str, target: str | bytes, headers: Headers = (), body: bytes = b'', *,
         length: bool = True, timeout: float = 15.0, close_write: bool = True) -> Answer:
    """One request on a fresh connection to 127.0.0.1:``port``, written byte
    for byte. ``length`` adds a Content-Length of the body unless one is given;
    ``close_write`` half-closes the connection after sending, so a server
    waiting for more body sees the end at once instead of a stall. A header
    with an empty name is written as its value alone (a line without a colon)."""
    lines = [method.encode('latin-1') + b' ' + header_bytes(target) + b' HTTP/1.1']
    names = {header_bytes(k).lower() for k, _ in headers}
    if b'host' not in names:
        lines.append(b'Host: 127.0.0.1:' + str(port).encode())
    lines.append(b'Connection: close')
    if length and b'content-length' not in names and b'transfer-encoding' not in names:
        lines.append(b'Content-Length: ' + str(len(body)).encode())
    lines += [header_bytes(k) + b': ' + header_bytes(v) if k else header_bytes(v) for k, v in headers]
    raw = b'\r\n'.join(lines) + b'\r\n\r\n' + body
    try:
        sock = socket.create_connection(('127.0.0.1', port), timeout=timeout)
    except OSError as err:
        return Answer(0, {}, b'', f'connect: {err}')
    try:
        try:
            sock.sendall(raw)
            if close_write:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass                 # the server may answer and close before reading everything
        resp = http.client.HTTPResponse(sock, method=method)
        try:
            resp.begin()
            data = resp.read()
        except (OSError, http.client.HTTPException) as err:
            return Answer(0, {}, b'', f'{type(err).__name__}: {err}')
        return Answer(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        sock.close()


def auth_token(port: int, user: str = 'test:tester', key: str = 'testing') -> tuple[str, str]:
    """(token, account) of a tempauth user."""
    ans = send(port, 'GET', '/auth/v1.0', [('X-Auth-User', user), ('X-Auth-Key', key)])
    assert ans.status == 200, (user, ans)
    return ans.headers['x-auth-token'], ans.headers['x-storage-url'].rstrip('/').rpartition('/')[2]


def s3_signed(port: int, method: str, path: str, query: str = '', body: bytes = b'',
              headers: dict[str, str] | None = None, key: str = 'test:tester',
              secret: str = 'testing', encoded_path: bool = False) -> list[tuple[str, str]]:
    """Headers of a SigV4-signed S3 request (botocore's own signer, which
    signs a given X-Amz-Content-SHA256 as the payload hash) for ``path``
    (plain ASCII, or already percent-encoded with ``encoded_path``) and
    ``query`` (already encoded, signed as sent)."""
    url = f'http://127.0.0.1:{port}{path}' + (f'?{query}' if query else '')
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    if 'X-Amz-Content-SHA256' not in request.headers:
        request.headers['X-Amz-Content-SHA256'] = hashlib.sha256(body).hexdigest()
    signer = S3SigV4Auth if encoded_path else SigV4Auth       # S3SigV4Auth signs the path as given
    signer(Credentials(key, secret), 's3', 'us-east-1').add_auth(request)
    return [(k, v) for k, v in request.headers.items()]


def is_s3_xml(answer: Answer) -> bool:
    """Whether the body is an S3 XML document (an <Error> for an error status)."""
    try:
        root = ET.fromstring(answer.body)
    except ET.ParseError:
        return False
    tag = root.tag.rpartition('}')[2]
    return tag == 'Error' if answer.status >= 300 else True


# -- server logs -------------------------------------------------------------------

_TRACEBACK = re.compile(r'Traceback \(most recent call last\):\n((?:[ \t].*\n)+)(.*)')
_FRAME = re.compile(r'File "([^"]+)", line (\d+), in (\S+)')


@dataclass
class LogMarks:
    """Where each log file of a cluster ended when made; ``new_tracebacks``
    reads only what was written since."""

    logs: Path
    offsets: dict[Path, int] = field(default_factory=dict)

    @classmethod
    def now(cls, logs: Path) -> LogMarks:
        return cls(logs, {p: p.stat().st_size for p in logs.glob('*.log')})

    def new_text(self) -> Iterable[tuple[Path, str]]:
        for path in sorted(self.logs.glob('*.log')):
            with open(path, 'rb') as f:
                f.seek(self.offsets.get(path, 0))
                yield path, f.read().decode('utf-8', 'replace')

    def new_tracebacks(self) -> dict[str, int]:
        """'<log>: <innermost swiftlike frame> -> <exception line>' -> count."""
        found: dict[str, int] = {}
        for path, text in self.new_text():
            for match in _TRACEBACK.finditer(text + '\n'):
                frames = [f for f in _FRAME.findall(match.group(1)) if '/swiftlike/' in f[0]] or \
                    _FRAME.findall(match.group(1))
                where = '?'
                if frames:
                    file, _, tail = frames[-1][0].partition('/swiftlike/')
                    where = f'{"swiftlike/" + tail if tail else file}:{frames[-1][1]} in {frames[-1][2]}'
                key = f'{path.stem.rstrip("0123456789").rstrip("-")}: {where} -> ' \
                      f'{match.group(2).strip()[:160]}'
                found[key] = found.get(key, 0) + 1
        return found

    def count(self, pattern: str, prefix: str = '') -> int:
        """Lines written since the mark, in logs whose name starts with ``prefix``, containing ``pattern``."""
        return sum(text.count(pattern) for path, text in self.new_text() if path.name.startswith(prefix))

"""What a symbolic link object stores, and how clients and container
listings see it: the ``X-Symlink-Target*`` request headers checked and
turned into system metadata, and the listing parameters that carry the
target to the container (``<etag>; symlink_target=<c>/<o>; ...``, all
percent-encoded). Pure: no requests are made here (see
swiftlike.common.middleware.symlink)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import quote, unquote

from swiftlike.common.constraints import ConstraintError, check_name
from swiftlike.common.numbers import is_int
from swiftlike.common.request import header_to_str

TARGET: Final = 'X-Symlink-Target'
TARGET_ACCOUNT: Final = 'X-Symlink-Target-Account'
TARGET_ETAG: Final = 'X-Symlink-Target-Etag'
TARGET_BYTES: Final = 'X-Symlink-Target-Bytes'

SYS_TARGET: Final = 'X-Object-Sysmeta-Symlink-Target'
SYS_ACCOUNT: Final = 'X-Object-Sysmeta-Symlink-Target-Account'
SYS_ETAG: Final = 'X-Object-Sysmeta-Symlink-Target-Etag'
SYS_BYTES: Final = 'X-Object-Sysmeta-Symlink-Target-Bytes'

FORM_ERROR: Final = 'X-Symlink-Target header must be of the form <container name>/<object name>'
#: An entity tag as a link may pin it: visible ASCII, no quote, comma or semicolon.
_ETAG: Final = re.compile(r'[!#-+\--:<-~]{1,256}')


@dataclass(frozen=True, slots=True)
class Target:
    """Where a link points: ``account`` None means the link's own account."""

    container: str
    obj: str
    account: str | None = None
    etag: str | None = None
    size: int | None = None
    #: A static link to a large object's manifest lists that object's ETag too (the slo filter quotes it).
    slo_etag: str | None = None

    def path(self, own_account: str) -> str:
        """``/v1/<account>/<container>/<object>`` as text."""
        return f'/v1/{self.account or own_account}/{self.container}/{self.obj}'

    def location(self, own_account: str) -> str:
        """The same path, percent-encoded (Content-Location and Location)."""
        return quote(self.path(own_account), safe='/')

    def sysmeta(self) -> dict[str, str]:
        """The system metadata a link object stores."""
        meta = {SYS_TARGET: quote(f'{self.container}/{self.obj}', safe='/')}
        if self.account is not None:
            meta[SYS_ACCOUNT] = quote(self.account, safe='')
        if self.etag is not None:
            meta[SYS_ETAG] = self.etag
            meta[SYS_BYTES] = str(self.size or 0)
        return meta

    def client_headers(self) -> dict[str, str]:
        """What ``?symlink=get`` shows of the link."""
        shown = {TARGET: quote(f'{self.container}/{self.obj}', safe='/')}
        if self.account is not None:
            shown[TARGET_ACCOUNT] = quote(self.account, safe='')
        if self.etag is not None:
            shown[TARGET_ETAG] = self.etag
            shown[TARGET_BYTES] = str(self.size or 0)
        return shown

    def listing_params(self) -> str:
        """``; symlink_target=...`` parameters appended to the listed ETag."""
        params = f'; symlink_target={quote(f"{self.container}/{self.obj}", safe="/")}'
        if self.account is not None:
            params += f'; symlink_target_account={quote(self.account, safe="")}'
        if self.etag is not None:
            params += f'; symlink_target_etag={self.etag}; symlink_target_bytes={self.size or 0}'
        if self.slo_etag is not None:
            params += f'; slo_etag={self.slo_etag}'
        return params


def _text(value: str, what: str) -> str:
    """A header value as text, percent-decoded.

    :raises ConstraintError: 412 if it is not UTF-8 or has a NUL
    """
    try:
        text = unquote(header_to_str(value), errors='strict')
    except (ConstraintError, UnicodeDecodeError):
        raise ConstraintError(f'{what} is not valid UTF-8', status=412) from None
    if '\x00' in text:
        raise ConstraintError(f'{what} contains NUL', status=412)
    return text


def parse_target(headers: Mapping[str, str]) -> Target:
    """The target a PUT names with ``X-Symlink-Target`` (and ``-Account``, ``-Etag``).

    >>> parse_target({TARGET: 'c/o%20x/y'})
    Target(container='c', obj='o x/y', account=None, etag=None, size=None, slo_etag=None)

    :raises ConstraintError: 412 for a malformed target or account, 400 for a bad etag
    """
    container, slash, obj = _text(headers[TARGET], TARGET).partition('/')
    if not slash or not container or not obj:
        raise ConstraintError(FORM_ERROR, status=412)
    try:
        check_name(container, 'container')
        check_name(obj, 'object')
    except ConstraintError as err:
        raise ConstraintError(f'{TARGET}: {err}', status=412) from None
    account = None
    if TARGET_ACCOUNT in headers:
        account = _text(headers[TARGET_ACCOUNT], TARGET_ACCOUNT)
        if '/' in account:
            raise ConstraintError(f'{TARGET_ACCOUNT} must not contain /', status=412)
        try:
            check_name(account, 'account')
        except ConstraintError as err:
            raise ConstraintError(f'{TARGET_ACCOUNT}: {err}', status=412) from None
    etag = None
    if TARGET_ETAG in headers:
        etag = headers[TARGET_ETAG].strip().strip('"')
        if not _ETAG.fullmatch(etag):
            raise ConstraintError(f'{TARGET_ETAG} must be a plain entity tag', status=400)
    return Target(container, obj, account, etag)


def stored_target(headers: Mapping[str, str]) -> Target | None:
    """The target a stored link's system metadata names, or None if it is no link."""
    raw = headers.get(SYS_TARGET)
    if not raw:
        return None
    container, _, obj = unquote(raw).partition('/')
    account = unquote(headers[SYS_ACCOUNT]) if headers.get(SYS_ACCOUNT) else None
    etag = headers.get(SYS_ETAG) or None
    size_text = str(headers.get(SYS_BYTES, ''))
    size = int(size_text) if is_int(size_text) else None
    return Target(container, obj, account, etag, size)


def listing_entry(entry: dict[str, Any], version: str, account: str) -> dict[str, Any]:
    """A JSON listing row with the link parameters of its ``hash`` turned
    into ``symlink_path`` (and ``symlink_etag``, ``symlink_bytes``).

    >>> listing_entry({'hash': 'e; symlink_target=c/o%20x; symlink_target_etag=t; '
    ...                'symlink_target_bytes=3'}, 'v1', 'AUTH_a')
    {'hash': 'e', 'symlink_path': '/v1/AUTH_a/c/o%20x', 'symlink_etag': 't', 'symlink_bytes': 3}
    """
    value = entry.get('hash')
    if not isinstance(value, str) or '; symlink_target=' not in value:
        return entry
    etag, *params = value.split('; ')
    found = dict(p.partition('=')[::2] for p in params)
    target_account = found.get('symlink_target_account') or quote(account, safe='')
    out = {**entry, 'hash': etag,
           'symlink_path': f'/{version}/{target_account}/{found.get("symlink_target", "")}'}
    if 'symlink_target_etag' in found:
        out['symlink_etag'] = found['symlink_target_etag']
        size = found.get('symlink_target_bytes', '0')
        out['symlink_bytes'] = int(size) if is_int(size) else 0
    if 'slo_etag' in found:
        out['slo_etag'] = found['slo_etag']
    return out

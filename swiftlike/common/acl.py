"""Container ACLs (X-Container-Read / X-Container-Write) and account ACLs
(X-Account-Access-Control, JSON): parsing and normalising. Pure.

Items: ``.r:*`` (any referrer: anonymous reads), ``.r:-*``, ``.r:<host>``,
``.rlistings`` (anonymous listings too), ``<account>:<user>``,
``<account>``, ``*``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True, slots=True)
class Acl:
    """A parsed ACL."""

    referrers: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    listings: bool = False

    @property
    def any_referrer(self) -> bool:
        """``.r:*`` is set (and not taken back by ``.r:-*``)."""
        allowed = False
        for ref in self.referrers:
            if ref == '*':
                allowed = True
            elif ref == '-*':
                allowed = False
        return allowed


def parse_acl(value: str) -> Acl:
    """Parse an ACL header value.

    >>> parse_acl('.r:*,.rlistings, test:tester').groups
    ('test:tester',)

    :raises ValueError: for a malformed ``.r`` item or an unknown ``.`` item
    """
    referrers, groups, listings = [], [], False
    for item in (i.strip() for i in value.split(',')):
        if not item:
            continue
        if item == '.rlistings':
            listings = True
        elif item.startswith(('.r:', '.ref:', '.referer:', '.referrer:')):
            ref = item.split(':', 1)[1].strip()
            if not ref or ref in ('-', '.'):
                raise ValueError(f'bad referrer in ACL item {item!r}')
            referrers.append(ref)
        elif item.startswith('.'):
            raise ValueError(f'unknown ACL item {item!r}')
        else:
            groups.append(item)
    return Acl(tuple(referrers), tuple(groups), listings)


def clean_acl(header: str, value: str) -> str:
    """The normal form of an ACL header value.

    :raises ValueError: if it is malformed (see :func:`parse_acl`)
    """
    acl = parse_acl(value)
    items = [f'.r:{r}' for r in acl.referrers] + (['.rlistings'] if acl.listings else [])
    if acl.referrers and header.lower() == 'x-container-write':
        raise ValueError('referrers are not allowed in a write ACL')
    return ','.join(items + list(acl.groups))


#: The levels of an account ACL (``X-Account-Access-Control``), most powerful first.
ACCOUNT_ACL_LEVELS: Final = ('admin', 'read-write', 'read-only')


@dataclass(frozen=True, slots=True)
class AccountAcl:
    """An account ACL: for each level, the users (``account:user``) and
    accounts it grants."""

    grants: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def level(self, groups: Iterable[str]) -> str | None:
        """The most powerful level any of ``groups`` is granted, or None.

        >>> parse_account_acl('{"read-only":["t:u"],"admin":["t"]}').level({'t:u', 't'})
        'admin'
        """
        wanted = set(groups)
        granted = dict(self.grants)
        return next((lvl for lvl in ACCOUNT_ACL_LEVELS if wanted.intersection(granted.get(lvl, ()))),
                    None)

    def header_value(self) -> str:
        """The ACL as clients see it (and as it is kept): compact JSON, keys
        sorted, ASCII only; empty when it grants nothing.

        >>> parse_account_acl('{ "admin" : ["bob"] }').header_value()
        '{"admin":["bob"]}'
        """
        if not self.grants:
            return ''
        return json.dumps({k: list(v) for k, v in self.grants}, ensure_ascii=True,
                          separators=(',', ':'), sort_keys=True)


def parse_account_acl(value: str) -> AccountAcl:
    """Parse an ``X-Account-Access-Control`` value: a JSON object whose keys
    are ``admin``, ``read-write`` or ``read-only``, each a list of strings.

    :param value: the header as text (already decoded from UTF-8)
    :raises ValueError: saying what is wrong
    """
    if not value.strip():
        return AccountAcl()     # (as '{}': removes it)
    try:
        data = json.loads(value)
    except (ValueError, RecursionError):
        raise ValueError('Syntax error in input (not JSON)') from None
    if not isinstance(data, dict):
        raise ValueError('Syntax error in input (not a JSON object)')
    grants = []
    for key, names in data.items():
        if key not in ACCOUNT_ACL_LEVELS:
            raise ValueError(f'Key {json.dumps(key)} not recognized')
        if not isinstance(names, list):
            raise ValueError(f'Value for key {json.dumps(key)} must be a list')
        if not all(isinstance(n, str) for n in names):
            raise ValueError(f'Elements of {json.dumps(key)} list must be strings')
        if any(c < ' ' or c == '\x7f' for n in names for c in n):
            raise ValueError(f'Elements of {json.dumps(key)} list hold control characters')
        grants.append((key, tuple(names)))
    return AccountAcl(tuple(sorted(grants)))

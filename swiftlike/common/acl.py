"""Container ACLs (X-Container-Read / X-Container-Write): parsing and
normalising. Pure.

Items: ``.r:*`` (any referrer: anonymous reads), ``.r:-*``, ``.r:<host>``,
``.rlistings`` (anonymous listings too), ``<account>:<user>``,
``<account>``, ``*``.
"""

from __future__ import annotations

from dataclasses import dataclass


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

"""Where objects with an X-Delete-At are queued for the object-expirer: a
row per object in the hidden account ``.expiring_objects``, in a container
per day (the delete-at time rounded down to ``DIVISOR``), named
``<delete_at>-<account>/<container>/<object>``. Hidden accounts (a leading
dot) and their containers are created by the storage servers on first use.
"""

from __future__ import annotations

from typing import Final

from swiftlike.common.numbers import is_int

ACCOUNT: Final = '.expiring_objects'
DIVISOR: Final = 86400
#: The latest delete-at time: ten digits (as swiftlike.common.timestamp.MAX_DELETE_AT).
MAX_DELETE_AT: Final = 9999999999
#: Accounts whose containers the storage servers create on first use.
AUTO_CREATE_PREFIX: Final = '.'


def container_for(delete_at: int) -> str:
    """The queue container of a delete-at time.

    >>> container_for(1700000123)
    '1699920000'
    """
    return str(delete_at // DIVISOR * DIVISOR)


def entry_name(delete_at: int, account: str, container: str, obj: str) -> str:
    """The queue row of one object.

    >>> entry_name(1700000123, 'AUTH_t', 'c', 'a/b')
    '1700000123-AUTH_t/c/a/b'
    """
    return f'{delete_at}-{account}/{container}/{obj}'


def is_day(name: str) -> bool:
    """Whether ``name`` is a queue container's name (a delete-at time in ASCII digits).

    >>> is_day('1699920000'), is_day('\u00b2'), is_day('9' * 100)
    (True, False, False)
    """
    return is_int(name, maximum=MAX_DELETE_AT)


def parse_entry(name: str) -> tuple[int, str, str, str]:
    """(delete_at, account, container, object) of a queue row.

    >>> parse_entry('1700000123-AUTH_t/c/a/b')
    (1700000123, 'AUTH_t', 'c', 'a/b')
    >>> parse_entry('\u00b2-AUTH_t/c/o')
    Traceback (most recent call last):
    ValueError: not an expiring-object entry: '\u00b2-AUTH_t/c/o'

    :raises ValueError: for a name that is not a queue row
    """
    stamp, _, path = name.partition('-')
    account, _, rest = path.partition('/')
    container, _, obj = rest.partition('/')
    if not is_int(stamp, maximum=MAX_DELETE_AT) or not account or not container or not obj:
        raise ValueError(f'not an expiring-object entry: {name!r}')
    return int(stamp), account, container, obj

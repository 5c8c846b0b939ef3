"""Limits on names, metadata and sizes, and the checks that enforce them at
the edge. Defaults are Swift's; the proxy's /info publishes them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Final

#: What object, container and account metadata headers start with.
META_PREFIXES: Final = {'object': 'x-object-meta-', 'container': 'x-container-meta-',
                        'account': 'x-account-meta-'}


@dataclass(frozen=True, slots=True)
class Constraints:
    """The cluster's limits (``[swift-constraints]`` in swift.conf)."""

    max_file_size: int = 5 * 1024 ** 3 + 2
    max_meta_name_length: int = 128
    max_meta_value_length: int = 256
    max_meta_count: int = 90
    max_meta_overall_size: int = 4096
    max_header_size: int = 8192
    max_object_name_length: int = 1024
    container_listing_limit: int = 10000
    account_listing_limit: int = 10000
    max_account_name_length: int = 256
    max_container_name_length: int = 256

    def as_dict(self) -> dict[str, int]:
        """The limits as /info shows them."""
        return asdict(self)


DEFAULT_CONSTRAINTS: Final = Constraints()


class ConstraintError(ValueError):
    """A request breaks a limit; ``status`` is the HTTP status to answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def check_name(name: str, kind: str, limits: Constraints = DEFAULT_CONSTRAINTS) -> None:
    """Check an account, container or object name (already UTF-8 decoded).

    :raises ConstraintError: 400 if empty or too long (in UTF-8 bytes), or
        containing NUL; a container name may not contain '/'; an account or
        container may not be named '.' or '..' (clients resolve those in URLs)
    """
    longest = {'account': limits.max_account_name_length,
               'container': limits.max_container_name_length,
               'object': limits.max_object_name_length}[kind]
    if not name:
        raise ConstraintError(f'{kind} name is empty')
    if len(name.encode('utf-8')) > longest:
        raise ConstraintError(f'{kind} name longer than {longest} bytes')
    if '\x00' in name:
        raise ConstraintError('Invalid UTF8 or contains NULL', status=412)
    if kind == 'container' and '/' in name:
        raise ConstraintError('container name contains /')
    if kind != 'object' and name in ('.', '..'):
        raise ConstraintError(f'{kind} name may not be {name!r}')


def _wire_length(value: str) -> int:
    """Bytes of a header value: a WSGI header is its bytes read as latin-1 (one character
    each); a value a filter set as text (beyond latin-1) counts as UTF-8.

    >>> _wire_length('\xc3\xa9'), _wire_length('\u00e9'), _wire_length('\u2603')
    (2, 1, 3)
    """
    try:
        return len(value.encode('latin-1'))
    except UnicodeEncodeError:
        return len(value.encode('utf-8', 'surrogateescape'))


def check_metadata(headers: Mapping[str, str], kind: str,
                   limits: Constraints = DEFAULT_CONSTRAINTS) -> None:
    """Check the user metadata headers of a request for ``kind``.

    :raises ConstraintError: 400 naming the first limit broken
    """
    prefix = META_PREFIXES[kind]
    count = 0
    size = 0
    for key, value in headers.items():
        lowered = key.lower()
        if not lowered.startswith(prefix):
            continue
        name = lowered[len(prefix):]
        if not name:
            raise ConstraintError('metadata name cannot be empty')
        if len(name) > limits.max_meta_name_length:
            raise ConstraintError(f'metadata name too long; max {limits.max_meta_name_length}')
        length = _wire_length(value)
        if length > limits.max_meta_value_length:
            raise ConstraintError(f'metadata value longer than {limits.max_meta_value_length}')
        count += 1
        size += len(name) + length
    if count > limits.max_meta_count:
        raise ConstraintError(f'too many metadata items; max {limits.max_meta_count}')
    if size > limits.max_meta_overall_size:
        raise ConstraintError(f'total metadata too large; max {limits.max_meta_overall_size}')


def check_content_type(value: str) -> None:
    """Reject a Content-Type with control characters.

    :raises ConstraintError: 400
    """
    if any(ord(c) < 32 or c == '\x7f' for c in value):
        raise ConstraintError('Content-Type contains control characters')

"""Names and header values of Swift's legacy object versioning
(``X-Versions-Location`` / ``X-History-Location``): the archive container a
header names, and the archive names of an object's old versions. Pure: no
requests are made here (see ``middleware.versioned_writes``)."""

from __future__ import annotations

from typing import Final
from urllib.parse import quote, unquote

from swiftlike.common.constraints import ConstraintError
from swiftlike.common.request import header_to_str
from swiftlike.common.timestamp import Timestamp

#: The Content-Type of a history-mode delete marker, as Swift's clients expect it.
DELETE_MARKER_TYPE: Final = 'application/x-deleted;swift_versions_deleted=1'
#: Longest archive container name (bytes of UTF-8), as the proxy's container names.
MAX_CONTAINER_NAME: Final = 256


def archive_prefix(name: str) -> str:
    """The prefix every archived version of object ``name`` starts with:
    its length in UTF-8 bytes as three hex digits, the name, and a slash.

    >>> archive_prefix('photo'), archive_prefix('été')
    ('005photo/', '005été/')
    """
    return f'{len(name.encode("utf-8")):03x}{name}/'


def archive_name(name: str, timestamp: Timestamp) -> str:
    """The archive name of the version of ``name`` written at ``timestamp``
    (plain, so names sort oldest first).

    >>> archive_name('a', Timestamp('1700000000.5'))
    '001a/1700000000.50000'
    """
    return archive_prefix(name) + timestamp.internal


def parse_location(value: str) -> str:
    """The archive container a location header names (its value URL-quoted,
    or raw UTF-8 carried as latin-1), as text.

    >>> parse_location('my%20versions'), parse_location('v\xc3\xa9')
    ('my versions', 'vé')

    :raises ConstraintError: 412 if it is not UTF-8 or names a path (has a
        slash), 400 if it has NUL or a control character, or is too long
    """
    try:
        text = unquote(header_to_str(value), errors='strict')
    except UnicodeDecodeError:
        raise ConstraintError('Invalid UTF8 in the versions location', status=412) from None
    if '/' in text:
        raise ConstraintError('Container name cannot contain slashes', status=412)
    if not text.strip() or any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ConstraintError('Invalid versions location')
    if text in ('.', '..') or len(text.encode('utf-8')) > MAX_CONTAINER_NAME:
        raise ConstraintError('Invalid versions location')
    return text


def location_value(container: str) -> str:
    """The header value that names ``container`` (URL-quoted, as Swift shows it).

    >>> location_value('my versions')
    'my%20versions'
    """
    return quote(container, safe='')

"""Name hashing for partition placement. Pure: no config is read here; the
caller passes the cluster's hash prefix and suffix (from ``swift.conf``)."""

import hashlib


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode('utf-8') if isinstance(value, str) else value


def hash_path(account: str | bytes, container: str | bytes | None = None,
              obj: str | bytes | None = None, *, prefix: bytes = b'',
              suffix: bytes = b'') -> bytes:
    """Return the 16-byte md5 digest of ``prefix + "/a/c/o" + suffix``.

    The partition of a name is the top ``part_power`` bits of this digest.

    :param account: account name (str is encoded as UTF-8)
    :param container: container name, or None for an account path
    :param obj: object name; requires ``container``
    :param prefix: cluster-wide secret prefix (``swift_hash_path_prefix``)
    :param suffix: cluster-wide secret suffix (``swift_hash_path_suffix``)
    :raises ValueError: if ``obj`` is given without ``container``

    >>> hash_path('AUTH_test', 'c', 'o', suffix=b'changeme').hex()
    '7363996f2cfb95eaa18df19ccc31aece'
    """
    if obj is not None and container is None:
        raise ValueError('an object path needs a container')
    parts = [_as_bytes(account)]
    if container is not None:
        parts.append(_as_bytes(container))
    if obj is not None:
        parts.append(_as_bytes(obj))
    path = b'/' + b'/'.join(parts)
    return hashlib.md5(prefix + path + suffix, usedforsecurity=False).digest()


def part_from_digest(digest: bytes, part_shift: int) -> int:
    """Return the partition for ``digest``: its top 32 bits shifted right
    by ``part_shift`` (``32 - part_power``).

    >>> part_from_digest(bytes.fromhex('80000000'), 31)
    1
    """
    return int.from_bytes(digest[:4], 'big') >> part_shift

import hashlib

import pytest

from rings import hash_path
from rings.hashing import part_from_digest


def test_hash_is_md5_of_prefix_path_suffix():
    expected = hashlib.md5(b'pre/AUTH_a/c/o/bj' + b'suf').digest()
    assert hash_path('AUTH_a', 'c', 'o/bj', prefix=b'pre', suffix=b'suf') == expected


def test_str_and_utf8_bytes_hash_alike():
    assert hash_path('a', 'c\u00e9', '\u2603') == hash_path(b'a', 'c\u00e9'.encode(), '\u2603'.encode())


def test_account_and_container_paths():
    assert hash_path('a') == hashlib.md5(b'/a').digest()
    assert hash_path('a', 'c') == hashlib.md5(b'/a/c').digest()


def test_object_needs_container():
    with pytest.raises(ValueError):
        hash_path('a', None, 'o')


def test_partition_is_top_bits():
    digest = bytes([0b10110000, 0, 0, 0]) + bytes(12)
    assert part_from_digest(digest, 32 - 4) == 0b1011
    assert part_from_digest(digest, 32 - 1) == 1

"""Partition rings: hashing, lookup, building, and their files.

Pure: imports only the standard library; reads no config at import.
"""

from rings.builder import RebalanceResult, RingBuilder
from rings.device import Device
from rings.errors import RingBuilderError, RingFileError, RingValidationError
from rings.hashing import hash_path
from rings.ring import Ring, RingData

__all__ = ['Device', 'RebalanceResult', 'Ring', 'RingBuilder', 'RingBuilderError', 'RingData',
           'RingFileError', 'RingValidationError', 'hash_path']

"""The cluster-wide ``swift.conf``: hash path prefix/suffix and constraints.
Read when a server is built, never at import."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

from swiftlike.common.config import parse_conf, read_ini
from swiftlike.common.constraints import Constraints
from swiftlike.common.exceptions import ConfigError


@dataclass(frozen=True, slots=True)
class SwiftConf:
    """What swift.conf says."""

    hash_prefix: bytes
    hash_suffix: bytes
    constraints: Constraints

    @classmethod
    def load(cls, swift_dir: Path) -> SwiftConf:
        """Read ``<swift_dir>/swift.conf``.

        :raises ConfigError: if it is missing or sets neither hash prefix nor suffix
        """
        parser = read_ini(swift_dir / 'swift.conf')
        prefix = suffix = ''
        if parser.has_section('swift-hash'):
            prefix = parser.get('swift-hash', 'swift_hash_path_prefix', fallback='')
            suffix = parser.get('swift-hash', 'swift_hash_path_suffix', fallback='')
        if not prefix and not suffix:
            raise ConfigError(f'{swift_dir}/swift.conf: set swift_hash_path_suffix in [swift-hash]')
        limits = Constraints()
        if parser.has_section('swift-constraints'):
            known = {f.name for f in fields(Constraints)}
            values = {k: v for k, v in parser.items('swift-constraints') if k in known}
            limits = parse_conf(Constraints, values, section='swift-constraints')
        return cls(prefix.encode('utf-8'), suffix.encode('utf-8'), limits)
